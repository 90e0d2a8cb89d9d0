import { add, div, maximum, mul } from '../ops/binary.js';
import { sum } from '../ops/reduce.js';
import { scaleShift } from '../ops/scale-shift.js';
import { standardize } from '../ops/standardize.js';
import { sqrt, square } from '../ops/unary.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { alongAxis } from './axes.js';

export interface LayerNormOptions {
  /** Added to the variance before the square root (PyTorch's default 1e-5; DINO's ViT uses 1e-6). */
  readonly eps?: number;
  /** The axis normalised (default −1, the feature axis). */
  readonly axis?: number;
}

/**
 * Layer normalisation over the last axis: (x − mean) / √(var + eps) · weight + bias, with the
 * biased (population) variance as PyTorch does. `weight` and `bias` are optional ([D] each).
 */
export function layerNorm(x: Tensor, weight?: Tensor, bias?: Tensor, options: LayerNormOptions = {}): Tensor {
  const { eps = 1e-5, axis = -1 } = options;
  let y = alongAxis('layerNorm', (t) => standardize(t, eps), x, axis);
  // the usual case, [D] vectors on the last axis, is one fused pass; others broadcast
  const lastAxis = normalizeAxis('layerNorm', axis, x.rank) === x.rank - 1;
  if (weight && lastAxis && weight.rank === 1 && (!bias || bias.rank === 1)) return scaleShift(y, weight, bias);
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/** x / max(‖x‖₂, eps) along `axis` (default −1), as PyTorch's `F.normalize`. */
export function l2Normalize(x: Tensor, axis = -1, eps = 1e-12): Tensor {
  const norm = sqrt(sum(square(x), { axis, keepDims: true }));
  return div(x, maximum(norm, eps));
}
