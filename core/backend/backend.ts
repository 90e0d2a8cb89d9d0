import type { KernelCall, KernelRun, StridedCopy } from '../kernel.js';
import type { ElementwiseFusion } from './fusion.js';
import type { Tensor } from '../tensor.js';
import type { Program } from '../transforms/jit-program.js';

export type BackendName = 'reference' | 'gpujs' | 'webgpu';
export const backendNames: readonly BackendName[] = ['reference', 'gpujs', 'webgpu'];

/** What a backend reports about itself through `backendInfo()`. */
export interface BackendInfo {
  readonly name: BackendName;
  /** The gpu.js mode in use (`webasm`, `headlessgl`, `webgpu`, `cpu`), or `js` for the reference backend. */
  readonly mode: string;
  /** Modes that were tried before `mode` and why each was passed over. */
  readonly skipped: readonly { readonly mode: string; readonly reason: string }[];
  /** Which dtypes run on this backend's kernels; the others run on the reference backend. */
  readonly kernelDTypes: readonly string[];
  /** Compiled kernels currently cached (gpu.js and webgpu). */
  readonly cachedKernels: number;
  /** Ops this backend runs with its own kernels (its kernel table) rather than their kernel functions, on float32. */
  readonly ownKernels: readonly string[];
  /** The WebGPU adapter kernels run on (vendor, architecture, driver), webgpu only. */
  readonly adapter?: string;
}

/** Memory for jit's arena's float32 buffers that a backend's kernels read and write in place (`Backend.arenaMemory`). */
export interface ArenaMemory {
  /** A buffer of `length` floats (contents old), or null when the memory cannot grow that far. */
  allocate(length: number): Float32Array | null;
  /** Returns a buffer `allocate` made; nothing may read it afterwards. */
  release(buffer: Float32Array): void;
}

/**
 * Runs kernel calls: with its own kernel for the op where its kernel table has one, else the op's kernel
 * function, and says which ran. Everything else (tapes, shapes, views) is backend-independent.
 */
export interface Backend {
  readonly name: BackendName;
  run(call: KernelCall): KernelRun;
  /** A faster copy of float32 views into row-major order, where the backend has one. */
  readonly copyStrided?: StridedCopy;
  /** Compiles chains of float32 elementwise ops into one kernel each, for jit's programs, where the backend has it (`fusion.ts`). */
  readonly fusion?: ElementwiseFusion;
  /**
   * Runs a whole compiled jit program in the backend's own way (WebGPU: on the device, one read-back),
   * where it has one; null to let jit run it instruction by instruction. Asked only where jit would run
   * the program compiled (no tape or trace watching, traced on this backend).
   */
  runProgram?(program: Program, inputs: readonly Tensor[]): Tensor[] | null;
  /**
   * Where jit's arena keeps the float32 buffers of programs traced on this backend, where its kernels
   * read and write that memory in place (the gpu.js CPU modes over shared WebAssembly memory).
   */
  readonly arenaMemory?: ArenaMemory;
  info(): BackendInfo;
}
