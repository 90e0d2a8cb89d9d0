/**
 * The SiameseIM model (official `models_sim.py: SiameseIMViT.forward_sim`) as pure functions over a
 * parameter tree whose keys follow the official state dict (`patch_embed.proj.weight`, `blocks.0…`,
 * `decoder_embed`, `projector_decoder_blocks`, `mask_token`, `decoder_pos_mlp`,
 * `predictor_decoder_blocks`, `decoder_pred`).
 *
 * Online branch (view a, masked):   patches + pos → keep visible → [cls; visible] → blocks (no final
 *   norm) → decoder_embed → projector blocks → [cls; visible + p_a; mask_token + p_b] → predictor
 *   blocks → decoder_pred → the last L tokens predict view b's L patches.
 * Target branch (view b, unmasked, no gradient): the momentum copy of patch_embed, cls_token, blocks,
 *   decoder_embed and projector runs on all tokens; the cls token is dropped.
 */
import { OptionError, ShapeError, type DType, type Tensor, add, broadcastTo, concat, reshape, sliceAxis, stopGradient, take, tensor } from '../core/index.js';
import { random } from '../core/random.js';
import { type BlockNorm, type BlockParams, block, initBlock } from '../nn/block.js';
import { type DecoderBlocksParams, decoderBlocks, initDecoderBlocks } from '../nn/decoder-blocks.js';
import { torchDefaultBias, xavierUniform } from '../nn/init.js';
import { type LinearParams, initLinear, linear } from '../nn/linear.js';
import { checkKnownOptions } from '../nn/options.js';
import { patchEmbed } from '../nn/vit.js';
import { sincosPositionTable } from './relative-position.js';

export interface SiameseimConfig {
  readonly imgSize: number;
  readonly patchSize: number;
  readonly inChans: number;
  /** Encoder width C. */
  readonly embedDim: number;
  readonly depth: number;
  readonly numHeads: number;
  readonly mlpRatio: number;
  /** Decoder / projector width D (768 in the released config). */
  readonly decoderEmbedDim: number;
  /** 2 projector blocks and 4 predictor blocks in the released config. */
  readonly projectorDepth: number;
  readonly predictorDepth: number;
  /** 16 heads in the released config. */
  readonly decoderNumHeads: number;
  /** `PermuteBN` by default; `layerNorm` is `--use_proj_ln` / `--use_pred_ln`. */
  readonly projectorNorm: BlockNorm;
  readonly predictorNorm: BlockNorm;
  /** `--train_patch_embed` (default false: the patch embedding stays at its random init). */
  readonly trainPatchEmbed: boolean;
  readonly dtype: DType;
}

/** The released ViT-B/16 run (`sim_vit_base_patch16`, configs/pretrain/*_sim_base_1600ep.sh). */
export const siameseimBaseConfig: SiameseimConfig = Object.freeze({
  imgSize: 224, patchSize: 16, inChans: 3, embedDim: 768, depth: 12, numHeads: 12, mlpRatio: 4,
  decoderEmbedDim: 768, projectorDepth: 2, predictorDepth: 4, decoderNumHeads: 16,
  projectorNorm: 'batchNorm', predictorNorm: 'batchNorm', trainPatchEmbed: false, dtype: 'float32',
});

/** A complete config from overrides of the ViT-B/16 one; checks the widths and the grid. */
export function siameseimConfig(overrides: Partial<SiameseimConfig> = {}): SiameseimConfig {
  checkKnownOptions('siameseimConfig', overrides, Object.keys(siameseimBaseConfig));
  const config = { ...siameseimBaseConfig, ...overrides };
  if (config.imgSize % config.patchSize !== 0) throw new OptionError(`siameseimConfig: imgSize ${config.imgSize} must be a multiple of patchSize ${config.patchSize}`);
  for (const [name, width] of [['embedDim', config.embedDim], ['decoderEmbedDim', config.decoderEmbedDim]] as const) {
    if (width % 4 !== 0) throw new OptionError(`siameseimConfig: ${name} must be a multiple of 4 for the sin-cos tables, got ${width}`);
  }
  return config;
}

