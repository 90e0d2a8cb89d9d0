import { zerosLike } from '../creation.js';
import { sameDType } from '../dtype.js';
import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { checkNoOptions, checkTensor } from '../options.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { broadcastTo } from './broadcast.js';
import { type TensorLike, asTensor } from './operand.js';

type Saved = { condition: Tensor };

/** where(condition, a, b)[i] = a[i] where condition[i] ≠ 0, else b[i]. The condition may have any dtype. */
export const whereOp: OpDef<{}, Saved, 'where'> = {
  name: 'where',
  args: ['condition', 'a', 'b'],
  infer: ([condition, a, b]) => {
    const dtype = sameDType('where', [a.dtype, b.dtype], ['a', 'b']);
    broadcastShapes('where', condition.shape, a.shape, ['condition', 'a']);
    return { shape: a.shape, dtype };
  },
  forward: () => ({
    kernel: function (this: KernelThis, condition: Float32Array, a: Float32Array, b: Float32Array) {
      if (condition[this.thread.x] !== 0.0) {
        return a[this.thread.x];
      }
      return b[this.thread.x];
    },
  }),
  save: ([condition]) => ({ condition }),
  // d where(c, a, b) = where(c, da, 0) + where(c, 0, db); the condition gets no gradient
  vjp: (ct, { condition }) => {
    const zero = zerosLike(ct);
    return [null, where(condition, ct, zero), where(condition, zero, ct)];
  },
};

export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor('where', 'condition', condition);
  checkNoOptions('where', arguments, ['condition', 'a', 'b']);
  const dtype = a instanceof Object ? (a as Tensor).dtype : b instanceof Object ? (b as Tensor).dtype : 'float32';
  const ta = asTensor('where', 'a', a, dtype);
  const tb = asTensor('where', 'b', b, dtype);
  const shape = broadcastShapes('where', broadcastShapes('where', condition.shape, ta.shape, ['condition', 'a']), tb.shape, ['condition and a', 'b']);
  return apply(whereOp, [broadcastTo(condition, shape), broadcastTo(ta, shape), broadcastTo(tb, shape)], {});
}
