/**
 * One SiameseIM training iteration as a pure function (docs/siameseim.md §1.6, official `engine_pretrain.py`):
 *
 *   t = step / itersPerEpoch;  lr = warmup-cosine(t);  m = 1 − ½(1 + cos(πt/T))(1 − 0.995)
 *   views, masks, relative features  ← key
 *   target params ← m·target + (1 − m)·online          (before the target forward, no gradient)
 *   loss = siameseimLoss(pred(online, view a | mask, p_b), target(view b))
 *   grads clipped to total norm 1.0;  AdamW β = (0.9, 0.95), wd 0.05 with timm's no-decay rule
 *
 * `variant` also runs the two baselines the paper argues against: `mim` (view b = view a, the
 * same crop and flip, and the mask tokens carry p_a) and `id` (one global target per image: the
 * mean of view b's target tokens, predicted by the mean of the predictions).
 */
import { OptionError, type PyTree, type Tensor, mean, valueAndGrad } from '../core/index.js';
import { random } from '../core/random.js';
import { clipByGlobalNorm } from '../nn/clip.js';
import { type AdamwHparams, type AdamwMoments, type AdamwState, adamwApply, adamwNextState, initAdamw } from '../nn/optim.js';
import type { ParamGroup } from '../nn/param-groups.js';
import { type StepScalars, compiledStep, finiteLoss, optimizerInputs } from './compiled-step.js';
import { emaUpdate } from './ema.js';
import { type BlockMaskOptions, blockMasks, maskIndices } from './masks.js';
import { relativePositionFeaturesBatch } from './relative-position.js';
import {
  type SiameseimConfig,
  type SiameseimInputs,
  type SiameseimParams,
  type SiameseimTargetParams,
  encodeTarget,
  initSiameseim,
  onlinePrediction,
  siameseimGrid,
  targetParamsOf,
} from './siameseim.js';
import { type SiameseimLossOptions, siameseimLoss } from './siameseim-loss.js';
import { siameseimLearningRate, siameseimMomentum } from './siameseim-schedules.js';
import { type ViewPair, type ViewPairOptions, siameseimViews } from './siameseim-views.js';

export type SiameseimVariant = 'siameseim' | 'mim' | 'id';
export const siameseimVariants: readonly SiameseimVariant[] = ['siameseim', 'mim', 'id'];

export interface SiameseimTrainConfig {
  readonly model: SiameseimConfig;
  /** Default `siameseim`. */
  readonly variant?: SiameseimVariant;
  /** Iterations per epoch: t = step / itersPerEpoch is the fractional epoch of the schedules. */
  readonly itersPerEpoch: number;
  /** T of both cosines (1600). */
  readonly totalEpochs?: number;
  /** Linear lr warmup (40 epochs). */
  readonly warmupEpochs?: number;
  /** blr · batch / 256 (1e-3 in the released run). */
  readonly peakLr?: number;
  readonly minLr?: number;
  /** EMA momentum at t = 0 (0.995). */
  readonly momentumBase?: number;
  /** AdamW decoupled weight decay for the decay group (0.05). */
  readonly weightDecay?: number;
  readonly betas?: readonly [number, number];
  /** Total-norm gradient clipping (1.0). */
  readonly clipNorm?: number;
  /** Loss options: λ = negWeight (0.02), onlineLn. */
  readonly loss?: SiameseimLossOptions;
  /** Mask options; by default 118/196 of the grid (rounded) with blocks of ≥ 16/196 of it. */
  readonly mask?: Omit<BlockMaskOptions, 'grid'>;
  /** Crop options (scale [0.08, 1], ratio [3/4, 4/3], flip probability ½). */
  readonly crop?: Omit<ViewPairOptions, 'sameView'>;
}

export interface SiameseimState {
  readonly params: SiameseimParams;
  /** The momentum copies of encoder and projector. */
  readonly target: SiameseimTargetParams;
  readonly optimizer: AdamwState;
  /** Iterations done so far. */
  readonly step: number;
}

export interface SiameseimMetrics {
  readonly loss: number;
  readonly positive: number;
  readonly negative: number;
  readonly momentum: number;
  readonly lr: number;
  /** Total gradient norm before clipping. */
  readonly gradNorm: number;
  /** The fractional epoch t of this step. */
  readonly epoch: number;
}

