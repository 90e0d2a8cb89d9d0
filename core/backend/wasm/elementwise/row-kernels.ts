/**
 * WebAssembly kernels for the row passes of softmax and log-softmax over rows of `d` floats, which
 * `wasmRowSoftmax` runs around the SIMD exp and the row sums of sum-kernels.ts:
 *
 *   rowShift(source, target, rows, d)             target = x − max of its row
 *   rowScale(source, factors, target, rows, d)     target = x · factors[row]
 *   rowSubtract(source, terms, target, rows, d)    target = x − terms[row]
 *   rowStandardize(source, target, rows, d, eps)    target = (x − mean) / √(var + eps) of its row
 *
 * rowStandardize accumulates its sums in float64 and rounds once at the store, as the JavaScript
 * loop it replaced did, so it gives that loop's results bit for bit.
 *
 * Rows need not start on a 16-byte boundary (d = 50 for 7×7 patches and a class token), so these are
 * scalar loops; the exp in between is the vector kernel over the whole buffer. Addresses are in bytes;
 * rows and d must be at least 1 (`wasmRowSoftmax` checks).
 */
import { FunctionBuilder } from '../emitter.js';

export type RowExports = {
  readonly rowShift: (source: number, target: number, rows: number, d: number) => void;
  readonly rowScale: (source: number, factors: number, target: number, rows: number, d: number) => void;
  readonly rowSubtract: (source: number, terms: number, target: number, rows: number, d: number) => void;
  readonly rowStandardize: (source: number, target: number, rows: number, d: number, eps: number) => void;
};

function rowShift(): FunctionBuilder {
  const f = new FunctionBuilder('rowShift', ['i32', 'i32', 'i32', 'i32']);
  const [source, target, rows, d] = [0, 1, 2, 3];
  const [count, at] = f.locals('i32', 2);
  const [max] = f.locals('f32', 1);
  f.repeat(rows, () => {
    f.get(source).f32Load().set(max);
    f.get(source).set(at).get(d).set(count);
    f.repeat(count, () => {
      f.get(max).get(at).f32Load().f32Max().set(max);
      f.addTo(at, 4);
    });
    f.get(d).set(count);
    f.repeat(count, () => {
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
  f.repeat(rows, () => {
    f.get(values).f32Load().set(value);
    f.addTo(values, 4);
    f.get(d).set(count);
    f.repeat(count, () => {
      f.get(target).get(source).f32Load().get(value);
      combine(f);
      f.f32Store();
      f.addTo(source, 4).addTo(target, 4);
    });
  });
  return f;
}

function rowStandardize(): FunctionBuilder {
  const f = new FunctionBuilder('rowStandardize', ['i32', 'i32', 'i32', 'i32', 'f64']);
  const [source, target, rows, d, eps] = [0, 1, 2, 3, 4];
  const [count, at] = f.locals('i32', 2);
  const [length, total, mean, squares, difference, rstd] = f.locals('f64', 6);
  const element = (address: number) => f.get(address).f32Load().f64PromoteF32();
  f.get(d).f64ConvertI32U().set(length);
  f.repeat(rows, () => {
    f.f64Const(0).set(total).get(source).set(at).get(d).set(count);
    f.repeat(count, () => {
      f.get(total);
      element(at);
      f.f64Add().set(total).addTo(at, 4);
    });
    f.get(total).get(length).f64Div().set(mean);
    f.f64Const(0).set(squares).get(source).set(at).get(d).set(count);
    f.repeat(count, () => {
      element(at);
      f.get(mean).f64Sub().set(difference);
      f.get(squares).get(difference).get(difference).f64Mul().f64Add().set(squares).addTo(at, 4);
    });
    f.f64Const(1).get(squares).get(length).f64Div().get(eps).f64Add().f64Sqrt().f64Div().set(rstd);
    f.get(d).set(count);
    f.repeat(count, () => {
      f.get(target);
      element(source);
      f.get(mean).f64Sub().get(rstd).f64Mul().f32DemoteF64().f32Store();
      f.addTo(source, 4).addTo(target, 4);
    });
  });
  return f;
}

export function rowFunctions(): FunctionBuilder[] {
  return [rowShift(), rowCombine('rowScale', (f) => f.f32Mul()), rowCombine('rowSubtract', (f) => f.f32Sub()), rowStandardize()];
}
