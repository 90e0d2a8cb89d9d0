/**
 * One DINO run of examples/dino-mnist.ts, held in memory and stepped by the caller, for the page:
 * the same preset, data subsets, model, crops and step as the Node example, without its files.
 * Nothing here touches the DOM, so a test can drive it in Node as well as in the page.
 */
import { type Key, type Tensor, decodeSafetensors, flattenNamed, mean, random, reshape, stopGradient, take, tensor } from '../../core/index.js';
import { type DinoModelParams, vit } from '../../nn/index.js';
import { type DinoMetrics, type DinoState, attentionMaps, dinoStep, initDinoState, jitDinoStep } from '../../ssl/index.js';
import { figureDigits } from '../dino/figure-digits.js';
import { type CheckpointInfo, checkpointBytes, checkpointStateFromBytes } from '../dino/checkpoint.js';
import { type RunData, batchRows, normalisePixels, pickRows, runDataOf } from '../dino/data.js';
import { backboneKnn, clsFeatures, pixelKnn } from '../dino/evaluate.js';
import { type RunModel, runModel } from '../dino/model.js';
import { type DinoRunConfig, type PresetName, presets } from '../dino/presets.js';
import { type RunDefinition, RunError, dinoHyperparams } from '../dino/run-config.js';
import { stepViews } from '../dino/views.js';
import type { Mnist, MnistSplit } from '../support/mnist.js';

export interface SessionOptions {
  readonly preset: PresetName;
  /** Preset values to change, as the Node example's `--set name=value`. */
  readonly overrides?: Partial<DinoRunConfig>;
  /** Training steps (default: the preset's). */
  readonly steps?: number;
  readonly seed?: number;
  /** Train digits, k-NN bank and test digits (fixed subsets, as the Node example's flags). */
  readonly trainLimit?: number;
  readonly knnTrain?: number;
  readonly testLimit?: number;
  /** Train with `jitDinoStep` (default) or eager `dinoStep`. */
  readonly jit?: boolean;
}

export interface Attention {
  /** [n, heads, grid, grid] CLS attention of the last block, row-major. */
  readonly maps: Float32Array;
  /** [n, grid·grid] the head-averaged map. */
  readonly meanMaps: Float32Array;
  readonly count: number;
  readonly heads: number;
  readonly grid: number;
}

export interface Evaluation {
  readonly step: number;
  /** Teacher CLS k-NN top-1 / top-5 (%). */
  readonly top1: number;
  readonly top5: number;
}

export class DinoSession {
  readonly definition: RunDefinition;
  readonly net: RunModel;
  readonly data: RunData;
  /** The test digits whose attention the page draws: the first of each class 0–7. */
  readonly figure: MnistSplit;
  state: DinoState<DinoModelParams>;
  readonly baselines: CheckpointInfo['baselines'];
  trainSeconds = 0;
  private readonly fresh: DinoState<DinoModelParams>;
  private readonly runKey: Key;
  private readonly dataKey: Key;
  private readonly trainKey: Key;
  private readonly trainStep: typeof dinoStep;
  /** The k-NN bank's teacher CLS features [N, D], refreshed by each evaluation (for the nearest digits). */
  private bankFeatures: Tensor | undefined;

  constructor(mnist: Mnist, options: SessionOptions, readonly backend: string) {
    const overrides = options.overrides ?? {};
    const config: DinoRunConfig = { ...presets[options.preset], ...overrides };
    const steps = options.steps ?? config.steps;
    this.definition = {
      preset: options.preset, overrides, config, steps, seed: options.seed ?? 0,
      trainLimit: options.trainLimit ?? 2000, knnTrain: options.knnTrain ?? 1000, testLimit: options.testLimit ?? 500,
    };
    this.data = runDataOf(mnist, this.definition);
    this.figure = figureDigits(this.data.test);
    this.runKey = random.key(this.definition.seed);
    const [initKey, dataKey, trainKey] = random.split(this.runKey, 3);
    this.dataKey = dataKey;
    this.trainKey = trainKey;
    this.net = runModel(config);
    this.fresh = initDinoState(initKey, this.net.model, config.outDim, dinoHyperparams(config, steps));
    this.state = this.fresh;
    this.trainStep = options.jit === false ? dinoStep : jitDinoStep();
    const randomInit = backboneKnn(this.fresh.teacher.backbone, this.net.evalConfig, this.data.bank, this.data.test);
    const rawPixels = pixelKnn(this.data.bank, this.data.test);
    this.baselines = { randomInit: randomInit.top1, randomInitTop5: randomInit.top5, rawPixels: rawPixels.top1, rawPixelsTop5: rawPixels.top5 };
  }

  get done(): boolean {
    return this.state.step >= this.definition.steps;
  }

