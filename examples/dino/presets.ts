/**
 * The run configurations of `examples/dino-mnist.ts`: one flat, JSON-able object per preset that
 * fixes the model, the crops, the optimiser and the teacher. Schedules are written as fractions of
 * their horizon (warmup 10 %, τt warmup 30 %, last layer frozen 5 %), which is the run's `--steps`
 * unless `scheduleSteps` lays them out over a longer run that this one stops early.
 *
 * Why the default is not DINO's recipe: on 28×28 digits with a few minutes of compute DINO alone
 * barely beats its random network; BatchNorm in the head, ×4 block weights, K = 32, EMA 0.99 and
 * DINOv2's KoLeo regulariser are what made it learn. The screens and their commands: docs/experiments.md.
 */

export interface DinoRunConfig {
  /** Training steps when `--steps` is not given. */
  readonly steps: number;
  /**
   * The steps the schedules (lr, weight decay, EMA, τt, last-layer freeze) are laid out over; 0: the
   * run's own steps. Larger than the run: it stops early, before lr decays and the EMA reaches 1.
   */
  readonly scheduleSteps: number;
  readonly batchSize: number;

  // backbone: the nn ViT on 28×28 one-channel digits
  readonly patchSize: number;
  readonly embedDim: number;
  readonly depth: number;
  readonly numHeads: number;
  readonly mlpRatio: number;
  /** Stochastic depth of the student's last block (the teacher has none). */
  readonly dropPathRate: number;
  /** Multiplies the trunc-normal(0.02) weights of every block (qkv, proj, fc1, fc2); 1 is DINO's init. */
  readonly initScale: number;

  // DINO head: MLP → l2 bottleneck → K weight-normalised prototypes
  readonly outDim: number;
  readonly hiddenDim: number;
  readonly bottleneckDim: number;
  readonly headLayers: number;
  /** true: the prototype norms g stay 1 and frozen (DINO's default). */
  readonly normLastLayer: boolean;
  /** BatchNorm after each hidden Linear of the head (DINO's `use_bn_in_head`, off by default there). */
  readonly headBatchNorm: boolean;

  // multi-crop: 2 global crops of 28×28, then `localCrops` crops of `localSize`
  readonly globalScale: readonly [number, number];
  readonly localCrops: number;
  readonly localSize: number;
  readonly localScale: readonly [number, number];
  /** Aspect-ratio range w/h of every crop (DINO: 3/4–4/3); wider ranges squash and stretch digits. */
  readonly ratio: readonly [number, number];
  /** Blur probabilities of global 1, global 2 and the locals (DINO: 1, 0.1, 0.5). */
  readonly blurProbs: readonly [number, number, number];
  /** σ range of the blur in output pixels (DINO: 0.1–2). */
  readonly blurSigma: readonly [number, number];
  /** Solarisation probabilities of global 1, global 2 and the locals (DINO: 0, 0.2, 0). */
  readonly solarizeProbs: readonly [number, number, number];
  /** Stroke-width jitter per crop, t ~ U(±strokeJitter) towards dilation or erosion (0: off, as DINO). */
  readonly strokeJitter: number;
  /** Per image, before cropping: rotation U(±affineDegrees)° and shift U(±affineShift) px, bilinear, zero fill (0, 0: off, as DINO). */
  readonly affineDegrees: number;
  readonly affineShift: number;

  // optimiser: AdamW, peak lr = lr · batchSize / 256 after a linear warmup, cosine to minLr
  readonly lr: number;
  readonly minLr: number;
  readonly warmupFraction: number;
  readonly weightDecay: number;
  readonly weightDecayEnd: number;
  /** Per-parameter gradient norm cap (0: off). */
  readonly clipGrad: number;
  readonly freezeLastLayerFraction: number;

  // teacher
  /** EMA momentum at step 0, rising to 1 along a cosine. */
  readonly momentumTeacher: number;
  readonly warmupTeacherTemp: number;
  readonly teacherTemp: number;
  readonly teacherTempWarmupFraction: number;
  readonly studentTemp: number;
  readonly centerMomentum: number;
  /** DINOv2's KoLeo on the student CLS feature of each global crop, this weight (0: off, as DINO). */
  readonly koleoWeight: number;
}

