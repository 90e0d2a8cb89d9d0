/**
 * The ops that the gpu.js CPU modes (webasm, cpu) run as tapegrad's own WebAssembly SIMD kernels
 * instead of gpu.js's compilation of the op's kernel function. Each entry reads the constants that the
 * op's forward gives its kernel function, and returns null where it cannot run (no SIMD, a shape it does
 * not cover): the backend then runs the kernel function.
 */
import type { ElementwiseFusion, FusedExpression, FusedUnary } from '../fusion.js';
import type { HostKernelTable } from '../kernel-table.js';
import { fusedBinaries, fusedUnaries, wasmBinary, wasmElementwise, wasmFused, wasmFusedAvailable, wasmRowSoftmax, wasmRowStandardize, wasmSum } from './elementwise/index.js';
import { wasmMatmul, wasmMatmulAvailable } from './matmul/index.js';

/** x·scale (+ shift): two SIMD passes with scale and shift as windows repeating every row. */
function scaleShift([x, scale, shift]: readonly Float32Array[], _constants: unknown, size: number): Float32Array | null {
  const scaled = wasmBinary('mul', x, scale, size);
  return scaled && shift ? wasmBinary('add', scaled, shift, size) : scaled;
}

/** The chain of one unary op on one input. */
const oneOp = (unary: FusedUnary): FusedExpression => ({ inputCount: 1, nodes: [{ input: 0 }, { unary, x: 0 }] });

const rowSoftmax = ([x]: readonly Float32Array[], { d, logarithm }: Readonly<Record<string, number>>) => wasmRowSoftmax(x, d, logarithm > 0);

export const wasmKernels: HostKernelTable = {
  // gpu.js's WebAssembly exp is scalar and slow; these map four lanes at a time
  exp: ([x]) => wasmElementwise('exp', x),
  gelu: ([x]) => wasmElementwise('gelu', x),
  geluDerivative: ([x]) => wasmElementwise('geluDerivative', x),
  // the cheap unaries as one-op fused loops (exact in float32, as the kernel function: sqrt is correctly rounded either way)
  neg: ([x], _constants, size) => wasmFused(oneOp('neg'), [x], size),
  abs: ([x], _constants, size) => wasmFused(oneOp('abs'), [x], size),
  square: ([x], _constants, size) => wasmFused(oneOp('square'), [x], size),
  sqrt: ([x], _constants, size) => wasmFused(oneOp('sqrt'), [x], size),
  // over the operands' repeating windows (binary.ts passes a broadcast bias as its row)
  add: ([a, b], _constants, size) => wasmBinary('add', a, b, size),
  sub: ([a, b], _constants, size) => wasmBinary('sub', a, b, size),
  mul: ([a, b], _constants, size) => wasmBinary('mul', a, b, size),
  div: ([a, b], _constants, size) => wasmBinary('div', a, b, size),
  // SIMD sums that read the input once, front to back (elementwise/sum-kernels.ts)
  sum: ([x], { length, inner }) => wasmSum(x, length, inner),
  // packed panels on worker threads (matmul/); an operand given transposed is transposed in its memory
  matmul: ([a, b], { m, k, n, transposeA, transposeB }, size) =>
    wasmMatmulAvailable() ? wasmMatmul(a, b, m, k, n, size / (m * n) || 0, { transposeA: transposeA > 0, transposeB: transposeB > 0 }) : null,
  softmax: rowSoftmax,
  logSoftmax: rowSoftmax,
  standardize: ([x], { d, eps }) => wasmRowStandardize(x, d, eps),
  scaleShift,
};

const fusion: ElementwiseFusion = {
  implementation: 'wasm',
  unaries: fusedUnaries,
  binaries: fusedBinaries,
  compile: (expression) => (inputs, size) => {
    const values = wasmFused(expression, inputs, size);
    if (!values) throw new Error('wasm fusion: internal error: a fused kernel ran where WebAssembly SIMD is missing');
    return values;
  },
};

/**
 * Chains of the table's elementwise ops as generated SIMD loops (`elementwise/fused-kernels.ts`), whose
 * lanes equal the table's kernels'; undefined where WebAssembly SIMD is missing.
 */
export function wasmFusion(): ElementwiseFusion | undefined {
  return wasmFusedAvailable() ? fusion : undefined;
}
