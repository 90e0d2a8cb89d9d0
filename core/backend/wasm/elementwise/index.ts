/**
 * Runs the SIMD kernels of kernels.ts: the input is copied into WebAssembly memory (the matmul's,
 * shared with its worker threads), mapped four lanes at a time, on several threads when it is large
 * (runtime.ts), and copied out. Where gpu.js's WebAssembly and V8's
 * `Math.exp` spend 20–40 ns an element on gelu, this spends about 8, copies included
 * (`npx tsx bench/ops.ts`: gelu over 2¹⁹ floats).
 *
 *   const y = wasmElementwise('gelu', x);   // null where the engine has no WebAssembly SIMD
 *   const z = wasmBinary('add', x, bias, x.length);   // bias repeats along x, as in a broadcast
 */
import { copyToOutput } from '../../../buffer-pool.js';
import { advanceOdometer } from '../../../shape.js';
import { maximumPages } from '../webassembly-api.js';
import type { BinaryKernelName } from './binary-kernels.js';
import { type FusedExpression, fusedFunction } from './fused-kernels.js';
import type { ElementwiseKernelName } from './kernels.js';
import { type Argument, type Kernel, type Runtime, callOverRange, getRuntime, heapBase, instantiate, memoryBound, rangeLength, reserve } from './runtime.js';
import { stridedCopyAxes } from './strided-copy-kernel.js';

export { type BinaryKernelName, binaryKernelNames } from './binary-kernels.js';
export { type ElementwiseKernelName, elementwiseKernelNames } from './kernels.js';
export { type FusedExpression, type FusedNode, type FusedUnary, type FusedBinary, fusedUnaries, fusedBinaries } from './fused-kernels.js';
export { defaultThreadThreshold, setElementwiseThreading } from './runtime.js';

/** Byte address of float `index` above the heap's base. */
const address = (index: number) => (heapBase + index) * 4;
/** An address that moves `step` bytes per unit of the range. */
const moving = (index: number, step: number) => ({ at: address(index), step });

/** e^x, gelu(x) or gelu′(x) of every element of `x`, in float32; null where WebAssembly SIMD is missing. */
export function wasmElementwise(name: ElementwiseKernelName, x: Float32Array): Float32Array | null {
  const run = getRuntime();
  if (!run) return null;
  // the input padded to whole vectors; the padding's results are dropped
  const targetAt = wholeVectors(x.length);
  const heap = reserve(run, 2 * targetAt);
  heap.set(x, heapBase);
  callOverRange(run, run.kernels[name], [moving(0, 16), moving(targetAt, 16), rangeLength], targetAt / 4, x.length);
  return copyToOutput(heap.subarray(heapBase + targetAt, heapBase + targetAt + x.length));
}

/** `length` floats rounded up to whole four-lane vectors. */
function wholeVectors(length: number): number {
  return Math.ceil(length / 4) * 4;
}

const gcd = (p: number, q: number): number => (q === 0 ? p : gcd(q, p % q));

/**
 * Where one operand of a binary kernel sits in WebAssembly memory: its window repeated until it is a
 * whole number of vectors (lcm(period, 4) elements), or, for an operand of the result's own size, the
 * operand itself padded to whole vectors. Vector v then reads its four elements (4v … 4v + 3) mod period.
 */
function operandVectors(period: number, size: number): number {
  if (period === size) return Math.ceil(size / 4);
  return period / gcd(period, 4);
}

function placeOperand(heap: Float32Array, window: Float32Array, vectors: number, at: number): void {
  if (window.length === 0) return;
  for (let offset = 0; offset < vectors * 4; offset += window.length) heap.set(window.subarray(0, Math.min(window.length, vectors * 4 - offset)), at + offset);
}

/**
 * a op b over a result of `size` float32 elements, where `a` and `b` are windows that repeat along it:
 * element i is a[i mod a.length] op b[i mod b.length] (a length equal to `size` is an operand of the
 * result's shape; each length divides `size`). Null where WebAssembly SIMD is missing.
 */
export function wasmBinary(name: BinaryKernelName, a: Float32Array, b: Float32Array, size: number): Float32Array | null {
  const run = getRuntime();
  if (!run) return null;
  if (size === 0) return new Float32Array(0);
  const count = Math.ceil(size / 4);
  const aVectors = operandVectors(a.length, size);
  const bVectors = operandVectors(b.length, size);
  const bAt = aVectors * 4;
  const targetAt = bAt + bVectors * 4;
  const heap = reserve(run, targetAt + count * 4);
  placeOperand(heap, a, aVectors, heapBase);
  placeOperand(heap, b, bVectors, heapBase + bAt);
  callOverRange(run, run.kernels[name], [address(0), aVectors, address(bAt), bVectors, address(targetAt), { at: 0, step: 1 }, rangeLength], count, memoryBound);
  return copyToOutput(heap.subarray(heapBase + targetAt, heapBase + targetAt + size));
}

