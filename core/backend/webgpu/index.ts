import { allocate } from '../../dtype.js';
import { BackendError } from '../../errors.js';
import type { KernelCall, KernelRun } from '../../kernel.js';
import type { OpName } from '../../ops/names.js';
import { wasmStridedCopy } from '../wasm/elementwise/index.js';
import type { Backend, BackendInfo } from '../backend.js';
import { isNode } from '../../platform/node-builtin.js';
import { ReferenceBackend } from '../reference.js';
import { type AdapterInfo, type DeviceThread, openDeviceThread } from './device.js';
import { wgslKernels } from './wgsl-kernels.js';

/** Debian's chromium package ships SwiftShader, a Vulkan driver on the CPU that Dawn accepts. */
export const swiftShaderManifest = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Compiled kernels kept on the device thread; the oldest unused one goes first. */
const kernelCacheLimit = 512;

/**
 * Runs each op's gpu.js kernel function as a WGSL compute shader (gpu.js `mode: 'webgpu'`) on a WebGPU
 * adapter: in Node through the `webgpu` package (Dawn), on a real GPU or on SwiftShader; in a browser's
 * Web Worker through `navigator.gpu`. The device lives in a worker of its own and each kernel call waits
 * for its result (`device.ts`), so every op is a synchronous upload, dispatch and read-back. float64 and
 * int32 tensors run on the reference backend.
 */
export class WebgpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly adapter: AdapterInfo;
  private readonly device: DeviceThread;
  private readonly reference = new ReferenceBackend();
  /** Kernel ids on the device thread, by (op, constants, input sizes, output size), oldest use first. */
  private readonly kernelIds = new Map<string, number>();
  private nextKernelId = 0;
  /** Tensors live in host memory between kernels, so views copy there as on the gpu.js CPU modes. */
  readonly copyStrided = wasmStridedCopy;

  constructor() {
    const device = openDeviceThread();
    try {
      this.adapter = device.start();
    } catch (error) {
      device.close();
      throw new BackendError(`webgpu: no WebGPU adapter answered (${(error as Error).message})${setupHint()}`);
    }
    this.device = device;
  }

  run(call: KernelCall): KernelRun {
    if (call.dtype !== 'float32' || call.args.some((a) => !(a instanceof Float32Array || a instanceof Int32Array))) {
      return this.reference.run(call);
    }
    if (call.size === 0) return { data: allocate('float32', 0), implementation: 'gpujs' };
    // a storage buffer cannot be empty; such a kernel never reads it, so any backend gives the same answer
    if (call.args.some((a) => a.length === 0)) return this.reference.run(call);
    const args = call.args.map((a) => (a instanceof Float32Array ? a : Float32Array.from(a)));
    const wgsl = wgslKernels[call.op as OpName];
    if (wgsl) {
      const { constants, size } = call;
      const data = this.device.call({ kind: 'wgsl', source: wgsl.source, uniforms: wgsl.uniforms(constants, size), workgroups: wgsl.workgroups(constants, size), args, size });
      return { data, implementation: 'wgsl' };
    }
    const data = this.device.call({
      kind: 'run',
      id: this.kernelId(call),
      source: call.fn.toString(),
      helperSources: (call.helpers ?? []).map(String),
      constants: call.constants,
      args,
      size: call.size,
    }) as Float32Array;
    return { data, implementation: 'gpujs' };
  }

  private kernelId(call: KernelCall): number {
    const key = `${call.op}|${JSON.stringify(call.constants)}|${call.args.map((a) => a.length).join(',')}|${call.size}`;
    let id = this.kernelIds.get(key);
    if (id !== undefined) {
      this.kernelIds.delete(key);
    } else {
      id = this.nextKernelId++;
      if (this.kernelIds.size >= kernelCacheLimit) {
        const [oldestKey, oldestId] = this.kernelIds.entries().next().value as [string, number];
        this.kernelIds.delete(oldestKey);
        this.device.call({ kind: 'forget', ids: [oldestId] });
      }
    }
    this.kernelIds.set(key, id);
    return id;
  }

  info(): BackendInfo {
    const { vendor, architecture, description } = this.adapter;
    return {
      name: 'webgpu',
      mode: 'webgpu',
      skipped: [],
      kernelDTypes: ['float32'],
      cachedKernels: this.kernelIds.size,
      ownKernels: Object.keys(wgslKernels),
      adapter: [vendor, architecture, description].filter(Boolean).join(' '),
    };
  }
}

/** What to try when no adapter answers: SwiftShader, when it is installed but not pointed at. */
function setupHint(): string {
  if (!isNode) return ''; // a browser: its adapter comes with the browser
  const fs = globalThis.process?.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
  if (process.env.VK_ICD_FILENAMES === undefined && fs?.existsSync(swiftShaderManifest)) {
    return `; SwiftShader is installed: set VK_ICD_FILENAMES=${swiftShaderManifest} to run WebGPU on the CPU`;
  }
  if (process.env.VK_ICD_FILENAMES === undefined) {
    return '; on a machine without a GPU, `apt-get install chromium libvulkan1` and set VK_ICD_FILENAMES=' + swiftShaderManifest;
  }
  return `; VK_ICD_FILENAMES is ${process.env.VK_ICD_FILENAMES}`;
}
