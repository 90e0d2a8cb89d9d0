/**
 * The page: fetches the digits, trains a DINO preset step by step (yielding to the browser between
 * steps, so the page stays responsive), and draws as it goes. `window.tapegradPage` is what the
 * browser test drives (test/web/page.test.ts).
 */
import { type BackendChoice, availableGpuModes, backendInfo, encodeSafetensors, setBackend, tensor } from '../../../core/index.js';
import { wasmMatmul, wasmMatmulInfo, wasmMatmulWarmup } from '../../../core/backend/wasm/matmul/index.js';
import type { DinoMetrics } from '../../../ssl/index.js';
import { type DinoRunConfig, type PresetName, presetNames } from '../../dino/presets.js';
import { type Mnist, mnistFromDigits } from '../../support/mnist.js';
import { decodeDigits } from '../digits-format.js';
import { kernelCases } from '../kernel-check.js';
import { type Attention, DinoSession, type Evaluation } from '../session.js';
import { drawChart } from './chart.js';
import { drawCell } from './heatmap.js';
import { sketchPad } from './sketch.js';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const log = (line: string) => {
  const box = element('log');
  box.textContent += `${line}\n`;
  box.scrollTop = box.scrollHeight;
};

// ---------------------------------------------------------------------------------------------
// backend

const backendChoice = element<HTMLSelectElement>('backend-choice');
for (const choice of ['gpujs', ...availableGpuModes(), 'reference']) backendChoice.add(new Option(choice === 'gpujs' ? 'best (gpujs)' : choice, choice));
backendChoice.value = params.get('backend') ?? pageDefaultBackend();

/**
 * `gpujs` (WebGL 2 first), unless WebGL 2 is drawn in software (SwiftShader, llvmpipe: a machine or
 * browser without a GPU), where the WebAssembly path trains about 20 times faster; said in the log.
 */
function pageDefaultBackend(): string {
  const gl = document.createElement('canvas').getContext('webgl2');
  const debug = gl?.getExtension('WEBGL_debug_renderer_info');
  const renderer = gl && debug ? String(gl.getParameter(debug.UNMASKED_RENDERER_WEBGL)) : '';
  if (!/swiftshader|llvmpipe|software/i.test(renderer)) return 'gpujs';
  queueMicrotask(() => log(`WebGL 2 is drawn in software here (${renderer}): training on webasm; pick webgl2 above to compare`));
  return 'webasm';
}

function useBackend(choice: string): string {
  setBackend(choice as BackendChoice);
  const info = backendInfo();
  const matmul = wasmMatmulInfo();
  const name = `${info.name}/${info.mode}`;
  const threads = info.mode === 'webasm' || info.mode === 'cpu' ? `; WebAssembly matmul: ${matmul.threads} thread${matmul.threads === 1 ? '' : 's'} (${matmul.threading})` : '';
  element('backend').textContent = `backend: ${name}${threads}; cross-origin isolated: ${globalThis.crossOriginIsolated ? 'yes' : 'no'}`;
  return name;
}

// ---------------------------------------------------------------------------------------------
// the run and what is drawn of it

let mnist: Mnist;
let session: DinoSession | undefined;
let running = false;
const history: { step: number; metrics: DinoMetrics }[] = [];
const evaluations: Evaluation[] = [];

function evalEvery(): number {
  return Math.max(1, Math.round((session?.definition.steps ?? 10) / 10));
}

function drawCurves(): void {
  if (!session) return;
  const maxStep = session.definition.steps;
  const line = (pick: (metrics: DinoMetrics) => number, color = '#1f77b4') => [{ points: history.map(({ step, metrics }) => [step, pick(metrics)] as const), color }];
  drawChart(element('chart-loss'), line((m) => m.loss), { maxStep });
  drawChart(element('chart-entropy'), line((m) => m.teacherEntropy), { maxStep, references: [{ value: Math.log(session.definition.config.outDim), color: '#d62728' }] });
  drawChart(element('chart-kl'), line((m) => m.kl), { maxStep });
  const { baselines } = session;
  drawChart(element('chart-knn'), [{ points: evaluations.map((entry) => [entry.step, entry.top1] as const), color: '#2ca02c' }], {
    maxStep,
    references: [{ value: baselines.randomInit, color: '#999' }, { value: baselines.rawPixels, color: '#ff7f0e' }],
  });
}