/** One instance per distinct chain, sharing the elementwise kernels' memory (and registered with their pool). */
const fusedKernels = new Map<string, Kernel>();

function fusedKernel(run: Runtime, expression: FusedExpression): Kernel {
  const key = JSON.stringify(expression);
  let kernel = fusedKernels.get(key);
  if (!kernel) {
    const memory = { module: 'env', name: 'memory', shared: run.shared, initialPages: 1, maximumPages };
    kernel = instantiate(run.memory, run.pool, { memory, functions: [fusedFunction(expression).definition()] }).fused;
    fusedKernels.set(key, kernel);
  }
  return kernel;
}

/** Whether a chain computes exp, gelu or gelu′, the only lanes that gain from a second thread. */
function transcendental(expression: FusedExpression): boolean {
  return expression.nodes.some((node) => 'unary' in node && (node.unary === 'exp' || node.unary === 'gelu' || node.unary === 'geluDerivative'));
}

/** Whether `wasmFused` can run here (WebAssembly SIMD). */
export function wasmFusedAvailable(): boolean {
  return getRuntime() !== undefined;
}

/**
 * A chain of elementwise ops (`fused-kernels.ts`) over a result of `size` float32 elements, in one
 * pass: `inputs` are windows that repeat along the result, as for `wasmBinary`. Null without SIMD.
 */
export function wasmFused(expression: FusedExpression, inputs: readonly Float32Array[], size: number): Float32Array | null {
  const run = getRuntime();
  if (!run) return null;
  if (size === 0) return copyToOutput(new Float32Array(0));
  const kernel = fusedKernel(run, expression);
  const vectors = inputs.map((input) => operandVectors(input.length, size));
  const starts: number[] = [];
  let end = 0;
  for (const count of vectors) starts.push(end), (end += count * 4);
  const count = Math.ceil(size / 4);
  const heap = reserve(run, end + count * 4);
  inputs.forEach((input, k) => placeOperand(heap, input, vectors[k], heapBase + starts[k]));
  const args: Argument[] = [...inputs.flatMap((_, k) => [address(starts[k]), vectors[k]]), address(end), { at: 0, step: 1 }, rangeLength];
  callOverRange(run, kernel, args, count, transcendental(expression) ? size : memoryBound);
  return copyToOutput(heap.subarray(heapBase + end, heapBase + end + size));
}

/** Copies of fewer elements stay in JavaScript, where a call's set-up would cost more than it saves. */
const stridedCopyMinimum = 4096;

/** Drops size-1 axes and merges each axis that continues the one before it (as rows continue a matrix). */
function mergedAxes(shape: readonly number[], stride: readonly number[]): { sizes: number[]; strides: number[] } {
  const sizes: number[] = [];
  const strides: number[] = [];
  shape.forEach((d, axis) => {
    if (d === 1) return;
    const last = sizes.length - 1;
    if (last >= 0 && strides[last] === stride[axis] * d) {
      sizes[last] *= d;
      strides[last] = stride[axis];
    } else {
      sizes.push(d);
      strides.push(stride[axis]);
    }
  });
  return { sizes, strides };
}

/**
 * The elements of a float32 view (`shape`, `stride` and `offset` into `data`, as ndarray keeps them)
 * in row-major order, or null when the kernel does not apply: fewer than 4,096 elements, a view that
 * touches a span of `data` over four times its size (copying the span in would cost more than it
 * saves), or no SIMD. The kernel copies four axes; axes beyond them are walked here, one call each.
 */
export function wasmStridedCopy(data: Float32Array, shape: readonly number[], stride: readonly number[], offset: number): Float32Array | null {
  const size = shape.reduce((total, d) => total * d, 1);
  if (size < stridedCopyMinimum) return null;
  const { sizes, strides } = mergedAxes(shape, stride);
  let low = offset;
  let high = offset;
  sizes.forEach((d, axis) => (strides[axis] < 0 ? (low += (d - 1) * strides[axis]) : (high += (d - 1) * strides[axis])));
  const span = high - low + 1;
  if (span > 4 * size) return null;
  const run = getRuntime();
  if (!run) return null;
  while (sizes.length < stridedCopyAxes) sizes.unshift(1), strides.unshift(0);
  const outer = sizes.length - stridedCopyAxes;
  const inner = sizes.slice(outer);
  const innerStrides = strides.slice(outer).map((s) => s * 4);
  // a contiguous innermost axis of whole vectors moves four floats a step
  const vectors = strides.at(-1) === 1 && sizes.at(-1)! % 4 === 0;
  if (vectors) (inner[stridedCopyAxes - 1] /= 4), (innerStrides[stridedCopyAxes - 1] = 16);
  const kernel = vectors ? run.kernels.stridedCopyVectors : run.kernels.stridedCopy;
  const innerSize = sizes.slice(outer).reduce((total, d) => total * d, 1);
  const targetAt = wholeVectors(span);
  const heap = reserve(run, targetAt + size);
  heap.set(data.subarray(low, high + 1), heapBase);
  const index = new Array<number>(outer).fill(0);
  for (let block = 0, source = offset - low; block < size / innerSize; block++) {
    kernel.run(address(source), address(targetAt + block * innerSize), ...inner, ...innerStrides);
    source = advanceOdometer(index, sizes, strides, outer, source);
  }
  return copyToOutput(heap.subarray(heapBase + targetAt, heapBase + targetAt + size));
}

