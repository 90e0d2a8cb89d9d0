import { OptionError, ShapeError, formatShape } from '../errors.js';
import { type OpDef, apply } from '../op.js';
import { checkArgument, checkOptions, checkTensor, describeValue, option } from '../options.js';
import { isPlainObject } from '../pytree.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { pad } from './pad.js';

/** Per axis: elements start, start + step, … below stop (all resolved to non-negative, step ≥ 1). */
type Attrs = { starts: readonly number[]; stops: readonly number[]; steps: readonly number[] };
type Saved = { inputShape: readonly number[] };

const lengthOf = (start: number, stop: number, step: number) => Math.max(0, Math.ceil((stop - start) / step));

/** A strided window as a view. */
export const sliceOp: OpDef<Attrs, Saved, 'slice'> = {
  name: 'slice',
  args: ['x'],
  infer: ([x], { starts, stops, steps }) => ({ shape: x.shape.map((_, d) => lengthOf(starts[d], stops[d], steps[d])), dtype: x.dtype }),
  forward: ([x], { starts, stops, steps }) => ({ view: x.storage.hi(...stops).lo(...starts).step(...steps) }),
  save: ([x]) => ({ inputShape: x.shape }),
  // slicing picks elements, so its transpose puts them back among zeros: a pad with interior gaps of step − 1
  vjp: (ct, { inputShape }, { starts, steps }) => [
    pad(ct, {
      low: starts,
      interior: steps.map((s) => s - 1),
      high: inputShape.map((n, d) => n - starts[d] - Math.max(0, ct.shape[d] + (ct.shape[d] - 1) * (steps[d] - 1))),
    }),
  ],
};

/** One axis of a slice, as in Python: `start` and `stop` may be negative or past the end (clamped). */
export interface AxisSlice {
  readonly start?: number;
  readonly stop?: number;
  readonly step?: number;
}

const axisSliceSpec = { start: option.integer, stop: option.integer, step: option.integer };

/** One entry of a slice spec: null or `{start, stop, step}` with integers, nothing else. */
function checkAxisSlice(entry: unknown, d: number): AxisSlice {
  if (entry === null || entry === undefined) return {};
  if (!isPlainObject(entry)) {
    throw new OptionError(`slice: axes[${d}] must be {start, stop, step} or null; got ${describeValue(entry)} (one object per axis: slice(x, [{start: 0, stop: 1}]))`);
  }
  return checkOptions(`slice: axes[${d}]`, entry, axisSliceSpec);
}

/**
 * `slice(x, [{start: 1}, {stop: -1, step: 2}])` slices axis by axis like `x[1:, :-1:2]`: an array with
 * one `{start, stop, step}` (or null, the whole axis) per axis. Missing trailing axes are kept whole.
 * Steps are positive; use `flip` to reverse.
 */
export function slice(x: Tensor, axes: readonly (AxisSlice | null | undefined)[]): Tensor {
  checkTensor('slice', 'x', x);
  if (!Array.isArray(axes)) throw new OptionError(`slice: axes must be an array of {start, stop, step} (one per axis); got ${describeValue(axes)}`);
  if (axes.length > x.rank) throw new ShapeError(`slice: ${axes.length} axis slices given for x of shape ${formatShape(x.shape)}`);
  const starts: number[] = [];
  const stops: number[] = [];
  const steps: number[] = [];
  x.shape.forEach((n, d) => {
    const { start = 0, stop = n, step = 1 } = checkAxisSlice(axes[d], d);
    if (!Number.isInteger(step) || step < 1) throw new OptionError(`slice: step on axis ${d} must be a positive integer, got ${step}; use flip to reverse`);
    const clamp = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
    starts.push(clamp(start));
    stops.push(Math.max(clamp(start), clamp(stop)));
    steps.push(step);
  });
  if (x.shape.every((n, d) => starts[d] === 0 && stops[d] === n && steps[d] === 1)) return x;
  return apply(sliceOp, [x], { starts, stops, steps });
}

/** `sliceAxis(x, axis, start, stop, step)` slices one axis and keeps the others whole. */
export function sliceAxis(x: Tensor, axis: number, start = 0, stop?: number, step = 1): Tensor {
  checkTensor('sliceAxis', 'x', x);
  checkArgument('sliceAxis', 'axis', axis, option.axis);
  checkArgument('sliceAxis', 'start', start, option.integer);
  if (stop !== undefined) checkArgument('sliceAxis', 'stop', stop, option.integer);
  checkArgument('sliceAxis', 'step', step, option.integer);
  const resolved = normalizeAxis('sliceAxis', axis, x.rank);
  const axes: (AxisSlice | null)[] = x.shape.map(() => null);
  axes[resolved] = { start, stop, step };
  return slice(x, axes);
}
