/**
 * The page's training, in a Web Worker: a worker may block in `Atomics.wait`, which the webgpu backend
 * needs (each kernel waits for its read-back; core/backend/webgpu/device.ts), and the page stays
 * responsive while steps run. The page (main.ts) calls the functions of `trainer` by message, one at
 * a time, and draws from what they return.
 */
import { type BackendChoice, availableGpuModes, backendInfo, setBackend, startWebgpuDevice, tensor, webgpuSupport } from '../../../core/index.js';
import { wasmMatmul, wasmMatmulInfo, wasmMatmulWarmup } from '../../../core/backend/wasm/matmul/index.js';
import type { DinoRunConfig, PresetName } from '../../dino/presets.js';
import { type Mnist, mnistFromDigits } from '../../support/mnist.js';
import { decodeDigits } from '../digits-format.js';
import { kernelCases } from '../kernel-check.js';
import { DinoSession } from '../session.js';

let mnist: Mnist;
let session: DinoSession | undefined;
let backend = '';

/** The renderer behind WebGL 2 here, or '' where there is none (or it does not say). */
function webgl2Renderer(): string {
  const gl = typeof OffscreenCanvas === 'undefined' ? null : new OffscreenCanvas(1, 1).getContext('webgl2');
  const debug = gl?.getExtension('WEBGL_debug_renderer_info');
  return gl && debug ? String(gl.getParameter(debug.UNMASKED_RENDERER_WEBGL)) : '';
}

const software = /swiftshader|llvmpipe|software/i;

/**
 * The backends this browser has, in the order (WebGPU, WebGL 2, the WebAssembly CPU path), and
 * the first that is not drawn in software, where the WebAssembly path trains many times faster; each
 * backend passed over is said in `notes`.
 */
function backendChoices(): { choices: string[]; preferred: string; notes: string[] } {
  const notes: string[] = [];
  const webgpuRefusal = webgpuSupport();
  const choices = [...(webgpuRefusal === null ? ['webgpu'] : []), 'gpujs', ...availableGpuModes(), 'reference'];
  let preferred: string | undefined;
  if (webgpuRefusal !== null) notes.push(`WebGPU is not available here: ${webgpuRefusal}`);
  else {
    setBackend('webgpu');
    const adapter = backendInfo().adapter ?? '';
    if (software.test(adapter)) notes.push(`WebGPU runs in software here (${adapter}): pick webgpu above to compare`);
    else preferred = 'webgpu';
  }
  const renderer = webgl2Renderer();
  if (!preferred && choices.includes('webgl2')) {
    if (software.test(renderer)) notes.push(`WebGL 2 is drawn in software here (${renderer}): pick webgl2 above to compare`);
    else preferred = 'webgl2';
  }
  preferred ??= choices.includes('webasm') ? 'webasm' : 'cpu';
  if (preferred === 'webasm') notes.push('training on webasm, the WebAssembly CPU path');
  return { choices, preferred, notes };
}

function useBackend(choice: string): string {
  setBackend(choice as BackendChoice);
  const info = backendInfo();
  const matmul = wasmMatmulInfo();
  backend = `${info.name}/${info.mode}`;
  const threads = info.mode === 'webasm' || info.mode === 'cpu' ? `; WebAssembly matmul: ${matmul.threads} thread${matmul.threads === 1 ? '' : 's'} (${matmul.threading})` : '';
  const adapter = info.adapter ? ` (${info.adapter})` : '';
  return `backend: ${backend}${adapter}${threads}; cross-origin isolated: ${globalThis.crossOriginIsolated ? 'yes' : 'no'}`;
}

function requireSession(): DinoSession {
  if (!session) throw new Error('no run yet');
  return session;
}

function attentionOf(run: DinoSession, images = run.figure.images) {
  return run.attention(images);
}

