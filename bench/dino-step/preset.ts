/**
 * The `bench-vit-mnist` preset of the DINO-step benchmark (issue 7): one official DINO iteration on
 * random data, the same in every library. Plain numbers only, so a peer's process loads no tapegrad.
 *
 * One step: teacher on the 2 global crops (no drop path) → student on all 6 crops (drop path) →
 * DINO loss with the old centre → gradient → per-parameter clipping → AdamW → EMA teacher →
 * centre update. lr, weight decay and teacher momentum are held constant (no schedules), and the
 * last layer is not frozen for the first epoch (only its gain g is, as `norm_last_layer`).
 */
const presetValues = {
  imageSize: 28,
  localSize: 12,
  patchSize: 4,
  inChannels: 1,
  embedDim: 64,
  depth: 4,
  numHeads: 4,
  mlpRatio: 4,
  /** Stochastic depth of the student's last block; block i uses linspace(0, rate, depth)[i]. */
  dropPathRate: 0.1,
  layerNormEps: 1e-6,
  headHiddenDim: 256,
  headBottleneckDim: 64,
  /** K, the number of prototypes. */
  outDim: 1024,
  headLayers: 3,
  batch: 32,
  globalCrops: 2,
  localCrops: 4,
  studentTemp: 0.1,
  teacherTemp: 0.04,
  clipGrad: 3,
  lr: (5e-4 * 32) / 256,
  weightDecay: 0.04,
  beta1: 0.9,
  beta2: 0.999,
  adamEps: 1e-8,
  teacherMomentum: 0.996,
  centerMomentum: 0.9,
};

/** Every field a number, so code written against the preset also fits a variant of it. */
export type BenchPreset = { readonly [Field in keyof typeof presetValues]: number };

export const benchVitMnist: BenchPreset = Object.freeze(presetValues);

/** V, the number of crops the student sees. */
export const cropCount = (preset: BenchPreset = benchVitMnist) => preset.globalCrops + preset.localCrops;

/** Block i's stochastic-depth rate, torch.linspace(0, rate, depth)[i]. */
export function dropPathRates(dropPathRate: number, preset: BenchPreset = benchVitMnist): number[] {
  const { depth } = preset;
  return Array.from({ length: depth }, (_, i) => (depth === 1 ? 0 : (dropPathRate * i) / (depth - 1)));
}

/** The loss of uniform predictions, ln K: where the DINO loss starts. */
export const uniformLoss = (preset: BenchPreset = benchVitMnist) => Math.log(preset.outDim);

/**
 * Where the first loss must lie. The head's logits are cosines between a bottleneck feature and K
 * random prototypes, of std σ ≈ 1/√bottleneck, so the student's logits s/τs have std a = σ/τs and
 * the teacher's b = σ/τt. For Gaussian logits the loss −Σ q log p ≈ ln K + a²/2 − ρ·a·b, where ρ in
 * [0, 1] is the correlation between the two networks' logits (teacher = student at the start, but
 * on other crops). Returns that range, widened by 0.3 on each side.
 */
export function initialLossWindow(preset: BenchPreset = benchVitMnist): [number, number] {
  const sigma = 1 / Math.sqrt(preset.headBottleneckDim);
  const a = sigma / preset.studentTemp;
  const b = sigma / preset.teacherTemp;
  return [uniformLoss(preset) + (a * a) / 2 - a * b - 0.3, uniformLoss(preset) + (a * a) / 2 + 0.3];
}
