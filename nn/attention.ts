/**
 * Multi-head self-attention as timm/DINO's `Attention`: one qkv Linear (with bias), head h owning
 * features h·hd … (h+1)·hd of each of q, k and v, softmax(q kᵀ · hd^−½) over keys, then `proj`.
 */
import { OptionError, ShapeError, type DType, type Tensor, matmul, matrixTranspose, mul, reshape, sliceAxis, softmax, transpose } from '../core/index.js';
import { type LinearInit } from './init.js';
import { childName } from './naming.js';
import { type LinearParams, initLinear, linear } from './linear.js';
import { checkInteger, checkKnownOptions } from './options.js';
import { splitKey } from './keys.js';

/** `qkv`: weight [3D, D], bias [3D]; `proj`: weight [D, D], bias [D]. */
export type AttentionParams = {
  readonly qkv: LinearParams;
  readonly proj: LinearParams;
};

export interface AttentionConfig {
  readonly dim: number;
  readonly numHeads: number;
  /** Default true (DINO's factories; timm's class default is false). */
  readonly qkvBias?: boolean;
  /** Init of both Linear layers (default `truncNormal`, DINO). */
  readonly init?: LinearInit;
  readonly dtype?: DType;
}

/** qkv and proj Linear layers of width `dim`; `key` is split between them. */
export function initAttention(key: Tensor, config: AttentionConfig): AttentionParams {
  checkKnownOptions('initAttention', config, ['dim', 'numHeads', 'qkvBias', 'init', 'dtype']);
  const dim = checkInteger('initAttention', 'dim', config.dim, 1);
  checkHeads('initAttention', dim, config.numHeads);
  const [qkvKey, projKey] = splitKey(key, 2);
  const { init, dtype } = config;
  return {
    qkv: initLinear(qkvKey, { inFeatures: dim, outFeatures: 3 * dim, bias: config.qkvBias ?? true, init, dtype }),
    proj: initLinear(projKey, { inFeatures: dim, outFeatures: dim, init, dtype }),
  };
}

/** `numHeads` must be a positive integer dividing `dim` (head width hd = dim / numHeads). */
export function checkHeads(layer: string, dim: number, numHeads: unknown): number {
  const heads = checkInteger(layer, 'numHeads', numHeads, 1);
  if (dim % heads !== 0) throw new OptionError(`${layer}: option numHeads (${heads}) must divide the width ${dim}`);
  return heads;
}

export interface AttentionOptions {
  readonly numHeads: number;
  /** Also return the attention probabilities [B, heads, N, N]. */
  readonly returnAttention?: boolean;
  /** Dotted name for errors (default `attn`). */
  readonly name?: string;
}

export interface AttentionOutput {
  /** [B, N, D]. */
  readonly output: Tensor;
  /** softmax(q kᵀ · hd^−½), [B, heads, N, N]: row i is query i's distribution over the keys. */
  readonly attention: Tensor;
}

/**
 * Self-attention over tokens. Arguments: `x` [B, N, D]. Returns [B, N, D], or with
 * `returnAttention` `{output [B, N, D], attention [B, heads, N, N]}`. Attention and projection dropout are 0 (DINO).
 */
export function attention(params: AttentionParams, x: Tensor, options: AttentionOptions & { readonly returnAttention: true }): AttentionOutput;
export function attention(params: AttentionParams, x: Tensor, options: AttentionOptions & { readonly returnAttention?: false }): Tensor;
export function attention(params: AttentionParams, x: Tensor, options: AttentionOptions): Tensor | AttentionOutput;
export function attention(params: AttentionParams, x: Tensor, options: AttentionOptions): Tensor | AttentionOutput {
  const name = options.name ?? 'attn';
  if (x.rank !== 3) throw new ShapeError(`attention '${name}': argument x must be [B, N, D], got shape [${x.shape.join(', ')}]`);
  const [batch, tokens, dim] = x.shape;
  const heads = checkHeads(`attention '${name}'`, dim, options.numHeads);
  const headDim = dim / heads;
  const qkv = linear(params.qkv, x, { name: childName(name, 'qkv') });
  // [B, N, 3D] → [B, N, 3, H, hd] → [3, B, H, N, hd]
  const split = transpose(reshape(qkv, [batch, tokens, 3, heads, headDim]), [2, 0, 3, 1, 4]);
  const [q, k, v] = [0, 1, 2].map((i) => reshape(sliceAxis(split, 0, i, i + 1), [batch, heads, tokens, headDim]));
  const probs = softmax(mul(matmul(q, matrixTranspose(k)), headDim ** -0.5), -1);
  // [B, H, N, hd] → [B, N, H, hd] → [B, N, D]: heads concatenated in order
  const merged = reshape(transpose(matmul(probs, v), [0, 2, 1, 3]), [batch, tokens, dim]);
  const output = linear(params.proj, merged, { name: childName(name, 'proj') });
  return options.returnAttention ? { output, attention: probs } : output;
}
