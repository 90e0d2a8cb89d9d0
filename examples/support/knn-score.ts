/**
 * The k-NN score every example reports: DINO's weighted k-NN (`eval_knn.py`, k 20, T 0.07) through
 * ssl's `weightedKnn`, as top-1 and top-5 accuracies in %. Features need not be normalised.
 */
import { type Tensor, reshape } from '../../core/index.js';
import { weightedKnn } from '../../ssl/index.js';

export const knnNeighbours = 20;
export const knnTemperature = 0.07;

export interface KnnScore {
  /** Accuracies in %. */
  readonly top1: number;
  readonly top5: number;
}

/** Scores `testFeatures` [M, D] against the bank `bankFeatures` [N, D]; k is capped at N. */
export function knnScore(bankFeatures: Tensor, bankLabels: Tensor, testFeatures: Tensor, testLabels: Tensor): KnnScore {
  const k = Math.min(knnNeighbours, bankFeatures.shape[0]);
  const { top1, top5 } = weightedKnn(bankFeatures, bankLabels, testFeatures, { k, T: knnTemperature, numClasses: 10, testLabels });
  return { top1: top1 ?? NaN, top5: top5 ?? NaN };
}

/** k-NN on raw grey levels, each image flattened. */
export function pixelKnnScore(bankImages: Tensor, bankLabels: Tensor, testImages: Tensor, testLabels: Tensor): KnnScore {
  const flat = (images: Tensor) => reshape(images, [images.shape[0], -1]);
  return knnScore(flat(bankImages), bankLabels, flat(testImages), testLabels);
}
