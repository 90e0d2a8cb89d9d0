/**
 * Weighted k-NN (k 20, T 0.07, as DINO's `eval_knn.py`) of three kinds of features on the same memory
 * bank and test images: the online encoder's CLS token (and its mean patch token), the same network
 * at its random initialisation, and raw pixels; at the end also a linear probe and few-shot accuracy.
 */
import type { Tensor } from '../../core/index.js';
import type { SiameseimConfig, SiameseimParams } from '../../ssl/index.js';
import { type KnnScore, knnScore } from '../support/knn-score.js';
import { type ProbeScores, probeScores } from '../support/probe-scores.js';
import { type KnnSets, normalisePixels } from './data.js';
import { encoderFeatures, featuresInChunks, pixelFeatures } from './features.js';

export { knnNeighbours } from '../support/knn-score.js';

/** Images per encoder call; small chunks keep the activations in cache. */
const chunkSize = 32;

const knn = (bankFeatures: Tensor, testFeatures: Tensor, sets: KnnSets): KnnScore => knnScore(bankFeatures, sets.bank.labels, testFeatures, sets.test.labels);

/**
 * k-NN of the encoder's CLS feature, and of its mean patch token from the same pass (images are
 * normalised as in training).
 */
export function encoderKnn(params: SiameseimParams, model: SiameseimConfig, sets: KnnSets): { cls: KnnScore; patchMean: KnnScore } {
  const { cls, patchMean } = encoderScores(params, model, sets, { probes: false });
  return { cls, patchMean };
}

/** Linear probe and few-shot of the CLS token and of the mean patch token. */
export interface EncoderProbes {
  readonly cls: ProbeScores;
  readonly patchMean: ProbeScores;
}

/** `encoderKnn`, and with `probes` the linear probe and few-shot figures of both features (seconds more). */
export function encoderScores(params: SiameseimParams, model: SiameseimConfig, sets: KnnSets, options: { probes: boolean }): { cls: KnnScore; patchMean: KnnScore; probes?: EncoderProbes } {
  const features = (images: Tensor) => featuresInChunks(normalisePixels(images), chunkSize, (chunk) => encoderFeatures(params, chunk, model));
  const [bank, test] = [features(sets.bank.images), features(sets.test.images)];
  const probes = options.probes
    ? { cls: probeScores(bank.cls, sets.bank, test.cls, sets.test), patchMean: probeScores(bank.patchMean, sets.bank, test.patchMean, sets.test) }
    : undefined;
  return { cls: knn(bank.cls, test.cls, sets), patchMean: knn(bank.patchMean, test.patchMean, sets), ...(probes ? { probes } : {}) };
}

/** Linear probe and few-shot on the 784 raw grey levels. */
export function pixelProbes(sets: KnnSets): ProbeScores {
  return probeScores(pixelFeatures(sets.bank.images), sets.bank, pixelFeatures(sets.test.images), sets.test);
}

/** k-NN on the 784 raw grey levels in [0, 1]. */
export function pixelKnn(sets: KnnSets): KnnScore {
  return knn(pixelFeatures(sets.bank.images), pixelFeatures(sets.test.images), sets);
}