/**
 * Sums of `x` seen as [outer, length, inner] over its middle axis, `outer · inner` results: a sum over
 * rows when inner is a multiple of 4, within rows when inner is 1. Null for other inner sizes, an
 * empty axis, or no SIMD (the caller falls back to the kernel function).
 */
export function wasmSum(x: Float32Array, length: number, inner: number): Float32Array | null {
  const outer = x.length / (length * inner);
  if (!(length >= 1 && outer >= 1) || (inner !== 1 && inner % 4 !== 0)) return null;
  const run = getRuntime();
  if (!run) return null;
  const targetAt = wholeVectors(x.length);
  const heap = reserve(run, targetAt + outer * inner);
  heap.set(x, heapBase);
  // split by whole outer rows: each output is the same sum, in the same order, on any thread
  if (inner === 1) callOverRange(run, run.kernels.sumLast, [moving(0, length * 4), moving(targetAt, 4), rangeLength, length], outer, memoryBound);
  else callOverRange(run, run.kernels.sumMiddle, [moving(0, length * inner * 4), moving(targetAt, inner * 4), rangeLength, length, inner / 4], outer, memoryBound);
  return copyToOutput(heap.subarray(heapBase + targetAt, heapBase + targetAt + outer * inner));
}

/**
 * softmax (or log-softmax) of every row of `d` floats in `x`, all in WebAssembly memory: x − row max,
 * the SIMD exp, the row sums (sumLast's four lane partials), then e/Σ or (x − max) − log Σ. Only the
 * per-row 1/Σ or log Σ is computed here, in float64 and stored as float32. Null without SIMD.
 */
export function wasmRowSoftmax(x: Float32Array, d: number, logarithm: boolean): Float32Array | null {
  const size = x.length;
  const rows = size / d;
  if (!(d >= 1 && Number.isInteger(rows) && rows >= 1)) return null;
  const run = getRuntime();
  if (!run) return null;
  // float offsets: input, shifted rows, their exp (whole vectors), per-row values, result
  const padded = wholeVectors(size);
  const [shiftedAt, expAt, rowAt] = [padded, 2 * padded, 3 * padded];
  const resultAt = rowAt + wholeVectors(rows);
  const heap = reserve(run, resultAt + padded);
  heap.set(x, heapBase);
  const { kernels } = run;
  callOverRange(run, kernels.rowShift, [moving(0, d * 4), moving(shiftedAt, d * 4), rangeLength, d], rows, memoryBound);
  callOverRange(run, kernels.exp, [moving(shiftedAt, 16), moving(expAt, 16), rangeLength], padded / 4, size);
  callOverRange(run, kernels.sumLast, [moving(expAt, d * 4), moving(rowAt, 4), rangeLength, d], rows, memoryBound);
  const perRow = heap.subarray(heapBase + rowAt, heapBase + rowAt + rows);
  for (let r = 0; r < rows; r++) perRow[r] = logarithm ? Math.log(perRow[r]) : 1 / perRow[r];
  const [combine, source] = logarithm ? [kernels.rowSubtract, shiftedAt] : [kernels.rowScale, expAt];
  callOverRange(run, combine, [moving(source, d * 4), moving(rowAt, 4), moving(resultAt, d * 4), rangeLength, d], rows, memoryBound);
  return copyToOutput(heap.subarray(heapBase + resultAt, heapBase + resultAt + size));
}

/** (x − mean) / √(var + eps) of every row of `d` floats in `x` (`rowStandardize`); null without SIMD. */
export function wasmRowStandardize(x: Float32Array, d: number, eps: number): Float32Array | null {
  const rows = x.length / d;
  if (!(d >= 1 && Number.isInteger(rows) && rows >= 1)) return null;
  const run = getRuntime();
  if (!run) return null;
  const targetAt = wholeVectors(x.length);
  const heap = reserve(run, targetAt + x.length);
  heap.set(x, heapBase);
  callOverRange(run, run.kernels.rowStandardize, [moving(0, d * 4), moving(targetAt, d * 4), rangeLength, d, eps], rows, x.length);
  return copyToOutput(heap.subarray(heapBase + targetAt, heapBase + targetAt + x.length));
}