/** Patches per side G = imgSize / patchSize. */
export const siameseimGrid = (config: SiameseimConfig) => config.imgSize / config.patchSize;

export type PatchEmbedParams = { readonly proj: LinearParams };

/** The online parameters (the fixed sin-cos tables `pos_embed`, `decoder_pos_embed` are not parameters). */
export type SiameseimParams = {
  /** Conv2d(inChans → C, p, stride p): weight [C, inChans, p, p], bias [C]. */
  readonly patch_embed: PatchEmbedParams;
  /** [1, 1, C]. */
  readonly cls_token: Tensor;
  readonly blocks: readonly BlockParams[];
  /** Linear C → D. */
  readonly decoder_embed: LinearParams;
  readonly projector_decoder_blocks: DecoderBlocksParams;
  /** [1, 1, D]. */
  readonly mask_token: Tensor;
  /** Linear 2D → D: relative features → p_b. */
  readonly decoder_pos_mlp: LinearParams;
  readonly predictor_decoder_blocks: DecoderBlocksParams;
  /** Linear D → D. */
  readonly decoder_pred: LinearParams;
};

/** The momentum copies (`mm_*`): no predictor, decoder_pos_mlp or decoder_pred. `mask_token` is kept but unused, as in the official code. */
export type SiameseimTargetParams = Pick<SiameseimParams, 'patch_embed' | 'cls_token' | 'blocks' | 'decoder_embed' | 'projector_decoder_blocks' | 'mask_token'>;

/**
 * MAE's `initialize_weights`: patch-embed weight xavier-uniform on its [C, inChans·p²] view with
 * PyTorch's default conv bias; cls_token and mask_token N(0, 0.02²); every Linear xavier-uniform
 * with zero bias; norms 1 / 0.
 */
export function initSiameseim(key: Tensor, config: SiameseimConfig): SiameseimParams {
  const { patchSize: p, inChans, embedDim: c, decoderEmbedDim: d, dtype } = config;
  const [patchWeightKey, patchBiasKey, clsKey, blocksKey, embedKey, projectorKey, maskKey, posMlpKey, predictorKey, predKey] = random.split(key, 10);
  const fanIn = inChans * p * p;
  const decoder = (k: Tensor, depth: number, norm: BlockNorm) =>
    initDecoderBlocks(k, { dim: d, depth, numHeads: config.decoderNumHeads, mlpRatio: config.mlpRatio, norm, init: 'xavierUniform', dtype });
  return {
    patch_embed: {
      proj: { weight: reshape(xavierUniform(patchWeightKey, [c, fanIn], dtype), [c, inChans, p, p]), bias: torchDefaultBias(patchBiasKey, c, fanIn, dtype) },
    },
    cls_token: random.normal(clsKey, [1, 1, c], { dtype: floatDType(dtype), std: 0.02 }),
    blocks: random.split(blocksKey, config.depth).map((k) => initBlock(k, { dim: c, numHeads: config.numHeads, mlpRatio: config.mlpRatio, init: 'xavierUniform', dtype })),
    decoder_embed: initLinear(embedKey, { inFeatures: c, outFeatures: d, init: 'xavierUniform', dtype }),
    projector_decoder_blocks: decoder(projectorKey, config.projectorDepth, config.projectorNorm),
    mask_token: random.normal(maskKey, [1, 1, d], { dtype: floatDType(dtype), std: 0.02 }),
    decoder_pos_mlp: initLinear(posMlpKey, { inFeatures: 2 * d, outFeatures: d, init: 'xavierUniform', dtype }),
    predictor_decoder_blocks: decoder(predictorKey, config.predictorDepth, config.predictorNorm),
    decoder_pred: initLinear(predKey, { inFeatures: d, outFeatures: d, init: 'xavierUniform', dtype }),
  };
}

