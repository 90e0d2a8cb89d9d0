/**
 * A property-based gradient test for every primitive: fast-check draws shapes (rank 0–4, size-1 axes,
 * broadcasting pairs) and values away from kinks, and `checkGrads` compares jvp and vjp with central
 * differences in float64 on the reference backend.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { gradientCases } from '../support/gradient-cases.js';

/** Runs per property; each run checks fwd mode (jvp) and rev mode (vjp). */
const RUNS = 100;

describe('every primitive passes checkGrads on drawn shapes and values', () => {
  for (const [name, arbitrary] of Object.entries(gradientCases)) {
    it(`${name} (${RUNS} runs, fwd + rev)`, () => {
      fc.assert(
        fc.property(arbitrary, ({ f, args, options }) => {
          tg.checkGrads(f, args, options);
        }),
        { numRuns: RUNS, seed: 42 },
      );
    });
  }

  it('covers every op in the op table', () => {
    expect(Object.keys(gradientCases).sort()).toEqual(Object.keys(tg.opTable).sort());
  });
});
