/**
 * KoLeo (DINOv2's nearest-neighbour entropy regulariser): a hand-worked case, the nearest-neighbour
 * choice, and float64 gradient checks that a wrong rule fails.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { koleoLoss, nearestNeighbourSelection } from '../../ssl/koleo.js';
import { randomTensor } from '../support/draw.js';

beforeAll(() => tg.setBackend('reference'));

const f64 = (rows: number[][]) => tg.tensor(rows, { dtype: 'float64' });

describe('koleoLoss values', () => {
  // a = (1, 0), b = (0, 1), c = (2, 1)/√5: cos(a, c) = 2/√5 > cos(b, c) = 1/√5 > cos(a, b) = 0,
  // so n(a) = c, n(b) = c, n(c) = a, and ‖u − v‖² = 2 − 2 cos(u, v) on the unit circle
  it('a hand-worked batch of three', () => {
    const toA = Math.sqrt(2 - 4 / Math.sqrt(5));
    const toB = Math.sqrt(2 - 2 / Math.sqrt(5));
    const expected = -(Math.log(toA) + Math.log(toB) + Math.log(toA)) / 3;
    expect(koleoLoss(f64([[1, 0], [0, 2], [2, 1]])).item()).toBeCloseTo(expected, 6);
  });

  it('scales of the rows do not matter; two rows are each other’s neighbour', () => {
    // orthogonal unit rows are √2 apart
    expect(koleoLoss(f64([[3, 0], [0, 0.5]])).item()).toBeCloseTo(-Math.log(Math.SQRT2), 6);
  });

  it('selects the most similar other row, never the row itself', () => {
    const rows = tg.l2Normalize(f64([[1, 0], [0, 2], [2, 1]]), { axis: 1 });
    expect(nearestNeighbourSelection(rows).toArray()).toEqual([[0, 0, 1], [0, 0, 1], [1, 0, 0]]);
  });

  it('refuses a batch of one and a non-matrix', () => {
    expect(() => koleoLoss(f64([[1, 2]]))).toThrow(tg.OptionError);
    expect(() => koleoLoss(tg.tensor([1, 2, 3], { dtype: 'float64' }))).toThrow(tg.ShapeError);
  });
});

const caseArb = fc.record({ batch: fc.integer({ min: 2, max: 6 }), dim: fc.integer({ min: 2, max: 5 }), seed: fc.integer({ min: 1, max: 1e9 }) });

/**
 * Where finite differences can judge a gradient: KoLeo's −log d has slope 1/d, so two unit rows
 * closer than 0.1 make central differences drift by more than the tolerance (a draw with d ≈ 1e-3
 * gave 1145.56 against 1145.87), and at a tie between two neighbours the loss has a kink.
 */
function wellConditioned(rows: number[][]): boolean {
  const unit = rows.map((row) => row.map((v) => v / Math.hypot(...row)));
  return unit.every((u, i) => {
    const distances = unit.filter((_, j) => j !== i).map((v) => Math.hypot(...u.map((x, k) => x - v[k]))).sort((a, b) => a - b);
    return distances[0] > 0.1 && (distances.length < 2 || distances[1] - distances[0] > 1e-3);
  });
}

describe('koleoLoss gradients (float64 checkGrads)', () => {
  it('matches finite differences on random batches (25 runs)', () => {
    fc.assert(
      fc.property(caseArb, ({ batch, dim, seed }) => {
        const features = randomTensor([batch, dim], seed);
        fc.pre(wellConditioned(features.toArray() as number[][]));
        tg.checkGrads(koleoLoss, [features], { atol: 1e-6, rtol: 1e-5 });
      }),
      { numRuns: 25 },
    );
  });

  it('fails a rule that forgets the gradient through the neighbour end of each distance', () => {
    const features = randomTensor([5, 3], 11);
    const oneSided = (x: Tensor) => {
      const normalized = tg.l2Normalize(x, { axis: 1, eps: 1e-8 });
      const neighbours = tg.stopGradient(tg.matmul(nearestNeighbourSelection(normalized), normalized));
      const distance = tg.sqrt(tg.sum(tg.square(tg.add(tg.sub(normalized, neighbours), 1e-8)), { axis: 1 }));
      return tg.neg(tg.mean(tg.log(tg.add(distance, 1e-8))));
    };
    const wrong = tg.customVjp(koleoLoss, {
      forward: (x: Tensor) => [koleoLoss(x), x],
      backward: (x: Tensor, ct) => [tg.mul(tg.grad(oneSided)(x) as Tensor, ct)],
    });
    expect(() => tg.checkGrads(koleoLoss, [features])).not.toThrow();
    expect(() => tg.checkGrads(wrong, [features], { modes: ['rev'] })).toThrow(tg.GradientCheckError);
  });
});
