/**
 * standardize(x) = (x − mean)/√(var + eps) over the last axis, with the biased variance: LayerNorm
 * without its scale and shift, as one primitive. Composed of ops, one LayerNorm is about a dozen
 * elementwise passes and five broadcast copies forward and twice that backward, the largest share of
 * a small ViT step after matmul; as one op it is one pass forward. The vjp is written with primitives,
 * so every order of derivative works.
 */
import { requireFloat } from '../dtype.js';
import { OptionError, ShapeError } from '../errors.js';
import { checkTensor } from '../options.js';
import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import type { Tensor } from '../tensor.js';
import { add, div, mul, sub } from './binary.js';
import { sum } from './reduce.js';
import { rsqrt, square } from './unary.js';

type Attrs = { eps: number };
type Saved = { x: Tensor; y: Tensor };

// the mean composite lives above the ops (core/composites); ops build their vjps from primitives only
const lastAxisMean = (t: Tensor) => div(sum(t, { axis: -1, keepDims: true }), t.shape[t.rank - 1]);

export const standardizeOp: OpDef<Attrs, Saved, 'standardize'> = {
  name: 'standardize',
  args: ['x'],
  infer: ([x]) => {
    requireFloat('standardize', 'x', x.dtype);
    if (x.rank < 1) throw new ShapeError('standardize: x is a scalar; it needs a last axis to standardize over');
    return { shape: x.shape, dtype: x.dtype };
  },
  forward: ([x], { eps }) => ({
    // one thread per element recomputes its row's statistics: the oracle's form, not the fast one
    kernel: function (this: KernelThis, x: Float32Array) {
      const d = this.constants.d;
      const start = Math.floor(this.thread.x / d) * d;
      let total = 0.0;
      for (let j = 0; j < d; j++) {
        total += x[start + j];
      }
      const mean = total / d;
      let squares = 0.0;
      for (let j = 0; j < d; j++) {
        squares += (x[start + j] - mean) * (x[start + j] - mean);
      }
      return (x[this.thread.x] - mean) / Math.sqrt(squares / d + this.constants.eps);
    },
    constants: { d: x.shape[x.rank - 1], eps },
  }),
  save: ([x], y) => ({ x, y }),
  // with y = x̂ and σ = √(var + eps) per row: dx = (ct − mean(ct) − y·mean(ct·y)) / σ.
  // σ is recomputed from x rather than saved: an op has one output, and a σ built from primitives
  // keeps the vjp differentiable in x for higher orders
  vjp: (ct, { x, y }, { eps }) => {
    const centredX = sub(x, lastAxisMean(x));
    const rstd = rsqrt(add(lastAxisMean(square(centredX)), eps));
    const centredCt = sub(ct, lastAxisMean(ct));
    return [mul(sub(centredCt, mul(y, lastAxisMean(mul(ct, y)))), rstd)];
  },
};

/** (x − mean)/√(var + eps) over the last axis (biased variance); x needs rank ≥ 1. */
export function standardize(x: Tensor, eps: number): Tensor {
  checkTensor('standardize', 'x', x);
  if (!(typeof eps === 'number' && eps >= 0)) throw new OptionError(`standardize: option eps must be a number ≥ 0, got ${String(eps)}`);
  return apply(standardizeOp, [x], { eps });
}
