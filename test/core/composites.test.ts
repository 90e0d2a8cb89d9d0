/**
 * Composites are written from primitives, so their gradients come for free; these tests check that
 * they are right (values against direct formulas) and differentiate correctly (checkGrads on drawn shapes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { nonScalarShapeArb, randomTensor, seedArb } from '../support/draw.js';

const RUNS = 40;
const f64 = (values: tg.NestedArray) => tg.tensor(values, { dtype: 'float64' });

/** A drawn non-scalar float64 tensor and one of its axes. */
const tensorAndAxis = fc
  .tuple(nonScalarShapeArb(3, 4), seedArb)
  .chain(([shape, seed]) => fc.integer({ min: -shape.length, max: shape.length - 1 }).map((axis) => ({ x: randomTensor(shape, seed), axis })));

const composites: Record<string, (x: Tensor, axis: number) => Tensor> = {
  softmax: (x, axis) => tg.softmax(x, axis),
  logSoftmax: (x, axis) => tg.logSoftmax(x, axis),
  logsumexp: (x, axis) => tg.logsumexp(x, { axis }),
  mean: (x, axis) => tg.mean(x, { axis, keepDims: true }),
  variance: (x, axis) => tg.variance(x, { axis }),
  layerNorm: (x, axis) => tg.layerNorm(x, undefined, undefined, { axis, eps: 1e-5 }),
  l2Normalize: (x, axis) => tg.l2Normalize(x, axis),
  crossEntropy: (x, axis) => tg.crossEntropy(x, tg.softmax(tg.mul(x, -0.5), axis), { axis }),
  expandDims: (x, axis) => tg.expandDims(x, axis),
  'concat/split': (x, axis) => tg.concat(tg.split(x, [1, x.shape.at(axis)! - 1], axis).reverse(), axis),
  stack: (x, axis) => tg.stack([x, tg.mul(x, 2)], axis),
};

describe('composites pass checkGrads', () => {
  for (const [name, f] of Object.entries(composites)) {
    it(`${name} (${RUNS} runs)`, () => {
      fc.assert(
        fc.property(tensorAndAxis, ({ x, axis }) => {
          // layerNorm and variance need at least two elements along the axis to be differentiable away from 0
          fc.pre(!(name === 'layerNorm' && x.shape.at(axis) === 1));
          tg.checkGrads((y: Tensor) => f(y, axis), [x]);
        }),
        { numRuns: RUNS, seed: 7 },
      );
    });
  }
});

describe('composites compute the textbook values', () => {
  it('softmax and logSoftmax survive logits of scale 1000', () => {
    const x = f64([[1000, 1001, 999], [-1000, -1000, -1000]]);
    const p = tg.softmax(x).toArray() as number[][];
    const e = [Math.exp(-1), 1, Math.exp(-2)];
    const total = e[0] + e[1] + e[2];
    expect(p[0][1]).toBeCloseTo(1 / total, 14);
    expect(p[1]).toEqual([1 / 3, 1 / 3, 1 / 3].map((v) => expect.closeTo(v, 14)));
    const logp = tg.logSoftmax(x).toArray() as number[][];
    expect(logp[0][2]).toBeCloseTo(-2 - Math.log(total), 12);
  });

  it('logsumexp equals log Σ exp on small inputs and stays finite on large ones', () => {
    expect(tg.logsumexp(f64([0.5, -1, 2])).item()).toBeCloseTo(Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2)), 14);
    expect(tg.logsumexp(f64([800, 800])).item()).toBeCloseTo(800 + Math.LN2, 10);
  });

  it('variance is the population variance by default and the sample variance with correction 1', () => {
    const x = f64([1, 2, 3, 4]);
    expect(tg.variance(x).item()).toBeCloseTo(1.25, 14);
    expect(tg.variance(x, { correction: 1 }).item()).toBeCloseTo(5 / 3, 14);
  });

  it('layerNorm normalises rows then applies weight and bias', () => {
    const y = tg.layerNorm(f64([[1, 2, 3]]), f64([1, 2, 3]), f64([0, 0, 1]), { eps: 0 }).toArray() as number[][];
    const s = Math.sqrt(2 / 3);
    expect(y[0]).toEqual([-1 / s, 0, 1 + 3 / s].map((v) => expect.closeTo(v, 12)));
  });

  it('l2Normalize divides by the norm, and by eps for a zero row (as F.normalize)', () => {
    expect(tg.l2Normalize(f64([[3, 4], [0, 0]])).toArray()).toEqual([[0.6, 0.8], [0, 0]]);
  });

  it('crossEntropy with one-hot targets is −log softmax of the true class', () => {
    const logits = f64([[2, 1, 0]]);
    const loss = tg.crossEntropy(logits, f64([[0, 1, 0]])).item();
    expect(loss).toBeCloseTo(-(1 - Math.log(Math.exp(2) + Math.exp(1) + 1)), 14);
  });

  it('concat, stack and split agree with each other', () => {
    const a = f64([[1, 2], [3, 4]]);
    const b = f64([[5, 6]]);
    expect(tg.concat([a, b]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(tg.stack([a, a], 1).shape).toEqual([2, 2, 2]);
    expect(tg.split(tg.concat([a, b]), [2, 1]).map((t) => t.toArray())).toEqual([a.toArray(), b.toArray()]);
  });
});
