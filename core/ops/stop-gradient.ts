import { type OpDef, apply } from '../op.js';
import type { Tensor } from '../tensor.js';

/**
 * The same values, with no gradient: a view over the input (immutability makes sharing the buffer
 * safe) whose vjp gives the input nothing. Being an op, it is recorded on tapes and in jit's trace.
 */
export const stopGradientOp: OpDef<{}, {}, 'stopGradient'> = {
  name: 'stopGradient',
  args: ['x'],
  infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
  forward: ([x]) => ({ view: x.storage }),
  save: () => ({}),
  // d stopGradient(x) = 0
  vjp: () => [null],
};

export function stopGradientTensor(x: Tensor): Tensor {
  return apply(stopGradientOp, [x], {});
}
