/**
 * Initialisers as DINO's `vision_transformer.py` uses them: truncated normal with ABSOLUTE bounds,
 * PyTorch's default Linear/Conv init where DINO keeps it, zeros and ones. Each takes an explicit key.
 */
import { OptionError, type DType, type Tensor, add, full, mul, zeros } from '../core/index.js';
import { random } from '../core/random.js';

function floatDType(dtype: DType): 'float32' | 'float64' {
  if (dtype !== 'float32' && dtype !== 'float64') throw new OptionError(`init: dtype must be one of float32, float64; got ${JSON.stringify(dtype)}`);
  return dtype;
}

export type LinearInit = 'truncNormal' | 'torchDefault' | 'xavierUniform' | 'zeros';

export interface TruncNormalOptions {
  /** Default 0. */
  readonly mean?: number;
  /** Default 0.02 (DINO). */
  readonly std?: number;
  /** Absolute lower bound, default −2 (DINO's `trunc_normal_(std=.02)` keeps a = −2: that is −100σ). */
  readonly lower?: number;
  /** Absolute upper bound, default 2. */
  readonly upper?: number;
  readonly dtype?: DType;
}

/**
 * N(mean, std²) truncated to [lower, upper] in absolute units, as `utils.trunc_normal_`:
 * with the defaults (std 0.02, bounds ±2) this is in effect a plain N(0, 0.02²).
 */
export function truncNormal(key: Tensor, shape: readonly number[], options: TruncNormalOptions = {}): Tensor {
  const { mean = 0, std = 0.02, lower = -2, upper = 2, dtype = 'float32' } = options;
  const standard = random.truncatedNormal(key, shape, { lower: (lower - mean) / std, upper: (upper - mean) / std, dtype: floatDType(dtype) });
  return add(mul(standard, std), mean);
}

/** U(−bound, bound). */
export function uniformSymmetric(key: Tensor, shape: readonly number[], bound: number, dtype: DType = 'float32'): Tensor {
  return random.uniform(key, shape, { dtype: floatDType(dtype), minval: -bound, maxval: bound });
}

/** fan_in of a PyTorch weight [out, in, ...kernel]: in × the kernel's size. */
export function fanIn(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * PyTorch's default `nn.Linear` / `nn.Conv2d` weight init, `kaiming_uniform_(a=√5)`:
 * gain √(2/(1+5)) and bound gain·√(3/fan_in) = 1/√fan_in, so U(±1/√fan_in).
 */
export function torchDefaultWeight(key: Tensor, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return uniformSymmetric(key, shape, 1 / Math.sqrt(fanIn(shape)), dtype);
}

/** PyTorch's default bias init for Linear and Conv: U(±1/√fan_in). */
export function torchDefaultBias(key: Tensor, size: number, fanInOfWeight: number, dtype: DType = 'float32'): Tensor {
  return uniformSymmetric(key, [size], 1 / Math.sqrt(fanInOfWeight), dtype);
}

/** `xavier_uniform_` on a [out, in] weight: U(±√(6/(in + out))). */
export function xavierUniform(key: Tensor, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  const fanOut = shape[0] * receptive;
  return uniformSymmetric(key, shape, Math.sqrt(6 / (fanIn(shape) + fanOut)), dtype);
}

/** The weight of a Linear layer under the named scheme. */
export function initWeight(key: Tensor, shape: readonly number[], init: LinearInit, dtype: DType): Tensor {
  switch (init) {
    case 'truncNormal':
      return truncNormal(key, shape, { dtype });
    case 'torchDefault':
      return torchDefaultWeight(key, shape, dtype);
    case 'xavierUniform':
      return xavierUniform(key, shape, dtype);
    case 'zeros':
      return zeros(shape, dtype);
  }
}

/** The bias that goes with `initWeight`: U(±1/√fan_in) for `torchDefault`, zeros otherwise (DINO, MAE). */
export function initBias(key: Tensor, size: number, fanInOfWeight: number, init: LinearInit, dtype: DType): Tensor {
  return init === 'torchDefault' ? torchDefaultBias(key, size, fanInOfWeight, dtype) : zeros([size], dtype);
}

/** A tensor of ones (LayerNorm γ, DINO's weight_g). */
export function onesInit(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** A tensor of zeros (biases, LayerNorm β). */
export function zerosInit(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return zeros(shape, dtype);
}
