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
}

/**
 * Which implementation made a kernel call's output: a backend's own kernel for the op from its table
 * (`wasm`, `wgsl`), or the op's kernel function (`gpujs` compiled it, `reference` ran it in JavaScript).
 */
export type KernelImplementation = 'wasm' | 'wgsl' | 'gpujs' | 'reference';

/** What a backend's `run` returns: the output's elements and which implementation computed them. */
export interface KernelRun {
  readonly data: TypedArray;
  readonly implementation: KernelImplementation;
}

/**
 * The same computation as an op's kernel function (same inputs and constants), written for the host CPU
 * (e.g. WebAssembly SIMD) and listed in a backend's kernel table (`core/backend/kernel-table.ts`).
 * Returns null when it cannot run here, and the backend falls back to the kernel function.
 */
export type HostKernel = (args: readonly Float32Array[], constants: Readonly<Record<string, number>>, size: number) => Float32Array | null;

/**
 * The elements of a float32 view (`shape`, `stride` and `offset` into `data`, as ndarray keeps them) in
 * row-major order, by a backend's faster copy; null where it does not apply (then JavaScript copies).
 */
export type StridedCopy = (data: Float32Array, shape: readonly number[], stride: readonly number[], offset: number) => Float32Array | null;
