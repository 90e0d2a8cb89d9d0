import { GPU } from 'gpu.js';
import { allocate } from '../dtype.js';
import { OptionError } from '../errors.js';
import type { KernelCall, KernelRun } from '../kernel.js';
import type { HostKernelTable } from './kernel-table.js';
import { wasmArenaMemory, wasmStridedCopy } from './wasm/elementwise/index.js';
import { wasmFusion, wasmKernels } from './wasm/kernels.js';
import type { ArenaMemory, Backend, BackendInfo } from './backend.js';
import type { ElementwiseFusion } from './fusion.js';
import type { OpName } from '../ops/names.js';
import { ReferenceBackend } from './reference.js';

export type GpuMode = 'webgl2' | 'webasm' | 'headlessgl' | 'cpu';
// webgl2 answers only in a browser, headlessgl only in Node. gpu.js's WebGL 1 mode is left out: its
// shaders (GLSL ES 1.0) need loop bounds known at compile time, and the sum and matmul kernels loop
// to a length given as a constant, which WebGL 1 rejects ("Loop index cannot be compared with
// non-constant expression", as measured in chromium)
export const gpuModes: readonly GpuMode[] = ['webgl2', 'headlessgl', 'webasm', 'cpu'];
/** Modes whose kernels run on a GPU (or its emulation): there the WebAssembly kernel table is not used. */
const deviceModes: ReadonlySet<GpuMode> = new Set(['webgl2', 'headlessgl']);

/** Compiled kernels kept per (op, constants, input sizes); the oldest unused one goes first. */
const kernelCacheLimit = 512;

interface CompiledKernel {
  (...args: Float32Array[]): Float32Array;
  kernel?: { fallbackReason?: string | null };
  destroy?: () => void;
}

/** Why `mode` cannot run here, or null when it can. */
export function modeSupport(mode: GpuMode): string | null {
  if (mode === 'webgl2') return GPU.isWebGL2Supported ? null : 'WebGL 2 is not available (only in a browser)';
  if (mode === 'headlessgl') return GPU.isHeadlessGLSupported ? null : 'the optional `gl` package is not built on this machine';
  if (mode === 'webasm') return GPU.isWebAssemblySupported ? null : 'WebAssembly is not supported here';
  return null;
}

/**
 * Compiles each op's kernel function with gpu.js, once per op and shape, in the best mode the machine
 * has (webgl2 in a browser, headlessgl in Node, then webasm, then cpu). gpu.js computes in float32, so
 * float64 and int32 tensors run on the reference backend; `backendInfo().kernelDTypes` says so.
 */
export class GpujsBackend implements Backend {
  readonly name = 'gpujs' as const;
  readonly mode: GpuMode;
  private readonly skipped: { mode: string; reason: string }[] = [];
  private readonly gpu: GPU;
  private readonly cache = new Map<string, CompiledKernel>();
  private readonly reference = new ReferenceBackend();
  private readonly reportedFallbacks = new Set<string>();
  private readonly registeredHelpers = new Set<Function>();
  /** The ops run by tapegrad's own WebAssembly SIMD kernels instead of gpu.js (CPU modes only). */
  private readonly kernels: HostKernelTable;
  /** Large float32 views copy in WebAssembly in every mode: the tensors live in host memory. */
  readonly copyStrided = wasmStridedCopy;

  constructor(requested: GpuMode | 'auto' = 'auto') {
    if (requested !== 'auto' && !gpuModes.includes(requested)) {
      throw new OptionError(`gpujs mode: unknown mode ${JSON.stringify(requested)}; allowed: auto, ${gpuModes.join(', ')}`);
    }
    const candidates = requested === 'auto' ? gpuModes : gpuModes.slice(gpuModes.indexOf(requested));
    let chosen: GpuMode = 'cpu';
    for (const mode of candidates) {
      const reason = modeSupport(mode);
      if (reason === null) {
        chosen = mode;
        break;
      }
      this.skipped.push({ mode, reason });
    }
    this.mode = chosen;
    if (requested !== 'auto' && chosen !== requested) {
      console.warn(`tapegrad: gpu.js mode '${requested}' is unavailable (${this.skipped[0].reason}); using '${chosen}'`);
    }
    this.gpu = new GPU({ mode: chosen });
    this.kernels = deviceModes.has(chosen) ? {} : wasmKernels;
  }

  /** Where the WebAssembly table runs the elementwise ops, jit fuses their chains into SIMD loops that compute the same lanes. */
  get fusion(): ElementwiseFusion | undefined {
    return this.kernels === wasmKernels ? wasmFusion() : undefined;
  }

  /** Where the WebAssembly table runs, jit's float32 buffers live in its shared memory, read and written in place. */
  get arenaMemory(): ArenaMemory | undefined {
    return this.kernels === wasmKernels ? wasmArenaMemory() : undefined;
  }

  run(call: KernelCall): KernelRun {
    if (call.dtype !== 'float32' || call.args.some((a) => !(a instanceof Float32Array || a instanceof Int32Array))) {
      return this.reference.run(call);
    }
    if (call.size === 0) return { data: allocate('float32', 0), implementation: 'gpujs' };
    const own = this.kernels[call.op as OpName];
    if (own && call.args.every((a) => a instanceof Float32Array)) {
      const result = own(call.args as Float32Array[], call.constants, call.size);
      if (result) return { data: result, implementation: 'wasm' };
    }
    // gpu.js cannot bind an empty array; such a kernel never reads it, so any backend gives the same answer
    if (call.args.some((a) => a.length === 0)) return this.reference.run(call);
    const kernel = this.compiled(call);
    const args = call.args.map((a) => (a instanceof Float32Array ? a : Float32Array.from(a)));
    const out = kernel(...args);
    this.noteFallback(call, kernel);
    return { data: out.length === call.size ? out : out.slice(0, call.size), implementation: 'gpujs' };
  }

  private compiled(call: KernelCall): CompiledKernel {
    const key = `${call.op}|${JSON.stringify(call.constants)}|${call.args.map((a) => a.length).join(',')}|${call.size}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    for (const helper of call.helpers ?? []) {
      if (!this.registeredHelpers.has(helper)) {
        this.gpu.addFunction(helper as any);
        this.registeredHelpers.add(helper);
      }
    }
    const kernel = this.gpu.createKernel(call.fn as any, {
      output: [call.size],
      constants: call.constants as any,
      tactic: 'precision',
    }) as unknown as CompiledKernel;
    this.cache.set(key, kernel);
    if (this.cache.size > kernelCacheLimit) {
      const [oldestKey, oldest] = this.cache.entries().next().value as [string, CompiledKernel];
      this.cache.delete(oldestKey);
      oldest.destroy?.();
    }
    return kernel;
  }

  /** A kernel that gpu.js ran in a slower mode than asked for is reported once per op. */
  private noteFallback(call: KernelCall, kernel: CompiledKernel): void {
    const reason = kernel.kernel?.fallbackReason;
    if (reason && !this.reportedFallbacks.has(call.op)) {
      this.reportedFallbacks.add(call.op);
      console.warn(`tapegrad: gpu.js ran '${call.op}' below mode '${this.mode}': ${reason}`);
    }
  }

  info(): BackendInfo {
    return { name: 'gpujs', mode: this.mode, skipped: [...this.skipped], kernelDTypes: ['float32'], cachedKernels: this.cache.size, ownKernels: Object.keys(this.kernels) };
  }
}
