/**
 * softmax and log-softmax over the last axis, each as one primitive. Composed of ops, a softmax is
 * a max, a broadcast copy, a subtraction, an exp, a sum, another broadcast copy and a division forward
 * (the vjp of that division alone is five more ops); attention runs one per block on the largest
 * tensors of a small ViT step, so as one op it is one row pass forward and a four-op vjp. The vjps
 * are written with primitives, so every order of derivative works.
 */
import { requireFloat } from '../dtype.js';
import { ShapeError } from '../errors.js';
import type { KernelThis } from '../kernel.js';
import { type OpDef, type OutputType, apply } from '../op.js';
import type { Tensor } from '../tensor.js';
import { mul, sub } from './binary.js';
import { sum } from './reduce.js';
import { exp } from './unary.js';

type Saved = { y: Tensor };

const lastAxisSum = (t: Tensor) => sum(t, { axis: -1, keepDims: true });

function inferLastAxis(op: string, [x]: readonly Tensor[]): OutputType {
  requireFloat(op, 'x', x.dtype);
  if (x.rank < 1) throw new ShapeError(`${op}: x is a scalar; it needs a last axis to normalise over`);
  return { shape: x.shape, dtype: x.dtype };
}

/**
 * softmax (constant logarithm 0) or log-softmax (1) of one element: each thread recomputes its row's
 * max and sum, the oracle's form, not the fast one.
 */
function rowSoftmaxKernel(this: KernelThis, x: Float32Array): number {
  const d = this.constants.d;
  const start = Math.floor(this.thread.x / d) * d;
  let max = x[start];
  for (let j = 1; j < d; j++) {
    max = Math.max(max, x[start + j]);
  }
  let total = 0.0;
  for (let j = 0; j < d; j++) {
    total += Math.exp(x[start + j] - max);
  }
  if (this.constants.logarithm > 0) {
    return x[this.thread.x] - max - Math.log(total);
  }
  return Math.exp(x[this.thread.x] - max) / total;
}

export const softmaxOp: OpDef<{}, Saved, 'softmax'> = {
  name: 'softmax',
  args: ['x'],
  infer: (inputs) => inferLastAxis('softmax', inputs),
  forward: ([x]) => ({
    kernel: rowSoftmaxKernel,
    constants: { d: x.shape[x.rank - 1], logarithm: 0 },
  }),
  save: (_inputs, y) => ({ y }),
  // dx = y ⊙ (ct − Σ ct ⊙ y), the sum over the row
  vjp: (ct, { y }) => [mul(y, sub(ct, lastAxisSum(mul(ct, y))))],
};

export const logSoftmaxOp: OpDef<{}, Saved, 'logSoftmax'> = {
  name: 'logSoftmax',
  args: ['x'],
  infer: (inputs) => inferLastAxis('logSoftmax', inputs),
  forward: ([x]) => ({
    kernel: rowSoftmaxKernel,
    constants: { d: x.shape[x.rank - 1], logarithm: 1 },
  }),
  save: (_inputs, y) => ({ y }),
  // y = x − logΣe^x, so dx = ct − softmax(x) Σ ct = ct − e^y Σ ct
  vjp: (ct, { y }) => [sub(ct, mul(exp(y), lastAxisSum(ct)))],
};

/** softmax over the last axis; x needs rank ≥ 1. `core/composites/softmax.ts` takes any axis. */
export function softmaxLastAxis(x: Tensor): Tensor {
  return apply(softmaxOp, [x], {});
}

/** log-softmax over the last axis; x needs rank ≥ 1. */
export function logSoftmaxLastAxis(x: Tensor): Tensor {
  return apply(logSoftmaxOp, [x], {});
}
