/**
 * The digits a run sees. Training draws its batch of step s from the step number alone (epochs of
 * floor(N / B) steps, each a fresh permutation from foldIn(dataKey, epoch), the tail dropped as
 * PyTorch's `drop_last`), so a resumed run draws exactly the batches an uninterrupted one would.
 * The subsets (`--train-limit`, `--knn-train`, `--test-limit`) are drawn with fixed keys, the same
 * for every seed, so runs are compared on the same digits.
 */
import { type Key, type Tensor, div, random, sub, take, tensor } from '../../core/index.js';
import { type Mnist, type MnistSplit, loadMnist } from '../support/mnist.js';

/** MNIST's usual mean and standard deviation, applied to every crop and every evaluated image. */
export const pixelMean = 0.1307;
export const pixelStd = 0.3081;

export interface RunData {
  /** Train digits in [0, 1], [N, 1, 28, 28], and their labels (used only by the k-NN bank). */
  readonly train: MnistSplit;
  /** The k-NN memory bank (train digits) and the evaluated test digits. */
  readonly bank: MnistSplit;
  readonly test: MnistSplit;
}

/** Rows `indices` of a split. */
export function pickRows(split: MnistSplit, indices: ArrayLike<number>): MnistSplit {
  const rows = tensor(Int32Array.from(indices), { shape: [indices.length], dtype: 'int32' });
  return { images: take(split.images, rows, 0), labels: take(split.labels, rows, 0) };
}

/** A fixed random subset of `count` rows (0 or at least the size: the whole split, in order). */
function subset(split: MnistSplit, count: number, seed: number): MnistSplit {
  const size = split.labels.shape[0];
  if (count === 0 || count >= size) return split;
  const order = random.permutation(random.key(seed), size).dataSync();
  return pickRows(split, Int32Array.from(order.subarray(0, count)).sort());
}

export function loadRunData(limits: { trainLimit: number; knnTrain: number; testLimit: number }): RunData {
  return runDataOf(loadMnist(), limits);
}

/** `loadRunData` of digits already in memory (a browser page fetches them). */
export function runDataOf(mnist: Mnist, limits: { trainLimit: number; knnTrain: number; testLimit: number }): RunData {
  const train = subset(mnist.train, limits.trainLimit, 20_210_429);
  return { train, bank: subset(train, limits.knnTrain, 20_210_430), test: subset(mnist.test, limits.testLimit, 20_210_431) };
}

/** The train rows of step `step` (see the file comment). */
export function batchRows(dataKey: Key, step: number, trainCount: number, batchSize: number): Int32Array {
  const stepsPerEpoch = Math.floor(trainCount / batchSize);
  const epoch = Math.floor(step / stepsPerEpoch);
  const order = random.permutation(random.foldIn(dataKey, epoch), trainCount).dataSync();
  const start = (step % stepsPerEpoch) * batchSize;
  return Int32Array.from(order.subarray(start, start + batchSize));
}

/** (x − mean) / std, as the crops are normalised. */
export function normalisePixels(images: Tensor): Tensor {
  return div(sub(images, pixelMean), pixelStd);
}