  /**
   * One training step, the Node example's step `state.step` (its batch, crops and keys); with
   * `repeat`, step `repeat` instead each time, so every call sees the same batch and crops.
   */
  step(repeat?: number): DinoMetrics {
    const started = performance.now();
    const index = repeat ?? this.state.step;
    const { config } = this.definition;
    const [augmentKey, dropKey] = random.split(random.foldIn(this.trainKey, index), 2);
    const rows = batchRows(this.dataKey, index, this.data.train.labels.shape[0], config.batchSize);
    const images = take(this.data.train.images, tensor(rows, { shape: [rows.length], dtype: 'int32' }), 0);
    const next = this.trainStep(this.state, stepViews(augmentKey, images, rows, config), dropKey);
    this.state = next.state;
    this.trainSeconds += (performance.now() - started) / 1000;
    return next.metrics;
  }

  /** k-NN of the current teacher's CLS feature; keeps the bank's features for `nearest`. */
  evaluate(): Evaluation {
    const backbone = this.state.teacher.backbone;
    this.bankFeatures = clsFeatures(backbone, this.net.evalConfig, this.data.bank.images);
    const score = backboneKnn(backbone, this.net.evalConfig, this.data.bank, this.data.test);
    return { step: this.state.step, top1: score.top1, top5: score.top5 };
  }

  /** The teacher's last-block CLS attention on `images` [n, 1, 28, 28] in [0, 1] (default: the figure digits). */
  attention(images: Tensor = this.figure.images): Attention {
    const config = this.net.evalConfig;
    const { attention } = vit(stopGradient(this.state.teacher.backbone), normalisePixels(images), { config, returnAttention: true });
    const [count, heads] = attention!.shape;
    const grid = Math.floor(images.shape[2] / config.patchSize);
    const maps = attentionMaps(attention!, { grid: [grid, grid] });
    const meanMaps = mean(reshape(maps, [count, heads, grid * grid]), { axis: 1 });
    return { maps: Float32Array.from(maps.dataSync()), meanMaps: Float32Array.from(meanMaps.dataSync()), count, heads, grid };
  }

  /** The `count` bank digits nearest to `image` [1, 1, 28, 28] by cosine of the teacher's CLS feature. */
  nearest(image: Tensor, count = 5): { rows: number[]; labels: number[]; similarities: number[] } {
    this.bankFeatures ??= clsFeatures(this.state.teacher.backbone, this.net.evalConfig, this.data.bank.images);
    const query = clsFeatures(this.state.teacher.backbone, this.net.evalConfig, image).dataSync();
    const bank = this.bankFeatures.dataSync();
    const width = query.length;
    const norm = (values: ArrayLike<number>, start: number) => {
      let total = 0;
      for (let i = 0; i < width; i++) total += values[start + i] ** 2;
      return Math.sqrt(total) || 1;
    };
    const queryNorm = norm(query, 0);
    const scored: { row: number; similarity: number }[] = [];
    for (let row = 0; row * width < bank.length; row++) {
      let dot = 0;
      for (let i = 0; i < width; i++) dot += query[i] * bank[row * width + i];
      scored.push({ row, similarity: dot / (queryNorm * norm(bank, row * width)) });
    }
    scored.sort((a, b) => b.similarity - a.similarity);
    const best = scored.slice(0, count);
    const labels = this.data.bank.labels.dataSync();
    return { rows: best.map((entry) => entry.row), labels: best.map((entry) => labels[entry.row]), similarities: best.map((entry) => entry.similarity) };
  }

  /** The run's checkpoint, the bytes the Node example writes to checkpoint.safetensors. */
  checkpoint(): Uint8Array {
    return checkpointBytes(this.state, { definition: this.definition, runKey: this.runKey, backend: this.backend }, { trainSeconds: this.trainSeconds, baselines: this.baselines });
  }

  /** The checkpoint's tensors by their official names, read from the state itself (not from the bytes). */
  checkpointTensors(): Record<string, Tensor> {
    const moments: Record<string, { exp_avg: Tensor; exp_avg_sq: Tensor }> = {};
    for (const [name, slot] of Object.entries(this.state.optimizer)) moments[name] = { exp_avg: slot.expAvg, exp_avg_sq: slot.expAvgSq };
    return flattenNamed({ student: this.state.student, teacher: this.state.teacher, center: { value: this.state.center }, optimizer: moments, rng: { key: this.runKey } });
  }

  /** Continues from a checkpoint of this run (its step is read from the file's metadata). */
  load(bytes: Uint8Array, source: string): void {
    const step = Number(decodeSafetensors(bytes).metadata.step);
    if (!Number.isInteger(step) || step < 0 || step > this.definition.steps) throw new RunError(`${source}: its step ${step} is not one of this run's 0…${this.definition.steps}`);
    this.state = checkpointStateFromBytes(bytes, this.fresh, step, source);
    this.bankFeatures = undefined;
  }

  /** The bank digit `row` as [1, 1, 28, 28] (for drawing the nearest digits). */
  bankImage(row: number): Tensor {
    return pickRows(this.data.bank, [row]).images;
  }
}
