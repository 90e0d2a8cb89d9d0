/**
 * WebAssembly SIMD kernels for sums over a middle axis of an input seen as [outer, length, inner],
 * the layout `core/ops/reduce.ts` gives every sum: a bias gradient sums the rows of a matrix
 * (inner = the row width), a softmax or LayerNorm vjp sums within each row (inner = 1). Both read the
 * input once, front to back.
 *
 *   sumMiddle(source, target, outer, length, innerVectors)  inner = 4·innerVectors: each row of
 *       `inner` floats is added lane-wise into the output row, r = 0 … length − 1 in order, so each
 *       output is the same float32 sum, in the same order, as the kernel function computes;
 *   sumLast(source, target, outer, length)  inner = 1: four partial sums (elements 4j … 4j + 3),
 *       then the lanes and the length mod 4 remaining elements in order; a different float32
 *       rounding than a sequential sum, within the tolerance of the kernel tests.
 *
 * Addresses are in bytes; outer, length and innerVectors must be at least 1 (`wasmSum` checks).
 */
import { FunctionBuilder } from '../emitter.js';

export type SumExports = {
  readonly sumMiddle: (source: number, target: number, outer: number, length: number, innerVectors: number) => void;
  readonly sumLast: (source: number, target: number, outer: number, length: number) => void;
};

function sumMiddle(): FunctionBuilder {
  const f = new FunctionBuilder('sumMiddle', ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [source, target, outer, length, innerVectors] = [0, 1, 2, 3, 4];
  const [rows, vectors, out] = f.locals('i32', 3);
  f.repeat(outer, () => {
    f.get(target).set(out).get(innerVectors).set(vectors);
    f.repeat(vectors, () => {
      f.get(out).v128Zero().v128Store();
      f.addTo(out, 16);
    });
    f.get(length).set(rows);
    f.repeat(rows, () => {
      f.get(target).set(out).get(innerVectors).set(vectors);
      f.repeat(vectors, () => {
        f.get(out).get(out).v128Load().get(source).v128Load().f32x4Add().v128Store();
        f.addTo(out, 16).addTo(source, 16);
      });
    });
    f.get(target).get(innerVectors).i32Const(4).i32Shl().i32Add().set(target);
  });
  return f;
}

function sumLast(): FunctionBuilder {
  const f = new FunctionBuilder('sumLast', ['i32', 'i32', 'i32', 'i32']);
  const [source, target, outer, length] = [0, 1, 2, 3];
  const [count] = f.locals('i32', 1);
  const [partial] = f.locals('v128', 1);
  const [total] = f.locals('f32', 1);
  f.repeat(outer, () => {
    f.v128Zero().set(partial);
    f.get(length).i32Const(2).i32ShrU().set(count);
    f.repeat(count, () => {
      f.get(partial).get(source).v128Load().f32x4Add().set(partial);
      f.addTo(source, 16);
    });
    f.get(partial).f32x4ExtractLane(0).get(partial).f32x4ExtractLane(1).f32Add();
    f.get(partial).f32x4ExtractLane(2).f32Add().get(partial).f32x4ExtractLane(3).f32Add().set(total);
    f.get(length).i32Const(3).i32And().set(count);
    f.repeat(count, () => {
      f.get(total).get(source).f32Load().f32Add().set(total);
      f.addTo(source, 4);
    });
    f.get(target).get(total).f32Store();
    f.addTo(target, 4);
  });
  return f;
}

export function sumFunctions(): FunctionBuilder[] {
  return [sumMiddle(), sumLast()];
}