/** The official DINO recipe scaled to digits (issue 6), kept fixed as a benchmark. */
const benchVitMnist: DinoRunConfig = {
  steps: 1000,
  scheduleSteps: 0,
  batchSize: 32,
  patchSize: 4, embedDim: 64, depth: 4, numHeads: 4, mlpRatio: 4, dropPathRate: 0.1, initScale: 1,
  outDim: 1024, hiddenDim: 256, bottleneckDim: 64, headLayers: 3, normLastLayer: true, headBatchNorm: false,
  globalScale: [0.4, 1], localCrops: 4, localSize: 12, localScale: [0.05, 0.4], ratio: [3 / 4, 4 / 3],
  blurProbs: [1, 0.1, 0.5], blurSigma: [0.1, 2], solarizeProbs: [0, 0.2, 0], strokeJitter: 0, affineDegrees: 0, affineShift: 0,
  lr: 5e-4, minLr: 1e-6, warmupFraction: 0.1, weightDecay: 0.04, weightDecayEnd: 0.4, clipGrad: 3, freezeLastLayerFraction: 0.05,
  momentumTeacher: 0.996, warmupTeacherTemp: 0.04, teacherTemp: 0.07, teacherTempWarmupFraction: 0.3, studentTemp: 0.1, centerMomentum: 0.9, koleoWeight: 0,
};

/**
 * The K = 32, teacher EMA 0.99 recipe of the PyTorch screens (docs/experiments.md), exactly (1,000 steps): DINO with
 * BatchNorm in the head, block weights ×4, digit-sized crops with a small rotation and shift, τt 0.04.
 */
const k32Ema099: DinoRunConfig = {
  ...benchVitMnist,
  steps: 1000,
  batchSize: 64,
  patchSize: 7,
  initScale: 4,
  outDim: 32,
  headBatchNorm: true,
  globalScale: [0.7, 1], localSize: 14, localScale: [0.25, 0.6],
  blurSigma: [(0.1 * 28) / 224, (2 * 28) / 224],
  affineDegrees: 15, affineShift: 2.5,
  lr: 8e-3,
  momentumTeacher: 0.99,
  warmupTeacherTemp: 0.04,
  teacherTemp: 0.04,
};

/** The recipe above with DINOv2's KoLeo regulariser at weight 0.1 on the student CLS feature. */
const k32Ema099Koleo: DinoRunConfig = { ...k32Ema099, koleoWeight: 0.1 };

/** Where the method goes with more compute: the KoLeo recipe for 30–60 minutes on 2 cores. */
const long: DinoRunConfig = { ...k32Ema099Koleo, steps: 4000 };

/**
 * `npm start`: the first 1,100 steps of `long` (as many as fit 10 minutes on 2 cores, evaluation
 * included). Stopping a long schedule early beat a whole short one: lr stays high and the EMA near
 * 0.99 where a 1,000-step schedule has decayed both (docs/experiments.md).
 */
const defaultPreset: DinoRunConfig = { ...long, steps: 1100, scheduleSteps: long.steps };

/**
 * The default's recipe at patch 4, whose 7×7 attention grid a person can read (patch 7 gives 4×4), with
 * 12² local crops (a multiple of the patch); a step costs about twice the default's, so it runs 600.
 */
const attention: DinoRunConfig = { ...defaultPreset, patchSize: 4, localSize: 12, steps: 600 };

/** A seconds-long run for the smoke test: patch 7, width 16, one block, K 64. */
const tiny: DinoRunConfig = {
  ...benchVitMnist,
  steps: 4,
  batchSize: 8,
  patchSize: 7, embedDim: 16, depth: 1, numHeads: 2, mlpRatio: 2,
  outDim: 64, hiddenDim: 32, bottleneckDim: 16,
  localCrops: 2, localSize: 14,
};

export const presets = { default: defaultPreset, long, attention, 'k32-ema099': k32Ema099, 'k32-ema099-koleo': k32Ema099Koleo, 'bench-vit-mnist': benchVitMnist, tiny } as const;
export type PresetName = keyof typeof presets;
export const presetNames = Object.keys(presets) as PresetName[];
