/**
 * erf(x) for kernels, exact to float64 rounding: erf(x) = 2/√π · e^(−x²) · Σₙ (2x²)ⁿ x / (1·3·…·(2n+1)).
 * Every term is positive, so nothing cancels; the loop stops once a term no longer moves the sum.
 * Past |x| = 6, erf(x) = ±1 in float64. Written for gpu.js: plain arithmetic, a bounded loop.
 */
export function erfSeries(x: number): number {
  const z = Math.min(Math.abs(x), 6.0);
  let term = z;
  let sum = z;
  for (let n = 1; n < 200; n++) {
    term = (term * 2.0 * z * z) / (2.0 * n + 1.0);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const magnitude = 1.1283791670955126 * Math.exp(-z * z) * sum;
  if (x < 0.0) return -magnitude;
  return magnitude;
}
