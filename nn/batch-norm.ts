/**
 * Batch normalisation over every axis but the last (channels last), as SiameseIM's `PermuteBN`:
 * tokens [B, T, D] are normalised per channel over all B·T tokens.
 *
 * Running statistics are not parameters and are not kept here. With no `running` option the layer
 * uses the batch statistics (PyTorch's training mode, which is how SiameseIM always runs its BN,
 * in both branches). To normalise with fixed statistics (PyTorch's eval mode), pass `running`; to
 * maintain them, call `updateRunningStats` after a forward, outside any gradient transform.
 */
import { DTypeError, ShapeError, type DType, type Tensor, add, mean, mul, rsqrt, stopGradient, sub, variance } from '../core/index.js';
import { onesInit, zerosInit } from './init.js';
import { checkInteger, checkKnownOptions } from './options.js';

/** γ (`weight`) and β (`bias`), each [D]. */
export type BatchNormParams = {
  readonly weight: Tensor;
  readonly bias: Tensor;
};

/** PyTorch's `running_mean` and `running_var` buffers, each [D]. */
export type RunningStats = {
  readonly mean: Tensor;
  readonly var: Tensor;
};

export interface BatchNormConfig {
  readonly dim: number;
  readonly dtype?: DType;
}

/** γ = 1, β = 0. */
export function initBatchNorm(config: BatchNormConfig): BatchNormParams {
  checkKnownOptions('initBatchNorm', config, ['dim', 'dtype']);
  const dim = checkInteger('initBatchNorm', 'dim', config.dim, 1);
  return { weight: onesInit([dim], config.dtype), bias: zerosInit([dim], config.dtype) };
}

/** Running statistics as PyTorch starts them: mean 0, variance 1. */
export function initRunningStats(config: BatchNormConfig): RunningStats {
  return { mean: zerosInit([config.dim], config.dtype), var: onesInit([config.dim], config.dtype) };
}

export interface BatchNormOptions {
  /** Default 1e-5 (PyTorch). */
  readonly eps?: number;
  /** Fixed statistics to normalise with instead of the batch's (eval mode). */
  readonly running?: RunningStats;
  readonly name?: string;
}

const reducedAxes = (x: Tensor) => Array.from({ length: x.rank - 1 }, (_, i) => i);

/**
 * (x − μ)/√(σ² + eps)·γ + β with μ, σ² (biased) per channel over all leading axes.
 * Arguments: `x` [..., D], e.g. [B, D] (BatchNorm1d) or tokens [B, T, D] (PermuteBN). Returns the same shape.
 */
export function batchNorm(params: BatchNormParams, x: Tensor, options: BatchNormOptions = {}): Tensor {
  const { eps = 1e-5, running, name = 'batchNorm' } = options;
  const dim = params.weight.shape[0];
  if (x.rank < 2 || x.shape[x.rank - 1] !== dim) {
    throw new ShapeError(`batchNorm '${name}': argument x has shape [${x.shape.join(', ')}] but needs rank ≥ 2 with ${dim} channels on the last axis`);
  }
  if (x.dtype !== params.weight.dtype) throw new DTypeError(`batchNorm '${name}': argument x is ${x.dtype} but weight is ${params.weight.dtype}`);
  const axis = reducedAxes(x);
  const mu = running ? running.mean : mean(x, { axis, keepDims: true });
  const sigma2 = running ? running.var : variance(x, { axis, keepDims: true });
  const normalised = mul(sub(x, mu), rsqrt(add(sigma2, eps)));
  return add(mul(normalised, params.weight), params.bias);
}

/**
 * PyTorch's running-statistics update: r ← (1 − momentum)·r + momentum·batch, with the UNBIASED
 * batch variance. Not differentiated (the inputs are wrapped in `stopGradient`).
 */
export function updateRunningStats(running: RunningStats, x: Tensor, momentum = 0.1): RunningStats {
  const held = stopGradient(x);
  const axis = reducedAxes(held);
  const count = held.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const batchMean = mean(held, { axis });
  const batchVar = variance(held, { axis, correction: count > 1 ? 1 : 0 });
  return {
    mean: add(mul(running.mean, 1 - momentum), mul(batchMean, momentum)),
    var: add(mul(running.var, 1 - momentum), mul(batchVar, momentum)),
  };
}
