/**
 * Runs the SIMD kernels of kernels.ts: the input is copied into WebAssembly memory (the matmul's,
 * shared with its worker threads), mapped four lanes at a time, on several threads when it is large
 * (runtime.ts), and copied out; inside a compiled jit program, operands and results in the arena's
 * buffers are read and written where they lie instead (`CallMemory`). Where gpu.js's WebAssembly and V8's
 * `Math.exp` spend 20–40 ns an element on gelu, this spends about 8, copies included
 * (`npx tsx bench/ops.ts`: gelu over 2¹⁹ floats).
 *
 *   const y = wasmElementwise('gelu', x);   // null where the engine has no WebAssembly SIMD
 *   const z = wasmBinary('add', x, bias, x.length);   // bias repeats along x, as in a broadcast
 */
import { outputBuffer } from '../../../buffer-pool.js';
import { advanceOdometer } from '../../../shape.js';
import { maximumPages } from '../webassembly-api.js';
import type { BinaryKernelName } from './binary-kernels.js';
import { type FusedExpression, fusedFunction } from './fused-kernels.js';
import type { ElementwiseKernelName } from './kernels.js';
import type { ArenaMemory } from '../../backend.js';
import { type Argument, CallMemory, type Kernel, type Runtime, callOverRange, getRuntime, instantiate, memoryBound, rangeLength, wholeVectors } from './runtime.js';
import { stridedCopyAxes } from './strided-copy-kernel.js';

export { type BinaryKernelName, binaryKernelNames } from './binary-kernels.js';
export { type ElementwiseKernelName, elementwiseKernelNames } from './kernels.js';
export { type FusedExpression, type FusedNode, type FusedUnary, type FusedBinary, fusedUnaries, fusedBinaries } from './fused-kernels.js';
export { type HeapTraffic, defaultThreadThreshold, setElementwiseThreading, wasmHeapTraffic } from './runtime.js';

/** An address (bytes) that moves `step` bytes per unit of the range. */
const moving = (at: number, step: number) => ({ at, step });

const float32Output = (length: number) => outputBuffer('float32', length) as Float32Array;

/** Where jit's arena keeps float32 buffers for these kernels: their shared memory; undefined where it is not shared. */
export function wasmArenaMemory(): ArenaMemory | undefined {
  return getRuntime()?.arena;
}

