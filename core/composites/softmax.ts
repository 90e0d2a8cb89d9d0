import { logSoftmaxLastAxis, softmaxLastAxis } from '../ops/softmax.js';
import { type AxisOption, axisOptionSpec, checkAxisOrOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { alongAxis } from './axes.js';

/**
 * softmax along an axis (default −1): exp(x − max) / Σ exp(x − max), stable for logits of any scale.
 * The axis is a number or `{axis}`: `softmax(x, 0)` and `softmax(x, {axis: 0})` are the same.
 */
export function softmax(x: Tensor, axis?: AxisOption): Tensor {
  const { axis: at = -1 } = checkAxisOrOptions('softmax', axis, axisOptionSpec);
  return alongAxis('softmax', softmaxLastAxis, x, at);
}

/** log softmax along an axis (default −1; a number or `{axis}`): x − logsumexp(x), never log of a rounded-to-zero probability. */
export function logSoftmax(x: Tensor, axis?: AxisOption): Tensor {
  const { axis: at = -1 } = checkAxisOrOptions('logSoftmax', axis, axisOptionSpec);
  return alongAxis('logSoftmax', logSoftmaxLastAxis, x, at);
}
