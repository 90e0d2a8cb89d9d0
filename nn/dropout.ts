/**
 * Dropout (per element) and drop path / stochastic depth (per sample), as timm and DINO define them:
 * kept values are scaled by 1/keep so the expectation is unchanged; both are the identity at eval.
 */
import { OptionError, type Tensor, div, mul } from '../core/index.js';
import { random } from '../core/random.js';

export interface DropOptions {
  /** Probability of dropping, in [0, 1). */
  readonly rate: number;
  /** Required when `train` is true and `rate` > 0. */
  readonly key?: Tensor;
  /** Default false: the identity. */
  readonly train?: boolean;
}

function active(layer: string, { rate, key, train = false }: DropOptions): boolean {
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) throw new OptionError(`${layer}: option rate must be a number in [0, 1); got ${JSON.stringify(rate)}`);
  if (!train || rate === 0) return false;
  if (key === undefined) throw new OptionError(`${layer}: option key is required when train is true and rate > 0`);
  return true;
}

/**
 * Zeroes each element with probability `rate` and scales the rest by 1/(1 − rate).
 * Arguments: `x` of any shape. Returns the same shape.
 */
export function dropout(x: Tensor, options: DropOptions): Tensor {
  if (!active('dropout', options)) return x;
  const keep = 1 - options.rate;
  const mask = random.bernoulli(options.key!, keep, x.shape, { dtype: x.dtype });
  return mul(div(x, keep), mask);
}

/**
 * Drops whole samples (the leading axis) with probability `rate`: out = x / keep · mask, mask [B, 1, …].
 * Arguments: `x` [B, ...]. Returns [B, ...]. In DINO each residual branch draws its own mask.
 */
export function dropPath(x: Tensor, options: DropOptions): Tensor {
  if (!active('dropPath', options)) return x;
  const keep = 1 - options.rate;
  const maskShape = x.shape.map((d, i) => (i === 0 ? d : 1));
  const mask = random.bernoulli(options.key!, keep, maskShape, { dtype: x.dtype });
  return mul(div(x, keep), mask);
}
