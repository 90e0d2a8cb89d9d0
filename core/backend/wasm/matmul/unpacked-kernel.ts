/**
 * A matmul kernel for many small products, such as attention's [N × d]·[d × N] per head: it reads B
 * row-major as it lies, so a batch entry needs no packing pass and a task of many entries is one call.
 * Packing pays off only when a panel is reused from cache by many row tiles; a small B (k·n of a few
 * thousand floats) stays in L1 whichever layout it has.
 *
 * Tiles: bands of 4 rows of C (a last band of 3, 2 or 1 rows gets its own code, so no row is computed
 * twice), and in each band tiles of 8 columns, then of 4; a last tile of 1–3 columns loads 4 lanes of B
 * (up to 3 floats past the end of a row: the caller leaves 16 bytes of slack after the last B) and
 * stores only the lanes inside C. Every element of C is the float32 sum over k in ascending order of
 * a·b products, starting from 0, as in the packed kernel: both paths give identical results (with or
 * without fused multiply-adds, as long as both use the same).
 */
import { FunctionBuilder, type FunctionDefinition } from '../emitter.js';

/** accumulator += a·b, lane by lane: one fused instruction, or a multiply and an add. */
export function multiplyAdd(f: FunctionBuilder, accumulator: number, a: number, b: number, fused: boolean): void {
  if (fused) f.get(a).get(b).get(accumulator).f32x4RelaxedMadd().set(accumulator);
  else f.get(accumulator).get(a).get(b).f32x4Mul().f32x4Add().set(accumulator);
}

/** Rows of C per full band. */
const bandRows = 4;

/** Bytes that the kernel may read past the end of the last B matrix. */
export const unpackedSlackBytes = 16;

/**
 * `gemmUnpacked(a, b, c, count, m, k, n)`: for `count` consecutive entries (A m×k, B k×n, C m×n, each
 * row-major and stored back to back from byte addresses a, b and c), C = A·B.
 */
export function gemmUnpacked(fusedMultiplyAdd: boolean): FunctionDefinition {
  const f = new FunctionBuilder('gemmUnpacked', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [a, b, c, count, m, k, n] = [0, 1, 2, 3, 4, 5, 6];
  const [aRowBytes, rowBytes, row, column, cBand, step, bPointer, cPointer] = f.locals('i32', 8);
  const rowBase = f.locals('i32', bandRows);
  const aPointer = f.locals('i32', bandRows);
  const accumulator = Array.from({ length: bandRows }, () => f.locals('v128', 2));
  const bVector = f.locals('v128', 2);
  const aSplat = f.local('v128');

  f.get(k).i32Const(2).i32Shl().set(aRowBytes);
  f.get(n).i32Const(2).i32Shl().set(rowBytes); // a row of B and a row of C

  /** One rows × (4·vectors) tile of C at (row, column): k steps, then the store. */
  const tile = (rows: number, vectors: number, partial: boolean) => {
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < vectors; v++) f.v128Zero().set(accumulator[r][v]);
      f.get(rowBase[r]).set(aPointer[r]);
    }
    f.get(b).get(column).i32Const(2).i32Shl().i32Add().set(bPointer);
    f.get(k).set(step);
    f.repeat(step, () => {
      for (let v = 0; v < vectors; v++) f.get(bPointer).v128Load(16 * v).set(bVector[v]);
      for (let r = 0; r < rows; r++) {
        f.get(aPointer[r]).v128Load32Splat().set(aSplat);
        for (let v = 0; v < vectors; v++) multiplyAdd(f, accumulator[r][v], aSplat, bVector[v], fusedMultiplyAdd);
        f.addTo(aPointer[r], 4);
      }
      f.get(bPointer).get(rowBytes).i32Add().set(bPointer);
    });
    f.get(cBand).get(column).i32Const(2).i32Shl().i32Add().set(cPointer);
    const nextRow = (r: number) => r < rows - 1 && f.get(cPointer).get(rowBytes).i32Add().set(cPointer);
    if (!partial) {
      for (let r = 0; r < rows; r++) {
        for (let v = 0; v < vectors; v++) f.get(cPointer).get(accumulator[r][v]).v128Store(16 * v);
        nextRow(r);
      }
      return;
    }
    // 1–3 columns left: lane 0 always, lanes 1 and 2 where they are inside the row
    for (let r = 0; r < rows; r++) {
      f.get(cPointer).get(accumulator[r][0]).f32x4ExtractLane(0).f32Store(0);
      for (let lane = 1; lane < 3; lane++) {
        f.get(n).get(column).i32Sub().i32Const(lane).i32GtS().ifElse(() => f.get(cPointer).get(accumulator[r][0]).f32x4ExtractLane(lane).f32Store(4 * lane));
      }
      nextRow(r);
    }
  };

  /** All tiles of one band of `rows` rows starting at `row`. */
  const band = (rows: number) => {
    f.get(a).get(row).get(aRowBytes).i32Mul().i32Add().set(rowBase[0]);
    for (let r = 1; r < rows; r++) f.get(rowBase[r - 1]).get(aRowBytes).i32Add().set(rowBase[r]);
    f.get(c).get(row).get(rowBytes).i32Mul().i32Add().set(cBand);
    f.i32Const(0).set(column);
    f.block((wideDone) => {
      f.loop((wide) => {
        f.get(column).i32Const(8).i32Add().get(n).i32GtS().brIf(wideDone);
        tile(rows, 2, false);
        f.addTo(column, 8).br(wide);
      });
    });
    f.get(column).i32Const(4).i32Add().get(n).i32LeS().ifElse(() => {
      tile(rows, 1, false);
      f.addTo(column, 4);
    });
    f.get(column).get(n).i32LtS().ifElse(() => tile(rows, 1, true));
  };

  f.repeat(count, () => {
    f.i32Const(0).set(row);
    f.block((bandsDone) => {
      f.loop((bands) => {
        f.get(row).i32Const(bandRows).i32Add().get(m).i32GtS().brIf(bandsDone);
        band(bandRows);
        f.addTo(row, bandRows).br(bands);
      });
    });
    for (let rows = bandRows - 1; rows >= 1; rows--) {
      f.get(m).get(row).i32Sub().i32Const(rows).i32Eq().ifElse(() => band(rows));
    }
    f.get(a).get(m).get(aRowBytes).i32Mul().i32Add().set(a);
    f.get(b).get(k).get(rowBytes).i32Mul().i32Add().set(b);
    f.get(c).get(m).get(rowBytes).i32Mul().i32Add().set(c);
  });
  return f.definition();
}
