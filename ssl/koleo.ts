/**
 * KoLeo, the Kozachenko–Leonenko differential-entropy regulariser of DINOv2 (Oquab et al., 2023;
 * `dinov2/loss/koleo_loss.py`), used by the example's default preset on the student's CLS feature
 * (docs/dino.md). It pushes each feature away from its nearest neighbour in the batch, so the
 * features spread over the sphere instead of huddling — what DINO's centering alone did not do on digits.
 *
 *   x̂_b   = x_b / max(‖x_b‖, 1e-8)
 *   n(b)  = argmax_{j≠b} x̂_b·x̂_j                 (no gradient through the choice)
 *   loss  = −1/B Σ_b log(‖x̂_b − x̂_{n(b)} + 1e-8‖ + 1e-8)
 *
 * The 1e-8 inside the norm is torch's `PairwiseDistance(eps=1e-8)`, which adds eps to the difference.
 */
import { type Tensor, OptionError, ShapeError, add, div, eye, greaterEqual, l2Normalize, log, matmul, matrixTranspose, max, mean, mul, neg, sliceAxis, sqrt, square, stopGradient, sub, sum } from '../core/index.js';

const eps = 1e-8;

/**
 * The nearest neighbour of each row among the other rows, as a one-hot matrix [B, B] cut from the
 * tape (a row ties between several neighbours only for equal features; it then averages them).
 * `normalized` [B, D] rows of unit norm.
 */
export function nearestNeighbourSelection(normalized: Tensor): Tensor {
  const batch = normalized.shape[0];
  const values = stopGradient(normalized);
  // the diagonal (similarity 1) is pushed below every other similarity (≥ −1), as torch's fill_(-1)
  const similarity = sub(matmul(values, matrixTranspose(values)), mul(eye(batch, batch, normalized.dtype), 3));
  const oneHot = greaterEqual(similarity, max(similarity, { axis: 1, keepDims: true }));
  return stopGradient(div(oneHot, sum(oneHot, { axis: 1, keepDims: true })));
}

/**
 * DINOv2's KoLeo loss. Arguments: `features` [B, D], B ≥ 2 (a batch of one has no neighbour).
 * Returns a scalar; the gradient flows into every row, through both ends of each nearest-neighbour distance.
 */
export function koleoLoss(features: Tensor): Tensor {
  if (features.rank !== 2) throw new ShapeError(`koleoLoss: features must be [B, D], got [${features.shape}]`);
  if (features.shape[0] < 2) throw new OptionError(`koleoLoss: needs a batch of at least 2 rows, got ${features.shape[0]}`);
  const normalized = l2Normalize(features, { axis: 1, eps });
  const neighbours = matmul(nearestNeighbourSelection(normalized), normalized);
  const distance = sqrt(sum(square(add(sub(normalized, neighbours), eps)), { axis: 1 }));
  return neg(mean(log(add(distance, eps))));
}

/**
 * KoLeo summed over the two global crops, each its own batch (as DINOv2 applies it per crop).
 * `features` [V·B, D] crop-major, rows 0..B−1 and B..2B−1 being the global crops. Returns a scalar.
 */
export function globalCropKoleo(features: Tensor, batch: number): Tensor {
  return add(koleoLoss(sliceAxis(features, 0, 0, batch)), koleoLoss(sliceAxis(features, 0, batch, 2 * batch)));
}
