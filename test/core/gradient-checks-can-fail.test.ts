/**
 * The gradient tests must be able to fail. Two proofs: a customVjp with a deliberately wrong rule, and
 * a mutation of every differentiable primitive's vjp (cotangents scaled by 1.01) that the same property
 * tests as op-gradients.test.ts must catch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { GradientCheckError, type OpName, type Tensor } from '../../core/index.js';
import { gradientCases } from '../support/gradient-cases.js';

describe('checkGrads catches wrong derivatives', () => {
  it('rejects a customVjp whose backward uses sin where cos belongs (wrongSinVjp)', () => {
    const wrongSin = tg.customVjp((x: Tensor) => tg.sin(x), {
      forward: (x) => [tg.sin(x), x],
      backward: (x: Tensor, ct) => [tg.mul(ct, tg.sin(x))],
    });
    const x = tg.tensor([0.3, -1.2, 2.0], { dtype: 'float64' });
    expect(() => tg.checkGrads(wrongSin, [x], { modes: ['rev'] })).toThrow(GradientCheckError);
    expect(() => tg.checkGrads(wrongSin, [x], { modes: ['fwd'] })).toThrow(GradientCheckError);
  });

  it('rejects a second derivative that is wrong while the first is right (order 2)', () => {
    // first derivative right (cos), but its own derivative is cut off by stopGradient
    const flatCurvature = tg.customVjp((x: Tensor) => tg.sin(x), {
      forward: (x) => [tg.sin(x), x],
      backward: (x: Tensor, ct) => [tg.mul(ct, tg.cos(tg.stopGradient(x)))],
    });
    const x = tg.tensor([0.3, -1.2], { dtype: 'float64' });
    expect(() => tg.checkGrads(flatCurvature, [x], { order: 1 })).not.toThrow();
    expect(() => tg.checkGrads(flatCurvature, [x], { order: 2 })).toThrow(GradientCheckError);
  });

  // sign, the comparisons, random draws (whose input is an int32 key) and stopGradient have no gradient to get wrong
  const withoutGradient: OpName[] = ['sign', 'greater', 'greaterEqual', 'less', 'equal', 'randomDraw', 'stopGradient'];
  const mutated = (Object.keys(gradientCases) as OpName[]).filter((name) => !withoutGradient.includes(name));

  for (const name of mutated) {
    it(`a vjp of ${name} off by 1% is caught by its property test`, () => {
      const op = tg.opTable[name] as { vjp: (...args: any[]) => readonly (Tensor | null)[] };
      const original = op.vjp;
      op.vjp = (...args) => original(...args).map((ct) => (ct ? tg.mul(ct, 1.01) : ct));
      try {
        const property = fc.property(gradientCases[name], ({ f, args, options }) => {
          tg.checkGrads(f, args, { ...options, modes: ['rev'] });
        });
        const result = fc.check(property, { numRuns: 100, seed: 42 });
        expect(result.failed).toBe(true);
        expect(result.errorInstance).toBeInstanceOf(GradientCheckError);
      } finally {
        op.vjp = original;
      }
    });
  }
});
