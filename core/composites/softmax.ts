import { logSoftmaxLastAxis, softmaxLastAxis } from '../ops/softmax.js';
import { transpose } from '../ops/transpose.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Applies a last-axis op along `axis`: another axis is swapped to the last and back. */
function alongAxis(op: string, lastAxisOp: (x: Tensor) => Tensor, x: Tensor, axis: number): Tensor {
  const at = normalizeAxis(op, axis, x.rank);
  const last = x.rank - 1;
  if (at === last) return lastAxisOp(x);
  const swap = x.shape.map((_, i) => (i === at ? last : i === last ? at : i));
  return transpose(lastAxisOp(transpose(x, swap)), swap);
}

/** softmax along `axis` (default −1): exp(x − max) / Σ exp(x − max), stable for logits of any scale. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return alongAxis('softmax', softmaxLastAxis, x, axis);
}

/** log softmax along `axis` (default −1): x − logsumexp(x), never log of a rounded-to-zero probability. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return alongAxis('logSoftmax', logSoftmaxLastAxis, x, axis);
}
