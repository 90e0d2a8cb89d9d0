/**
 * Weighted k-NN (k 20, T 0.07, DINO's `eval_knn.py`) of three kinds of features on the same memory
 * bank and test digits: a backbone's CLS token (the teacher's, or the network at its random
 * initialisation), and raw pixels (784-d). Features are extracted in batches of `chunkSize` images,
 * outside every tape.
 */
import { type Tensor, concat, sliceAxis, stopGradient } from '../../core/index.js';
import { type VitConfig, type VitParams, vit } from '../../nn/index.js';
import { featureSpread } from '../../ssl/index.js';
import { type KnnScore, knnScore, pixelKnnScore } from '../support/knn-score.js';
import type { MnistSplit } from '../support/mnist.js';
import { normalisePixels } from './data.js';

export { knnNeighbours } from '../support/knn-score.js';

/** Images per forward pass of the evaluation: large enough for efficient matmuls, small enough for memory. */
const chunkSize = 500;

/** The normalised CLS feature [N, D] of `images` [N, 1, 28, 28] in [0, 1], no stochastic depth. */
export function clsFeatures(backbone: VitParams, config: VitConfig, images: Tensor): Tensor {
  const held = stopGradient(backbone);
  const evalConfig = { ...config, dropPathRate: 0 };
  const parts: Tensor[] = [];
  for (let start = 0; start < images.shape[0]; start += chunkSize) {
    const chunk = sliceAxis(images, 0, start, Math.min(images.shape[0], start + chunkSize));
    parts.push(vit(held, normalisePixels(chunk), { config: evalConfig }).cls);
  }
  return parts.length === 1 ? parts[0] : concat(parts, 0);
}

/** k-NN of a backbone's CLS feature, and the spread of its test features (0 when every digit maps to one point). */
export function backboneKnn(backbone: VitParams, config: VitConfig, bank: MnistSplit, test: MnistSplit): KnnScore & { featureStd: number } {
  const testFeatures = clsFeatures(backbone, config, test.images);
  const score = knnScore(clsFeatures(backbone, config, bank.images), bank.labels, testFeatures, test.labels);
  return { ...score, featureStd: featureSpread(testFeatures) };
}

/** k-NN on the 784 raw grey levels in [0, 1]. */
export function pixelKnn(bank: MnistSplit, test: MnistSplit): KnnScore {
  return pixelKnnScore(bank.images, bank.labels, test.images, test.labels);
}