/** Fresh online parameters, the target as their copy, an empty AdamW state, step 0. */
export function initSiameseimState(key: Tensor, model: SiameseimConfig): SiameseimState {
  const params = initSiameseim(key, model);
  return { params, target: targetParamsOf(params), optimizer: initAdamw(), step: 0 };
}

/**
 * timm's `param_groups_weight_decay`: no decay for tensors of rank ≤ 1 and names ending `.bias`;
 * cls_token and mask_token (rank 3) decay; the frozen patch embedding is left out.
 */
export function siameseimParamGroups(trainPatchEmbed: boolean): (name: string, param: Tensor) => ParamGroup {
  return (name, param) => {
    if (!trainPatchEmbed && name.startsWith('patch_embed.')) return 'frozen';
    return param.rank <= 1 || name.endsWith('.bias') ? 'noDecay' : 'decay';
  };
}

/** The mask settings for a G×G grid: the official 118 of 196 and min 16, scaled to G² when G ≠ 14. */
export function defaultMaskOptions(grid: number): BlockMaskOptions {
  const length = grid * grid;
  return { grid, count: Math.round((length * 118) / 196), minPatches: Math.max(1, Math.round((length * 16) / 196)) };
}

export interface SiameseimBatch {
  readonly inputs: SiameseimInputs;
  /** int32 [N, L], 1 = masked. */
  readonly mask: Tensor;
  readonly pairs: readonly ViewPair[];
}

/**
 * The data pipeline of one step: both views, the masks of view a and the relative features.
 * Arguments: images [N, inChans, H, W]. For `mim` view b is view a and no relative features are made.
 */
export function prepareSiameseimBatch(key: Tensor, images: Tensor, config: SiameseimTrainConfig): SiameseimBatch {
  const { model, variant = 'siameseim' } = config;
  const grid = siameseimGrid(model);
  const [viewKey, maskKey] = random.split(key, 2);
  const { viewA, viewB, pairs } = siameseimViews(viewKey, images, model.imgSize, { ...config.crop, sameView: variant === 'mim' });
  const mask = blockMasks(maskKey, images.shape[0], { ...defaultMaskOptions(grid), ...config.mask, grid });
  const { visible } = maskIndices(mask);
  const relativeFeatures =
    variant === 'mim' ? undefined : relativePositionFeaturesBatch(pairs.map((p) => p.relative), grid, model.decoderEmbedDim, { dtype: images.dtype });
  return { inputs: { viewA, viewB, visible, relativeFeatures }, mask, pairs };
}

/** For `id`, one global vector per image: the mean over tokens, [N, L, D] → [N, 1, D]. */
const pooled = (x: Tensor, variant: SiameseimVariant) => (variant === 'id' ? mean(x, { axis: 1, keepDims: true }) : x);

/** The tensors of a SiameseIM state that one iteration reads and writes. */
interface SiameseimArrays {
  readonly params: SiameseimParams;
  readonly target: SiameseimTargetParams;
  readonly moments: AdamwMoments;
}

interface SiameseimUpdateResult {
  readonly arrays: SiameseimArrays;
  readonly loss: Tensor;
  readonly positive: Tensor;
  readonly negative: Tensor;
  readonly gradNorm: Tensor;
}

type SiameseimUpdate = (arrays: SiameseimArrays, inputs: SiameseimInputs, scalars: StepScalars) => SiameseimUpdateResult;

/**
 * The tensor half of one iteration, reading no value on the host (so `jit` can trace it): EMA of the
 * target, target forward on view b, online prediction and loss, gradient, total-norm clipping, AdamW
 * with the given coefficients.
 */
