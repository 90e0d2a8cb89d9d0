/**
 * Runs the SIMD kernels of kernels.ts on the calling thread: the input is copied into WebAssembly
 * memory, mapped four lanes at a time, and copied out. Where gpu.js's WebAssembly and V8's
 * `Math.exp` spend 20–40 ns an element on gelu, this spends about 8, copies included
 * (`npx tsx bench/ops.ts`: gelu over 2¹⁹ floats).
 *
 *   const y = wasmElementwise('gelu', x);   // null where the engine has no WebAssembly SIMD
 *   const z = wasmBinary('add', x, bias, x.length);   // bias repeats along x, as in a broadcast
 */
import { copyToOutput } from '../../../buffer-pool.js';
import { advanceOdometer } from '../../../shape.js';
import { wasmMatmulAvailable } from '../matmul/index.js';
import { emitModule } from '../emitter.js';
import { type WasmMemory, growHeap, maximumPages, webAssembly } from '../webassembly-api.js';
import type { BinaryExports, BinaryKernelName } from './binary-kernels.js';
import { type FusedExpression, fusedFunction } from './fused-kernels.js';
import { type ElementwiseExports, type ElementwiseKernelName, elementwiseModule } from './kernels.js';
import { type StridedCopyExport, stridedCopyAxes } from './strided-copy-kernel.js';
import type { RowExports } from './row-kernels.js';
import type { SumExports } from './sum-kernels.js';

export { type BinaryKernelName, binaryKernelNames } from './binary-kernels.js';
export { type ElementwiseKernelName, elementwiseKernelNames } from './kernels.js';
export { type FusedExpression, type FusedNode, type FusedUnary, type FusedBinary, fusedUnaries, fusedBinaries } from './fused-kernels.js';

interface Runtime {
  readonly memory: WasmMemory;
  readonly exports: ElementwiseExports & BinaryExports & SumExports & RowExports & { readonly stridedCopy: StridedCopyExport };
  heap: Float32Array;
}

let runtime: Runtime | undefined;

function getRuntime(): Runtime | undefined {
  if (runtime) return runtime;
  // the SIMD probe of the matmul answers for every v128 instruction used here
  if (!webAssembly || !wasmMatmulAvailable()) return undefined;
  const memory = new webAssembly.Memory({ initial: 1, maximum: maximumPages });
  const module = new webAssembly.Module(emitModule(elementwiseModule({ initialPages: 1, maximumPages })));
  const exports = new webAssembly.Instance(module, { env: { memory } }).exports as unknown as Runtime['exports'];
  runtime = { memory, exports, heap: new Float32Array(memory.buffer) };
  return runtime;
}

/** e^x, gelu(x) or gelu′(x) of every element of `x`, in float32; null where WebAssembly SIMD is missing. */
export function wasmElementwise(name: ElementwiseKernelName, x: Float32Array): Float32Array | null {
  const run = getRuntime();
  if (!run) return null;
  // the input padded to whole vectors; the padding's results are dropped
  const targetAt = wholeVectors(x.length);
  run.heap = growHeap(run.memory, run.heap, 2 * targetAt * 4);
  run.heap.set(x, 0);
  run.exports[name](0, targetAt * 4, targetAt / 4);
  return copyToOutput(run.heap.subarray(targetAt, targetAt + x.length));
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
  run.heap = growHeap(run.memory, run.heap, (targetAt + count * 4) * 4);
  placeOperand(run.heap, a, aVectors, 0);
  placeOperand(run.heap, b, bVectors, bAt);
  run.exports[name](0, aVectors, bAt * 4, bVectors, targetAt * 4, count);
  return copyToOutput(run.heap.subarray(targetAt, targetAt + size));
}

type FusedExport = (...pointersPeriodsTargetCount: number[]) => void;
/** One instance per distinct chain, sharing the elementwise kernels' memory. */
const fusedKernels = new Map<string, FusedExport>();

function fusedKernel(run: Runtime, expression: FusedExpression): FusedExport {
  const key = JSON.stringify(expression);
  let kernel = fusedKernels.get(key);
  if (!kernel) {
    const module = new webAssembly!.Module(emitModule({ memory: { module: 'env', name: 'memory', shared: false, initialPages: 1, maximumPages }, functions: [fusedFunction(expression).definition()] }));
    kernel = (new webAssembly!.Instance(module, { env: { memory: run.memory } }).exports as { fused: FusedExport }).fused;
    fusedKernels.set(key, kernel);
  }
  return kernel;
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
  run.heap = growHeap(run.memory, run.heap, (end + count * 4) * 4);
  inputs.forEach((input, k) => placeOperand(run.heap, input, vectors[k], starts[k]));
  kernel(...inputs.flatMap((_, k) => [starts[k] * 4, vectors[k]]), end * 4, count);
  return copyToOutput(run.heap.subarray(end, end + size));
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
  const innerSize = inner.reduce((total, d) => total * d, 1);
  const targetAt = wholeVectors(span);
  run.heap = growHeap(run.memory, run.heap, (targetAt + size) * 4);
  run.heap.set(data.subarray(low, high + 1), 0);
  const index = new Array<number>(outer).fill(0);
  for (let block = 0, source = offset - low; block < size / innerSize; block++) {
    run.exports.stridedCopy(source * 4, (targetAt + block * innerSize) * 4, ...inner, ...innerStrides);
    source = advanceOdometer(index, sizes, strides, outer, source);
  }
  return copyToOutput(run.heap.subarray(targetAt, targetAt + size));
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
  run.heap = growHeap(run.memory, run.heap, (targetAt + outer * inner) * 4);
  run.heap.set(x, 0);
  if (inner === 1) run.exports.sumLast(0, targetAt * 4, outer, length);
  else run.exports.sumMiddle(0, targetAt * 4, outer, length, inner / 4);
  return copyToOutput(run.heap.subarray(targetAt, targetAt + outer * inner));
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
  run.heap = growHeap(run.memory, run.heap, (resultAt + padded) * 4);
  run.heap.set(x, 0);
  run.exports.rowShift(0, shiftedAt * 4, rows, d);
  run.exports.exp(shiftedAt * 4, expAt * 4, padded / 4);
  run.exports.sumLast(expAt * 4, rowAt * 4, rows, d);
  const perRow = run.heap.subarray(rowAt, rowAt + rows);
  for (let r = 0; r < rows; r++) perRow[r] = logarithm ? Math.log(perRow[r]) : 1 / perRow[r];
  if (logarithm) run.exports.rowSubtract(shiftedAt * 4, rowAt * 4, resultAt * 4, rows, d);
  else run.exports.rowScale(expAt * 4, rowAt * 4, resultAt * 4, rows, d);
  return copyToOutput(run.heap.subarray(resultAt, resultAt + size));
}

/** (x − mean) / √(var + eps) of every row of `d` floats in `x` (`rowStandardize`); null without SIMD. */
export function wasmRowStandardize(x: Float32Array, d: number, eps: number): Float32Array | null {
  const rows = x.length / d;
  if (!(d >= 1 && Number.isInteger(rows) && rows >= 1)) return null;
  const run = getRuntime();
  if (!run) return null;
  const targetAt = wholeVectors(x.length);
  run.heap = growHeap(run.memory, run.heap, (targetAt + x.length) * 4);
  run.heap.set(x, 0);
  run.exports.rowStandardize(0, targetAt * 4, rows, d, eps);
  return copyToOutput(run.heap.subarray(targetAt, targetAt + x.length));
}
