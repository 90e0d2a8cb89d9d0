/**
 * Special functions in float64 for samplers: erfc, its scaled form, erfinv and the normal CDF and
 * quantile. Host code only (kernels use `ops/erf.ts`); `random.ts` draws normals through them.
 */
import { erfSeries } from './ops/erf.js';

const twoOverSqrtPi = 1.1283791670955126;
/** Below this erfc(x) = 1 − erf(x) loses under 1.5 digits; above it the continued fraction needs under 100 terms. */
const continuedFractionFrom = 1.5;
/** w = −log(q(2 − q)) beyond which Giles' fit (made for float32, where 1 − x ≥ 2^−24) is not used. */
const farTail = 16;

/** e^(x²) · erfc(x) for x ≥ 0, without underflow for large x. */
export function erfcScaled(x: number): number {
  if (x < continuedFractionFrom) return Math.exp(x * x) * (1 - erfSeries(x));
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), by the modified Lentz method
  const tiny = 1e-300;
  let value = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    d = x + (n / 2) * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = x + n / 2 / (Math.abs(c) < tiny ? tiny : c);
    const delta = c * d;
    value *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return twoOverSqrtPi / 2 / value;
}

/** erfc(x) = 1 − erf(x), with full relative precision in the right tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x === Infinity) return 0;
  if (x < continuedFractionFrom) return 1 - erfSeries(x);
  return expOfNegativeSquare(x, 1) * erfcScaled(x);
}

/** Φ(x), the standard normal CDF. */
export function normalCdf(x: number): number {
  const t = -x / Math.SQRT2;
  if (t < continuedFractionFrom || t === Infinity) return 0.5 * erfc(t);
  // e^(−x²/2) from x itself: rounding t = −x/√2 would cost x² ulps of relative precision
  return 0.5 * expOfNegativeSquare(x, 0.5) * erfcScaled(t);
}

/** e^(−scale · x²) with x² carried exactly as hi + lo (Dekker's product), so large x lose no precision. */
function expOfNegativeSquare(x: number, scale: number): number {
  const hi = x * x;
  if (scale * hi > 750) return 0; // below the smallest subnormal (and x² may overflow)
  const spread = 134217729 * x; // 2^27 + 1 splits x into two 26-bit halves
  const head = spread - (spread - x);
  const tail = x - head;
  const lo = head * head - hi + 2 * head * tail + tail * tail;
  return Math.exp(-scale * hi) * (1 - scale * lo);
}

/** Φ⁻¹(p) for p in [0, 1]; precise in both tails because 1 − p is exact for p ≥ ½. */
export function normalQuantile(p: number): number {
  return p < 0.5 ? -Math.SQRT2 * erfcinv(2 * p) : Math.SQRT2 * erfcinv(2 * (1 - p));
}

/** erfinv(x) for x in [−1, 1]. */
export function erfinv(x: number): number {
  const magnitude = Math.abs(x);
  if (!(magnitude <= 1)) return NaN;
  const y = magnitude <= 0.5 ? centralInverse(magnitude) : tailInverse(1 - magnitude);
  return x < 0 ? -y : y;
}

/** erfcinv(q) for q in [0, 2]. */
export function erfcinv(q: number): number {
  if (!(q >= 0 && q <= 2)) return NaN;
  if (q <= 0.5) return tailInverse(q);
  if (q >= 1.5) return -tailInverse(2 - q);
  const x = 1 - q;
  return x < 0 ? -centralInverse(-x) : centralInverse(x);
}

/**
 * Giles' single-precision erfinv ("Approximating the erfinv function", GPU Computing Gems, 2011),
 * about 1e−7 relative; `w` = −log((1 − x)(1 + x)) is passed in so that tails can compute it from 1 − x.
 */
function gilesErfinv(x: number, w: number): number {
  const coefficients =
    w < 5
      ? [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]
      : [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682];
  const t = w < 5 ? w - 2.5 : Math.sqrt(w) - 3;
  let p = 0;
  for (const c of coefficients) p = p * t + c;
  return p * x;
}

/** erfinv(x) for 0 ≤ x ≤ ½: Giles' guess and two Newton steps on erf(y) − x. */
function centralInverse(x: number): number {
  let y = gilesErfinv(x, -Math.log((1 - x) * (1 + x)));
  for (let step = 0; step < 2; step++) y -= (erfSeries(y) - x) / (twoOverSqrtPi * Math.exp(-y * y));
  return y;
}

/**
 * erfcinv(q) for 0 < q ≤ ½: Giles' guess, then three Newton steps on log erfc(y) − log q, which stays
 * well scaled however small q is: log erfc(y) = log erfcScaled(y) − y², d/dy = −(2/√π)/erfcScaled(y).
 */
function tailInverse(q: number): number {
  if (q === 0) return Infinity;
  const w = -Math.log(q * (2 - q));
  const logQ = Math.log(q);
  // past Giles' float32 range, the asymptote erfc(y) ≈ e^(−y²)/(y√π) is the better guess
  let y = w < farTail ? gilesErfinv(1 - q, w) : Math.sqrt(-logQ - 0.5 * Math.log(-Math.PI * logQ));
  for (let step = 0; step < 3; step++) {
    const scaled = erfcScaled(y);
    y += ((Math.log(scaled) - y * y - logQ) * scaled) / twoOverSqrtPi;
  }
  return y;
}
