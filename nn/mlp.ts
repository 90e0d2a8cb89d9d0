/**
 * Multi-layer perceptrons with exact GELU between layers, in two PyTorch layouts:
 * - `feedForward`: timm's `Mlp` inside a transformer block, named `fc1`, `fc2`;
 * - `mlp`: an `nn.Sequential` of any depth, named by Sequential index. The GELU (and BatchNorm)
 *   modules take indices too, so the Linear layers are `0`, `2`, `4`, … (or `0`, `3`, `6`, … with
 *   BatchNorm at `1`, `4`, …), exactly as the official state dicts spell them.
 */
import { OptionError, type DType, type Tensor, gelu } from '../core/index.js';
import { type BatchNormParams, batchNorm, initBatchNorm } from './batch-norm.js';
import type { LinearInit } from './init.js';
import { type LinearParams, initLinear, linear } from './linear.js';
import { childName } from './naming.js';
import { checkInteger, checkKnownOptions } from './options.js';
import { splitKey } from './keys.js';

/** `fc1`: [hidden, in]; `fc2`: [out, hidden]. */
export type FeedForwardParams = {
  readonly fc1: LinearParams;
  readonly fc2: LinearParams;
};

export interface FeedForwardConfig {
  readonly inFeatures: number;
  readonly hiddenFeatures: number;
  /** Default `inFeatures`. */
  readonly outFeatures?: number;
  readonly init?: LinearInit;
  readonly dtype?: DType;
}

/** fc1 [hidden, in] and fc2 [out, hidden]; `key` split between them. */
export function initFeedForward(key: Tensor, config: FeedForwardConfig): FeedForwardParams {
  checkKnownOptions('initFeedForward', config, ['inFeatures', 'hiddenFeatures', 'outFeatures', 'init', 'dtype']);
  const { inFeatures, hiddenFeatures, outFeatures = inFeatures, init, dtype } = config;
  const [key1, key2] = splitKey(key, 2);
  return {
    fc1: initLinear(key1, { inFeatures, outFeatures: hiddenFeatures, init, dtype }),
    fc2: initLinear(key2, { inFeatures: hiddenFeatures, outFeatures, init, dtype }),
  };
}

/**
 * fc2(GELU(fc1(x))), dropout 0 as in DINO. Arguments: `x` [..., in] (e.g. [B, N, D]). Returns [..., out].
 */
export function feedForward(params: FeedForwardParams, x: Tensor, options: { readonly name?: string } = {}): Tensor {
  const name = options.name ?? 'mlp';
  return linear(params.fc2, gelu(linear(params.fc1, x, { name: childName(name, 'fc1') })), { name: childName(name, 'fc2') });
}

/** Sequential entries by index: Linear layers and, with `batchNorm`, BatchNorm1d layers. */
export type MlpParams = { readonly [index: string]: LinearParams | BatchNormParams };

export interface MlpConfig {
  readonly inFeatures: number;
  readonly hiddenFeatures: number;
  readonly outFeatures: number;
  /** Number of Linear layers, ≥ 1 (DINO's `nlayers`). */
  readonly layers: number;
  /** A BatchNorm1d after each hidden Linear (DINO's `use_bn`; default false). */
  readonly batchNorm?: boolean;
  readonly init?: LinearInit;
  readonly dtype?: DType;
}

/** Linear → [BN] → GELU → … → Linear, keyed by `nn.Sequential` index. */
export function initMlp(key: Tensor, config: MlpConfig): MlpParams {
  checkKnownOptions('initMlp', config, ['inFeatures', 'hiddenFeatures', 'outFeatures', 'layers', 'batchNorm', 'init', 'dtype']);
  const layers = checkInteger('initMlp', 'layers', config.layers, 1);
  const { inFeatures, hiddenFeatures, outFeatures, init, dtype } = config;
  const keys = splitKey(key, layers);
  const params: Record<string, LinearParams | BatchNormParams> = {};
  let index = 0;
  for (let layer = 0; layer < layers; layer++) {
    const last = layer === layers - 1;
    const fanIn = layer === 0 ? inFeatures : hiddenFeatures;
    params[String(index++)] = initLinear(keys[layer], { inFeatures: fanIn, outFeatures: last ? outFeatures : hiddenFeatures, init, dtype });
    if (last) break;
    if (config.batchNorm) params[String(index++)] = initBatchNorm({ dim: hiddenFeatures, dtype });
    index++; // the GELU module's index
  }
  return params;
}

const isLinear = (entry: LinearParams | BatchNormParams) => entry.weight.rank === 2;

/**
 * Applies the Sequential: GELU after every Linear but the last, BatchNorm (batch statistics) where
 * present. Arguments: `x` [B, in]. Returns [B, out].
 */
export function mlp(params: MlpParams, x: Tensor, options: { readonly name?: string } = {}): Tensor {
  const name = options.name ?? 'mlp';
  const indices = Object.keys(params).map(Number).sort((a, b) => a - b);
  if (indices.length === 0 || indices.some((i) => !Number.isInteger(i))) {
    throw new OptionError(`mlp '${name}': params must be keyed by Sequential indices (0, 2, 4, …), got keys ${JSON.stringify(Object.keys(params))}`);
  }
  const lastLinear = Math.max(...indices.filter((i) => isLinear(params[i])));
  let y = x;
  for (const i of indices) {
    const entry = params[i];
    const entryName = childName(name, i);
    if (isLinear(entry)) {
      y = linear(entry, y, { name: entryName });
      const next = params[i + 1];
      if (next !== undefined && !isLinear(next)) continue; // BatchNorm comes before the GELU
      if (i !== lastLinear) y = gelu(y);
    } else {
      y = gelu(batchNorm(entry as BatchNormParams, y, { name: entryName }));
    }
  }
  return y;
}