/** e^x, gelu(x) or gelu′(x) of every element of `x`, in float32; null where WebAssembly SIMD is missing. */
export function wasmElementwise(name: ElementwiseKernelName, x: Float32Array): Float32Array | null {
  const run = getRuntime();
  if (!run) return null;
  // the input padded to whole vectors; the padding's results are dropped
  const padded = wholeVectors(x.length);
  const out = float32Output(x.length);
  const memory = new CallMemory(run);
  const [source, target] = [memory.operand(x), memory.result(out, padded)];
  memory.place();
  callOverRange(run, run.kernels[name], [moving(source, 16), moving(target, 16), rangeLength], padded / 4, x.length);
  return memory.finish(out);
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

/** The address of an operand's vectors: the operand itself when it has the result's size, else its repeated window. */
function placeOperand(memory: CallMemory, window: Float32Array, vectors: number, size: number): number {
  return window.length === size ? memory.operand(window) : memory.window(window, vectors * 4);
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
  const out = float32Output(size);
  const memory = new CallMemory(run);
  const [aAt, bAt, target] = [placeOperand(memory, a, aVectors, size), placeOperand(memory, b, bVectors, size), memory.result(out, count * 4)];
  memory.place();
  callOverRange(run, run.kernels[name], [aAt, aVectors, bAt, bVectors, target, { at: 0, step: 1 }, rangeLength], count, memoryBound);
  return memory.finish(out);
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
  if (size === 0) return float32Output(0);
  const kernel = fusedKernel(run, expression);
  const vectors = inputs.map((input) => operandVectors(input.length, size));
  const count = Math.ceil(size / 4);
  const out = float32Output(size);
  const memory = new CallMemory(run);
  const starts = inputs.map((input, k) => placeOperand(memory, input, vectors[k], size));
  const target = memory.result(out, count * 4);
  memory.place();
  const args: Argument[] = [...inputs.flatMap((_, k) => [starts[k], vectors[k]]), target, { at: 0, step: 1 }, rangeLength];
  callOverRange(run, kernel, args, count, transcendental(expression) ? size : memoryBound);
  return memory.finish(out);
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
  const out = float32Output(size);
  const memory = new CallMemory(run);
  const [spanAt, target] = [memory.operand(data.subarray(low, high + 1)), memory.result(out, size)];
  memory.place();
  const index = new Array<number>(outer).fill(0);
  for (let block = 0, source = offset - low; block < size / innerSize; block++) {
    kernel.run(spanAt + source * 4, target + block * innerSize * 4, ...inner, ...innerStrides);
    source = advanceOdometer(index, sizes, strides, outer, source);
  }
  return memory.finish(out);
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
  const out = float32Output(outer * inner);
  const memory = new CallMemory(run);
  const [source, target] = [memory.operand(x), memory.result(out, outer * inner)];
  memory.place();
  // split by whole outer rows: each output is the same sum, in the same order, on any thread
  if (inner === 1) callOverRange(run, run.kernels.sumLast, [moving(source, length * 4), moving(target, 4), rangeLength, length], outer, memoryBound);
  else callOverRange(run, run.kernels.sumMiddle, [moving(source, length * inner * 4), moving(target, inner * 4), rangeLength, length, inner / 4], outer, memoryBound);
  return memory.finish(out);
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
  // byte addresses: input, shifted rows, their exp (whole vectors), per-row values, result
  const padded = wholeVectors(size);
  const out = float32Output(size);
  const memory = new CallMemory(run);
  const [inputAt, shiftedAt, expAt, rowAt] = [memory.operand(x), memory.scratch(padded), memory.scratch(padded), memory.scratch(rows)];
  const resultAt = memory.result(out, size);
  const heap = memory.place();
  const { kernels } = run;
  callOverRange(run, kernels.rowShift, [moving(inputAt, d * 4), moving(shiftedAt, d * 4), rangeLength, d], rows, memoryBound);
  callOverRange(run, kernels.exp, [moving(shiftedAt, 16), moving(expAt, 16), rangeLength], padded / 4, size);
  callOverRange(run, kernels.sumLast, [moving(expAt, d * 4), moving(rowAt, 4), rangeLength, d], rows, memoryBound);
  const perRow = heap.subarray(rowAt / 4, rowAt / 4 + rows);
  for (let r = 0; r < rows; r++) perRow[r] = logarithm ? Math.log(perRow[r]) : 1 / perRow[r];
  const [combine, source] = logarithm ? [kernels.rowSubtract, shiftedAt] : [kernels.rowScale, expAt];
  callOverRange(run, combine, [moving(source, d * 4), moving(rowAt, 4), moving(resultAt, d * 4), rangeLength, d], rows, memoryBound);
  return memory.finish(out);
}

/** (x − mean) / √(var + eps) of every row of `d` floats in `x` (`rowStandardize`); null without SIMD. */
export function wasmRowStandardize(x: Float32Array, d: number, eps: number): Float32Array | null {
  const rows = x.length / d;
  if (!(d >= 1 && Number.isInteger(rows) && rows >= 1)) return null;
  const run = getRuntime();
  if (!run) return null;
  const out = float32Output(x.length);
  const memory = new CallMemory(run);
  const [source, target] = [memory.operand(x), memory.result(out, x.length)];
  memory.place();
  callOverRange(run, run.kernels.rowStandardize, [moving(source, d * 4), moving(target, d * 4), rangeLength, d, eps], rows, x.length);
  return memory.finish(out);
}
