// The WebGPU device thread (plain JavaScript: it is loaded as a worker, with no TypeScript loader).
// It owns the Dawn device and gpu.js's webgpu kernels, whose runs return promises; the main thread
// blocks on a shared flag (Atomics.wait) until each reply is posted, which keeps tapegrad's eager
// API synchronous. See device.ts for the protocol and the reasons.
import { parentPort, workerData } from 'node:worker_threads';

const { flag, replies } = workerData;
const signal = new Int32Array(flag);

/** Posts the reply first, then wakes the main thread, which reads it with receiveMessageOnPort. */
function reply(message, transfer = []) {
  replies.postMessage(message, transfer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

let gpu = null;
const kernels = new Map();
const helpers = new Set();

async function start() {
  // Node has no navigator.gpu: the `webgpu` package (Dawn) provides one, set before gpu.js loads
  if (typeof navigator === 'undefined' || !navigator.gpu) {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true });
  }
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() answered null: no WebGPU adapter on this machine');
  const info = adapter.info ?? {};
  const { GPU } = (await import('gpu.js')).default ?? (await import('gpu.js'));
  gpu = new GPU({ mode: 'webgpu' });
  return { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
}

async function run({ id, source, helperSources, constants, args, size }) {
  let kernel = kernels.get(id);
  if (!kernel) {
    for (const helper of helperSources) {
      if (!helpers.has(helper)) {
        gpu.addFunction(helper);
        helpers.add(helper);
      }
    }
    kernel = gpu.createKernel(source, { output: [size], constants, tactic: 'precision' });
    kernels.set(id, kernel);
  }
  const out = await kernel(...args);
  return out.length === size ? out : out.slice(0, size);
}

function forget(ids) {
  for (const id of ids) {
    kernels.get(id)?.destroy?.();
    kernels.delete(id);
  }
}

// the main thread is blocked waiting: any failure must become a reply, or it waits until it times out
process.on('uncaughtException', (error) => reply({ ok: false, error: `device thread: ${error?.message ?? error}` }));
process.on('unhandledRejection', (error) => reply({ ok: false, error: `device thread: ${error?.message ?? error}` }));

parentPort.on('message', async (message) => {
  try {
    if (message.kind === 'start') reply({ ok: true, value: await start() });
    else if (message.kind === 'run') {
      const out = await run(message);
      reply({ ok: true, value: out }, [out.buffer]);
    } else if (message.kind === 'forget') {
      forget(message.ids);
      reply({ ok: true, value: null });
    }
  } catch (error) {
    reply({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
