import type { DType, TypedArray } from './dtype.js';

/** What a gpu.js kernel function sees as `this`. Kernels use flat indices: `this.thread.x` is the output element. */
export interface KernelThis {
  readonly thread: { readonly x: number; readonly y: number; readonly z: number };
  readonly constants: Readonly<Record<string, number>>;
}

/**
 * A gpu.js kernel function: plain JavaScript that gpu.js compiles (to WebAssembly, GLSL or WGSL)
 * and the reference backend runs directly. It may only use what gpu.js understands: arithmetic,
 * `Math`, loops bounded by constants, array reads, and functions listed in `KernelCall.helpers`.
 */
export type KernelFunction = (this: KernelThis, ...args: any[]) => number;

/** One kernel launch: the function, its compile-time constants, its row-major inputs, and the output. */
export interface KernelCall {
  readonly op: string;
  readonly fn: KernelFunction;
  readonly constants: Readonly<Record<string, number>>;
  readonly args: readonly TypedArray[];
  readonly size: number;
  readonly dtype: DType;
  /** Plain functions the kernel calls by name (registered with gpu.js `addFunction`). */
  readonly helpers?: readonly ((...args: number[]) => number)[];
  /** A faster host implementation of the same kernel for float32, which CPU modes may use instead. */
  readonly host?: HostKernel;
}

/**
 * The same computation as a kernel function, written for the host CPU (e.g. WebAssembly SIMD).
 * Returns null when it cannot run here, and the backend falls back to the kernel function.
 */
export type HostKernel = (args: readonly Float32Array[], constants: Readonly<Record<string, number>>, size: number) => Float32Array | null;