function siameseimUpdateOf(config: SiameseimTrainConfig): SiameseimUpdate {
  const { model, variant = 'siameseim' } = config;
  return (arrays, inputs, scalars) => {
    // the official order: the online weights of the previous step move the target, then the target runs
    const target = emaUpdate(arrays.target, targetParamsOf(arrays.params), scalars.momentum);
    const goal = pooled(encodeTarget(target, inputs.viewB, model), variant);
    const lossOf = (params: SiameseimParams): [Tensor, { positive: Tensor; negative: Tensor }] => {
      const terms = siameseimLoss(pooled(onlinePrediction(params, inputs, model), variant), goal, config.loss);
      return [terms.loss, { positive: terms.positive, negative: terms.negative }];
    };
    const [[loss, terms], grads] = valueAndGrad(lossOf, { hasAux: true })(arrays.params) as [[Tensor, { positive: Tensor; negative: Tensor }], PyTree];
    const clipped = clipByGlobalNorm(grads, config.clipNorm ?? 1.0);
    const updated = adamwApply(arrays.params as unknown as PyTree, clipped.grads, arrays.moments, scalars.adamw, { betas: config.betas ?? [0.9, 0.95] });
    return {
      arrays: { params: updated.params as unknown as SiameseimParams, target, moments: updated.moments },
      loss,
      positive: terms.positive,
      negative: terms.negative,
      gradNorm: clipped.norm,
    };
  };
}

/** The host half of an iteration around `update`: schedules, views and masks, AdamW plan, the loss check, metrics. */
function runSiameseimStep(
  update: SiameseimUpdate,
  state: SiameseimState,
  batch: { readonly images: Tensor },
  key: Tensor,
  config: SiameseimTrainConfig,
): { state: SiameseimState; metrics: SiameseimMetrics } {
  const { model, variant = 'siameseim', itersPerEpoch, totalEpochs = 1600, warmupEpochs = 40, peakLr = 1e-3, minLr = 0 } = config;
  if (!siameseimVariants.includes(variant)) throw new OptionError(`siameseimStep: variant must be one of ${siameseimVariants.join(', ')}, got ${JSON.stringify(variant)}`);
  const epoch = state.step / itersPerEpoch;
  const lr = siameseimLearningRate(epoch, { peakLr, warmupEpochs, totalEpochs, minLr });
  const momentum = siameseimMomentum(epoch, { base: config.momentumBase ?? 0.995, totalEpochs });
  const { inputs } = prepareSiameseimBatch(key, batch.images, config);

  const hparams: AdamwHparams = { lr, weightDecay: config.weightDecay ?? 0.05, betas: config.betas ?? [0.9, 0.95], groups: siameseimParamGroups(model.trainPatchEmbed) };
  const optimizer = optimizerInputs(state.params as unknown as PyTree, state.optimizer, hparams, momentum);
  const result = update({ params: state.params, target: state.target, moments: optimizer.moments }, inputs, optimizer.scalars);
  const loss = finiteLoss('siameseimStep', state.step, result.loss);
  return {
    state: { params: result.arrays.params, target: result.arrays.target, optimizer: adamwNextState(state.optimizer, optimizer.plan, result.arrays.moments), step: state.step + 1 },
    metrics: { loss, positive: result.positive.item(), negative: result.negative.item(), momentum, lr, gradNorm: result.gradNorm.item(), epoch },
  };
}

const siameseimStepForms = compiledStep({
  configOf: (_state: SiameseimState, _batch: { readonly images: Tensor }, _key: Tensor, config: SiameseimTrainConfig): [SiameseimTrainConfig] => [config],
  updateOf: siameseimUpdateOf,
  run: runSiameseimStep,
});

/**
 * One iteration. Arguments: state; batch `{images [N, inChans, H, W]}` (raw images: the views are
 * cut here); key, which draws crops, flips and masks; config. Returns the next state and metrics.
 * Throws `NonFiniteLossError` on a non-finite loss. `jitSiameseimStep()` gives the same step with its
 * tensor half compiled by `jit`.
 */
export function siameseimStep(state: SiameseimState, batch: { readonly images: Tensor }, key: Tensor, config: SiameseimTrainConfig): { state: SiameseimState; metrics: SiameseimMetrics } {
  return siameseimStepForms.eager(state, batch, key, config);
}

/**
 * `siameseimStep` with its tensor half (everything after the views and masks are cut) compiled by
 * `jit`: traced on the first call per signature, replayed after, and built anew when `config` is a
 * different object; results equal `siameseimStep`'s. The data pipeline, schedules and AdamW step
 * counts stay on the host. Each returned function keeps its own compiled programs.
 */
export function jitSiameseimStep(): typeof siameseimStep {
  return siameseimStepForms.compiled();
}
