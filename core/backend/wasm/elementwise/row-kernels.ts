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
 * Rows need not start on a 16-byte boundary (d = 50 for 7×7 patches and a class token): rowShift,
 * rowScale and rowSubtract go four floats at a time with unaligned v128 loads and stores, then the
 * row's last d mod 4 floats one by one (each lane rounds as the scalar operation would); the exp in
 * between is the vector kernel over the whole buffer. rowStandardize is scalar, four rows at a time. Addresses are
 * in bytes; rows and d must be at least 1 (`wasmRowSoftmax` checks).
 */
import { FunctionBuilder } from '../emitter.js';

export type RowExports = {
  readonly rowShift: (source: number, target: number, rows: number, d: number) => void;
  readonly rowScale: (source: number, factors: number, target: number, rows: number, d: number) => void;
  readonly rowSubtract: (source: number, terms: number, target: number, rows: number, d: number) => void;
  readonly rowStandardize: (source: number, target: number, rows: number, d: number, eps: number) => void;
};

/** The row's whole vectors (d rounded down to 4) as v128 steps, then its last d mod 4 floats one by one. */
function vectorsThenTail(f: FunctionBuilder, d: number, [count, vectors]: readonly number[], vector: () => void, scalar: () => void): void {
  f.get(d).i32Const(2).i32ShrU().set(vectors);
  f.repeat(vectors, vector);
  f.get(d).i32Const(3).i32And().set(count);
  f.repeat(count, scalar);
}

function rowShift(): FunctionBuilder {
  const f = new FunctionBuilder('rowShift', ['i32', 'i32', 'i32', 'i32']);
  const [source, target, rows, d] = [0, 1, 2, 3];
  const [at, ...counters] = f.locals('i32', 3);
  const [max] = f.locals('f32', 1);
  const [lanes, shift] = f.locals('v128', 2);
  f.repeat(rows, () => {
    // f32.max and f32x4.max agree (NaN wins, −0 < +0) and are associative, so any order gives the row's max
    f.get(source).v128Load32Splat().set(lanes);
    f.get(source).set(at);
    vectorsThenTail(f, d, counters, () => {
      f.get(lanes).get(at).v128Load().f32x4Max().set(lanes);
      f.addTo(at, 16);
    }, () => {
      f.get(lanes).get(at).v128Load32Splat().f32x4Max().set(lanes);
      f.addTo(at, 4);
    });
    f.get(lanes).f32x4ExtractLane(0).get(lanes).f32x4ExtractLane(1).f32Max();
    f.get(lanes).f32x4ExtractLane(2).get(lanes).f32x4ExtractLane(3).f32Max().f32Max().set(max);
    f.get(max).f32x4Splat().set(shift);
    vectorsThenTail(f, d, counters, () => {
      f.get(target).get(source).v128Load().get(shift).f32x4Sub().v128Store();
      f.addTo(source, 16).addTo(target, 16);
    }, () => {
      f.get(target).get(source).f32Load().get(max).f32Sub().f32Store();
      f.addTo(source, 4).addTo(target, 4);
    });
  });
  return f;
}

