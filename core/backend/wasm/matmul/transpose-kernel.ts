/**
 * `transpose(source, target, rows, columns, count)`: writes the columns × rows transposes of `count`
 * row-major rows × columns float32 matrices, one after another at byte address `source`, to `target`
 * (row-major, one after another, not overlapping). It is how a matmul operand given transposed
 * (`transposeA`, `transposeB`) becomes the row-major matrix the kernels read, inside WebAssembly
 * memory, in one call for a whole batch of attention heads.
 *
 * Four rows at a time: four v128 loads of a 4 × 4 block, eight shuffles, four stores into four rows of
 * the target. An element-by-element walk over a tall matrix touches a new cache line per element
 * along its short side; this walk reads four lines and writes four at once. Edge rows and columns
 * go one element at a time.
 */
import { FunctionBuilder, type FunctionDefinition } from '../emitter.js';

export function transposeFunction(): FunctionDefinition {
  const f = new FunctionBuilder('transpose', ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [source, target, rows, columns, count] = [0, 1, 2, 3, 4];
  const [row, column, from, to, sourceRowBytes, targetRowBytes, matrixBytes, blockRowsEnd, blockColumnsEnd] = f.locals('i32', 9);
  const vectors = f.locals('v128', 4);
  const pairs = f.locals('v128', 4);
  f.get(columns).i32Const(2).i32Shl().set(sourceRowBytes);
  f.get(rows).i32Const(2).i32Shl().set(targetRowBytes);
  f.get(rows).get(columns).i32Mul().i32Const(2).i32Shl().set(matrixBytes);
  f.get(rows).i32Const(-4).i32And().set(blockRowsEnd);
  f.get(columns).i32Const(-4).i32And().set(blockColumnsEnd);

  /** target[column][row] = source[row][column] for the current row and column. */
  const element = () => {
    f.get(target).get(column).get(rows).i32Mul().get(row).i32Add().i32Const(2).i32Shl().i32Add();
    f.get(source).get(row).get(columns).i32Mul().get(column).i32Add().i32Const(2).i32Shl().i32Add().f32Load();
    f.f32Store();
  };
  /** Runs `body` for counter = start … end − 1 (nothing when start ≥ end). */
  const forRange = (counter: number, start: () => void, end: number, step: number, body: () => void) => {
    start();
    f.set(counter);
    f.block((done) => {
      f.loop((next) => {
        f.get(counter).get(end).i32GeS().brIf(done);
        body();
        f.addTo(counter, step).br(next);
      });
    });
  };

  f.block((allDone) => {
    f.loop((matrices) => {
      f.get(count).i32Eqz().brIf(allDone);
      forRange(row, () => f.i32Const(0), blockRowsEnd, 4, () => {
        f.get(source).get(row).get(sourceRowBytes).i32Mul().i32Add().set(from);
        f.get(target).get(row).i32Const(2).i32Shl().i32Add().set(to);
        forRange(column, () => f.i32Const(0), blockColumnsEnd, 4, () => {
          for (let q = 0; q < 4; q++) {
            f.get(from);
            for (let r = 0; r < q; r++) f.get(sourceRowBytes).i32Add();
            f.v128Load().set(vectors[q]);
          }
          // (a0 b0 a1 b1), (a2 b2 a3 b3), (c0 d0 c1 d1), (c2 d2 c3 d3), then columns 0–3 of the block
          f.get(vectors[0]).get(vectors[1]).f32x4Shuffle([0, 4, 1, 5]).set(pairs[0]);
          f.get(vectors[0]).get(vectors[1]).f32x4Shuffle([2, 6, 3, 7]).set(pairs[1]);
          f.get(vectors[2]).get(vectors[3]).f32x4Shuffle([0, 4, 1, 5]).set(pairs[2]);
          f.get(vectors[2]).get(vectors[3]).f32x4Shuffle([2, 6, 3, 7]).set(pairs[3]);
          for (let q = 0; q < 4; q++) {
            f.get(to);
            for (let r = 0; r < q; r++) f.get(targetRowBytes).i32Add();
            const [low, high] = q < 2 ? [pairs[0], pairs[2]] : [pairs[1], pairs[3]];
            f.get(low).get(high).f32x4Shuffle(q % 2 === 0 ? [0, 1, 4, 5] : [2, 3, 6, 7]).v128Store();
          }
          f.addTo(from, 16);
          f.get(to).get(targetRowBytes).i32Const(2).i32Shl().i32Add().set(to);
        });
        // the columns past the last whole block, for these four rows
        forRange(column, () => f.get(blockColumnsEnd), columns, 1, () => {
          for (let q = 0; q < 4; q++) {
            element();
            f.addTo(row, 1);
          }
          f.addTo(row, -4);
        });
      });
      // the rows past the last whole block
      forRange(row, () => f.get(blockRowsEnd), rows, 1, () => {
        forRange(column, () => f.i32Const(0), columns, 1, element);
      });
      f.get(source).get(matrixBytes).i32Add().set(source);
      f.get(target).get(matrixBytes).i32Add().set(target);
      f.addTo(count, -1).br(matrices);
    });
  });
  return f.definition();
}
