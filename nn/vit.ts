/**
 * The Vision Transformer of DINO's `vision_transformer.py`: patch embedding, CLS token, learned
 * position table (interpolated to the input's grid), pre-norm blocks with stochastic depth, final
 * LayerNorm. Parameter keys mirror the official state dict, so `flattenNamed(params)` gives
 * `cls_token`, `pos_embed`, `patch_embed.proj.weight`, `blocks.0.norm1.weight`, …, `norm.bias`.
 */
import { ShapeError, type DType, type Tensor, broadcastTo, concat, linspace, reshape, sliceAxis, transpose } from '../core/index.js';
import { checkHeads } from './attention.js';
import { type BlockParams, block, initBlock } from './block.js';
import { torchDefaultBias, torchDefaultWeight, truncNormal } from './init.js';
import { splitKey, splitOptionalKey } from './keys.js';
import { type LayerNormParams, initLayerNorm, layerNorm } from './layer-norm.js';
import { type LinearParams, linear } from './linear.js';
import { childName } from './naming.js';
import { checkInteger, checkKnownOptions, checkRange } from './options.js';
import { addPosEmbed, patchGrid } from './pos-embed.js';

export type VitParams = {
  /** [1, 1, D]. */
  readonly cls_token: Tensor;
  /** [1, 1 + (imgSize/p)², D], CLS entry first. */
  readonly pos_embed: Tensor;
  /** The Conv2d(C, D, p, stride p): weight [D, C, p, p], bias [D]. */
  readonly patch_embed: { readonly proj: LinearParams };
  readonly blocks: readonly BlockParams[];
  readonly norm: LayerNormParams;
};

export interface VitConfig {
  /** Training image size (square); fixes the position table at (imgSize/p)² entries. */
  readonly imgSize: number;
  readonly patchSize: number;
  readonly inChans: number;
  readonly embedDim: number;
  readonly depth: number;
  readonly numHeads: number;
  readonly mlpRatio: number;
  /** DINO's factories: true. */
  readonly qkvBias: boolean;
  /** DINO's factories: 1e-6 (the class default 1e-5 is a trap). */
  readonly layerNormEps: number;
  /** Stochastic depth: block i uses linspace(0, rate, depth)[i]. DINO's student 0.1, teacher 0. */
  readonly dropPathRate: number;
  readonly dtype: DType;
}

const vitOptions: readonly (keyof VitConfig)[] = ['imgSize', 'patchSize', 'inChans', 'embedDim', 'depth', 'numHeads', 'mlpRatio', 'qkvBias', 'layerNormEps', 'dropPathRate', 'dtype'];

const base: Omit<VitConfig, 'embedDim' | 'numHeads'> = {
  imgSize: 224, patchSize: 16, inChans: 3, depth: 12, mlpRatio: 4, qkvBias: true, layerNormEps: 1e-6, dropPathRate: 0, dtype: 'float32',
};

/** Makes a complete config from overrides, checking every option. */
function makeConfig(name: string, defaults: VitConfig, overrides: Partial<VitConfig>): VitConfig {
  checkKnownOptions(name, overrides, vitOptions);
  const config = { ...defaults, ...overrides };
  checkVitConfig(name, config);
  return config;
}

/** ViT-Tiny: D 192, 3 heads. `vitTiny({patchSize: 8})` for /8. */
export const vitTiny = (overrides: Partial<VitConfig> = {}) => makeConfig('vitTiny', { ...base, embedDim: 192, numHeads: 3 }, overrides);
/** ViT-Small: D 384, 6 heads (DINO's default arch). */
export const vitSmall = (overrides: Partial<VitConfig> = {}) => makeConfig('vitSmall', { ...base, embedDim: 384, numHeads: 6 }, overrides);
/** ViT-Base: D 768, 12 heads. */
export const vitBase = (overrides: Partial<VitConfig> = {}) => makeConfig('vitBase', { ...base, embedDim: 768, numHeads: 12 }, overrides);
/** A small ViT for 28×28 one-channel digits: patch 4 (49 tokens + CLS), D 64, depth 4, 4 heads. */
export const vitMnist = (overrides: Partial<VitConfig> = {}) =>
  makeConfig('vitMnist', { ...base, imgSize: 28, patchSize: 4, inChans: 1, embedDim: 64, depth: 4, numHeads: 4 }, overrides);

