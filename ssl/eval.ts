/**
 * Evaluation of self-supervised features, after the official DINO scripts
 * (docs/dino.md §7 and §8): the weighted k-NN classifier of `eval_knn.py` and the
 * attention maps and mass thresholds of `visualize_attention.py`.
 *
 * These are measurements, never differentiated: the similarity matrix runs through core's matmul
 * (so it uses the current backend), and the ranking and voting run on the host in float64.
 */
import {
  type Tensor,
  OptionError,
  ShapeError,
  broadcastTo,
  isTensor,
  l2Normalize,
  matmul,
  matrixTranspose,
  reshape,
  sliceAxis,
  stopGradient,
  tensor,
} from '../core/index.js';

export interface WeightedKnnOptions {
  /** Neighbours that vote (the paper reports k = 20; the script also runs 10, 100, 200). */
  readonly k?: number;
  /** Temperature of the votes exp(sim / T) (0.07). */
  readonly T?: number;
  readonly numClasses: number;
  /**
   * Test rows per similarity block, so memory stays at chunkSize × Ntrain. The official script uses
   * num_test // 100 and fails below 100 test images; the chunking does not change any result.
   */
  readonly chunkSize?: number;
  /** Labels of the test rows; when given, the result carries top-1 / top-5 accuracies in %. */
  readonly testLabels?: Tensor | ArrayLike<number>;
}

export interface WeightedKnnResult {
  /** [Ntest, numClasses] float64: Σ over the top-k neighbours of exp(sim/T) per neighbour's class. */
  readonly classScores: Tensor;
  /** [Ntest, numClasses] int32: classes by descending score (ties: lower class first). */
  readonly predictions: Tensor;
  /** Top-1 and top-min(5, k) accuracies in %, when `testLabels` were given. */
  readonly top1?: number;
  readonly top5?: number;
}

function labelArray(fn: string, name: string, labels: Tensor | ArrayLike<number>, count: number, numClasses: number): Int32Array {
  const values = Int32Array.from(isTensor(labels) ? labels.dataSync() : labels);
  if (values.length !== count) throw new ShapeError(`${fn}: ${name} must hold ${count} labels, got ${values.length}`);
  values.forEach((label, i) => {
    if (!(label >= 0 && label < numClasses)) throw new OptionError(`${fn}: ${name}[${i}] = ${label} is outside [0, numClasses = ${numClasses})`);
  });
  return values;
}

/**
 * Weighted k-NN on cosine similarity (`eval_knn.py:knn_classifier`): features are L2-normalised
 * along dim 1, sim = test·trainᵀ, the top-k train rows by similarity vote for their label with
 * weight exp(sim/T) (unnormalised), classes are ranked by summed votes.
 *
 * Arguments: `trainFeatures` [Ntrain, D], `trainLabels` [Ntrain] integers in [0, numClasses),
 * `testFeatures` [Ntest, D]. Returns class scores and rankings, and accuracies when test labels are given.
 */
export function weightedKnn(trainFeatures: Tensor, trainLabels: Tensor | ArrayLike<number>, testFeatures: Tensor, options: WeightedKnnOptions): WeightedKnnResult {
  const { k = 20, T = 0.07, numClasses, chunkSize = 256, testLabels } = options;
  if (trainFeatures.rank !== 2 || testFeatures.rank !== 2 || trainFeatures.shape[1] !== testFeatures.shape[1]) {
    throw new ShapeError(`weightedKnn: trainFeatures [Ntrain, D] and testFeatures [Ntest, D] must share D, got [${trainFeatures.shape}] and [${testFeatures.shape}]`);
  }
  const [trainCount] = trainFeatures.shape;
  const [testCount] = testFeatures.shape;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new OptionError(`weightedKnn: numClasses must be a positive integer, got ${numClasses}`);
  if (!Number.isInteger(k) || k < 1 || k > trainCount) throw new OptionError(`weightedKnn: k must be an integer in [1, Ntrain = ${trainCount}], got ${k}`);
  if (!(T > 0)) throw new OptionError(`weightedKnn: T must be positive, got ${T}`);
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new OptionError(`weightedKnn: chunkSize must be a positive integer, got ${chunkSize}`);
  const train = labelArray('weightedKnn', 'trainLabels', trainLabels, trainCount, numClasses);
  const trainT = matrixTranspose(l2Normalize(stopGradient(trainFeatures), 1));
  const test = l2Normalize(stopGradient(testFeatures), 1);

  const scores = new Float64Array(testCount * numClasses);
  const neighbours = new Int32Array(k);
  const similarities = new Float64Array(k);
  for (let start = 0; start < testCount; start += chunkSize) {
    const stop = Math.min(testCount, start + chunkSize);
    const sim = matmul(sliceAxis(test, 0, start, stop), trainT).dataSync();
    for (let row = 0; row < stop - start; row++) {
      topK(sim, row * trainCount, trainCount, k, neighbours, similarities);
      const out = (start + row) * numClasses;
      for (let n = 0; n < k; n++) scores[out + train[neighbours[n]]] += Math.exp(similarities[n] / T);
    }
  }
  const predictions = rankClasses(scores, testCount, numClasses);
  const result = {
    classScores: tensor(scores, { shape: [testCount, numClasses] }),
    predictions: tensor(predictions, { shape: [testCount, numClasses] }),
  };
  if (testLabels === undefined) return result;
  const labels = labelArray('weightedKnn', 'testLabels', testLabels, testCount, numClasses);
  const depth = Math.min(5, k, numClasses);
  let top1 = 0;
  let top5 = 0;
  labels.forEach((label, i) => {
    if (predictions[i * numClasses] === label) top1++;
    for (let r = 0; r < depth; r++) if (predictions[i * numClasses + r] === label) top5++;
  });
  return { ...result, top1: (100 * top1) / testCount, top5: (100 * top5) / testCount };
}

