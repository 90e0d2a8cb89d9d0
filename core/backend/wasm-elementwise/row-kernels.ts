/**
 * WebAssembly kernels for the row passes of softmax and log-softmax over rows of `d` floats, which
 * `wasmRowSoftmax` runs around the SIMD exp and the row sums of sum-kernels.ts:
 *
 *   rowShift(source, target, rows, d)             target = x − max of its row
 *   rowScale(source, factors, target, rows, d)     target = x · factors[row]
 *   rowSubtract(source, terms, target, rows, d)    target = x − terms[row]
 *
 * Rows need not start on a 16-byte boundary (d = 50 for 7×7 patches and a class token), so these are
 * scalar loops; the exp in between is the vector kernel over the whole buffer. Addresses are in bytes;
 * rows and d must be at least 1 (`wasmRowSoftmax` checks).
 */
import { FunctionBuilder } from '../wasm-matmul/wasm-emitter.js';

export type RowExports = {
  readonly rowShift: (source: number, target: number, rows: number, d: number) => void;
  readonly rowScale: (source: number, factors: number, target: number, rows: number, d: number) => void;
  readonly rowSubtract: (source: number, terms: number, target: number, rows: number, d: number) => void;
};

/** Counts `counter` down from its value to 0, running `body` each time (not at all from 0). */
function repeat(f: FunctionBuilder, counter: number, body: () => void): void {
  f.block((none) => {
    f.get(counter).i32Eqz().brIf(none);
    f.loop((next) => {
      body();
      f.addTo(counter, -1);
      f.get(counter).brIf(next);
    });
  });
}

function rowShift(): FunctionBuilder {
  const f = new FunctionBuilder('rowShift', ['i32', 'i32', 'i32', 'i32']);
  const [source, target, rows, d] = [0, 1, 2, 3];
  const [count, at] = f.locals('i32', 2);
  const [max] = f.locals('f32', 1);
  repeat(f, rows, () => {
    f.get(source).f32Load().set(max);
    f.get(source).set(at).get(d).set(count);
    repeat(f, count, () => {
      f.get(max).get(at).f32Load().f32Max().set(max);
      f.addTo(at, 4);
    });
    f.get(d).set(count);
    repeat(f, count, () => {
      f.get(target).get(source).f32Load().get(max).f32Sub().f32Store();
      f.addTo(source, 4).addTo(target, 4);
    });
  });
  return f;
}

/** target = source (op) the row's value, for `f32Mul` (rowScale) or `f32Sub` (rowSubtract). */
function rowCombine(name: 'rowScale' | 'rowSubtract', combine: (f: FunctionBuilder) => void): FunctionBuilder {
  const f = new FunctionBuilder(name, ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [source, values, target, rows, d] = [0, 1, 2, 3, 4];
  const [count] = f.locals('i32', 1);
  const [value] = f.locals('f32', 1);
  repeat(f, rows, () => {
    f.get(values).f32Load().set(value);
    f.addTo(values, 4);
    f.get(d).set(count);
    repeat(f, count, () => {
      f.get(target).get(source).f32Load().get(value);
      combine(f);
      f.f32Store();
      f.addTo(source, 4).addTo(target, 4);
    });
  });
  return f;
}

export function rowFunctions(): FunctionBuilder[] {
  return [rowShift(), rowCombine('rowScale', (f) => f.f32Mul()), rowCombine('rowSubtract', (f) => f.f32Sub())];
}