/** Any config: every option must be given (see `vitTiny` etc. for defaults). */
export function vitConfig(config: VitConfig): VitConfig {
  return makeConfig('vitConfig', config, {});
}

function checkVitConfig(name: string, config: VitConfig): void {
  checkKnownOptions(name, config, vitOptions);
  const patch = checkInteger(name, 'patchSize', config.patchSize, 1);
  checkInteger(name, 'imgSize', config.imgSize, patch);
  checkInteger(name, 'inChans', config.inChans, 1);
  const dim = checkInteger(name, 'embedDim', config.embedDim, 1);
  checkInteger(name, 'depth', config.depth, 1);
  checkHeads(name, dim, config.numHeads);
  checkRange(name, 'mlpRatio', config.mlpRatio, 0, Infinity, true);
  checkRange(name, 'layerNormEps', config.layerNormEps, 0, Infinity);
  checkRange(name, 'dropPathRate', config.dropPathRate, 0, 1, true);
}

/**
 * DINO's init: Linear weights and `cls_token`/`pos_embed` trunc-normal(0.02) with absolute bounds
 * ±2, Linear biases 0, LayerNorm 1/0; the patch-embed Conv2d keeps PyTorch's default
 * kaiming-uniform init, U(±1/√(C·p²)) for weight and bias.
 */
export function initVit(key: Tensor, config: VitConfig): VitParams {
  checkVitConfig('initVit', config);
  const { imgSize, patchSize, inChans, embedDim: dim, depth, numHeads, mlpRatio, qkvBias, dtype } = config;
  const [clsKey, posKey, weightKey, biasKey, blocksKey] = splitKey(key, 5);
  const grid = Math.floor(imgSize / patchSize);
  const weightShape = [dim, inChans, patchSize, patchSize];
  const blockKeys = splitKey(blocksKey, depth);
  return {
    cls_token: truncNormal(clsKey, [1, 1, dim], { dtype }),
    pos_embed: truncNormal(posKey, [1, 1 + grid * grid, dim], { dtype }),
    patch_embed: {
      proj: { weight: torchDefaultWeight(weightKey, weightShape, dtype), bias: torchDefaultBias(biasKey, dim, inChans * patchSize * patchSize, dtype) },
    },
    blocks: blockKeys.map((k) => initBlock(k, { dim, numHeads, mlpRatio, qkvBias, dtype })),
    norm: initLayerNorm({ dim, dtype }),
  };
}

/**
 * The patch embedding as a matmul: each p×p patch flattened in (channel, row, col) order, times
 * weight.reshape(D, C·p²)ᵀ, plus the bias; rows and columns beyond a multiple of p are dropped, as
 * the strided conv does. Arguments: `images` [B, C, H, W]. Returns [B, (H//p)·(W//p), D], tokens in
 * row-major grid order.
 */
export function patchEmbed(params: { readonly proj: LinearParams }, images: Tensor): Tensor {
  const { weight } = params.proj;
  const [dim, channels, patch] = weight.shape;
  if (images.rank !== 4 || images.shape[1] !== channels) {
    throw new ShapeError(`patch_embed: argument images must be [B, ${channels}, H, W], got shape [${images.shape.join(', ')}]`);
  }
  const [batch, , height, width] = images.shape;
  const [rows, columns] = patchGrid(height, width, patch);
  if (rows < 1 || columns < 1) throw new ShapeError(`patch_embed: images ${height}×${width} are smaller than one ${patch}×${patch} patch`);
  const cropped = sliceAxis(sliceAxis(images, 2, 0, rows * patch), 3, 0, columns * patch);
  const patches = reshape(
    transpose(reshape(cropped, [batch, channels, rows, patch, columns, patch]), [0, 2, 4, 1, 3, 5]),
    [batch, rows * columns, channels * patch * patch],
  );
  const flatWeight = reshape(weight, [dim, channels * patch * patch]);
  return linear({ weight: flatWeight, bias: params.proj.bias }, patches, { name: 'patch_embed.proj' });
}

