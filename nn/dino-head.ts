/**
 * DINO's projection head (`DINOHead`): an MLP to a bottleneck, l2-normalisation, and a
 * weight-normalised Linear without bias whose row k is g[k]·v[k]/‖v[k]‖ (`weight_norm`, dim 0).
 * Keys mirror the official state dict: `mlp.0.weight`, `mlp.2.weight`, `mlp.4.weight` (the GELUs
 * take the odd indices), or `mlp.weight` with one layer; `last_layer.weight_g` [K, 1] and
 * `last_layer.weight_v` [K, bottleneck].
 */
import { ShapeError, type DType, type Tensor, div, l2Normalize, matmul, matrixTranspose, mul, sqrt, square, stopGradient, sum } from '../core/index.js';
import { onesInit, torchDefaultWeight } from './init.js';
import { splitKey } from './keys.js';
import { type LinearParams, initLinear, linear } from './linear.js';
import { type MlpParams, initMlp, mlp } from './mlp.js';
import { checkInteger, checkKnownOptions } from './options.js';

export type WeightNormParams = {
  /** The per-row gain, [K, 1]. */
  readonly weight_g: Tensor;
  /** The direction, [K, bottleneck]. */
  readonly weight_v: Tensor;
};

export type DinoHeadParams = {
  /** A Sequential MLP (nlayers ≥ 2) or a single Linear (nlayers = 1). */
  readonly mlp: MlpParams | LinearParams;
  readonly last_layer: WeightNormParams;
};

export interface DinoHeadConfig {
  readonly inDim: number;
  /** K, the number of prototypes (65536 in DINO). */
  readonly outDim: number;
  /** Default 3. */
  readonly nlayers?: number;
  /** Default 2048. */
  readonly hiddenDim?: number;
  /** Default 256. */
  readonly bottleneckDim?: number;
  /** Default true: g stays 1 and is frozen (no gradient, skipped by the optimiser). */
  readonly normLastLayer?: boolean;
  /** BatchNorm1d after each hidden Linear (default false, as DINO). */
  readonly useBn?: boolean;
  readonly dtype?: DType;
}

const headOptions = ['inDim', 'outDim', 'nlayers', 'hiddenDim', 'bottleneckDim', 'normLastLayer', 'useBn', 'dtype'];

function resolve(name: string, config: DinoHeadConfig) {
  checkKnownOptions(name, config, headOptions);
  return {
    inDim: checkInteger(name, 'inDim', config.inDim, 1),
    outDim: checkInteger(name, 'outDim', config.outDim, 1),
    nlayers: checkInteger(name, 'nlayers', config.nlayers ?? 3, 1),
    hiddenDim: checkInteger(name, 'hiddenDim', config.hiddenDim ?? 2048, 1),
    bottleneckDim: checkInteger(name, 'bottleneckDim', config.bottleneckDim ?? 256, 1),
    normLastLayer: config.normLastLayer ?? true,
    useBn: config.useBn ?? false,
    dtype: config.dtype ?? 'float32',
  };
}

/**
 * The MLP gets DINO's `_init_weights` (trunc-normal 0.02, zero bias). `last_layer` is created after
 * that pass, so `weight_v` keeps PyTorch's default Linear init U(±1/√bottleneck); `weight_g` is 1.
 */
export function initDinoHead(key: Tensor, config: DinoHeadConfig): DinoHeadParams {
  const { inDim, outDim, nlayers, hiddenDim, bottleneckDim, useBn, dtype } = resolve('initDinoHead', config);
  const [mlpKey, lastKey] = splitKey(key, 2);
  const mlpParams =
    nlayers === 1
      ? initLinear(mlpKey, { inFeatures: inDim, outFeatures: bottleneckDim, dtype })
      : initMlp(mlpKey, { inFeatures: inDim, hiddenFeatures: hiddenDim, outFeatures: bottleneckDim, layers: nlayers, batchNorm: useBn, dtype });
  return {
    mlp: mlpParams,
    last_layer: { weight_g: onesInit([outDim, 1], dtype), weight_v: torchDefaultWeight(lastKey, [outDim, bottleneckDim], dtype) },
  };
}

/** The effective prototype matrix W [K, bottleneck]: W[k] = g[k] · v[k] / ‖v[k]‖₂. */
export function weightNormWeight(params: WeightNormParams): Tensor {
  const rowNorms = sqrt(sum(square(params.weight_v), { axis: 1, keepDims: true }));
  return mul(params.weight_v, div(params.weight_g, rowNorms));
}

export interface DinoHeadOptions {
  /** Default true; must match the config the head was made with. When true, g gets no gradient. */
  readonly normLastLayer?: boolean;
}

const isSingleLinear = (params: MlpParams | LinearParams): params is LinearParams => 'weight' in params && (params as LinearParams).weight.rank === 2;

/**
 * Arguments: `x` [B, inDim] (B rows, e.g. all crops of a batch). Returns logits [B, K]; with a frozen
 * g = 1 each logit is a cosine similarity in [−1, 1].
 */
export function dinoHead(params: DinoHeadParams, x: Tensor, options: DinoHeadOptions = {}): Tensor {
  if (x.rank !== 2) throw new ShapeError(`dinoHead: argument x must be [B, inDim], got shape [${x.shape.join(', ')}]`);
  const hidden = isSingleLinear(params.mlp) ? linear(params.mlp, x, { name: 'mlp' }) : mlp(params.mlp, x, { name: 'mlp' });
  const bottleneck = l2Normalize(hidden, { axis: -1, eps: 1e-12 });
  const frozen = options.normLastLayer ?? true;
  const lastLayer = frozen ? { ...params.last_layer, weight_g: stopGradient(params.last_layer.weight_g) } : params.last_layer;
  return matmul(bottleneck, matrixTranspose(weightNormWeight(lastLayer)));
}

/** The dotted names of parameters the optimiser must skip: `last_layer.weight_g` when normLastLayer. */
export function dinoHeadFrozenNames(config: Pick<DinoHeadConfig, 'normLastLayer'>, prefix = ''): string[] {
  return (config.normLastLayer ?? true) ? [`${prefix}last_layer.weight_g`] : [];
}
