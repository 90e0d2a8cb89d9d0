import { OptionError } from '../errors.js';
import { add, div, sub } from '../ops/binary.js';
import { checkAxisOrOptions, option } from '../options.js';
import { max, type ReduceOptions, reduceAttrs, reduceOptionSpec, sum } from '../ops/reduce.js';
import { reshape } from '../ops/reshape.js';
import { exp, log, square } from '../ops/unary.js';
import type { Tensor } from '../tensor.js';
import { stopGradient } from '../transforms/stop-gradient.js';

/** How many elements each output of a reduction over `axes` folds. */
const countReduced = (x: Tensor, axes: readonly number[]) => axes.reduce((n, a) => n * x.shape[a], 1);

/** Mean over the given axes (all by default); `options` is an axis, an array of axes or `{axis, keepDims}`. */
export function mean(x: Tensor, options?: ReduceOptions): Tensor {
  const { axes, keepDims } = reduceAttrs('mean', x, options);
  return div(sum(x, { axis: axes, keepDims }), countReduced(x, axes));
}

export type VarianceOptions = Exclude<ReduceOptions, number | readonly number[]> & {
  /** Subtracted from the count in the denominator: 0 for the population variance (default), 1 for the sample variance. */
  readonly correction?: number;
};

const varianceOptionSpec = { ...reduceOptionSpec, correction: option.number };

/**
 * Variance over the given axes: mean of squared deviations, divided by (n − correction). `options`
 * is an axis, an array of axes or `{axis, keepDims, correction}`.
 */
export function variance(x: Tensor, options?: number | readonly number[] | VarianceOptions): Tensor {
  const { correction = 0, ...reduceOptions } = checkAxisOrOptions('variance', options, varianceOptionSpec);
  const { axes, keepDims } = reduceAttrs('variance', x, reduceOptions);
  const n = countReduced(x, axes);
  if (!(correction >= 0 && correction < n)) throw new OptionError(`variance: correction must be in [0, ${n}), got ${correction}`);
  const centred = sub(x, mean(x, { axis: axes, keepDims: true }));
  return div(sum(square(centred), { axis: axes, keepDims }), n - correction);
}

/**
 * log Σ exp(x) over the given axes (an axis, an array of axes or `{axis, keepDims}`), stable for large
 * inputs: the maximum m is taken out first, log Σ exp(x) = m + log Σ exp(x − m). m is held constant
 * (stopGradient); its effect cancels exactly.
 */
export function logsumexp(x: Tensor, options?: ReduceOptions): Tensor {
  const attrs = reduceAttrs('logsumexp', x, options);
  const shift = stopGradient(max(x, { axis: attrs.axes, keepDims: true }));
  const total = log(sum(exp(sub(x, shift)), { axis: attrs.axes, keepDims: true }));
  const result = add(total, shift);
  if (attrs.keepDims) return result;
  return reshape(result, x.shape.filter((_, i) => !attrs.axes.includes(i)));
}

