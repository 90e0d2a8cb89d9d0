/**
 * Dropout and drop path: identity at eval, expectation preserved, drop path removes whole samples.
 */
import { describe, expect, it } from 'vitest';
import { ones, type Tensor } from '../../core/index.js';
import { random } from '../../core/random.js';
import { dropout, dropPath } from '../../nn/index.js';
import { randomTensor } from '../support/draw.js';

const key = random.key(42);

describe('dropPath', () => {
  it('is the identity at eval and with rate 0', () => {
    const x = randomTensor([4, 3, 2], 1);
    expect(dropPath(x, { rate: 0.3, key })).toBe(x);
    expect(dropPath(x, { rate: 0, key, train: true })).toBe(x);
  });

  it('drops whole samples and scales the kept ones by 1/keep', () => {
    const x = randomTensor([64, 3, 2], 2);
    const y = dropPath(x, { rate: 0.25, key, train: true });
    const [xs, ys] = [x.toArray() as number[][][], y.toArray() as number[][][]];
    let dropped = 0;
    ys.forEach((sample, b) => {
      const flatY = sample.flat();
      const flatX = xs[b].flat();
      if (flatY.every((v) => v === 0)) dropped++;
      else flatY.forEach((v, i) => expect(v).toBeCloseTo(flatX[i] / 0.75, 14));
    });
    expect(dropped).toBeGreaterThan(4);
    expect(dropped).toBeLessThan(30);
  });

  it('preserves the mean: E[dropPath(1)] = 1 over 20000 samples', () => {
    const y = dropPath(ones([20000, 1], 'float64'), { rate: 0.4, key, train: true });
    const values = Array.from(y.dataSync());
    const mean = values.reduce((a, b) => a + b) / values.length;
    // std of the mean: √(keep(1−keep))/keep/√n ≈ 0.0058
    expect(Math.abs(mean - 1)).toBeLessThan(0.025);
    expect(new Set(values)).toEqual(new Set([0, 1 / 0.6]));
  });

  it('draws a different mask for a different key, the same for the same key', () => {
    const x = ones([200, 1], 'float64');
    const a = (k: Tensor) => Array.from(dropPath(x, { rate: 0.5, key: k, train: true }).dataSync()).join();
    expect(a(key)).toBe(a(key));
    expect(a(key)).not.toBe(a(random.key(43)));
  });
});

describe('dropout', () => {
  it('drops elements independently, keeps the mean, is the identity at eval', () => {
    const x = ones([100, 100], 'float64');
    expect(dropout(x, { rate: 0.5, key })).toBe(x);
    const values = Array.from(dropout(x, { rate: 0.2, key, train: true }).dataSync());
    const mean = values.reduce((a, b) => a + b) / values.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.03);
    const zeros = values.filter((v) => v === 0).length;
    expect(zeros / values.length).toBeGreaterThan(0.17);
    expect(zeros / values.length).toBeLessThan(0.23);
  });
});
