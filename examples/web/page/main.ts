/**
 * The page: the run itself trains in a Web Worker (train-worker.ts), step by step as this page asks,
 * and the page draws what each step and evaluation return. `window.tapegradPage` is what the browser
 * test drives (test/web/page.test.ts).
 */
import type { DinoMetrics } from '../../../ssl/index.js';
import type { Attention, Evaluation } from '../session.js';
import { type DinoRunConfig, type PresetName, presetNames } from '../../dino/presets.js';
import { drawChart } from './chart.js';
import { drawCell } from './heatmap.js';
import { sketchPad } from './sketch.js';
import type { Trainer, TrainerReply, TrainerRequest } from './train-worker.js';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const log = (line: string) => {
  const box = element('log');
  box.textContent += `${line}\n`;
  box.scrollTop = box.scrollHeight;
};

// ---------------------------------------------------------------------------------------------
// the training worker

const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let nextRequest = 0;
worker.onmessage = ({ data }: MessageEvent<TrainerReply>) => {
  const waiting = pending.get(data.id)!;
  pending.delete(data.id);
  if (data.ok) waiting.resolve(data.value);
  else waiting.reject(new Error(data.error));
};
worker.onerror = (event) => log(`the training worker failed: ${event.message}`);

/** Calls `method` of the worker's trainer; resolves with what it returns. */
function remote<M extends keyof Trainer>(method: M, ...args: Parameters<Trainer[M]>): Promise<Awaited<ReturnType<Trainer[M]>>> {
  const id = nextRequest++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    worker.postMessage({ id, method, args } satisfies TrainerRequest);
  });
}

// ---------------------------------------------------------------------------------------------
// the run and what is drawn of it

const backendChoice = element<HTMLSelectElement>('backend-choice');

async function useBackend(choice: string): Promise<void> {
  element('backend').textContent = await remote('useBackend', choice);
}

type Run = { steps: number; outDim: number; baselines: { randomInit: number; rawPixels: number }; step: number; trainSeconds: number; done: boolean; preset: PresetName };
let run: Run | undefined;
let running = false;
const history: { step: number; metrics: DinoMetrics }[] = [];
const evaluations: Evaluation[] = [];

function evalEvery(): number {
  return Math.max(1, Math.round((run?.steps ?? 10) / 10));
}

