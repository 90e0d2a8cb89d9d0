/**
 * The digits a run sees: normalised train images, the batch of each step, and the fixed images the
 * k-NN evaluation uses. A step's batch depends only on (key, step), so a resumed run draws exactly
 * the batches an uninterrupted one would.
 */
import { type Tensor, div, random, sub, take, tensor } from '../../core/index.js';
import type { Mnist, MnistSplit } from '../support/mnist.js';
import { pixelMean, pixelStd } from './run-config.js';

/** (x − mean) / std with MNIST's statistics. */
export function normalisePixels(images: Tensor): Tensor {
  return div(sub(images, pixelMean), pixelStd);
}

/** Rows `indices` of a split: images [n, 1, 28, 28] and labels [n]. */
export function pickRows(split: MnistSplit, indices: ArrayLike<number>): MnistSplit {
  const rows = tensor(Int32Array.from(indices), { shape: [indices.length], dtype: 'int32' });
  return { images: take(split.images, rows, 0), labels: take(split.labels, rows, 0) };
}

/**
 * The train rows of step `step`: epochs of floor(N / batch) steps, each epoch a fresh permutation
 * drawn from `foldIn(key, epoch)`; the last N mod batch rows of an epoch are skipped, as with
 * PyTorch's `drop_last`.
 */
export function batchRows(key: Tensor, step: number, trainCount: number, batchSize: number): Int32Array {
  if (batchSize > trainCount) throw new Error(`batch size ${batchSize} is larger than the ${trainCount} train images`);
  const stepsPerEpoch = Math.floor(trainCount / batchSize);
  const epoch = Math.floor(step / stepsPerEpoch);
  const order = random.permutation(random.foldIn(key, epoch), trainCount).dataSync();
  const start = (step % stepsPerEpoch) * batchSize;
  return Int32Array.from(order.subarray(start, start + batchSize));
}

export interface KnnSets {
  /** The memory bank: raw train images [B, 1, 28, 28] in [0, 1] and labels [B]. */
  readonly bank: MnistSplit;
  /** The whole test split. */
  readonly test: MnistSplit;
}

/**
 * The k-NN memory bank is `bankSize` train images drawn with a fixed key (the same for every seed
 * and variant, so runs are compared on the same bank); 0 or more than the split takes all of it.
 */
export function knnSets(mnist: Mnist, bankSize: number): KnnSets {
  const trainCount = mnist.train.labels.shape[0];
  if (bankSize === 0 || bankSize >= trainCount) return { bank: mnist.train, test: mnist.test };
  const order = random.permutation(random.key(20_210_728), trainCount).dataSync();
  return { bank: pickRows(mnist.train, order.subarray(0, bankSize)), test: mnist.test };
}
