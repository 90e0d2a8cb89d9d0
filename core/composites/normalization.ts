import { OptionError } from '../errors.js';
import { add, div, maximum, mul } from '../ops/binary.js';
import { sum } from '../ops/reduce.js';
import { scaleShift } from '../ops/scale-shift.js';
import { standardize } from '../ops/standardize.js';
import { sqrt, square } from '../ops/unary.js';
import { checkArgument, checkAxisOrOptions, checkOptions, checkTensor, option } from '../options.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { alongAxis } from './axes.js';

export interface LayerNormOptions {
  /** Added to the variance before the square root (PyTorch's default 1e-5; DINO's ViT uses 1e-6). */
  readonly eps?: number;
  /** The axis normalised (default −1, the feature axis). */
  readonly axis?: number;
}

const layerNormOptionSpec = { eps: option.number, axis: option.axis };
const optionalTensor = { ...option.tensor, expected: 'a Tensor or undefined', fits: (v: unknown) => v === undefined || option.tensor.fits(v) };

/**
 * Layer normalisation over the last axis: (x − mean) / √(var + eps) · weight + bias, with the
 * biased (population) variance as PyTorch does. `weight` and `bias` are optional ([D] each);
 * `options` is `{eps, axis}`.
 */
export function layerNorm(x: Tensor, weight?: Tensor, bias?: Tensor, options?: LayerNormOptions): Tensor {
  checkArgument('layerNorm', 'weight', weight, optionalTensor);
  checkArgument('layerNorm', 'bias', bias, optionalTensor);
  const { eps = 1e-5, axis = -1 } = checkOptions('layerNorm', options, layerNormOptionSpec);
  let y = alongAxis('layerNorm', (t) => standardize(t, eps), x, axis);
  // the usual case, [D] vectors on the last axis, is one fused pass; others broadcast
  const lastAxis = normalizeAxis('layerNorm', axis, x.rank) === x.rank - 1;
  if (weight && lastAxis && weight.rank === 1 && (!bias || bias.rank === 1)) return scaleShift(y, weight, bias);
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

export interface L2NormalizeOptions {
  /** The axis normalised (default −1). */
  readonly axis?: number;
  /** The smallest norm divided by (default 1e-12, as PyTorch). */
  readonly eps?: number;
}

const l2NormalizeOptionSpec = { axis: option.axis, eps: option.number };

/**
 * x / max(‖x‖₂, eps) along an axis, as PyTorch's `F.normalize`: `l2Normalize(x, 1)` or
 * `l2Normalize(x, {axis: 1, eps: 1e-6})` (defaults −1 and 1e-12).
 */
export function l2Normalize(x: Tensor, options?: number | L2NormalizeOptions): Tensor {
  checkTensor('l2Normalize', 'x', x);
  // eps was once a third argument; refuse it rather than drop it
  if (arguments.length > 2) throw new OptionError('l2Normalize: takes (x, axis) or (x, {axis, eps}); got a third argument');
  const { axis = -1, eps = 1e-12 } = checkAxisOrOptions('l2Normalize', options, l2NormalizeOptionSpec);
  const norm = sqrt(sum(square(x), { axis, keepDims: true }));
  return div(x, maximum(norm, eps));
}
