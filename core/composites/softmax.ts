import { div, sub } from '../ops/binary.js';
import { max, sum } from '../ops/reduce.js';
import { exp } from '../ops/unary.js';
import type { Tensor } from '../tensor.js';
import { stopGradient } from '../transforms/stop-gradient.js';
import { logsumexp } from './statistics.js';

/** softmax along `axis` (default −1): exp(x − max) / Σ exp(x − max), stable for logits of any scale. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const shifted = exp(sub(x, stopGradient(max(x, { axis, keepDims: true }))));
  return div(shifted, sum(shifted, { axis, keepDims: true }));
}

/** log softmax along `axis` (default −1): x − logsumexp(x), never log of a rounded-to-zero probability. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return sub(x, logsumexp(x, { axis, keepDims: true }));
}
