/**
 * The SiameseIM loss (official `models_sim.py: compute_unigrad_loss`): a squared error to
 * layer-normalised targets plus a negative term pᵀCp through the *current batch's* target
 * correlation C. There is no moving-average correlation (that belongs to UniGrad, not SiameseIM).
 *
 *   z   = LN(target)            (no affine, eps 1e-5, biased variance, no gradient)
 *   C   = Zᵀ Z / M              (uncentred, D × D, no gradient; averaged over shards)
 *   pos = mean_rows ‖p − z‖²
 *   neg = mean_rows pᵀ C p
 *   loss = (pos + λ·neg) / D    (λ = negWeight = 0.02)
 */
import { type Tensor, add, div, layerNorm, matmul, matrixTranspose, mean, mul, reshape, square, stopGradient, sub, sum } from '../core/index.js';
import { ShapeError } from '../core/index.js';

export interface SiameseimLossOptions {
  /** λ, the weight of the negative term (official default and released config: 0.02). */
  readonly negWeight?: number;
  /** `--online_ln`: the prediction passes through a frozen, identity-affine LayerNorm first (default false). */
  readonly onlineLn?: boolean;
  /** Epsilon of both LayerNorms (1e-5, PyTorch's default). */
  readonly lnEps?: number;
}

export interface SiameseimLossTerms {
  /** (positive + λ·negative) / D, a scalar. */
  readonly loss: Tensor;
  /** mean over rows of ‖p − z‖², a scalar. */
  readonly positive: Tensor;
  /** mean over rows of pᵀCp (not yet weighted by λ), a scalar. */
  readonly negative: Tensor;
}

export interface SiameseimLossResult extends SiameseimLossTerms {
  /** C = Zᵀ Z / M of this batch's normalised targets, [D, D]; carries no gradient. */
  readonly correlation: Tensor;
  /** z = LN(target) flattened to rows, [M, D]; carries no gradient. */
  readonly targetNormalised: Tensor;
}

/** Flattens every axis but the last into rows: [..., D] → [M, D]. */
function rows(x: Tensor, what: string): Tensor {
  if (x.rank < 2) throw new ShapeError(`siameseimLoss: ${what} needs rank ≥ 2 ([..., D]), got shape [${x.shape.join(', ')}]`);
  return reshape(x, [-1, x.shape[x.rank - 1]]);
}

/**
 * z = LN(target) without affine, as rows.
 * Arguments: target [N, L, D] (any leading axes). Returns: [N·L, D], detached from every tape.
 */
export function normaliseTargets(target: Tensor, lnEps = 1e-5): Tensor {
  return stopGradient(layerNorm(rows(target, 'target'), undefined, undefined, { eps: lnEps }));
}

/**
 * C = Zᵀ Z / M, the uncentred correlation of normalised target rows.
 * Arguments: targetNormalised [M, D]. Returns: [D, D], detached.
 */
export function targetCorrelation(targetNormalised: Tensor): Tensor {
  const z = stopGradient(targetNormalised);
  return div(matmul(matrixTranspose(z), z), z.shape[0]);
}

/** The average of per-shard correlations: what `all_reduce(C) / world_size` computes. */
export function averageCorrelations(correlations: readonly Tensor[]): Tensor {
  if (correlations.length === 0) throw new ShapeError('averageCorrelations: needs at least one correlation');
  return div(correlations.reduce((total, c) => add(total, c)), correlations.length);
}

/**
 * The loss given already-normalised targets and a correlation (for sharded use).
 * Arguments: pred [N, L, D] (or [M, D]); targetNormalised [N·L, D]; correlation [D, D].
 */
export function siameseimLossTerms(pred: Tensor, targetNormalised: Tensor, correlation: Tensor, options: SiameseimLossOptions = {}): SiameseimLossTerms {
  const { negWeight = 0.02, onlineLn = false, lnEps = 1e-5 } = options;
  const raw = rows(pred, 'pred');
  const depth = raw.shape[1];
  if (targetNormalised.shape.join() !== raw.shape.join()) {
    throw new ShapeError(`siameseimLoss: pred has ${raw.shape[0]} rows of width ${depth} but the targets have shape [${targetNormalised.shape.join(', ')}]`);
  }
  const p = onlineLn ? layerNorm(raw, undefined, undefined, { eps: lnEps }) : raw;
  const z = stopGradient(targetNormalised);
  const c = stopGradient(correlation);
  const positive = mean(sum(square(sub(p, z)), { axis: -1 }));
  const negative = mean(sum(mul(matmul(p, c), p), { axis: -1 }));
  const loss = div(add(positive, mul(negative, negWeight)), depth);
  return { loss, positive, negative };
}

/**
 * The SiameseIM loss of one batch (one rank).
 * Arguments: pred [N, L, D], the predictions for view b's tokens; target [N, L, D], the raw
 * target-branch outputs (normalised here). Returns the loss, its two terms, C and z.
 */
export function siameseimLoss(pred: Tensor, target: Tensor, options: SiameseimLossOptions = {}): SiameseimLossResult {
  const targetNormalised = normaliseTargets(target, options.lnEps);
  const correlation = targetCorrelation(targetNormalised);
  return { ...siameseimLossTerms(pred, targetNormalised, correlation, options), correlation, targetNormalised };
}

/**
 * The loss as computed on several data-parallel shards: each shard's correlation is averaged
 * (the official all-reduce), then each shard computes its own loss against the shared C. DDP
 * averages the shards' gradients, so `meanLoss` has the gradient a single optimizer step sees.
 * Arguments: preds[s], targets[s] of shape [N_s, L, D]. Returns per-shard terms, C and the mean loss.
 */
export function shardedSiameseimLoss(preds: readonly Tensor[], targets: readonly Tensor[], options: SiameseimLossOptions = {}): {
  readonly shards: readonly (SiameseimLossTerms & { readonly localCorrelation: Tensor })[];
  readonly correlation: Tensor;
  readonly meanLoss: Tensor;
} {
  if (preds.length !== targets.length || preds.length === 0) {
    throw new ShapeError(`shardedSiameseimLoss: needs as many predictions as targets (at least one), got ${preds.length} and ${targets.length}`);
  }
  const normalised = targets.map((t) => normaliseTargets(t, options.lnEps));
  const local = normalised.map(targetCorrelation);
  const correlation = averageCorrelations(local);
  const shards = preds.map((p, s) => ({ ...siameseimLossTerms(p, normalised[s], correlation, options), localCorrelation: local[s] }));
  const meanLoss = div(shards.map((s) => s.loss).reduce((a, b) => add(a, b)), shards.length);
  return { shards, correlation, meanLoss };
}
