import type { KernelTable } from '../kernel-table.js';
import { add, div, mul, sub } from './wgsl-binary.js';
import type { WgslKernel } from './wgsl-kernel.js';
import { matmul } from './wgsl-matmul.js';
import { logSoftmax, scaleShift, softmax, standardize } from './wgsl-rows.js';

export type { WgslKernel } from './wgsl-kernel.js';

/** The ops WebGPU runs from hand-written WGSL; every other op compiles its gpu.js kernel function. */
export const wgslKernels: KernelTable<WgslKernel> = { matmul, standardize, softmax, logSoftmax, scaleShift, add, sub, mul, div };
