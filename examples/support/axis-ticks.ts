/**
 * Tick positions and labels for chart axes: steps of 1, 2 or 5 times a power of ten, an axis range
 * widened to whole steps, and labels with as many decimals as the step needs.
 */

export type Axis = { min: number; max: number; step: number; ticks: number[] };

/** A step of 1, 2 or 5 × 10^k near `span / targetCount`. */
export function niceStep(span: number, targetCount: number): number {
  const rough = span / Math.max(1, targetCount);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const residual = rough / magnitude;
  return (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10) * magnitude;
}

/**
 * An axis that covers [low, high] with about `targetCount` intervals. A flat range (low = high) is
 * widened around its value so that the line sits in the middle.
 */
export function niceAxis(low: number, high: number, targetCount = 5): Axis {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return niceAxis(0, 1, targetCount);
  if (high < low) [low, high] = [high, low];
  if (high === low) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
    return niceAxis(low - pad, high + pad, targetCount);
  }
  const step = niceStep(high - low, targetCount);
  const min = Math.floor(low / step + 1e-9) * step;
  const max = Math.ceil(high / step - 1e-9) * step;
  const count = Math.round((max - min) / step);
  const ticks = Array.from({ length: count + 1 }, (_, index) => roundToStep(min + index * step, step));
  return { min: ticks[0], max: ticks[count], step, ticks };
}

function roundToStep(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const rounded = Number(value.toFixed(Math.min(20, decimals)));
  return rounded === 0 ? 0 : rounded;
}

/** Labels for ticks spaced by `step`: fixed decimals, or short exponent form (2e-4, 1.5e5) for extreme steps. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  if (step >= 1e5 || step < 1e-3) {
    const [mantissa, exponent] = value.toExponential(3).split('e');
    return `${mantissa.replace(/\.?0+$/, '')}e${exponent.replace('+', '')}`;
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}