function floatDType(dtype: DType): 'float32' | 'float64' {
  if (dtype === 'int32') throw new OptionError('siameseim: dtype must be float32 or float64');
  return dtype;
}

/** The target branch's starting point: copies of the online encoder and projector (tensors are immutable, so sharing is a copy). */
export function targetParamsOf(params: SiameseimParams): SiameseimTargetParams {
  const { patch_embed, cls_token, blocks, decoder_embed, projector_decoder_blocks, mask_token } = params;
  return { patch_embed, cls_token, blocks, decoder_embed, projector_decoder_blocks, mask_token };
}

/**
 * Picks tokens per sample. Arguments: x [N, L, W]; indices int32 [N, K] (into L), or [K] shared by
 * every sample when x is [L, W]. Returns [N, K, W].
 */
export function gatherTokens(x: Tensor, indices: Tensor): Tensor {
  const [n, k] = indices.shape;
  if (x.rank === 2) return reshape(take(x, reshape(indices, [n * k]), 0), [n, k, x.shape[1]]);
  const [batch, length, width] = x.shape;
  if (x.rank !== 3 || batch !== n) throw new ShapeError(`gatherTokens: x [${x.shape.join(', ')}] and indices [${indices.shape.join(', ')}] disagree on the batch`);
  // row b's indices move to b·L in the flattened [N·L, W]; an op, not a host read, so jit can trace it
  const rowStarts = tensor(Int32Array.from({ length: n }, (_, b) => b * length), { shape: [n, 1] });
  const flat = reshape(add(indices, rowStarts), [n * k]);
  return reshape(take(reshape(x, [batch * length, width]), flat, 0), [n, k, width]);
}

function encoderBlocks(blocks: readonly BlockParams[], x: Tensor, config: SiameseimConfig): Tensor {
  return blocks.reduce((y, params, i) => block(params, y, { numHeads: config.numHeads, eps: 1e-6, name: `blocks.${i}` }), x);
}

function project(params: Pick<SiameseimParams, 'decoder_embed' | 'projector_decoder_blocks'>, x: Tensor, config: SiameseimConfig): Tensor {
  const embedded = linear(params.decoder_embed, x, { name: 'decoder_embed' });
  return decoderBlocks(params.projector_decoder_blocks, embedded, { numHeads: config.decoderNumHeads, name: 'projector_decoder_blocks' });
}

/** Patch tokens plus their fixed positions, [N, L, C]; the patch embedding is held fixed unless trained. */
function embedPatches(patchParams: PatchEmbedParams, images: Tensor, config: SiameseimConfig): Tensor {
  const held = config.trainPatchEmbed ? patchParams : stopGradient(patchParams);
  const positions = sliceAxis(sincosPositionTable(siameseimGrid(config), config.embedDim, { dtype: images.dtype }), 0, 1);
  return add(patchEmbed(held, images), positions);
}

/**
 * Online encoder and projector on the masked view a.
 * Arguments: viewA [N, inChans, H, W]; visible int32 [N, K], the kept patches of each sample in
 * row-major order. Returns [N, 1 + K, D]: the projected cls token and visible tokens.
 */
export function encodeOnline(params: SiameseimParams, viewA: Tensor, visible: Tensor, config: SiameseimConfig): Tensor {
  const tokens = gatherTokens(embedPatches(params.patch_embed, viewA, config), visible);
  const [n, , c] = tokens.shape;
  // the cls row of pos_embed is zero, so cls_token enters as it is
  const x = concat([broadcastTo(params.cls_token, [n, 1, c]), tokens], 1);
  return project(params, encoderBlocks(params.blocks, x, config), config);
}

/**
 * Target branch on the unmasked view b, under stopGradient.
 * Arguments: viewB [N, inChans, H, W]. Returns the targets [N, L, D] (cls dropped, not yet normalised).
 */
