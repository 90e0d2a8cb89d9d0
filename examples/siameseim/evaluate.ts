/**
 * Weighted k-NN (k 20, T 0.07, as DINO's `eval_knn.py`) of three kinds of features on the same memory
 * bank and test images: the online encoder's CLS token (and its mean patch token), the same network
 * at its random initialisation, and raw pixels.
 */
import type { Tensor } from '../../core/index.js';
import { type SiameseimConfig, type SiameseimParams, weightedKnn } from '../../ssl/index.js';
import { type KnnSets, normalisePixels } from './data.js';
import { encoderFeatures, featuresInChunks, pixelFeatures } from './features.js';

export const knnNeighbours = 20;
export const knnTemperature = 0.07;
/** Images per encoder call; small chunks keep the activations in cache. */
const chunkSize = 32;

export interface KnnScore {
  /** Accuracies in %. */
  readonly top1: number;
  readonly top5: number;
}

function knn(bankFeatures: Tensor, testFeatures: Tensor, sets: KnnSets): KnnScore {
  const k = Math.min(knnNeighbours, bankFeatures.shape[0]);
  const { top1, top5 } = weightedKnn(bankFeatures, sets.bank.labels, testFeatures, { k, T: knnTemperature, numClasses: 10, testLabels: sets.test.labels });
  return { top1: top1 ?? NaN, top5: top5 ?? NaN };
}

/**
 * k-NN of the encoder's CLS feature, and of its mean patch token from the same pass (images are
 * normalised as in training).
 */
export function encoderKnn(params: SiameseimParams, model: SiameseimConfig, sets: KnnSets): { cls: KnnScore; patchMean: KnnScore } {
  const features = (images: Tensor) => featuresInChunks(normalisePixels(images), chunkSize, (chunk) => encoderFeatures(params, chunk, model));
  const [bank, test] = [features(sets.bank.images), features(sets.test.images)];
  return { cls: knn(bank.cls, test.cls, sets), patchMean: knn(bank.patchMean, test.patchMean, sets) };
}

/** k-NN on the 784 raw grey levels in [0, 1]. */
export function pixelKnn(sets: KnnSets): KnnScore {
  return knn(pixelFeatures(sets.bank.images), pixelFeatures(sets.test.images), sets);
}
