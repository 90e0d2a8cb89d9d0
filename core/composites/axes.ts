import { OptionError, ShapeError, formatShape } from '../errors.js';
import { reshape } from '../ops/reshape.js';
import { transpose } from '../ops/transpose.js';
import { type AxesOption, axesOptionSpec, type AxisOption, axisOptionSpec, checkAxisOrOptions, checkTensor } from '../options.js';
import { normalizeAxes, normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Inserts a size-1 axis at `axis` (a number or `{axis}`; −1 makes a new last axis). */
export function expandDims(x: Tensor, axis: AxisOption): Tensor {
  checkTensor('expandDims', 'x', x);
  const { axis: requested } = checkAxisOrOptions('expandDims', axis, axisOptionSpec);
  if (requested === undefined) throw new OptionError('expandDims: needs an axis, expandDims(x, axis)');
  const at = normalizeAxis('expandDims', requested, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, at), 1, ...x.shape.slice(at)]);
}

/**
 * Removes size-1 axes: the given ones (an axis, an array of axes or `{axis}`; an error if one is not
 * size 1), or all of them.
 */
export function squeeze(x: Tensor, axis?: AxesOption): Tensor {
  checkTensor('squeeze', 'x', x);
  const { axis: requested } = checkAxisOrOptions('squeeze', axis, axesOptionSpec);
  const axes = requested === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', requested, x.rank);
  axes.forEach((a) => {
    if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of x ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
  });
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

/**
 * Applies `lastAxisOp`, an op that works on the last axis (standardize, softmax), along `axis`:
 * another axis is swapped to the last and back.
 */
export function alongAxis(op: string, lastAxisOp: (x: Tensor) => Tensor, x: Tensor, axis: number): Tensor {
  checkTensor(op, 'x', x);
  const at = normalizeAxis(op, axis, x.rank);
  const last = x.rank - 1;
  if (at === last) return lastAxisOp(x);
  const swap = x.shape.map((_, i) => (i === at ? last : i === last ? at : i));
  return transpose(lastAxisOp(transpose(x, swap)), swap);
}
