/**
 * Few-shot accuracy: with only `shots` labelled examples per class, each test feature takes the
 * class of the nearest class mean, all on L2-normalised features (the "nearest centroid" protocol
 * of few-shot evaluations). Averaged over several random draws of the labelled set, since one
 * draw of 1 example per class varies by many points. Host code, never differentiated.
 */
import { type Key, type Tensor, OptionError, ShapeError, random } from '../core/index.js';

export interface FewShotOptions {
  readonly numClasses: number;
  /** Labelled examples per class (e.g. [1, 5, 10]). */
  readonly shots: readonly number[];
  /** Draws of the labelled set averaged over (default 5). */
  readonly draws?: number;
  /** Drives which examples are drawn; draw d of every shot count uses foldIn(key, d). */
  readonly key: Key;
}

/** Rows of a [N, D] tensor as unit vectors, in float64. */
function normalizedRows(features: Tensor): Float64Array[] {
  const [rows, dim] = features.shape;
  const values = features.dataSync();
  return Array.from({ length: rows }, (_, i) => {
    const row = Float64Array.from(values.subarray(i * dim, (i + 1) * dim));
    const norm = Math.max(Math.hypot(...row), 1e-12);
    return row.map((x) => x / norm);
  });
}

/** Accuracy (%) of nearest-class-mean classification of `test` with the class means of the labelled `support` rows. */
export function nearestMeanAccuracy(support: readonly Float64Array[], supportLabels: readonly number[], test: readonly Float64Array[], testLabels: ArrayLike<number>, numClasses: number): number {
  const dim = test[0]?.length ?? 0;
  const means = Array.from({ length: numClasses }, () => new Float64Array(dim));
  const counts = new Array<number>(numClasses).fill(0);
  support.forEach((row, i) => {
    counts[supportLabels[i]]++;
    row.forEach((x, j) => (means[supportLabels[i]][j] += x));
  });
  means.forEach((m, c) => m.forEach((x, j) => (m[j] = x / Math.max(1, counts[c]))));
  let correct = 0;
  test.forEach((row, i) => {
    let [best, bestDistance] = [-1, Infinity];
    for (let c = 0; c < numClasses; c++) {
      if (counts[c] === 0) continue;
      let distance = 0;
      for (let j = 0; j < dim; j++) distance += (row[j] - means[c][j]) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [c, distance];
    }
    if (best === testLabels[i]) correct++;
  });
  return (100 * correct) / test.length;
}

/**
 * Arguments: `trainFeatures` [N, D] with `trainLabels` (the pool the labelled examples come from),
 * `testFeatures` [M, D] with `testLabels`. Returns the mean accuracy (%) over the draws, per shot count.
 */
export function fewShotAccuracy(trainFeatures: Tensor, trainLabels: ArrayLike<number>, testFeatures: Tensor, testLabels: ArrayLike<number>, options: FewShotOptions): Record<number, number> {
  const { numClasses, shots, draws = 5, key } = options;
  if (trainFeatures.rank !== 2 || testFeatures.rank !== 2 || trainFeatures.shape[1] !== testFeatures.shape[1]) {
    throw new ShapeError(`fewShotAccuracy: features must be [N, D] and [M, D], got [${trainFeatures.shape}] and [${testFeatures.shape}]`);
  }
  if (!(Number.isInteger(draws) && draws >= 1)) throw new OptionError(`fewShotAccuracy: draws must be a positive integer, got ${draws}`);
  const [train, test] = [normalizedRows(trainFeatures), normalizedRows(testFeatures)];
  const byClass = Array.from({ length: numClasses }, () => [] as number[]);
  for (let i = 0; i < trainLabels.length; i++) byClass[trainLabels[i]].push(i);
  const result: Record<number, number> = {};
  for (const shot of shots) {
    if (byClass.some((rows) => rows.length < shot)) throw new OptionError(`fewShotAccuracy: a class has fewer than ${shot} train examples`);
    let total = 0;
    for (let d = 0; d < draws; d++) {
      const drawKey = random.foldIn(key, d);
      const chosen = byClass.flatMap((rows, c) => {
        const order = random.permutation(random.foldIn(drawKey, c), rows.length).dataSync();
        return Array.from(order.subarray(0, shot), (k) => rows[k]);
      });
      total += nearestMeanAccuracy(chosen.map((i) => train[i]), chosen.map((i) => trainLabels[i]), test, testLabels, numClasses);
    }
    result[shot] = total / draws;
  }
  return result;
}
