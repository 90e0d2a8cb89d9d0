import { OptionError } from '../errors.js';
import { mul } from '../ops/binary.js';
import { checkOptions, checkTensor, option } from '../options.js';
import { sum } from '../ops/reduce.js';
import { neg } from '../ops/unary.js';
import type { Tensor } from '../tensor.js';
import { logSoftmax } from './softmax.js';
import { mean } from './statistics.js';

export interface CrossEntropyOptions {
  /** The class axis (default −1). */
  readonly axis?: number;
  /** `mean` over the remaining axes (default), `sum`, or `none` for one loss per row. */
  readonly reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy with soft targets: −Σ targets · log softmax(logits) along the class axis. `logits`
 * and `targets` have the same shape (targets are probabilities; one-hot rows give the usual loss);
 * `options` is `{axis, reduction}`.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options?: CrossEntropyOptions): Tensor {
  checkTensor('crossEntropy', 'logits', logits);
  checkTensor('crossEntropy', 'targets', targets);
  const { axis = -1, reduction = 'mean' } = checkOptions('crossEntropy', options, { axis: option.axis, reduction: option.string });
  const perRow = neg(sum(mul(targets, logSoftmax(logits, axis)), { axis }));
  if (reduction === 'none') return perRow;
  if (reduction === 'sum') return sum(perRow);
  if (reduction === 'mean') return mean(perRow);
  throw new OptionError(`crossEntropy: reduction must be one of mean, sum, none; got ${JSON.stringify(reduction)}`);
}
