/**
 * The part of the WebAssembly JavaScript API that the wasm kernels use, typed here because the project's
 * TypeScript lib (ES2023, no DOM) does not declare `WebAssembly`. Undefined where the engine lacks it.
 */

/** A compiled module; opaque, but it can be sent to worker threads. */
export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module';
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Adds `pages` pages of 64 KiB and returns the previous size in pages. */
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: Readonly<Record<string, Readonly<Record<string, unknown>>>>) => WasmInstance;
  readonly Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** WebAssembly's page: memories grow by whole pages. */
export const pageBytes = 65536;
/** 1 GiB, the most memory a module of ours may grow to. */
export const maximumPages = 16384;

/**
 * Grows `memory` to at least `bytes` and returns a Float32Array over all of it: `heap` itself while
 * the memory has not grown (growing detaches or replaces the old buffer, so the view is remade).
 */
export function growHeap(memory: WasmMemory, heap: Float32Array, bytes: number): Float32Array {
  const current = memory.buffer.byteLength;
  if (bytes > current) memory.grow(Math.ceil((bytes - current) / pageBytes));
  return heap.length * 4 === memory.buffer.byteLength ? heap : new Float32Array(memory.buffer);
}

export const webAssembly: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