/** The k largest of values[offset .. offset+count) with their indices, sorted descending (insertion into a k-buffer). */
function topK(values: ArrayLike<number>, offset: number, count: number, k: number, indices: Int32Array, best: Float64Array): void {
  let filled = 0;
  for (let i = 0; i < count; i++) {
    const v = values[offset + i];
    if (filled === k && !(v > best[k - 1])) continue;
    let slot = filled < k ? filled++ : k - 1;
    while (slot > 0 && best[slot - 1] < v) {
      best[slot] = best[slot - 1];
      indices[slot] = indices[slot - 1];
      slot--;
    }
    best[slot] = v;
    indices[slot] = i;
  }
}

function rankClasses(scores: Float64Array, rows: number, numClasses: number): Int32Array {
  const out = new Int32Array(rows * numClasses);
  const order = Array.from({ length: numClasses }, (_, c) => c);
  for (let r = 0; r < rows; r++) {
    const ranked = [...order].sort((a, b) => scores[r * numClasses + b] - scores[r * numClasses + a] || a - b);
    out.set(ranked, r * numClasses);
  }
  return out;
}

export interface AttentionMapOptions {
  /** (H/p, W/p): reshape each head's patch attention to this grid. Without it the maps stay flat [P]. */
  readonly grid?: readonly [number, number];
  /** Upsample the grid ×patchSize with nearest neighbours (needs `grid`), as the script saves them. */
  readonly patchSize?: number;
}

/**
 * The CLS token's attention over the patch tokens, per head, from the last block's attention
 * probabilities `attention` [B, heads, N, N] with N = 1 + P (token 0 is CLS): `A[:, :, 0, 1:]`,
 * the CLS→CLS entry dropped and the rows not renormalised. Returns [B, heads, P], or
 * [B, heads, gh, gw] with `grid`, or [B, heads, gh·p, gw·p] with `grid` and `patchSize`.
 */
export function attentionMaps(attention: Tensor, options: AttentionMapOptions = {}): Tensor {
  if (attention.rank !== 4 || attention.shape[2] !== attention.shape[3] || attention.shape[2] < 2) {
    throw new ShapeError(`attentionMaps: attention must be [B, heads, N, N] with N ≥ 2, got [${attention.shape}]`);
  }
  const [batch, heads, tokens] = attention.shape;
  const clsRow = sliceAxis(sliceAxis(stopGradient(attention), 2, 0, 1), 3, 1);
  const flat = reshape(clsRow, [batch, heads, tokens - 1]);
  const { grid, patchSize } = options;
  if (!grid) {
    if (patchSize !== undefined) throw new OptionError('attentionMaps: patchSize needs grid');
    return flat;
  }
  const [gh, gw] = grid;
  if (gh * gw !== tokens - 1) throw new ShapeError(`attentionMaps: grid ${gh}×${gw} does not hold the ${tokens - 1} patch tokens`);
  const maps = reshape(flat, [batch, heads, gh, gw]);
  if (patchSize === undefined || patchSize === 1) return maps;
  return upsampleNearest(maps, patchSize);
}

/** [..., h, w] → [..., h·p, w·p], each value repeated over a p × p block. */
export function upsampleNearest(x: Tensor, factor: number): Tensor {
  if (!Number.isInteger(factor) || factor < 1) throw new OptionError(`upsampleNearest: factor must be a positive integer, got ${factor}`);
  const lead = x.shape.slice(0, -2);
  const [h, w] = x.shape.slice(-2);
  const spread = broadcastTo(reshape(x, [...lead, h, 1, w, 1]), [...lead, h, factor, w, factor]);
  return reshape(spread, [...lead, h * factor, w * factor]);
}

/**
 * The keep-`keep`-of-the-mass mask of `visualize_attention.py` (the paper uses keep = 0.6), per row
 * of `maps` [..., P]: sort ascending, divide by the row sum, cumulative sum, keep positions where it
 * exceeds 1 − keep, unsort. Equivalently, patches from the highest attention down are kept while the
 * mass strictly above them is below `keep` (the patch that crosses it is kept). Returns a float 0/1
 * tensor of the shape and dtype of `maps` (reshape and `upsampleNearest` it for display).
 */
export function thresholdAttention(maps: Tensor, keep = 0.6): Tensor {
  if (!(keep > 0 && keep <= 1)) throw new OptionError(`thresholdAttention: keep must be in (0, 1], got ${keep}`);
  if (maps.rank < 1) throw new ShapeError('thresholdAttention: maps must have at least one axis');
  const size = maps.shape[maps.rank - 1];
  const values = stopGradient(maps).dataSync();
  const mask = new Float64Array(values.length);
  const order = new Array<number>(size);
  for (let start = 0; start < values.length; start += size) {
    for (let i = 0; i < size; i++) order[i] = i;
    order.sort((a, b) => values[start + a] - values[start + b] || a - b);
    let total = 0;
    for (let i = 0; i < size; i++) total += values[start + order[i]];
    let cumulative = 0;
    for (const index of order) {
      cumulative += values[start + index] / total;
      mask[start + index] = cumulative > 1 - keep ? 1 : 0;
    }
  }
  return tensor(mask, { shape: maps.shape, dtype: maps.dtype === 'int32' ? 'float32' : maps.dtype });
}