function drawAttention(canvas: HTMLCanvasElement, attention: Attention, digits: ArrayLike<number>, labels?: ArrayLike<number>): void {
  const cell = 56;
  const columns = attention.heads + 2;
  canvas.width = columns * (cell + 4) + (labels ? 30 : 0);
  canvas.height = attention.count * (cell + 4);
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  const cells = attention.grid * attention.grid;
  const offset = labels ? 30 : 0;
  for (let n = 0; n < attention.count; n++) {
    const y = n * (cell + 4);
    if (labels) {
      context.fillStyle = '#333';
      context.font = '14px sans-serif';
      context.fillText(String(labels[n]), 8, y + cell / 2 + 5);
    }
    drawCell(context, Array.from(digits).slice(n * 784, (n + 1) * 784), 28, offset, y, cell, 'grey');
    for (let h = 0; h < attention.heads; h++) {
      drawCell(context, attention.maps.subarray((n * attention.heads + h) * cells, (n * attention.heads + h + 1) * cells), attention.grid, offset + (h + 1) * (cell + 4), y, cell, 'heat');
    }
    drawCell(context, attention.meanMaps.subarray(n * cells, (n + 1) * cells), attention.grid, offset + (attention.heads + 1) * (cell + 4), y, cell, 'heat');
  }
}

function evaluate(): void {
  if (!session) return;
  const started = performance.now();
  const score = session.evaluate();
  evaluations.push(score);
  const attention = session.attention();
  drawAttention(element('attention'), attention, session.figure.images.dataSync(), session.figure.labels.dataSync());
  element('attention-caption').textContent = `teacher CLS attention, last block, step ${score.step}: input, ${attention.heads} heads, head mean`;
  log(`step ${score.step}: teacher k-NN top-1 ${score.top1.toFixed(1)} % (top-5 ${score.top5.toFixed(1)} %) [${((performance.now() - started) / 1000).toFixed(1)} s]`);
  redrawSketch();
}

function progress(startedAt: number, startStep: number): void {
  if (!session) return;
  const { step } = session.state;
  const total = session.definition.steps;
  const bar = element<HTMLProgressElement>('progress');
  bar.max = total;
  bar.value = step;
  const rate = (step - startStep) / ((performance.now() - startedAt) / 1000);
  const eta = rate > 0 ? (total - step) / rate : Infinity;
  const last = history.at(-1)?.metrics;
  element('progress-text').textContent = `step ${step} / ${total} · ${rate.toFixed(2)} steps/s · ETA ${Number.isFinite(eta) ? `${Math.round(eta)} s` : '…'}${last ? ` · loss ${last.loss.toFixed(3)}` : ''}`;
}

/** A yield to the browser: input, painting and timers run before the next step. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function newSession(): Promise<DinoSession> {
  const preset = element<HTMLSelectElement>('preset').value as PresetName;
  const steps = Number(element<HTMLInputElement>('steps').value);
  const backend = useBackend(backendChoice.value);
  element('progress-text').textContent = 'preparing the run (baselines: k-NN of the random network and of raw pixels)…';
  await nextTask();
  const created = new DinoSession(mnist, { preset, steps, jit: params.get('jit') !== '0' }, backend);
  history.length = 0;
  evaluations.length = 0;
  log(`preset ${preset}, ${steps} steps on ${backend}; baselines: random init ${created.baselines.randomInit.toFixed(1)} %, raw pixels ${created.baselines.rawPixels.toFixed(1)} %`);
  return created;
}

/** Trains until the run's last step or `pause`; resolves when it stops. */
async function train(): Promise<void> {
  if (running) return;
  session ??= await newSession();
  running = true;
  element<HTMLButtonElement>('pause').disabled = false;
  element<HTMLButtonElement>('download').disabled = false;
  const startedAt = performance.now();
  const startStep = session.state.step;
  if (evaluations.length === 0) evaluate();
  let drawnAt = 0;
  while (running && !session.done) {
    const metrics = session.step();
    history.push({ step: session.state.step, metrics });
    if (session.state.step % evalEvery() === 0 || session.done) evaluate();
    if (performance.now() - drawnAt > 200 || session.done) {
      drawCurves();
      progress(startedAt, startStep);
      drawnAt = performance.now();
    }
    await nextTask();
  }
  running = false;
  element<HTMLButtonElement>('pause').disabled = true;
  if (session.done) log(`done: ${session.definition.steps} steps in ${session.trainSeconds.toFixed(1)} s of training (${(session.state.step / session.trainSeconds).toFixed(2)} steps/s)`);
}

// ---------------------------------------------------------------------------------------------
// draw a digit

let sketchDigit: Float32Array | undefined;
const pad = sketchPad(element('sketch'), (pixels) => {
  sketchDigit = pixels;
  redrawSketch();
});

function redrawSketch(): void {
  if (!session || !sketchDigit) return;
  const image = tensor(sketchDigit, { shape: [1, 1, 28, 28], dtype: 'float32' });
  drawAttention(element('sketch-attention'), session.attention(image), sketchDigit);
  const nearest = session.nearest(image, 5);
  const box = element('neighbours');
  box.replaceChildren();
  nearest.rows.forEach((row, index) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 56;
    canvas.title = `digit ${nearest.labels[index]}, cosine ${nearest.similarities[index].toFixed(3)}`;
    drawCell(canvas.getContext('2d')!, session!.bankImage(row).dataSync(), 28, 0, 0, 56, 'grey');
    box.append(canvas);
  });
  box.append(document.createTextNode(` nearest training digits: ${nearest.labels.join(', ')}`));
}