/** What the page may ask; each returns plain data (typed arrays travel as copies). */
const trainer = {
  /** Loads the digits and starts what starts asynchronously (the WebGPU device worker). */
  async init(digitsUrl: string) {
    const response = await fetch(digitsUrl);
    if (!response.ok) throw new Error(`the digits asset answered ${response.status}`);
    mnist = mnistFromDigits(decodeDigits(new Uint8Array(await response.arrayBuffer())));
    await startWebgpuDevice();
    return { train: mnist.train.labels.shape[0], test: mnist.test.labels.shape[0], webgpu: webgpuSupport(), ...backendChoices() };
  },
  useBackend,
  newSession(preset: PresetName, steps: number, jit: boolean, choice: string) {
    const text = useBackend(choice);
    session = new DinoSession(mnist, { preset, steps, jit }, backend);
    return { backendText: text, backend, steps, outDim: session.definition.config.outDim, baselines: session.baselines };
  },
  step() {
    const run = requireSession();
    const metrics = run.step();
    return { step: run.state.step, metrics, done: run.done, trainSeconds: run.trainSeconds };
  },
  evaluate() {
    const run = requireSession();
    const score = run.evaluate();
    return { score, attention: attentionOf(run), digits: run.figure.images.dataSync() as Float32Array, labels: Array.from(run.figure.labels.dataSync()) };
  },
  /** The drawn digit's attention and its five nearest bank digits. */
  sketch(pixels: Float32Array) {
    const run = requireSession();
    const image = tensor(pixels, { shape: [1, 1, 28, 28], dtype: 'float32' });
    const nearest = run.nearest(image, 5);
    return { attention: attentionOf(run, image), nearest, images: nearest.rows.map((row) => run.bankImage(row).dataSync() as Float32Array) };
  },
  checkpoint: () => requireSession().checkpoint(),
  /** The state's tensors by name, read without the checkpoint's bytes (for the browser test). */
  checkpointTensors: () => Object.fromEntries(Object.entries(requireSession().checkpointTensors()).map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: Array.from(t.dataSync()) }])),
  load(bytes: Uint8Array, source: string) {
    const run = requireSession();
    run.load(bytes, source);
    return run.state.step;
  },
  progress() {
    const run = requireSession();
    return { step: run.state.step, steps: run.definition.steps, trainSeconds: run.trainSeconds };
  },
  /** A fresh session of `preset` (with `overrides`) trained on one batch and its crops, repeated: the losses. */
  repeatedBatch(preset: PresetName, steps: number, overrides: Partial<DinoRunConfig>, choice: string) {
    useBackend(choice);
    const repeated = new DinoSession(mnist, { preset, overrides, steps: 100, trainLimit: 200, knnTrain: 100, testLimit: 50 }, backend);
    return Array.from({ length: steps }, () => repeated.step(5).loss);
  },
  /** Steps per second of a fresh `preset` session after `warmup` steps (bench/web-page.ts). */
  timeSteps(preset: PresetName, steps: number, warmup: number, choice: string) {
    const backendText = useBackend(choice);
    const timed = new DinoSession(mnist, { preset, steps: warmup + steps, trainLimit: 500, knnTrain: 100, testLimit: 50 }, backend);
    for (let i = 0; i < warmup; i++) timed.step();
    const started = performance.now();
    for (let i = 0; i < steps; i++) timed.step();
    return { stepsPerSecond: steps / ((performance.now() - started) / 1000), backend: backendText };
  },
  kernelCases: (choice: string) => kernelCases(choice as BackendChoice),
  /**
   * A 256³ product (above the threading threshold) on every thread and on one, `tries` times once
   * the workers are ready: whether the results were identical and whether a worker computed part.
   */
  async threadedMatmul(tries: number) {
    const info = await wasmMatmulWarmup();
    const size = 256;
    const a = Float32Array.from({ length: size * size }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: size * size }, (_, i) => Math.cos(i));
    const single = wasmMatmul(a, b, size, size, size, 1, { threads: 1 });
    let identical = true;
    let onWorkers = false;
    for (let i = 0; i < tries && !onWorkers; i++) {
      const threaded = wasmMatmul(a, b, size, size, size);
      identical &&= threaded.every((value, index) => value === single[index]);
      onWorkers = wasmMatmulInfo().lastCallOnWorkers;
      // the workers start while this thread yields
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return { threads: info.threads, readyWorkers: info.readyWorkers, identical, onWorkers };
  },
};

export type Trainer = typeof trainer;
export type TrainerRequest = { id: number; method: keyof Trainer; args: unknown[] };
export type TrainerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const port = self as unknown as { postMessage(message: TrainerReply): void; onmessage: ((event: MessageEvent<TrainerRequest>) => void) | null };
// one request at a time, in order: an async one (init, threadedMatmul) finishes before the next starts
let queue: Promise<void> = Promise.resolve();
port.onmessage = ({ data: { id, method, args } }) => {
  queue = queue.then(async () => {
    try {
      const value = await (trainer[method] as (...values: unknown[]) => unknown)(...args);
      port.postMessage({ id, ok: true, value });
    } catch (error) {
      port.postMessage({ id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  });
};
