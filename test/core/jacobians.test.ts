/**
 * jacfwd, jacrev and hessian against central finite differences (checkGrads' own `centralDifference`),
 * column by column: the difference along the j-th basis direction is column j of the Jacobian. Float64
 * on the reference backend, with checkGrads' default tolerances; and the proof that the comparison can
 * fail: a customVjp with a wrong rule gives a Jacobian the differences reject.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { centralDifference } from '../../core/transforms/check-grads.js';
import { randomTensor, seedArb, shapeArb } from '../support/draw.js';

const RUNS = 25;
const EPS = 1e-5;
const ATOL = 1e-6;
const RTOL = 1e-6;

/**
 * The largest excess of |J − differences| over atol + rtol·|differences|, over every block of a
 * Jacobian of `f` with respect to its single tensor argument `x`; ≤ 0 means they agree.
 */
function worstDisagreement(f: (x: Tensor) => unknown, x: Tensor, jacobian: unknown): number {
  const [outLeaves] = tg.treeFlatten(f(x));
  const [blocks] = tg.treeFlatten(jacobian);
  let worst = -Infinity;
  for (let j = 0; j < x.size; j++) {
    const basis = new Float64Array(x.size);
    basis[j] = 1;
    const column = centralDifference(f, [x], [tg.tensor(basis, { shape: x.shape, dtype: 'float64' })], EPS);
    outLeaves.forEach((out, o) => {
      const block = blocks[o].dataSync();
      expect(blocks[o].shape).toEqual([...out.shape, ...x.shape]);
      for (let i = 0; i < out.size; i++) {
        const expected = column[o][i];
        worst = Math.max(worst, Math.abs(block[i * x.size + j] - expected) - (ATOL + RTOL * Math.abs(expected)));
      }
    });
  }
  return worst;
}

/** Smooth functions of one tensor, with one or two outputs of other shapes. */
const functions: Record<string, (x: Tensor) => unknown> = {
  'sin(x)·Σx²': (x) => tg.mul(tg.sin(x), tg.sum(tg.square(x))),
  'softmax(x + ⟨x, cos x⟩)': (x) => tg.softmax(tg.matmul(tg.reshape(x, [1, -1]), tg.reshape(tg.cos(x), [-1, 1])).reshape([1]).add(tg.reshape(x, [-1]))),
  '{sum: Σ tanh x, outer: x ⊗ exp x}': (x) => ({ sum: tg.sum(tg.tanh(x)), outer: tg.mul(tg.reshape(x, [-1, 1]), tg.reshape(tg.exp(x), [1, -1])) }),
};

const onReference = <T>(fn: () => T) => () => tg.withBackend('reference', fn);

describe('jacobians match finite differences', () => {
  for (const [name, f] of Object.entries(functions)) {
    for (const [mode, jacobian] of [['jacfwd', tg.jacfwd], ['jacrev', tg.jacrev]] as const) {
      it(
        `${mode} of ${name} (${RUNS} drawn shapes)`,
        onReference(() => {
          fc.assert(
            fc.property(shapeArb(2, 3), seedArb, (shape, seed) => {
              const x = randomTensor(shape, seed, { min: -1, max: 1 });
              expect(worstDisagreement(f, x, jacobian(f)(x))).toBeLessThanOrEqual(0);
            }),
            { numRuns: RUNS, seed: 42 },
          );
        }),
      );
    }
  }

  it(
    `hessian of Σ sin(x)·Σx² equals the differences of its gradient (${RUNS} drawn shapes)`,
    onReference(() => {
      const f = (x: Tensor) => tg.sum(tg.mul(tg.sin(x), tg.sum(tg.square(x))));
      fc.assert(
        fc.property(shapeArb(2, 3), seedArb, (shape, seed) => {
          const x = randomTensor(shape, seed, { min: -1, max: 1 });
          expect(worstDisagreement(tg.grad(f), x, tg.hessian(f)(x))).toBeLessThanOrEqual(0);
        }),
        { numRuns: RUNS, seed: 42 },
      );
    }),
  );

  it(
    'takes pytrees and argnums: blocks nest as the output of the arguments',
    onReference(() => {
      const p = { w: randomTensor([2, 3], 1), b: randomTensor([3], 2) };
      const x = randomTensor([2], 3);
      const f = (params: typeof p, input: Tensor) => tg.tanh(tg.add(tg.matmul(tg.reshape(input, [1, 2]), params.w), params.b));
      const byParams = tg.jacrev(f)(p, x);
      const byBoth = tg.jacfwd(f, { argnums: [0, 1] })(p, x);
      expect(byParams.w.shape).toEqual([1, 3, 2, 3]);
      expect(byParams.b.shape).toEqual([1, 3, 3]);
      expect(byBoth[1].shape).toEqual([1, 3, 2]);
      expect(worstDisagreement((b) => f({ ...p, b }, x), p.b, byParams.b)).toBeLessThanOrEqual(0);
      expect(worstDisagreement((b) => f({ ...p, b }, x), p.b, byBoth[0].b)).toBeLessThanOrEqual(0);
      expect(worstDisagreement((input) => f(p, input), x, byBoth[1])).toBeLessThanOrEqual(0);
    }),
  );

  it(
    'rejects the Jacobian of a customVjp whose rule is wrong (cos replaced by sin), in both modes',
    onReference(() => {
      const wrongSin = tg.customVjp((x: Tensor) => tg.sin(x), { forward: (x) => [tg.sin(x), x], backward: (x: Tensor, ct) => [tg.mul(ct, tg.sin(x))] });
      const x = randomTensor([3], 4, { min: 0.5, max: 1.5 });
      expect(worstDisagreement(wrongSin, x, tg.jacrev(wrongSin)(x))).toBeGreaterThan(0);
      expect(worstDisagreement(wrongSin, x, tg.jacfwd(wrongSin)(x))).toBeGreaterThan(0);
      expect(worstDisagreement(tg.sin, x, tg.jacrev(tg.sin)(x))).toBeLessThanOrEqual(0);
    }),
  );

  it('refuses argnums that do not index the arguments', () => {
    const call = () => tg.jacrev((x: Tensor) => x, { argnums: 1 })(tg.zeros([2]));
    expect(call).toThrow(tg.OptionError);
    expect(call).toThrow('jacrev: argnums 1 must be distinct indices of the 1 arguments (0..0)');
  });
});