// ---------------------------------------------------------------------------------------------
// controls and checkpoints

function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

element('start').addEventListener('click', () => {
  if (session?.done) session = undefined;
  void train();
});
element('pause').addEventListener('click', () => (running = false));
element('clear').addEventListener('click', () => {
  pad.clear();
  sketchDigit = undefined;
  const attention = element<HTMLCanvasElement>('sketch-attention');
  attention.width = attention.height = 0;
  element('neighbours').replaceChildren();
});
element('download').addEventListener('click', () => session && download(session.checkpoint(), `dino-${session.definition.preset}-step${session.state.step}.safetensors`));
element<HTMLInputElement>('upload').addEventListener('change', async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    session ??= await newSession();
    session.load(new Uint8Array(await file.arrayBuffer()), file.name);
    history.length = 0; // the curves restart: the file holds the state, not the run's history
    evaluations.length = 0;
    log(`loaded ${file.name}: step ${session.state.step}`);
    evaluate();
    drawCurves();
    element<HTMLProgressElement>('progress').value = session.state.step;
    element('progress-text').textContent = `step ${session.state.step} / ${session.definition.steps} · loaded from ${file.name}`;
    element<HTMLButtonElement>('download').disabled = false;
  } catch (error) {
    log(`could not load ${file.name}: ${(error as Error).message}`);
  }
});

// ---------------------------------------------------------------------------------------------
// start

const preset = params.get('preset');
if (preset && (presetNames as string[]).includes(preset)) element<HTMLSelectElement>('preset').value = preset;
if (params.get('steps')) element<HTMLInputElement>('steps').value = params.get('steps')!;
useBackend(backendChoice.value);

const ready = (async () => {
  const response = await fetch('./mnist-digits.bin');
  if (!response.ok) throw new Error(`the digits asset answered ${response.status}`);
  mnist = mnistFromDigits(decodeDigits(new Uint8Array(await response.arrayBuffer())));
  log(`${mnist.train.labels.shape[0]} train and ${mnist.test.labels.shape[0]} test digits from the mnist package`);
})();

/** What the browser test drives; see test/web/page.test.ts. */
const testHooks = {
  ready,
  backend: () => element('backend').textContent,
  /** Trains a fresh session of `preset` (with `overrides`) on one batch and its crops, repeated; the losses. */
  async repeatedBatch(preset: PresetName, steps: number, overrides: Partial<DinoRunConfig> = {}): Promise<number[]> {
    const repeated = new DinoSession(mnist, { preset, overrides, steps: 100, trainLimit: 200, knnTrain: 100, testLimit: 50 }, useBackend(backendChoice.value));
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) {
      losses.push(repeated.step(5).loss);
      await nextTask();
    }
    return losses;
  },
  /** Steps per second of a fresh `preset` session on the chosen backend, after `warmup` steps (bench/web-page.ts). */
  async timeSteps(preset: PresetName, steps: number, warmup = 2): Promise<{ stepsPerSecond: number; backend: string }> {
    const timed = new DinoSession(mnist, { preset, steps: warmup + steps, trainLimit: 500, knnTrain: 100, testLimit: 50 }, useBackend(backendChoice.value));
    for (let i = 0; i < warmup; i++) timed.step();
    const started = performance.now();
    for (let i = 0; i < steps; i++) {
      timed.step();
      await nextTask();
    }
    return { stepsPerSecond: steps / ((performance.now() - started) / 1000), backend: element('backend').textContent ?? '' };
  },
  /** The page's run, trained through the UI loop to its last step. */
  train,
  stepsPerSecond: () => (session ? session.state.step / session.trainSeconds : NaN),
  /** The checkpoint's bytes (base64) and the state's tensors by name, read without the bytes. */
  checkpoint() {
    if (!session) throw new Error('no run yet');
    const bytes = session.checkpoint();
    const tensors = Object.fromEntries(Object.entries(session.checkpointTensors()).map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: Array.from(t.dataSync()) }]));
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return { base64: btoa(text), tensors };
  },
  /** Loads checkpoint bytes (base64) back into the run and returns the teacher's k-NN after it. */
  load(base64: string) {
    if (!session) throw new Error('no run yet');
    session.load(Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)), 'the test\'s checkpoint');
    return session.evaluate();
  },
  kernelCases: (backend: BackendChoice) => kernelCases(backend),
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
      await nextTask();
    }
    return { threads: info.threads, readyWorkers: info.readyWorkers, identical, onWorkers };
  },
  /** encodeSafetensors exists in the bundle (the bytes functions work in a browser). */
  encodeSafetensors,
};
(globalThis as { tapegradPage?: typeof testHooks }).tapegradPage = testHooks;

ready.then(
  () => {
    if (params.get('autostart') !== '0') void train();
  },
  (error: unknown) => log(`could not load the digits: ${(error as Error).message}`),
);
