import ndarray from 'ndarray';
import { ShapeError, formatShape } from '../errors.js';
import { type OpDef, apply } from '../op.js';
import { checkTensor, describeValue } from '../options.js';
import { type Shape, sameShape, sizeOf } from '../shape.js';
import { type Tensor, contiguousData } from '../tensor.js';

type Attrs = { shape: readonly number[] };
type Saved = { inputShape: readonly number[] };

/** Same elements in row-major order under a new shape; a view when the input is contiguous. */
export const reshapeOp: OpDef<Attrs, Saved, 'reshape'> = {
  name: 'reshape',
  args: ['x'],
  infer: ([x], { shape }) => {
    if (sizeOf(shape) !== x.size) {
      throw new ShapeError(`reshape: cannot reshape x of shape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
    }
    return { shape, dtype: x.dtype };
  },
  forward: ([x], { shape }) => ({ view: ndarray(contiguousData(x.storage), [...shape]) }),
  save: ([x]) => ({ inputShape: x.shape }),
  // reshaping is linear and invertible: reshape the cotangent back
  vjp: (ct, { inputShape }) => [reshape(ct, inputShape)],
};

/** Reshapes `x`; one entry of `shape` may be −1 and is then inferred. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  checkTensor('reshape', 'x', x);
  const resolved = resolveShape(x, shape);
  if (sameShape(resolved, x.shape)) return x;
  return apply(reshapeOp, [x], { shape: resolved });
}

function resolveShape(x: Tensor, shape: Shape): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`reshape: shape must be an array of integers (at most one -1); got ${describeValue(shape)}`);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(`reshape: shape ${formatShape(shape)} has more than one -1`);
  if (shape.some((d) => !Number.isInteger(d) || d < -1)) throw new ShapeError(`reshape: shape ${formatShape(shape)} must hold non-negative integers (and at most one -1)`);
  if (unknown === 0) return [...shape];
  const known = sizeOf(shape.filter((d) => d !== -1));
  if (known === 0 || x.size % known !== 0) {
    throw new ShapeError(`reshape: cannot reshape x of shape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  return shape.map((d) => (d === -1 ? x.size / known : d));
}
