import { logSoftmaxLastAxis, softmaxLastAxis } from '../ops/softmax.js';
import type { Tensor } from '../tensor.js';
import { alongAxis } from './axes.js';

/** softmax along `axis` (default −1): exp(x − max) / Σ exp(x − max), stable for logits of any scale. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return alongAxis('softmax', softmaxLastAxis, x, axis);
}

/** log softmax along `axis` (default −1): x − logsumexp(x), never log of a rounded-to-zero probability. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return alongAxis('logSoftmax', logSoftmaxLastAxis, x, axis);
}
