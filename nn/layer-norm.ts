/**
 * Layer normalisation with learned scale and shift, PyTorch's `nn.LayerNorm` over the last axis.
 */
import { DTypeError, ShapeError, type DType, type Tensor, layerNorm as layerNormOp } from '../core/index.js';
import { onesInit, zerosInit } from './init.js';
import { checkInteger, checkKnownOptions } from './options.js';

/** γ (`weight`) and β (`bias`), each [D]. */
export type LayerNormParams = {
  readonly weight: Tensor;
  readonly bias: Tensor;
};

export interface LayerNormConfig {
  readonly dim: number;
  readonly dtype?: DType;
}

/** γ = 1, β = 0. Deterministic, so no key. */
export function initLayerNorm(config: LayerNormConfig): LayerNormParams {
  checkKnownOptions('initLayerNorm', config, ['dim', 'dtype']);
  const dim = checkInteger('initLayerNorm', 'dim', config.dim, 1);
  return { weight: onesInit([dim], config.dtype), bias: zerosInit([dim], config.dtype) };
}

export interface LayerNormCallOptions {
  /** Added to the biased variance: PyTorch's default 1e-5; DINO's ViT uses 1e-6. */
  readonly eps?: number;
  /** Dotted name for errors. */
  readonly name?: string;
}

/**
 * (x − mean)/√(var + eps)·γ + β over the last axis, biased variance.
 * Arguments: `x` [..., D] (e.g. [B, N, D]). Returns [..., D].
 */
export function layerNorm(params: LayerNormParams, x: Tensor, options: LayerNormCallOptions = {}): Tensor {
  const { eps = 1e-5, name = 'layerNorm' } = options;
  const dim = params.weight.shape[0];
  if (x.rank < 1 || x.shape[x.rank - 1] !== dim) {
    throw new ShapeError(`layerNorm '${name}': argument x has shape [${x.shape.join(', ')}] but weight [${dim}] expects ${dim} features on the last axis`);
  }
  if (x.dtype !== params.weight.dtype) throw new DTypeError(`layerNorm '${name}': argument x is ${x.dtype} but weight is ${params.weight.dtype}`);
  return layerNormOp(x, params.weight, params.bias, { eps });
}
