/**
 * DINO's `MultiCropWrapper` (docs/dino.md §4): consecutive crops of the same width form a group; the
 * backbone runs once per group on the crops concatenated along the batch axis; the head runs once
 * on all rows. Rows come out crop-major: row v·B + b is crop v of image b.
 */
import { OptionError, ShapeError, type Tensor, concat } from '../core/index.js';
import { type DinoHeadParams, dinoHead } from './dino-head.js';
import { splitOptionalKey } from './keys.js';
import { type VitConfig, type VitParams, vit } from './vit.js';

export interface ForwardContext {
  readonly key?: Tensor;
  readonly train?: boolean;
}

/** `images` [n, C, H, W] → features [n, D]. */
export type Backbone = (images: Tensor, context: ForwardContext) => Tensor;
/** features [n, D] → outputs [n, K]. */
export type Head = (features: Tensor, context: ForwardContext) => Tensor;

/** [start, end) index ranges of consecutive crops sharing a width (`shape[-1]`), as `unique_consecutive`. */
export function groupConsecutiveCrops(crops: readonly Tensor[]): [number, number][] {
  const groups: [number, number][] = [];
  crops.forEach((crop, i) => {
    const width = crop.shape[crop.rank - 1];
    const last = groups[groups.length - 1];
    if (last && crops[last[0]].shape[crops[last[0]].rank - 1] === width) last[1] = i + 1;
    else groups.push([i, i + 1]);
  });
  return groups;
}

function checkCrops(crops: readonly Tensor[]): void {
  if (crops.length === 0) throw new OptionError('multiCrop: needs at least one crop');
  crops.forEach((crop, i) => {
    if (crop.rank !== 4) throw new ShapeError(`multiCrop: crop ${i} must be [B, C, H, W], got shape [${crop.shape.join(', ')}]`);
    if (crop.shape[0] !== crops[0].shape[0]) {
      throw new ShapeError(`multiCrop: crop ${i} has batch ${crop.shape[0]} but crop 0 has ${crops[0].shape[0]}; the row layout needs one batch size`);
    }
  });
}

/**
 * The backbone over every crop, one call per group. Arguments: V crops, each [B, C, Hv, Wv].
 * Returns features [V·B, D], crop-major. Each group gets its own key.
 */
export function multiCropBackbone(crops: readonly Tensor[], backbone: Backbone, context: ForwardContext = {}): Tensor {
  checkCrops(crops);
  const groups = groupConsecutiveCrops(crops);
  const keys = splitOptionalKey(context.key, groups.length);
  const outputs = groups.map(([start, end], g) => backbone(concat(crops.slice(start, end), 0), { key: keys[g], train: context.train }));
  return concat(outputs, 0);
}

/** Backbone per group, then the head once on all rows. Returns [V·B, K], crop-major. */
export function multiCropForward(crops: readonly Tensor[], backbone: Backbone, head: Head, context: ForwardContext = {}): Tensor {
  return multiCropFeaturesAndOutput(crops, backbone, head, context).output;
}

/** `multiCropForward` that also returns the backbone features [V·B, D] the head read (for a regulariser on them). */
export function multiCropFeaturesAndOutput(crops: readonly Tensor[], backbone: Backbone, head: Head, context: ForwardContext = {}): { features: Tensor; output: Tensor } {
  const [backboneKey, headKey] = splitOptionalKey(context.key, 2);
  const features = multiCropBackbone(crops, backbone, { key: backboneKey, train: context.train });
  return { features, output: head(features, { key: headKey, train: context.train }) };
}

export type DinoModelParams = {
  readonly backbone: VitParams;
  readonly head: DinoHeadParams;
};

export interface DinoMultiCropOptions extends ForwardContext {
  readonly vitConfig: VitConfig;
  /** Default true (DINO's default). */
  readonly normLastLayer?: boolean;
}

/**
 * The DINO student/teacher: ViT CLS features per crop group, then `dinoHead`. Params are keyed
 * `backbone.*` and `head.*` as the official checkpoints. Arguments: V crops [B, C, Hv, Wv].
 * Returns [V·B, K], crop-major.
 */
export function dinoMultiCrop(params: DinoModelParams, crops: readonly Tensor[], options: DinoMultiCropOptions): Tensor {
  return dinoMultiCropWithFeatures(params, crops, options).output;
}

/** `dinoMultiCrop` that also returns the CLS features [V·B, D], crop-major. */
export function dinoMultiCropWithFeatures(params: DinoModelParams, crops: readonly Tensor[], options: DinoMultiCropOptions): { features: Tensor; output: Tensor } {
  const { vitConfig, normLastLayer } = options;
  return multiCropFeaturesAndOutput(
    crops,
    (images, context) => vit(params.backbone, images, { config: vitConfig, ...context }).cls,
    (features) => dinoHead(params.head, features, { normLastLayer }),
    options,
  );
}
