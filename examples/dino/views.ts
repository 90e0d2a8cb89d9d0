/**
 * The V crops DINO sees at one step: ssl's `multiCrop` with the run's crop list (two global 28×28
 * crops, then the local ones), MNIST normalisation and no flips. With `strokeJitter` > 0 each crop
 * is cut from its own re-inked copy of the digits (see stroke-width.ts), so that two crops of a
 * digit differ in pen as well as in framing. Every draw depends only on the key and the dataset
 * index of the image, never on its position in the batch.
 */
import { type Key, type Tensor, random } from '../../core/index.js';
import { type CropConfig, affineJitter, multiCrop } from '../../ssl/index.js';
import { imageSize } from '../support/mnist.js';
import { pixelMean, pixelStd } from './data.js';
import type { DinoRunConfig } from './presets.js';
import { jitterStrokeWidth } from './stroke-width.js';

/** The crop list: two global crops of the full size, then `localCrops` local ones, with DINO's per-crop probabilities. */
export function cropConfigs(config: DinoRunConfig): CropConfig[] {
  const [blurGlobal1, blurGlobal2, blurLocal] = config.blurProbs;
  const [solarizeGlobal1, solarizeGlobal2, solarizeLocal] = config.solarizeProbs;
  return [
    { size: imageSize, scale: config.globalScale, blurProb: blurGlobal1, solarizeProb: solarizeGlobal1 },
    { size: imageSize, scale: config.globalScale, blurProb: blurGlobal2, solarizeProb: solarizeGlobal2 },
    ...Array.from({ length: config.localCrops }, () => ({ size: config.localSize, scale: config.localScale, blurProb: blurLocal, solarizeProb: solarizeLocal })),
  ];
}

/**
 * Arguments: `images` [B, 1, 28, 28] in [0, 1]; `imageIds` their dataset indices; `key` the step's
 * augmentation key. Returns V normalised crop tensors [B, 1, s_v, s_v], global crops first.
 */
export function stepViews(key: Key, images: Tensor, imageIds: ArrayLike<number>, config: DinoRunConfig): Tensor[] {
  const crops = cropConfigs(config);
  const ids = Array.from(imageIds);
  if (config.affineDegrees > 0 || config.affineShift > 0) {
    const [viewKey, affineKey] = random.split(key, 2);
    const moved = affineJitter(images, affineKey, { maxDegrees: config.affineDegrees, maxShift: config.affineShift, imageIds: ids });
    return stepViews(viewKey, moved, ids, { ...config, affineDegrees: 0, affineShift: 0 });
  }
  const options = { ratio: config.ratio, flipProb: 0, blurSigma: config.blurSigma, normalize: { mean: [pixelMean], std: [pixelStd] }, imageIds: ids };
  if (config.strokeJitter === 0) return multiCrop(key, images, { ...options, crops }).crops;
  const [cropKey, strokeKey] = random.split(key, 2);
  return crops.map((crop, v) => {
    const reinked = jitterStrokeWidth(images, random.foldIn(strokeKey, v), ids, config.strokeJitter);
    return multiCrop(random.foldIn(cropKey, v), reinked, { ...options, crops: [crop] }).crops[0];
  });
}
