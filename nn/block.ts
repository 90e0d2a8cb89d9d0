/**
 * The pre-norm transformer block of timm/DINO (`Block`):
 *   x = x + DropPath(Attn(Norm1(x)));  x = x + DropPath(MLP(Norm2(x)))
 * The norm is LayerNorm (the ViT) or, for SiameseIM's decoder blocks, `PermuteBN`: BatchNorm1d over
 * all tokens, stored under `norm1.bn` / `norm2.bn` as in the official state dict.
 */
import { ShapeError, type DType, type Tensor, add } from '../core/index.js';
import { type AttentionParams, attention, checkHeads, initAttention } from './attention.js';
import { type BatchNormParams, batchNorm, initBatchNorm } from './batch-norm.js';
import { dropPath } from './dropout.js';
import type { LinearInit } from './init.js';
import { splitKey, splitOptionalKey } from './keys.js';
import { type LayerNormParams, initLayerNorm, layerNorm } from './layer-norm.js';
import { type FeedForwardParams, feedForward, initFeedForward } from './mlp.js';
import { childName } from './naming.js';
import { checkChoice, checkInteger, checkKnownOptions, checkRange } from './options.js';

/** SiameseIM's `PermuteBN` wraps its BatchNorm1d as `.bn`. */
export type PermuteBatchNormParams = { readonly bn: BatchNormParams };
export type BlockNormParams = LayerNormParams | PermuteBatchNormParams;

export type BlockParams = {
  readonly norm1: BlockNormParams;
  readonly attn: AttentionParams;
  readonly norm2: BlockNormParams;
  readonly mlp: FeedForwardParams;
};

export type BlockNorm = 'layerNorm' | 'batchNorm';
export const blockNorms: readonly BlockNorm[] = ['layerNorm', 'batchNorm'];

export interface BlockConfig {
  readonly dim: number;
  readonly numHeads: number;
  /** Hidden width of the MLP over `dim` (default 4). */
  readonly mlpRatio?: number;
  /** Default true. */
  readonly qkvBias?: boolean;
  /** Default `layerNorm`. */
  readonly norm?: BlockNorm;
  /** Init of every Linear (default `truncNormal`, DINO; SiameseIM uses `xavierUniform`). */
  readonly init?: LinearInit;
  readonly dtype?: DType;
}

/** The option names `initBlock` accepts. */
export const blockOptions = ['dim', 'numHeads', 'mlpRatio', 'qkvBias', 'norm', 'init', 'dtype'];

/** norm1/norm2 (γ = 1, β = 0), attention and MLP (hidden dim·mlpRatio); `key` split between attn and mlp. */
export function initBlock(key: Tensor, config: BlockConfig): BlockParams {
  checkKnownOptions('initBlock', config, blockOptions);
  const dim = checkInteger('initBlock', 'dim', config.dim, 1);
  checkHeads('initBlock', dim, config.numHeads);
  const norm = checkChoice('initBlock', 'norm', config.norm ?? 'layerNorm', blockNorms);
  const mlpRatio = checkRange('initBlock', 'mlpRatio', config.mlpRatio ?? 4, 0, Infinity, true);
  const { dtype, init } = config;
  const [attnKey, mlpKey] = splitKey(key, 2);
  const makeNorm = (): BlockNormParams => (norm === 'layerNorm' ? initLayerNorm({ dim, dtype }) : { bn: initBatchNorm({ dim, dtype }) });
  return {
    norm1: makeNorm(),
    attn: initAttention(attnKey, { dim, numHeads: config.numHeads, qkvBias: config.qkvBias ?? true, init, dtype }),
    norm2: makeNorm(),
    mlp: initFeedForward(mlpKey, { inFeatures: dim, hiddenFeatures: Math.floor(dim * mlpRatio), init, dtype }),
  };
}

export interface BlockOptions {
  readonly numHeads: number;
  /** LayerNorm eps (default 1e-6, DINO's ViT). BatchNorm always uses PyTorch's 1e-5. */
  readonly eps?: number;
  /** Stochastic-depth probability of this block (default 0). */
  readonly dropPathRate?: number;
  /** Needed when training with dropPathRate > 0; split between the two residual branches. */
  readonly key?: Tensor;
  readonly train?: boolean;
  readonly returnAttention?: boolean;
  /** Dotted name for errors (e.g. `blocks.3`). */
  readonly name?: string;
}

function applyNorm(params: BlockNormParams, x: Tensor, eps: number, name: string): Tensor {
  if ('bn' in params) return batchNorm(params.bn, x, { name: childName(name, 'bn') });
  return layerNorm(params, x, { eps, name });
}

/**
 * One block. Arguments: `x` [B, N, D]. Returns [B, N, D], or with `returnAttention`
 * `{output [B, N, D], attention [B, heads, N, N]}` (the probabilities of this block's attention).
 */
export function block(params: BlockParams, x: Tensor, options: BlockOptions & { readonly returnAttention: true }): { output: Tensor; attention: Tensor };
export function block(params: BlockParams, x: Tensor, options: BlockOptions & { readonly returnAttention?: false }): Tensor;
export function block(params: BlockParams, x: Tensor, options: BlockOptions): Tensor | { output: Tensor; attention: Tensor };
export function block(params: BlockParams, x: Tensor, options: BlockOptions): Tensor | { output: Tensor; attention: Tensor } {
  const { numHeads, eps = 1e-6, dropPathRate = 0, train = false, name = 'block' } = options;
  if (x.rank !== 3) throw new ShapeError(`block '${name}': argument x must be [B, N, D], got shape [${x.shape.join(', ')}]`);
  const [attnKey, mlpKey] = splitOptionalKey(train && dropPathRate > 0 ? options.key : undefined, 2);
  const attended = attention(params.attn, applyNorm(params.norm1, x, eps, childName(name, 'norm1')), {
    numHeads,
    returnAttention: true,
    name: childName(name, 'attn'),
  });
  const afterAttention = add(x, dropPath(attended.output, { rate: dropPathRate, key: attnKey, train }));
  const fed = feedForward(params.mlp, applyNorm(params.norm2, afterAttention, eps, childName(name, 'norm2')), { name: childName(name, 'mlp') });
  const output = add(afterAttention, dropPath(fed, { rate: dropPathRate, key: mlpKey, train }));
  return options.returnAttention ? { output, attention: attended.attention } : output;
}
