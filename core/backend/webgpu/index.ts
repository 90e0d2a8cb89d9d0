import ndarray from 'ndarray';
import { debugNans, withinReplay } from '../../debug-nans.js';
import { allocate } from '../../dtype.js';
import { BackendError } from '../../errors.js';
import type { KernelCall, KernelRun } from '../../kernel.js';
import { execute } from '../../op.js';
import { activeOpProfile } from '../../profile.js';
import { Tensor, contiguousData } from '../../tensor.js';
import type { Program, Ref } from '../../transforms/jit-program.js';
import type { OpName } from '../../ops/names.js';
import { wasmStridedCopy } from '../wasm/elementwise/index.js';
import type { Backend, BackendInfo } from '../backend.js';
import { isNode } from '../../platform/node-builtin.js';
import { ReferenceBackend } from '../reference.js';
import { type AdapterInfo, type DeviceThread, openDeviceThread } from './device.js';
import { type LoweredProgram, ProgramRefusal, lowerProgram, withArgumentTypes } from './program-lowering.js';
import { type PassTime, PassProfile, passProfileWanted } from './program-profile.js';
import { wgslKernels } from './wgsl-kernels.js';

/** Debian's chromium package ships SwiftShader, a Vulkan driver on the CPU that Dawn accepts. */
export const swiftShaderManifest = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Compiled kernels kept on the device thread; the oldest unused one goes first. */
const kernelCacheLimit = 512;

/**
 * Runs each op's gpu.js kernel function as a WGSL compute shader (gpu.js `mode: 'webgpu'`) on a WebGPU
 * adapter: in Node through the `webgpu` package (Dawn), on a real GPU or on SwiftShader; in a browser's
 * Web Worker through `navigator.gpu`. The device lives in a worker of its own and each kernel call waits
 * for its result (`device.ts`), so every op is a synchronous upload, dispatch and read-back; a compiled
 * jit program runs as a whole on the device with one read-back (`runProgram`). float64 and int32
 * tensors run on the reference backend.
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
  /** Each jit program's device build (its id on the device thread), or why it runs op by op. */
  private readonly programs = new WeakMap<Program, { readonly id: number; readonly lowered: LoweredProgram } | { readonly refused: string }>();
  private nextProgramId = 0;
  /** Per-pass times of device programs, when `TAPEGRAD_WEBGPU_PROFILE=1` (program-profile.ts). */
  private readonly passProfile: PassProfile | null = passProfileWanted() ? new PassProfile() : null;
  /** Lets the device thread free a program's buffers once the program is gone. */
  private readonly programsGone = new FinalizationRegistry<number>((id) => {
    try {
      this.device.call({ kind: 'forgetProgram', id });
    } catch {
      // a closed device has nothing left to free
    }
  });

  constructor() {
    const device = openDeviceThread();
    try {
      this.adapter = device.start();
    } catch (error) {
      device.close();
      throw new BackendError(`webgpu: no WebGPU adapter answered (${(error as Error).message})${setupHint()}`);
    }
    this.device = device;
    const profile = this.passProfile;
    if (profile && isNode) process.once('exit', () => console.error(profile.summary()));
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
      const data = this.device.call({ kind: 'wgsl', source: wgsl.source(constants, args.length), uniforms: wgsl.uniforms(constants, size), workgroups: wgsl.workgroups(constants, size), args, size });
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

  /**
   * Runs a compiled jit program as a whole on the device (`program-lowering.ts`, `device-program.js`):
   * the inputs uploaded once, every instruction a dispatch over device buffers, the outputs read back
   * with one mapAsync. Null (jit then runs it op by op) while NaN checks or an op profile want to see
   * each op, or for a program the device cannot run, whose reason is printed once.
   */
  runProgram(program: Program, inputs: readonly Tensor[]): Tensor[] | null {
    if (debugNans() || activeOpProfile() !== null) return null;
    let built = this.programs.get(program);
    if (!built) {
      built = this.buildProgram(program, inputs);
      this.programs.set(program, built);
    }
    if ('refused' in built) return null;
    const { id, lowered } = built;
    const values = new Array<Tensor | undefined>(program.slotCount);
    inputs.forEach((t, i) => (values[i] = t));
    const resolve = (ref: Ref) => ('slot' in ref ? values[ref.slot]! : ref.constant);
    withinReplay(() => {
      for (const i of lowered.hostSteps) {
        const instruction = program.instructions[i];
        values[instruction.out] = execute(instruction.op, instruction.inputs.map(resolve), instruction.attrs, instruction.type);
      }
    });
    const uploads = lowered.uploads.map((slot) => {
      const data = contiguousData(values[slot]!.storage) as Float32Array;
      // a view of a larger buffer would post all of that buffer
      return data.byteLength === data.buffer.byteLength ? data : data.slice();
    });
    const { outputs: readBack, times } = this.device.call({ kind: 'runProgram', id, inputs: uploads, profile: this.passProfile !== null }) as { outputs: Float32Array[]; times: PassTime[] | null };
    if (times) this.passProfile!.add(id, times);
    return lowered.results.map((source) => {
      if ('readBack' in source) return new Tensor(ndarray(readBack[source.readBack], [...source.shape]));
      return 'slot' in source ? values[source.slot]! : source.constant;
    });
  }

  private buildProgram(program: Program, inputs: readonly Tensor[]): { readonly id: number; readonly lowered: LoweredProgram } | { readonly refused: string } {
    try {
      withArgumentTypes(program, inputs);
      const lowered = lowerProgram(program);
      const id = this.nextProgramId++;
      this.device.call({ kind: 'compileProgram', id, plan: lowered.plan });
      this.programsGone.register(program, id);
      return { id, lowered };
    } catch (error) {
      const reason = error instanceof ProgramRefusal ? error.message : `the device could not build it (${(error as Error).message})`;
      console.warn(`tapegrad: webgpu runs this jit program op by op, one read-back per op: ${reason}`);
      return { refused: reason };
    }
  }

  /** Read-backs (mapAsync calls) the device thread has made so far: one per op on the per-op path, one per call of a device program. */
  readBacks(): number {
    return (this.device.call({ kind: 'counters' }) as { readBacks: number }).readBacks;
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
