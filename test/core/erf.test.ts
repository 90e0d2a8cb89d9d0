/** The two erf formulas kernels use: the exact series (float64) and the float32 formula. */
import { describe, expect, it } from 'vitest';
import { erfFloat32, erfSeries } from '../../core/ops/erf.js';

describe('erf', () => {
  it('the series matches known values of erf to float64 rounding', () => {
    // erf(0.5), erf(1), erf(2), erf(3) from Abramowitz & Stegun table 7.1 (more digits from the closed forms' standard tables)
    expect(erfSeries(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erfSeries(1)).toBeCloseTo(0.8427007929497149, 15);
    expect(erfSeries(2)).toBeCloseTo(0.9953222650189527, 15);
    expect(erfSeries(3)).toBeCloseTo(0.9999779095030014, 15);
    expect(erfSeries(-1)).toBe(-erfSeries(1));
  });

  it('the float32 formula stays within 1.5e-7 of the series on [-6, 6], and within 3e-7 relative', () => {
    for (let x = -6; x <= 6; x += 0.001) {
      const exact = erfSeries(x);
      const fast = erfFloat32(x);
      expect(Math.abs(fast - exact)).toBeLessThan(1.5e-7);
      if (exact !== 0) expect(Math.abs(fast - exact) / Math.abs(exact)).toBeLessThan(3e-7);
    }
  });
});
