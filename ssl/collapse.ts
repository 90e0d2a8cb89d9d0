/**
 * Measures of the two collapse modes of DINO (paper §5.3, Fig. 7; docs/dino.md §9):
 * a uniform output (entropy h(P_t) → log K, reached without sharpening) and an output dominated by
 * one prototype (h(P_t) → 0, reached without centering). Both send KL(P_t‖P_s) → 0. `teacherEntropy`
 * and `teacherStudentKl` are tensors without gradient (the DINO step computes h(P_t) inside its
 * compiled half); `collapseMetrics` reads them and the rest back as host numbers.
 */
import { type Tensor, OptionError, ShapeError, div, exp, l2Normalize, mul, neg, stopGradient, sub, sum } from '../core/index.js';
import { type DinoLossOptions, dinoLoss, teacherLogTargets } from './dino-loss.js';

/**
 * h(P_t): the entropy −Σ_k q log q of the teacher targets, averaged over the 2B teacher rows.
 * Each teacher crop enters V − 1 pairs of the loss, so this row mean is also the pair average
 * that the decomposition loss = h(P_t) + KL(P_t‖P_s) needs. Returns a scalar (no gradient).
 */
export function teacherEntropy(teacherOut: Tensor, center: Tensor, teacherTemp: number | Tensor): Tensor {
  const logTargets = teacherLogTargets(teacherOut, center, teacherTemp);
  return neg(div(sum(mul(exp(logTargets), logTargets)), teacherOut.shape[0]));
}

/**
 * KL(P_t‖P_s) averaged exactly like the loss: over the 2V − 2 pairs (i, v ≠ i) and the B images,
 * mean Σ_k q_i (log q_i − log p_v). Equal to dinoLoss − teacherEntropy (paper §5.3). Scalar, no gradient.
 */
export function teacherStudentKl(studentOut: Tensor, teacherOut: Tensor, center: Tensor, options: DinoLossOptions): Tensor {
  const loss = dinoLoss(stopGradient(studentOut), teacherOut, center, options);
  return sub(loss, teacherEntropy(teacherOut, center, options.teacherTemp));
}

export interface CollapseInputs {
  /** Raw teacher head outputs of the 2 global crops, [2B, K]. */
  readonly teacherOut: Tensor;
  /** The centre the loss used, [1, K]. */
  readonly center: Tensor;
  readonly teacherTemp: number;
  /** Student head outputs of all V crops, [V·B, K], crop-major; with `ncrops`, gives the KL. */
  readonly studentOut?: Tensor;
  readonly ncrops?: number;
  readonly studentTemp?: number;
  /** Backbone features (e.g. the teacher's CLS outputs), [N, D]; gives `featureStd`. */
  readonly features?: Tensor;
}

export interface CollapseMetrics {
  /** h(P_t): mean over the 2B teacher rows of −Σ q log q (nats). 0 = one-hot, log K = uniform. */
  readonly teacherEntropy: number;
  /** log K, the entropy of the uniform target, for scale. */
  readonly maxEntropy: number;
  /** KL(P_t‖P_s) averaged over the loss's 2V − 2 crop pairs and the batch (needs studentOut). */
  readonly kl?: number;
  /** Entropy of the batch-mean target (1/2B) Σ q: low when every row picks the same prototypes. */
  readonly marginalEntropy: number;
  /** Distinct argmax prototypes among the 2B teacher rows, divided by min(2B, K): 1/min(2B, K) when all rows agree. */
  readonly distinctPrototypes: number;
  /** Mean over feature dims of the std across rows of the l2-normalised features (0 = collapsed; ≈ 1/√D when spread). */
  readonly featureStd?: number;
}

/** The collapse measures of one step; see `CollapseMetrics` for each definition. */
export function collapseMetrics(inputs: CollapseInputs): CollapseMetrics {
  const { teacherOut, center, teacherTemp, studentOut, ncrops, studentTemp, features } = inputs;
  if (teacherOut.rank !== 2) throw new ShapeError(`collapseMetrics: teacherOut must be [2B, K], got [${teacherOut.shape}]`);
  const [rows, dim] = teacherOut.shape;
  const targets = exp(teacherLogTargets(teacherOut, center, teacherTemp)).dataSync();
  const marginal = new Float64Array(dim);
  const winners = new Set<number>();
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 0; k < dim; k++) {
      const q = targets[r * dim + k];
      marginal[k] += q / rows;
      if (q > targets[r * dim + best]) best = k;
    }
    winners.add(best);
  }
  let marginalEntropy = 0;
  marginal.forEach((p) => (marginalEntropy -= p > 0 ? p * Math.log(p) : 0));
  const metrics: CollapseMetrics = {
    teacherEntropy: teacherEntropy(teacherOut, center, teacherTemp).item(),
    maxEntropy: Math.log(dim),
    marginalEntropy,
    distinctPrototypes: winners.size / Math.min(rows, dim),
  };
  let kl: number | undefined;
  if (studentOut !== undefined) {
    if (ncrops === undefined) throw new OptionError('collapseMetrics: studentOut needs ncrops');
    const options: DinoLossOptions = { teacherTemp, ncrops, ...(studentTemp === undefined ? {} : { studentTemp }) };
    kl = teacherStudentKl(studentOut, teacherOut, center, options).item();
  }
  return { ...metrics, ...(kl === undefined ? {} : { kl }), ...(features === undefined ? {} : { featureStd: featureSpread(features) }) };
}

/** Mean over dims of the population std across rows of the l2-normalised rows of `features` [N, D]. */
export function featureSpread(features: Tensor): number {
  if (features.rank !== 2) throw new ShapeError(`featureSpread: features must be [N, D], got [${features.shape}]`);
  const [rows, dim] = features.shape;
  const values = l2Normalize(stopGradient(features), 1).dataSync();
  let total = 0;
  for (let d = 0; d < dim; d++) {
    let sum = 0;
    let sumSquares = 0;
    for (let r = 0; r < rows; r++) {
      const v = values[r * dim + d];
      sum += v;
      sumSquares += v * v;
    }
    const mean = sum / rows;
    total += Math.sqrt(Math.max(0, sumSquares / rows - mean * mean));
  }
  return total / dim;
}
