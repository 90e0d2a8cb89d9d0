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

/**
 * erf(x) to float32 precision at a fraction of the series' cost, for float32 kernels: a Taylor
 * polynomial below |x| = 0.5 (relative error under 1e−8) and Abramowitz & Stegun 7.1.26 above
 * (absolute error under 1.5e−7, about float32's resolution of erf there).
 */
export function erfFloat32(x: number): number {
  const z = Math.abs(x);
  let magnitude = 0.0;
  if (z < 0.5) {
    const z2 = z * z;
    magnitude = 1.1283791670955126 * z * (1.0 - z2 * (0.3333333333333333 - z2 * (0.1 - z2 * (0.023809523809523808 - z2 * (0.004629629629629629 - z2 * 0.0007575757575757576)))));
  } else {
    const t = 1.0 / (1.0 + 0.3275911 * z);
    const polynomial = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    magnitude = 1.0 - polynomial * Math.exp(-z * z);
  }
  if (x < 0.0) return -magnitude;
  return magnitude;
}