export function encodeTarget(target: SiameseimTargetParams, viewB: Tensor, config: SiameseimConfig): Tensor {
  const held = stopGradient(target);
  const tokens = embedPatches(held.patch_embed, stopGradient(viewB), config);
  const [n, , c] = tokens.shape;
  const x = concat([broadcastTo(held.cls_token, [n, 1, c]), tokens], 1);
  return stopGradient(sliceAxis(project(held, encoderBlocks(held.blocks, x, config), config), 1, 1));
}

/** p_b = decoder_pos_mlp(relative features). Arguments: features [N, L, 2D]. Returns [N, L, D]. */
export function relativePositionEmbedding(params: Pick<SiameseimParams, 'decoder_pos_mlp'>, features: Tensor): Tensor {
  return linear(params.decoder_pos_mlp, features, { name: 'decoder_pos_mlp' });
}

/** p_a = decoder_pos_embed[1:], the fixed table of view a's positions, [L, D]. */
export function absolutePositionEmbedding(config: SiameseimConfig, dtype: DType = config.dtype): Tensor {
  return sliceAxis(sincosPositionTable(siameseimGrid(config), config.decoderEmbedDim, { dtype }), 0, 1);
}

/**
 * The predictor. Arguments: projected [N, 1 + K, D] from `encodeOnline`; visible int32 [N, K];
 * maskPositions [N, L, D] (p_b) or [L, D], the positions the mask tokens ask about.
 * Returns pred [N, L, D], one prediction per queried position.
 */
export function predictViewB(params: SiameseimParams, projected: Tensor, visible: Tensor, maskPositions: Tensor, config: SiameseimConfig): Tensor {
  const [n, , d] = projected.shape;
  const length = maskPositions.shape[maskPositions.rank - 2];
  const pa = absolutePositionEmbedding(config, projected.dtype);
  const cls = sliceAxis(projected, 1, 0, 1);
  const seen = add(sliceAxis(projected, 1, 1), gatherTokens(pa, visible));
  const queries = broadcastTo(add(params.mask_token, maskPositions), [n, length, d]);
  const decoded = decoderBlocks(params.predictor_decoder_blocks, concat([cls, seen, queries], 1), {
    numHeads: config.decoderNumHeads,
    name: 'predictor_decoder_blocks',
  });
  return linear(params.decoder_pred, sliceAxis(decoded, 1, decoded.shape[1] - length), { name: 'decoder_pred' });
}

export interface SiameseimInputs {
  /** The online view [N, inChans, H, W]. */
  readonly viewA: Tensor;
  /** The target view [N, inChans, H, W]. */
  readonly viewB: Tensor;
  /** Visible patches of view a, int32 [N, K] (from `maskIndices`). */
  readonly visible: Tensor;
  /** Relative features of view b w.r.t. view a, [N, L, 2D]; omit to use p_a for the mask tokens (the MIM baseline). */
  readonly relativeFeatures?: Tensor;
}

/** The online branch end to end: pred [N, L, D] for the positions the mask tokens ask about. */
export function onlinePrediction(params: SiameseimParams, inputs: Omit<SiameseimInputs, 'viewB'>, config: SiameseimConfig): Tensor {
  const projected = encodeOnline(params, inputs.viewA, inputs.visible, config);
  const maskPositions = inputs.relativeFeatures ? relativePositionEmbedding(params, inputs.relativeFeatures) : absolutePositionEmbedding(config, projected.dtype);
  return predictViewB(params, projected, inputs.visible, maskPositions, config);
}

/** Both branches: `{pred [N, L, D], target [N, L, D]}`; the target carries no gradient. */
export function siameseimForward(params: SiameseimParams, target: SiameseimTargetParams, inputs: SiameseimInputs, config: SiameseimConfig): { pred: Tensor; target: Tensor } {
  return { pred: onlinePrediction(params, inputs, config), target: encodeTarget(target, inputs.viewB, config) };
}
