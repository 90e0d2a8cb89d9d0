/**
 * scaleShift(x, scale, shift) = x·scale + shift, with scale and shift vectors over x's last axis: the
 * affine part of LayerNorm as one primitive. Through broadcasting it is two broadcast copies and two
 * full passes forward; as one op it is one pass, and its vjp needs no broadcast copy of the vectors.
 * `shift` may be left out (x·scale). The vjp is written with primitives, so every order works.
 */
import { sameDType } from '../dtype.js';
import { ShapeError, formatShape } from '../errors.js';
import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { checkNoOptions, checkTensor } from '../options.js';
import type { Tensor } from '../tensor.js';
import { mul } from './binary.js';
import { sum } from './reduce.js';

type Saved = { x: Tensor; scale: Tensor; shifted: boolean };

/** Sums every axis but the last: the gradient of a vector that was applied to each row. */
const sumRows = (t: Tensor) => sum(t, t.shape.slice(0, -1).map((_, i) => i));

export const scaleShiftOp: OpDef<{}, Saved, 'scaleShift'> = {
  name: 'scaleShift',
  args: ['x', 'scale', 'shift'],
  infer: (inputs) => {
    const [x] = inputs;
    const dtype = sameDType('scaleShift', inputs.map((t) => t.dtype), scaleShiftOp.args);
    if (x.rank < 1) throw new ShapeError('scaleShift: x is a scalar; it needs a last axis for scale and shift');
    const d = x.shape[x.rank - 1];
    inputs.slice(1).forEach((vector, i) => {
      if (vector.rank !== 1 || vector.shape[0] !== d) {
        throw new ShapeError(`scaleShift: ${scaleShiftOp.args[i + 1]} has shape ${formatShape(vector.shape)} but x ${formatShape(x.shape)} needs [${d}]`);
      }
    });
    return { shape: x.shape, dtype };
  },
  forward: (inputs) => ({
    kernel:
      inputs.length === 3
        ? function (this: KernelThis, x: Float32Array, scale: Float32Array, shift: Float32Array) {
            const j = this.thread.x % this.constants.d;
            return x[this.thread.x] * scale[j] + shift[j];
          }
        : function (this: KernelThis, x: Float32Array, scale: Float32Array) {
            return x[this.thread.x] * scale[this.thread.x % this.constants.d];
          },
    constants: { d: inputs[0].shape[inputs[0].rank - 1] },
  }),
  save: ([x, scale, shift]) => ({ x, scale, shifted: shift !== undefined }),
  // d(x·s + b) = s dx + x ds + db, with ds and db summed over the rows they were applied to
  vjp: (ct, { x, scale, shifted }) => {
    const gradients = [scaleShift(ct, scale), sumRows(mul(ct, x))];
    return shifted ? [...gradients, sumRows(ct)] : gradients;
  },
};

/** x·scale + shift (shift optional) with `scale`, `shift` of shape [d] applied to every row of x [..., d]. */
export function scaleShift(x: Tensor, scale: Tensor, shift?: Tensor): Tensor {
  checkTensor('scaleShift', 'x', x);
  checkTensor('scaleShift', 'scale', scale);
  if (shift !== undefined) checkTensor('scaleShift', 'shift', shift);
  checkNoOptions('scaleShift', arguments, ['x', 'scale', 'shift?']);
  return apply(scaleShiftOp, shift ? [x, scale, shift] : [x, scale], {});
}