function drawCurves(): void {
  if (!run) return;
  const maxStep = run.steps;
  const line = (pick: (metrics: DinoMetrics) => number, color = '#1f77b4') => [{ points: history.map(({ step, metrics }) => [step, pick(metrics)] as const), color }];
  drawChart(element('chart-loss'), line((m) => m.loss), { maxStep });
  drawChart(element('chart-entropy'), line((m) => m.teacherEntropy), { maxStep, references: [{ value: Math.log(run.outDim), color: '#d62728' }] });
  drawChart(element('chart-kl'), line((m) => m.kl), { maxStep });
  const { baselines } = run;
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

async function evaluate(): Promise<void> {
  if (!run) return;
  const started = performance.now();
  const { score, attention, digits, labels } = await remote('evaluate');
  evaluations.push(score);
  drawAttention(element('attention'), attention, digits, labels);
  element('attention-caption').textContent = `teacher CLS attention, last block, step ${score.step}: input, ${attention.heads} heads, head mean`;
  log(`step ${score.step}: teacher k-NN top-1 ${score.top1.toFixed(1)} % (top-5 ${score.top5.toFixed(1)} %) [${((performance.now() - started) / 1000).toFixed(1)} s]`);
  await redrawSketch();
}

function progress(startedAt: number, startStep: number): void {
  if (!run) return;
  const { step, steps: total } = run;
  const bar = element<HTMLProgressElement>('progress');
  bar.max = total;
  bar.value = step;
  const rate = (step - startStep) / ((performance.now() - startedAt) / 1000);
  const eta = rate > 0 ? (total - step) / rate : Infinity;
  const last = history.at(-1)?.metrics;
  element('progress-text').textContent = `step ${step} / ${total} · ${rate.toFixed(2)} steps/s · ETA ${Number.isFinite(eta) ? `${Math.round(eta)} s` : '…'}${last ? ` · loss ${last.loss.toFixed(3)}` : ''}`;
}

async function newRun(): Promise<Run> {
  const preset = element<HTMLSelectElement>('preset').value as PresetName;
  const steps = Number(element<HTMLInputElement>('steps').value);
  element('progress-text').textContent = 'preparing the run (baselines: k-NN of the random network and of raw pixels)…';
  const created = await remote('newSession', preset, steps, params.get('jit') !== '0', backendChoice.value);
  element('backend').textContent = created.backendText;
  history.length = 0;
  evaluations.length = 0;
  log(`preset ${preset}, ${steps} steps on ${created.backend}; baselines: random init ${created.baselines.randomInit.toFixed(1)} %, raw pixels ${created.baselines.rawPixels.toFixed(1)} %`);
  return { ...created, preset, step: 0, trainSeconds: 0, done: false };
}

/** Trains until the run's last step or `pause`; resolves when it stops. */
async function train(): Promise<void> {
  if (running) return;
  running = true;
  run ??= await newRun();
  element<HTMLButtonElement>('pause').disabled = false;
  element<HTMLButtonElement>('download').disabled = false;
  const startedAt = performance.now();
  const startStep = run.step;
  if (evaluations.length === 0) await evaluate();
  let drawnAt = 0;
  while (running && !run.done) {
    const { step, metrics, done, trainSeconds } = await remote('step');
    Object.assign(run, { step, done, trainSeconds });
    history.push({ step, metrics });
    if (step % evalEvery() === 0 || done) await evaluate();
    if (performance.now() - drawnAt > 200 || done) {
      drawCurves();
      progress(startedAt, startStep);
      drawnAt = performance.now();
    }
  }
  running = false;
  element<HTMLButtonElement>('pause').disabled = true;
  if (run.done) log(`done: ${run.steps} steps in ${run.trainSeconds.toFixed(1)} s of training (${(run.step / run.trainSeconds).toFixed(2)} steps/s)`);
}

// ---------------------------------------------------------------------------------------------
// draw a digit

let sketchDigit: Float32Array | undefined;
const pad = sketchPad(element('sketch'), (pixels) => {
  sketchDigit = pixels;
  void redrawSketch();
});

async function redrawSketch(): Promise<void> {
  if (!run || !sketchDigit) return;
  const drawn = sketchDigit;
  const { attention, nearest, images } = await remote('sketch', drawn);
  drawAttention(element('sketch-attention'), attention, drawn);
  const box = element('neighbours');
  box.replaceChildren();
  images.forEach((pixels, index) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 56;
    canvas.title = `digit ${nearest.labels[index]}, cosine ${nearest.similarities[index].toFixed(3)}`;
    drawCell(canvas.getContext('2d')!, pixels, 28, 0, 0, 56, 'grey');
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
  if (run?.done) run = undefined;
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
element('download').addEventListener('click', async () => {
  if (run) download(await remote('checkpoint'), `dino-${run.preset}-step${run.step}.safetensors`);
});
element<HTMLInputElement>('upload').addEventListener('change', async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    run ??= await newRun();
    run.step = await remote('load', new Uint8Array(await file.arrayBuffer()), file.name);
    run.done = run.step >= run.steps;
    history.length = 0; // the curves restart: the file holds the state, not the run's history
    evaluations.length = 0;
    await evaluate();
    drawCurves();
    element<HTMLProgressElement>('progress').value = run.step;
    element('progress-text').textContent = `step ${run.step} / ${run.steps} · loaded from ${file.name}`;
    element<HTMLButtonElement>('download').disabled = false;
    log(`loaded ${file.name}: step ${run.step}`);
  } catch (error) {
    log(`could not load ${file.name}: ${(error as Error).message}`);
  }
});

// ---------------------------------------------------------------------------------------------
// start

const preset = params.get('preset');
if (preset && (presetNames as string[]).includes(preset)) element<HTMLSelectElement>('preset').value = preset;
if (params.get('steps')) element<HTMLInputElement>('steps').value = params.get('steps')!;
backendChoice.addEventListener('change', () => void useBackend(backendChoice.value));

const ready = (async () => {
  const found = await remote('init', new URL('./mnist-digits.bin', location.href).href);
  log(`${found.train} train and ${found.test} test digits from the mnist package`);
  for (const choice of found.choices) backendChoice.add(new Option(choice === 'gpujs' ? 'best (gpujs)' : choice, choice));
  backendChoice.value = params.get('backend') ?? found.preferred;
  for (const note of found.notes) log(note);
  await useBackend(backendChoice.value);
  return found;
})();

/** What the browser test drives; see test/web/page.test.ts. */
const testHooks = {
  ready: ready.then(() => undefined),
  backend: () => element('backend').textContent,
  /** Why webgpu is not offered here, or null (asked of the worker at start). */
  webgpuRefusal: async () => (await ready).webgpu,
  /** Trains a fresh session of `preset` (with `overrides`) on one batch and its crops, repeated; the losses. */
  repeatedBatch: (preset: PresetName, steps: number, overrides: Partial<DinoRunConfig> = {}) => remote('repeatedBatch', preset, steps, overrides, backendChoice.value),
  /** Steps per second of a fresh `preset` session on the chosen backend, after `warmup` steps (bench/web-page.ts). */
  timeSteps: (preset: PresetName, steps: number, warmup = 2) => remote('timeSteps', preset, steps, warmup, backendChoice.value),
  /** The page's run, trained through the UI loop to its last step. */
  train,
  stepsPerSecond: () => (run ? run.step / run.trainSeconds : NaN),
  /** The checkpoint's bytes (base64) and the state's tensors by name, read without the bytes. */
  async checkpoint() {
    const bytes = await remote('checkpoint');
    const tensors = await remote('checkpointTensors');
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return { base64: btoa(text), tensors };
  },
  /** Loads checkpoint bytes (base64) back into the run and returns the teacher's k-NN after it. */
  async load(base64: string) {
    await remote('load', Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)), 'the test\'s checkpoint');
    return (await remote('evaluate')).score;
  },
  kernelCases: (backend: string) => remote('kernelCases', backend),
  threadedMatmul: (tries: number) => remote('threadedMatmul', tries),
};
(globalThis as { tapegradPage?: typeof testHooks }).tapegradPage = testHooks;

ready.then(
  () => {
    if (params.get('autostart') !== '0') void train();
  },
  (error: unknown) => log(`could not start: ${(error as Error).message}`),
);
