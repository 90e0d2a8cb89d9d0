import { add, div, maximum, mul, sub } from '../ops/binary.js';
import { sum } from '../ops/reduce.js';
import { rsqrt, sqrt, square } from '../ops/unary.js';
import type { Tensor } from '../tensor.js';
import { mean, variance } from './statistics.js';

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
  const centred = sub(x, mean(x, { axis, keepDims: true }));
  let y = mul(centred, rsqrt(add(variance(x, { axis, keepDims: true }), eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/** x / max(‖x‖₂, eps) along `axis` (default −1), as PyTorch's `F.normalize`. */
export function l2Normalize(x: Tensor, axis = -1, eps = 1e-12): Tensor {
  const norm = sqrt(sum(square(x), { axis, keepDims: true }));
  return div(x, maximum(norm, eps));
}
