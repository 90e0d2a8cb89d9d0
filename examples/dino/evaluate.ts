/**
 * The evaluations of a DINO run, on the same memory bank (train digits) and test digits for every
 * network: weighted k-NN (k 20, T 0.07, DINO's `eval_knn.py`) of the CLS token (as the paper) and of
 * CLS beside the mean patch token; the Jaccard index of the 60 %-mass CLS-attention masks with the
 * ink; and, at the end, a linear probe and few-shot nearest class means (1, 5, 10 digits per class).
 * Raw pixels (784-d) get the same k-NN, probe and few-shot. Features are extracted in batches of
 * `chunkSize` images, outside every tape.
 */
import { type Tensor, concat, jit, mean, reshape, sliceAxis, stopGradient } from '../../core/index.js';
import { type VitConfig, type VitParams, vit } from '../../nn/index.js';
import { type AttentionJaccardResult, attentionJaccard, featureSpread } from '../../ssl/index.js';
import { type KnnScore, knnScore, pixelKnnScore } from '../support/knn-score.js';
import { type ProbeScores, probeScores } from '../support/probe-scores.js';
import type { MnistSplit } from '../support/mnist.js';
import { normalisePixels } from './data.js';

export { knnNeighbours } from '../support/knn-score.js';

/** Images per forward pass of the evaluation: large enough for efficient matmuls, small enough for memory. */
const chunkSize = 500;

interface BackboneFeatures {
  readonly cls: Tensor;
  /** [N, 2D]: CLS beside the mean of the patch tokens. */
  readonly clsPatch: Tensor;
  /** With `images` given attention: the Jaccard of its masks with the ink, averaged over the images. */
  readonly jaccard?: AttentionJaccardResult;
}

/** What one evaluation forward returns for a chunk of images. */
interface ChunkFeatures {
  readonly cls: Tensor;
  readonly clsPatch: Tensor;
  readonly attention?: Tensor;
}

type ChunkForward = (backbone: VitParams, images: Tensor) => ChunkFeatures;

/**
 * The evaluation forward of a chunk, compiled with jit once per configuration (and per chunk shape by
 * jit itself): thousands of images go through the same program, which on the CPU backends runs fused,
 * and on WebGPU as one device program with one read-back per chunk instead of one per op.
 */
const chunkForwards = new Map<string, ChunkForward>();

function chunkForward(config: VitConfig, withAttention: boolean): ChunkForward {
  const evalConfig = { ...config, dropPathRate: 0 };
  const key = JSON.stringify([evalConfig, withAttention]);
  let forward = chunkForwards.get(key);
  if (!forward) {
    forward = jit((backbone: VitParams, images: Tensor): ChunkFeatures => {
      const output = vit(stopGradient(backbone), normalisePixels(images), { config: evalConfig, returnAttention: withAttention });
      const clsPatch = concat([output.cls, mean(output.patchTokens, { axis: 1 })], 1);
      return withAttention ? { cls: output.cls, clsPatch, attention: output.attention! } : { cls: output.cls, clsPatch };
    });
    chunkForwards.set(key, forward);
  }
  return forward;
}

/** Features of `images` [N, 1, 28, 28] in [0, 1], no stochastic depth; with `withAttention`, the attention Jaccard too. */
function backboneFeatures(backbone: VitParams, config: VitConfig, images: Tensor, withAttention = false): BackboneFeatures {
  const forward = chunkForward(config, withAttention);
  const [cls, clsPatch]: Tensor[][] = [[], []];
  let heads: number[] = [];
  let meanJaccard = 0;
  const count = images.shape[0];
  for (let start = 0; start < count; start += chunkSize) {
    const chunk = sliceAxis(images, 0, start, Math.min(count, start + chunkSize));
    const output = forward(backbone, chunk);
    cls.push(output.cls);
    clsPatch.push(output.clsPatch);
    if (withAttention) {
      const share = chunk.shape[0] / count;
      const score = attentionJaccard(output.attention!, chunk, { patchSize: config.patchSize });
      heads = score.perHead.map((value, h) => (heads[h] ?? 0) + share * value);
      meanJaccard += share * score.mean;
    }
  }
  const joined = (parts: Tensor[]) => (parts.length === 1 ? parts[0] : concat(parts, 0));
  return { cls: joined(cls), clsPatch: joined(clsPatch), ...(withAttention ? { jaccard: { perHead: heads, mean: meanJaccard } } : {}) };
}

/** The normalised CLS feature [N, D] of `images` [N, 1, 28, 28] in [0, 1], no stochastic depth. */
export function clsFeatures(backbone: VitParams, config: VitConfig, images: Tensor): Tensor {
  return backboneFeatures(backbone, config, images).cls;
}

export interface BackboneScores {
  readonly knn: KnnScore;
  readonly knnClsPatch: KnnScore;
  /** Spread of the test CLS features (0 when every digit maps to one point). */
  readonly featureStd: number;
  readonly jaccard: AttentionJaccardResult;
  /** With `probes`: the linear probe and few-shot figures of the CLS feature. */
  readonly probes?: ProbeScores;
}

/** Every score of a backbone (the teacher's, or the network at initialisation); the probes only when asked (they take seconds). */
export function backboneScores(backbone: VitParams, config: VitConfig, bank: MnistSplit, test: MnistSplit, options: { probes: boolean }): BackboneScores {
  const bankFeatures = backboneFeatures(backbone, config, bank.images);
  const testFeatures = backboneFeatures(backbone, config, test.images, true);
  return {
    knn: knnScore(bankFeatures.cls, bank.labels, testFeatures.cls, test.labels),
    knnClsPatch: knnScore(bankFeatures.clsPatch, bank.labels, testFeatures.clsPatch, test.labels),
    featureStd: featureSpread(testFeatures.cls),
    jaccard: testFeatures.jaccard!,
    ...(options.probes ? { probes: probeScores(bankFeatures.cls, bank, testFeatures.cls, test) } : {}),
  };
}

/** k-NN, linear probe and few-shot on the 784 raw grey levels in [0, 1]. */
export function pixelScores(bank: MnistSplit, test: MnistSplit): { knn: KnnScore; probes: ProbeScores } {
  const flat = (images: Tensor) => reshape(images, [images.shape[0], -1]);
  return { knn: pixelKnnScore(bank.images, bank.labels, test.images, test.labels), probes: probeScores(flat(bank.images), bank, flat(test.images), test) };
}

/** k-NN of a backbone's CLS feature only, and the spread of its test features (the live page's quick score). */
export function backboneKnn(backbone: VitParams, config: VitConfig, bank: MnistSplit, test: MnistSplit): KnnScore & { featureStd: number } {
  const testFeatures = clsFeatures(backbone, config, test.images);
  const score = knnScore(clsFeatures(backbone, config, bank.images), bank.labels, testFeatures, test.labels);
  return { ...score, featureStd: featureSpread(testFeatures) };
}

/** k-NN on the 784 raw grey levels in [0, 1]. */
export function pixelKnn(bank: MnistSplit, test: MnistSplit): KnnScore {
  return pixelKnnScore(bank.images, bank.labels, test.images, test.labels);
}
