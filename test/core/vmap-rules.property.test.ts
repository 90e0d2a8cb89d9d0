/**
 * A property test for every batching rule (`core/batching/rules.ts`): vmap of stacked examples equals
 * the stack of the examples, on drawn shapes, batch sizes, inAxes and outAxes; and the proof that
 * the check can fail: a rule that puts its examples in the wrong order is caught for every op.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { type BatchRule } from '../../core/batching/rule.js';
import { batchRules } from '../../core/batching/rules.js';
import type { OpName } from '../../core/index.js';
import { type BatchCase, type RefusedCase, batchingCases } from '../support/batching-cases.js';
import { batchingProperty } from '../support/batching-property.js';

/** Runs per rule; each run compares vmap with a loop over 1–3 examples. */
const RUNS = 100;

const entries = Object.entries(batchingCases) as [OpName, fc.Arbitrary<BatchCase> | RefusedCase][];
const drawn = entries.filter((entry): entry is [OpName, fc.Arbitrary<BatchCase>] => !('refused' in entry[1]));

describe('every batching rule agrees with a loop over the examples', () => {
  for (const [name, arbitrary] of drawn) {
    it(`${name} (${RUNS} runs)`, () => {
      fc.assert(batchingProperty(arbitrary), { numRuns: RUNS, seed: 42 });
    });
  }

  it('refuses customVjp under a tape with a TransformError that names it (its backward is written for one example)', () => {
    const x = tg.zeros([2, 3]);
    const call = () =>
      tg.grad((y: Tensor) => {
        batchRules.customVjp({ op: tg.opTable.customVjp, inputs: [{ value: y, axis: 0 }], attrs: { name: 'mySin', primals: 0 }, size: 2 });
        return tg.sum(y);
      })(x);
    expect(call).toThrow(tg.TransformError);
    expect(call).toThrow('vmap: customVjp (mySin) cannot be batched under grad, vjp, jvp or jit');
  });

  it('covers every op in the op table', () => {
    expect(Object.keys(batchingCases).sort()).toEqual(Object.keys(tg.opTable).sort());
    expect(Object.keys(batchRules).sort()).toEqual(Object.keys(tg.opTable).sort());
  });
});

describe('the batching property catches wrong rules', () => {
  // a rule whose examples come out in reverse order: right shapes, wrong values
  const reversed = (rule: BatchRule): BatchRule => (args) => {
    const out = rule(args);
    return out.axis === null ? out : { value: tg.flip(out.value, out.axis), axis: out.axis };
  };
  const rules = batchRules as Record<OpName, BatchRule>;
  for (const [name, arbitrary] of drawn) {
    it(`a ${name} rule that reverses the examples is caught`, () => {
      const original = rules[name];
      rules[name] = reversed(original);
      try {
        const result = fc.check(batchingProperty(arbitrary), { numRuns: 100, seed: 42, endOnFailure: true });
        expect(result.failed).toBe(true);
        // caught as a disagreement with the loop, not as an exception
        expect(String(result.errorInstance)).toBe('Error: Property failed by returning false');
      } finally {
        rules[name] = original;
      }
    });
  }
});
