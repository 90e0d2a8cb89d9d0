/**
 * SiameseIM's projector and predictor (`projector_decoder_blocks`, `predictor_decoder_blocks`):
 * stacks of the same pre-norm transformer block at the decoder width D, with 16 heads in the
 * released config and a norm choice of `batchNorm` (`PermuteBN`, the default: BatchNorm1d over all
 * tokens of all images, batch statistics, keys `norm1.bn.weight`) or `layerNorm` (`--use_proj_ln`,
 * `--use_pred_ln`, eps 1e-6). Linear weights are xavier-uniform with zero bias as in MAE.
 *
 * BatchNorm here always normalises with the statistics of the tokens it is given: SiameseIM runs
 * both branches in training mode and never reads the running buffers, so none are kept (see
 * `batch-norm.ts` for `updateRunningStats` if an eval-mode use needs them).
 */
import type { DType, Tensor } from '../core/index.js';
import { checkHeads } from './attention.js';
import { type BlockNorm, type BlockParams, block, blockNorms, initBlock } from './block.js';
import type { LinearInit } from './init.js';
import { splitKey, splitOptionalKey } from './keys.js';
import { childName } from './naming.js';
import { checkChoice, checkInteger, checkKnownOptions, checkRange } from './options.js';

export type DecoderBlocksParams = readonly BlockParams[];

export interface DecoderBlocksConfig {
  /** Decoder width D (768 in the released SiameseIM config). */
  readonly dim: number;
  /** Number of blocks: 2 for the projector, 4 for the predictor. */
  readonly depth: number;
  /** 16 in SiameseIM. */
  readonly numHeads: number;
  /** Default 4. */
  readonly mlpRatio?: number;
  /** Default `batchNorm`. */
  readonly norm?: BlockNorm;
  /** Default true. */
  readonly qkvBias?: boolean;
  /** Default `xavierUniform` (MAE/SiameseIM). */
  readonly init?: LinearInit;
  readonly dtype?: DType;
}

const decoderOptions = ['dim', 'depth', 'numHeads', 'mlpRatio', 'norm', 'qkvBias', 'init', 'dtype'];

/** `depth` blocks, each from its own key. */
export function initDecoderBlocks(key: Tensor, config: DecoderBlocksConfig): DecoderBlocksParams {
  checkKnownOptions('initDecoderBlocks', config, decoderOptions);
  const dim = checkInteger('initDecoderBlocks', 'dim', config.dim, 1);
  const depth = checkInteger('initDecoderBlocks', 'depth', config.depth, 1);
  checkHeads('initDecoderBlocks', dim, config.numHeads);
  const norm = checkChoice('initDecoderBlocks', 'norm', config.norm ?? 'batchNorm', blockNorms);
  const mlpRatio = checkRange('initDecoderBlocks', 'mlpRatio', config.mlpRatio ?? 4, 0, Infinity, true);
  const { numHeads, qkvBias = true, init = 'xavierUniform', dtype } = config;
  return splitKey(key, depth).map((k) => initBlock(k, { dim, numHeads, mlpRatio, qkvBias, norm, init, dtype }));
}

export interface DecoderBlocksOptions {
  readonly numHeads: number;
  /** LayerNorm eps when the blocks use LayerNorm (default 1e-6). */
  readonly eps?: number;
  /** Stochastic depth per block (default 0, as SiameseIM). */
  readonly dropPathRate?: number;
  readonly key?: Tensor;
  readonly train?: boolean;
  /** Prefix for error names, e.g. `projector_decoder_blocks`. */
  readonly name?: string;
}

/**
 * Runs the blocks in order. Arguments: `x` [B, N, D] (all tokens: with BatchNorm the statistics are
 * pooled over every token of every image in x). Returns [B, N, D].
 */
export function decoderBlocks(params: DecoderBlocksParams, x: Tensor, options: DecoderBlocksOptions): Tensor {
  const { numHeads, eps = 1e-6, dropPathRate = 0, train = false, name = 'decoder_blocks' } = options;
  const keys = splitOptionalKey(options.key, params.length);
  return params.reduce(
    (y, blockParams, i) => block(blockParams, y, { numHeads, eps, dropPathRate, key: keys[i], train, name: childName(name, i) }),
    x,
  );
}
