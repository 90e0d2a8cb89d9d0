/**
 * Weighted k-NN and the attention mass threshold against test/fixtures/dino.json, plus checks of
 * the chunking, the accuracies and the attention-map layout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { attentionMaps, thresholdAttention, upsampleNearest, weightedKnn } from '../../ssl/eval.js';
import { featureSpread } from '../../ssl/collapse.js';
import { randomTensor } from '../support/draw.js';
import { f64, goldenChecks, loadFixture, maxAbsError } from '../support/golden.js';

const fixture = loadFixture('dino.json');
const TOL = 1e-9;
const golden = goldenChecks('eval', TOL);

function record(group: string, actual: ArrayLike<number>, expected: number[]) {
  golden.check(group, maxAbsError(Array.from(actual), expected));
}

beforeAll(() => tg.setBackend('reference'));
afterAll(golden.report);

describe('weightedKnn', () => {
  it('matches knn_cases: class scores and sorted predictions', () => {
    fixture.knn_cases.forEach((c: any) => {
      const result = weightedKnn(f64(c.train_features), c.train_labels, f64(c.test_features), { k: c.k, T: c.T, numClasses: c.num_classes, chunkSize: 3 });
      record('knn_cases', result.classScores.dataSync(), c.class_scores.flat());
      expect(Array.from(result.predictions.dataSync())).toEqual(c.predictions_sorted.flat());
    });
  });

  it('chunking changes nothing; accuracies follow the rankings', () => {
    const c = fixture.knn_cases[0];
    const labels = c.predictions_sorted.map((row: number[]) => row[0]);
    const whole = weightedKnn(f64(c.train_features), c.train_labels, f64(c.test_features), { k: c.k, T: c.T, numClasses: c.num_classes, testLabels: labels });
    const chunked = weightedKnn(f64(c.train_features), c.train_labels, f64(c.test_features), { k: c.k, T: c.T, numClasses: c.num_classes, chunkSize: 1, testLabels: labels });
    expect(Array.from(chunked.classScores.dataSync())).toEqual(Array.from(whole.classScores.dataSync()));
    expect(whole.top1).toBe(100);
    const second = c.predictions_sorted.map((row: number[]) => row[1]);
    const other = weightedKnn(f64(c.train_features), c.train_labels, f64(c.test_features), { k: c.k, T: c.T, numClasses: c.num_classes, testLabels: second });
    expect(other.top1).toBe(0);
    expect(other.top5).toBe(100);
  });

  it('separable clusters are classified perfectly, and features are normalised first', () => {
    const centres = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const noise = randomTensor([30, 3], 3, { min: -0.1, max: 0.1 }).toArray() as number[][];
    const train = noise.map((n, i) => centres[i % 3].map((x, d) => (x + n[d]) * (1 + (i % 5))));
    const labels = train.map((_, i) => i % 3);
    const result = weightedKnn(f64(train), labels, f64(centres), { k: 5, numClasses: 3, testLabels: [0, 1, 2] });
    expect(result.top1).toBe(100);
  });

  it('rejects labels outside the classes and k beyond the train set', () => {
    const x = f64([[1, 0], [0, 1]]);
    expect(() => weightedKnn(x, [0, 3], x, { k: 1, numClasses: 2 })).toThrow(tg.OptionError);
    expect(() => weightedKnn(x, [0, 1], x, { k: 3, numClasses: 2 })).toThrow(tg.OptionError);
  });
});

describe('attention maps and the mass threshold', () => {
  it('thresholdAttention matches attention_mask_cases (keep 0.6)', () => {
    fixture.attention_mask_cases.forEach((c: any) => {
      const mask = thresholdAttention(f64(c.attn_cls_to_patches), c.keep);
      record('attention_mask_cases', mask.dataSync(), c.mask.flat());
    });
  });

  it('keeps the smallest set of top patches whose mass reaches keep', () => {
    const maps = f64([[0.1, 0.5, 0.2, 0.2]]);
    // 0.5 alone is below 0.6, so one of the two 0.2s (which one is a tie) crosses it and is kept
    const kept = Array.from(thresholdAttention(maps, 0.6).dataSync());
    expect(kept[0]).toBe(0);
    expect(kept[1]).toBe(1);
    expect(kept[2] + kept[3]).toBe(1);
    expect(Array.from(thresholdAttention(maps, 0.5).dataSync())).toEqual([0, 1, 0, 0]);
    expect(Array.from(thresholdAttention(maps, 1).dataSync())).toEqual([1, 1, 1, 1]);
  });

  it('attentionMaps takes the CLS row over the patches, per head, and upsamples by the patch size', () => {
    const [B, heads, grid] = [2, 3, 2];
    const N = 1 + grid * grid;
    const attention = tg.tensor(Float64Array.from({ length: B * heads * N * N }, (_, i) => i), { shape: [B, heads, N, N], dtype: 'float64' });
    const flat = attentionMaps(attention);
    expect(flat.shape).toEqual([B, heads, N - 1]);
    expect((flat.toArray() as number[][][])[1][2]).toEqual([1, 2, 3, 4].map((j) => ((1 * heads + 2) * N + 0) * N + j));
    const maps = attentionMaps(attention, { grid: [grid, grid], patchSize: 3 });
    expect(maps.shape).toEqual([B, heads, 6, 6]);
    const m = maps.toArray() as number[][][][];
    expect(m[0][0][4][1]).toBe((flat.toArray() as number[][][])[0][0][2]);
    expect(upsampleNearest(f64([[1, 2]]), 2).toArray()).toEqual([[1, 1, 2, 2], [1, 1, 2, 2]]);
  });
});

describe('featureSpread', () => {
  it('is 0 for identical rows and positive for spread rows', () => {
    expect(featureSpread(f64([[1, 2], [2, 4]]))).toBeLessThan(1e-12);
    expect(featureSpread(f64([[1, 0], [0, 1]]))).toBeCloseTo(0.5, 12);
  });
});