/** target = source (op) the row's value, for multiply (rowScale) or subtract (rowSubtract); lanes and scalars round alike. */
function rowCombine(name: 'rowScale' | 'rowSubtract', vector: (f: FunctionBuilder) => void, scalar: (f: FunctionBuilder) => void): FunctionBuilder {
  const f = new FunctionBuilder(name, ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [source, values, target, rows, d] = [0, 1, 2, 3, 4];
  const counters = f.locals('i32', 2);
  const [value] = f.locals('f32', 1);
  const [splat] = f.locals('v128', 1);
  f.repeat(rows, () => {
    f.get(values).f32Load().set(value);
    f.get(value).f32x4Splat().set(splat);
    f.addTo(values, 4);
    vectorsThenTail(f, d, counters, () => {
      f.get(target).get(source).v128Load().get(splat);
      vector(f);
      f.v128Store();
      f.addTo(source, 16).addTo(target, 16);
    }, () => {
      f.get(target).get(source).f32Load().get(value);
      scalar(f);
      f.f32Store();
      f.addTo(source, 4).addTo(target, 4);
    });
  });
  return f;
}

/** Rows standardized together: their float64 sums are independent chains, so the adds overlap instead of waiting on each other. */
const standardizeGroup = 4;

function rowStandardize(): FunctionBuilder {
  const f = new FunctionBuilder('rowStandardize', ['i32', 'i32', 'i32', 'i32', 'f64']);
  const [source, target, rows, d, eps] = [0, 1, 2, 3, 4];
  const [count, groups, rowBytes] = f.locals('i32', 3);
  const at = f.locals('i32', standardizeGroup);
  const [length] = f.locals('f64', 1);
  const totals = f.locals('f64', standardizeGroup);
  const means = f.locals('f64', standardizeGroup);
  const squares = f.locals('f64', standardizeGroup);
  const rstds = f.locals('f64', standardizeGroup);
  const [difference] = f.locals('f64', 1);
  const element = (address: number) => f.get(address).f32Load().f64PromoteF32();
  /** `group` rows from `source` on: each row's sums in the order of its elements, as one row alone would. */
  const standardizeRows = (group: number) => {
    const rowsHere = Array.from({ length: group }, (_, r) => r);
    const restart = () => {
      for (const r of rowsHere) f.get(source).get(rowBytes).i32Const(r).i32Mul().i32Add().set(at[r]);
      f.get(d).set(count);
    };
    for (const r of rowsHere) f.f64Const(0).set(totals[r]).f64Const(0).set(squares[r]);
    restart();
    f.repeat(count, () => {
      for (const r of rowsHere) {
        f.get(totals[r]);
        element(at[r]);
        f.f64Add().set(totals[r]).addTo(at[r], 4);
      }
    });
    for (const r of rowsHere) f.get(totals[r]).get(length).f64Div().set(means[r]);
    restart();
    f.repeat(count, () => {
      for (const r of rowsHere) {
        element(at[r]);
        f.get(means[r]).f64Sub().set(difference);
        f.get(squares[r]).get(difference).get(difference).f64Mul().f64Add().set(squares[r]).addTo(at[r], 4);
      }
    });
    for (const r of rowsHere) f.f64Const(1).get(squares[r]).get(length).f64Div().get(eps).f64Add().f64Sqrt().f64Div().set(rstds[r]);
    // each row's results go to its own place: target row r lies r rows after target
    restart();
    f.repeat(count, () => {
      for (const r of rowsHere) {
        f.get(target).get(at[r]).get(source).i32Sub().i32Add();
        element(at[r]);
        f.get(means[r]).f64Sub().get(rstds[r]).f64Mul().f32DemoteF64().f32Store();
        f.addTo(at[r], 4);
      }
    });
    f.get(source).get(rowBytes).i32Const(group).i32Mul().i32Add().set(source);
    f.get(target).get(rowBytes).i32Const(group).i32Mul().i32Add().set(target);
  };
  f.get(d).f64ConvertI32U().set(length);
  f.get(d).i32Const(2).i32Shl().set(rowBytes);
  f.get(rows).i32Const(standardizeGroup).i32DivU().set(groups);
  f.repeat(groups, () => standardizeRows(standardizeGroup));
  f.get(rows).i32Const(standardizeGroup).i32RemU().set(rows);
  f.repeat(rows, () => standardizeRows(1));
  return f;
}

export function rowFunctions(): FunctionBuilder[] {
  return [rowShift(), rowCombine('rowScale', (f) => f.f32x4Mul(), (f) => f.f32Mul()), rowCombine('rowSubtract', (f) => f.f32x4Sub(), (f) => f.f32Sub()), rowStandardize()];
}
