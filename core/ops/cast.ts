import { type DType, checkDType, isFloat } from '../dtype.js';
import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { checkTensor } from '../options.js';
import type { Tensor } from '../tensor.js';

type Attrs = { dtype: DType };
type Saved = { inputDType: DType };

/** Converts element types; float to int32 truncates toward zero. */
export const castOp: OpDef<Attrs, Saved, 'cast'> = {
  name: 'cast',
  args: ['x'],
  infer: ([x], { dtype }) => ({ shape: x.shape, dtype }),
  forward: () => ({ kernel: function (this: KernelThis, x: Float32Array) { return x[this.thread.x]; } }),
  save: ([x]) => ({ inputDType: x.dtype }),
  // between float types the cotangent is cast back; integers carry no gradient
  vjp: (ct, { inputDType }) => [isFloat(inputDType) && isFloat(ct.dtype) ? cast(ct, inputDType) : null],
};

export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', 'x', x);
  const target = checkDType('cast: dtype', dtype);
  if (target === x.dtype) return x;
  return apply(castOp, [x], { dtype: target });
}
