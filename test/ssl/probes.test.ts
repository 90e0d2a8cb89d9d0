/** linearProbe, fewShotAccuracy and attentionJaccard on small cases worked out by hand. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { attentionJaccard, jaccardIndex } from '../../ssl/attention-jaccard.js';
import { fewShotAccuracy, nearestMeanAccuracy } from '../../ssl/few-shot.js';
import { linearProbe, top1Accuracy } from '../../ssl/linear-probe.js';

beforeAll(() => tg.setBackend('reference'));

const f64 = (rows: number[][]) => tg.tensor(rows, { dtype: 'float64' });
const around = (angle: number, count: number, scale = 1) =>
  Array.from({ length: count }, (_, i) => [scale * Math.cos(angle + (i - count / 2) * 0.05), scale * Math.sin(angle + (i - count / 2) * 0.05)]);

describe('linearProbe', () => {
  it('top1Accuracy counts the argmax rows that match', () => {
    expect(top1Accuracy(f64([[1, 0], [0, 1], [2, 3]]), [0, 0, 1])).toBeCloseTo(200 / 3, 10);
  });

  it('separates two clusters of directions, whatever their lengths (normalised first)', () => {
    const train = f64([...around(0.2, 10, 3), ...around(1.4, 10, 0.1)]);
    const labels = [...new Array(10).fill(0), ...new Array(10).fill(1)];
    const result = linearProbe(train, labels, f64([[5, 1], [0.2, 1]]), [0, 1], { numClasses: 2, steps: 200 });
    expect(result.top1).toBe(100);
    expect(result.trainTop1).toBe(100);
  });

  it('cannot separate ±x from ±y: at most 3 of the 4 points (b < −|w₁| and b > |w₂| contradict)', () => {
    const points = f64([[1, 0], [-1, 0], [0, 1], [0, -1]]);
    const result = linearProbe(points, [0, 0, 1, 1], points, [0, 0, 1, 1], { numClasses: 2, steps: 200 });
    expect(result.trainTop1).toBeLessThanOrEqual(75);
  });
});

describe('fewShotAccuracy', () => {
  it('nearest class mean: (0.8, 0.6) is nearer the mean (1, 0) than (0, 1)', () => {
    const support = [Float64Array.of(1, 0), Float64Array.of(0, 1)];
    expect(nearestMeanAccuracy(support, [0, 1], [Float64Array.of(0.8, 0.6), Float64Array.of(0.6, 0.8)], [1, 1], 2)).toBe(50);
  });

  it('well-separated classes are right with one shot, whichever draw', () => {
    const train = f64([...around(0, 6), ...around(Math.PI / 2, 6)]);
    const labels = [...new Array(6).fill(0), ...new Array(6).fill(1)];
    const accuracy = fewShotAccuracy(train, labels, f64([[1, 0.1], [0.1, 1]]), [0, 1], { numClasses: 2, shots: [1, 5], key: tg.random.key(1) });
    expect(accuracy).toEqual({ 1: 100, 5: 100 });
  });

  it('refuses more shots than a class holds', () => {
    expect(() => fewShotAccuracy(f64([[1, 0], [0, 1]]), [0, 1], f64([[1, 0]]), [0], { numClasses: 2, shots: [2], key: tg.random.key(1) })).toThrow(tg.OptionError);
  });
});

describe('attentionJaccard', () => {
  it('jaccardIndex: 2 shared of 6 marked', () => {
    expect(jaccardIndex([1, 1, 1, 0, 0, 1], [1, 1, 0, 1, 1, 0])).toBeCloseTo(2 / 6, 12);
    expect(jaccardIndex([0, 0], [0, 0])).toBe(1);
  });

  it('a 2×2 grid of 2-pixel patches: the 60 % mask is the top-left patch; ink on the top row', () => {
    // CLS attends 0.7 to patch 0 and 0.1 to each other: ascending cumulative 0.1, 0.2, 0.3 ≤ 0.4, then 1.0 > 0.4
    const rows = Array.from({ length: 5 }, (_, i) => (i === 0 ? [0, 0.7, 0.1, 0.1, 0.1] : [1, 0, 0, 0, 0]));
    const image = [[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]];
    const result = attentionJaccard(tg.reshape(f64(rows), [1, 1, 5, 5]), tg.reshape(f64(image), [1, 1, 4, 4]), { patchSize: 2 });
    // mask: the 4 pixels of the top-left block; ink: the 4 of row 0; shared: 2 → 2 / (4 + 4 − 2)
    expect(result.perHead[0]).toBeCloseTo(1 / 3, 12);
    expect(result.mean).toBeCloseTo(1 / 3, 12);
  });

  it('refuses a patch size that does not divide the image', () => {
    expect(() => attentionJaccard(tg.zeros([1, 1, 5, 5]), tg.zeros([1, 1, 5, 5]), { patchSize: 2 })).toThrow(tg.OptionError);
  });
});
