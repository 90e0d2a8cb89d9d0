// The WebGPU device thread (plain JavaScript: it is loaded as a worker, with no TypeScript loader).
// It owns the WebGPU device and gpu.js's webgpu kernels, whose runs return promises; the caller
// blocks on a shared flag (Atomics.wait) until each reply is in place, which keeps tapegrad's eager
// API synchronous. See device.ts for the protocol and the reasons, device-channel.js for each host.
import { deviceChannel } from './device-channel.js';
import { buildProgram, runProgram } from './device-program.js';

const channel = await deviceChannel();
const reply = channel.reply;

let gpu = null;
let WebGPUContext = null;
const kernels = new Map();
const helpers = new Set();
/** Read-backs (mapAsync calls) since start, for the tests that count them. */
let readBacks = 0;
const countReadBack = () => readBacks++;

async function start() {
  // Node has no navigator.gpu: the `webgpu` package (Dawn) provides one, set before gpu.js loads
  if (typeof navigator === 'undefined' || !navigator.gpu) {
    if (!globalThis.process?.versions?.node) throw new Error('this browser has no navigator.gpu (WebGPU)');
    const dawn = 'webgpu'; // named at run time: a browser bundle must not hold Node's Dawn
    const { create, globals } = await import(/* @vite-ignore */ dawn);
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true });
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() answered null: no WebGPU adapter on this machine');
  const info = adapter.info ?? {};
  const gpujs = (await import('gpu.js')).default ?? (await import('gpu.js'));
  gpu = new gpujs.GPU({ mode: 'webgpu' });
  WebGPUContext = gpujs.WebGPUContext;
  return { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
}

function addHelpers(helperSources) {
  for (const helper of helperSources) {
    if (!helpers.has(helper)) {
      gpu.addFunction(helper);
      helpers.add(helper);
    }
  }
}

async function run({ id, source, helperSources, constants, args, size }) {
  let kernel = kernels.get(id);
  if (!kernel) {
    addHelpers(helperSources);
    kernel = gpu.createKernel(source, { output: [size], constants, tactic: 'precision' });
    kernels.set(id, kernel);
  }
  countReadBack();
  const out = await kernel(...args);
  return out.length === size ? out : out.slice(0, size);
}

// USAGE and MAP_MODE values are fixed by the WebGPU spec
const STORAGE = 0x0080, UNIFORM = 0x0040, COPY_SRC = 0x0004, COPY_DST = 0x0008, MAP_READ = 0x0001;
const pipelines = new Map();

/** A compute pipeline for a WGSL source with one entry point `main`, made once. */
function pipelineFor(device, source) {
  let pipeline = pipelines.get(source);
  if (!pipeline) {
    const module = device.createShaderModule({ code: source });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    pipelines.set(source, pipeline);
  }
  return pipeline;
}

/** gpu.js kernels of device programs, by (source, constants, sizes): built by one run on zeros, then only their pipelines are used. */
const programKernels = new Map();
/** Device programs by the id the main thread gave them. */
const programs = new Map();

async function programKernel(step) {
  let kernel = programKernels.get(step.key);
  if (!kernel) {
    addHelpers(step.helperSources);
    const shortcut = gpu.createKernel(step.source, { output: [step.size], constants: step.constants, tactic: 'precision' });
    await shortcut(...step.argLengths.map((length) => new Float32Array(length)));
    kernel = shortcut.kernel;
    programKernels.set(step.key, kernel);
  }
  return kernel;
}

async function compileProgram({ id, plan }) {
  const { device } = await WebGPUContext.acquire();
  device.pushErrorScope('validation');
  let program = null;
  try {
    program = await buildProgram(device, plan, programKernel, (source) => pipelineFor(device, source));
  } finally {
    const error = await device.popErrorScope();
    if (error) {
      program?.destroy();
      throw new Error(`device program: ${error.message}`);
    }
  }
  programs.set(id, program);
}

/** One dispatch of a hand-written WGSL kernel (wgsl-kernels.ts) on gpu.js's device: upload, run, read back. */
async function runWgsl({ source, uniforms, workgroups, args, size }) {
  const { device } = await WebGPUContext.acquire();
  const pipeline = pipelineFor(device, source);
  const made = [];
  const buffer = (bytes, usage) => {
    const created = device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage });
    made.push(created);
    return created;
  };
  const uniform = buffer(uniforms.length * 4, UNIFORM | COPY_DST);
  device.queue.writeBuffer(uniform, 0, new Uint32Array(uniforms));
  const inputs = args.map((values) => {
    const input = buffer(values.byteLength, STORAGE | COPY_DST);
    device.queue.writeBuffer(input, 0, values);
    return input;
  });
  const output = buffer(size * 4, STORAGE | COPY_SRC);
  const staging = buffer(size * 4, MAP_READ | COPY_DST);
  const entries = [uniform, ...inputs, output].map((resource, binding) => ({ binding, resource: { buffer: resource } }));
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(...workgroups);
  pass.end();
  encoder.copyBufferToBuffer(output, 0, staging, 0, size * 4);
  device.queue.submit([encoder.finish()]);
  countReadBack();
  await staging.mapAsync(1);
  const out = new Float32Array(staging.getMappedRange(0, size * 4).slice(0));
  staging.unmap();
  for (const created of made) created.destroy();
  return out;
}

function forget(ids) {
  for (const id of ids) {
    kernels.get(id)?.destroy?.();
    kernels.delete(id);
  }
}

// the main thread is blocked waiting: any failure must become a reply, or it waits until it times out
channel.onFailure((error) => reply({ ok: false, error: `device thread: ${error?.message ?? error}` }));

channel.onRequest(async (message) => {
  try {
    if (message.kind === 'start') reply({ ok: true, value: await start() });
    else if (message.kind === 'run') {
      const out = await run(message);
      reply({ ok: true, value: out }, [out.buffer]);
    } else if (message.kind === 'wgsl') {
      const out = await runWgsl(message);
      reply({ ok: true, value: out }, [out.buffer]);
    } else if (message.kind === 'close') {
      // Dawn polls for events while a device lives; terminating the thread mid-poll aborts the process.
      // Only the device is destroyed: destroying gpu.js's kernels one by one at exit aborts Dawn too
      await WebGPUContext?.destroy();
      reply({ ok: true, value: null });
    } else if (message.kind === 'compileProgram') {
      await compileProgram(message);
      reply({ ok: true, value: null });
    } else if (message.kind === 'runProgram') {
      const { device } = await WebGPUContext.acquire();
      const run = await runProgram(device, programs.get(message.id), message.inputs, countReadBack, message.profile);
      reply({ ok: true, value: run }, run.outputs.map((out) => out.buffer));
    } else if (message.kind === 'forgetProgram') {
      programs.get(message.id)?.destroy();
      programs.delete(message.id);
      reply({ ok: true, value: null });
    } else if (message.kind === 'counters') {
      reply({ ok: true, value: { readBacks } });
    } else if (message.kind === 'forget') {
      forget(message.ids);
      reply({ ok: true, value: null });
    }
  } catch (error) {
    reply({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