export interface VitOptions {
  readonly config: VitConfig;
  /** Needed when training with dropPathRate > 0. */
  readonly key?: Tensor;
  readonly train?: boolean;
  /** Also return the last block's attention probabilities (DINO's `get_last_selfattention`). */
  readonly returnAttention?: boolean;
}

export interface VitOutput {
  /** The normalised CLS token, [B, D]: DINO's feature for k-NN and the head. */
  readonly cls: Tensor;
  /** The normalised patch tokens, [B, (H//p)·(W//p), D]. */
  readonly patchTokens: Tensor;
  /** With `returnAttention`: the last block's attention probabilities [B, heads, 1 + Np, 1 + Np]. */
  readonly attention?: Tensor;
}

/** Tokens after `prepare_tokens`: [CLS; patches] + position table, [B, 1 + Np, D]. */
export function prepareTokens(params: VitParams, images: Tensor): Tensor {
  const patches = patchEmbed(params.patch_embed, images);
  const [batch, , dim] = patches.shape;
  const cls = broadcastTo(params.cls_token, [batch, 1, dim]);
  const patch = params.patch_embed.proj.weight.shape[2];
  return addPosEmbed(concat([cls, patches], 1), params.pos_embed, { height: images.shape[2], width: images.shape[3], patchSize: patch });
}

/** Block i's stochastic-depth rate: torch.linspace(0, rate, depth)[i]. */
export function dropPathRates(rate: number, depth: number): number[] {
  return Array.from(linspace(0, rate, depth, 'float64').dataSync());
}

/** The blocks' outputs in order (not normalised), and the last block's attention. */
function runBlocks(params: VitParams, images: Tensor, options: VitOptions): { outputs: Tensor[]; attention: Tensor } {
  const { config, train = false } = options;
  const rates = dropPathRates(config.dropPathRate, params.blocks.length);
  const keys = splitOptionalKey(options.key, params.blocks.length);
  let x = prepareTokens(params, images);
  const outputs: Tensor[] = [];
  let attention: Tensor | undefined;
  params.blocks.forEach((blockParams, i) => {
    const result = block(blockParams, x, {
      numHeads: config.numHeads, eps: config.layerNormEps, dropPathRate: rates[i], key: keys[i], train, returnAttention: true, name: childName('blocks', i),
    });
    x = result.output;
    attention = result.attention;
    outputs.push(x);
  });
  return { outputs, attention: attention! };
}

/**
 * The backbone. Arguments: `images` [B, C, H, W] (any H, W ≥ p; the table is interpolated).
 * Returns `{cls [B, D], patchTokens [B, Np, D], attention? [B, heads, 1+Np, 1+Np]}`.
 */
export function vit(params: VitParams, images: Tensor, options: VitOptions): VitOutput {
  const { outputs, attention } = runBlocks(params, images, options);
  const normed = layerNorm(params.norm, outputs[outputs.length - 1], { eps: options.config.layerNormEps, name: 'norm' });
  const cls = reshape(sliceAxis(normed, 1, 0, 1), [normed.shape[0], normed.shape[2]]);
  const patchTokens = sliceAxis(normed, 1, 1);
  return options.returnAttention ? { cls, patchTokens, attention } : { cls, patchTokens };
}

/**
 * DINO's `get_intermediate_layers(x, n)`: the outputs of the last `n` blocks, each through the final
 * norm. Arguments: `images` [B, C, H, W]. Returns n tensors [B, 1 + Np, D], oldest first.
 */
export function vitIntermediateLayers(params: VitParams, images: Tensor, n: number, options: VitOptions): Tensor[] {
  checkInteger('vitIntermediateLayers', 'n', n, 1);
  const { outputs } = runBlocks(params, images, options);
  return outputs.slice(-n).map((x) => layerNorm(params.norm, x, { eps: options.config.layerNormEps, name: 'norm' }));
}
