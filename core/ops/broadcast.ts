import ndarray from 'ndarray';
import { ShapeError, formatShape } from '../errors.js';
import { checkTensor } from '../options.js';
import { type OpDef, apply } from '../op.js';
import { type Shape, checkShape, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { reshape } from './reshape.js';
import { sum } from './reduce.js';

type Attrs = { shape: readonly number[] };
type Saved = { inputShape: readonly number[] };

/** Axes of `target` that broadcasting `shape` up to it creates or stretches. */
function broadcastAxes(shape: Shape, target: Shape): number[] {
  const lead = target.length - shape.length;
  return target.flatMap((d, i) => (i < lead || (shape[i - lead] === 1 && d !== 1) ? [i] : []));
}

/** A view that repeats size-1 axes and adds leading axes without copying (stride 0). */
export const broadcastToOp: OpDef<Attrs, Saved, 'broadcastTo'> = {
  name: 'broadcastTo',
  args: ['x'],
  infer: ([x], { shape }) => {
    checkShape('broadcastTo', shape);
    const lead = shape.length - x.rank;
    const fits = lead >= 0 && x.shape.every((d, i) => d === 1 || d === shape[lead + i]);
    if (!fits) throw new ShapeError(`broadcastTo: x of shape ${formatShape(x.shape)} cannot broadcast to ${formatShape(shape)}`);
    return { shape, dtype: x.dtype };
  },
  forward: ([x], { shape }) => {
    const lead = shape.length - x.rank;
    const { data, stride, offset } = x.storage;
    const strides = shape.map((d, i) => (i < lead || (x.shape[i - lead] === 1 && d !== 1) ? 0 : stride[i - lead]));
    return { view: ndarray(data, [...shape], strides, offset) };
  },
  save: ([x]) => ({ inputShape: x.shape }),
  // the transpose of repeating is summing: add the cotangent over every broadcast axis
  vjp: (ct, { inputShape }) => [reshape(sum(ct, { axis: broadcastAxes(inputShape, ct.shape), keepDims: true }), inputShape)],
};


/** Broadcasts `x` to `shape` (NumPy rules) as a view. Returns `x` itself when the shape already matches. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  checkTensor('broadcastTo', 'x', x);
  checkShape('broadcastTo', shape);
  if (sameShape(x.shape, shape)) return x;
  return apply(broadcastToOp, [x], { shape: [...shape] });
}
