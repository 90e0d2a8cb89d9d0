import { OptionError, ShapeError, formatShape } from '../errors.js';
import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import type { Tensor } from '../tensor.js';
import ndarray from 'ndarray';
import { slice } from './slice.js';

/** Per axis: `low` values before, `high` after, and `interior` between neighbouring elements (XLA's pad). */
type Attrs = { low: readonly number[]; high: readonly number[]; interior: readonly number[]; value: number };
type Saved = { inputShape: readonly number[] };

const paddedLength = (n: number, low: number, high: number, interior: number) => low + high + (n === 0 ? 0 : n + (n - 1) * interior);

export const padOp: OpDef<Attrs, Saved, 'pad'> = {
  name: 'pad',
  args: ['x'],
  infer: ([x], { low, high, interior }) => ({
    shape: x.shape.map((n, d) => paddedLength(n, low[d], high[d], interior[d])),
    dtype: x.dtype,
  }),
  forward: ([x], { low, interior, value }, out) => {
    // per axis: output size, input size, low padding, input spacing (interior + 1)
    const rank = x.rank;
    const meta = new Float32Array(Math.max(4 * rank, 1));
    x.shape.forEach((n, d) => {
      meta[d] = out.shape[d];
      meta[rank + d] = n;
      meta[2 * rank + d] = low[d];
      meta[3 * rank + d] = interior[d] + 1;
    });
    return {
      kernel: function (this: KernelThis, x: Float32Array, meta: Float32Array) {
        const rank = this.constants.rank;
        let remaining = this.thread.x;
        let source = 0;
        let inputStride = 1;
        let inside = 1;
        for (let d = rank - 1; d >= 0; d--) {
          const outSize = meta[d];
          const inSize = meta[rank + d];
          const index = remaining % outSize;
          remaining = Math.floor(remaining / outSize);
          const shifted = index - meta[2 * rank + d];
          const spacing = meta[3 * rank + d];
          const k = Math.floor(shifted / spacing);
          if (shifted < 0 || shifted - k * spacing > 0 || k >= inSize) {
            inside = 0;
          }
          source += k * inputStride;
          inputStride *= inSize;
        }
        if (inside === 0) {
          return this.constants.value;
        }
        return x[source];
      },
      constants: { rank, value },
      args: [x.storage, ndarray(meta, [meta.length])],
    };
  },
  save: ([x]) => ({ inputShape: x.shape }),
  // padding places the elements among constants, so its transpose picks them out again: a strided slice
  vjp: (ct, { inputShape }, { low, interior }) => [
    slice(ct, inputShape.map((n, d) => ({ start: low[d], stop: low[d] + (n === 0 ? 0 : (n - 1) * (interior[d] + 1) + 1), step: interior[d] + 1 }))),
  ],
};

export interface PadOptions {
  /** Elements added before each axis (default 0). */
  readonly low?: readonly number[];
  /** Elements added after each axis (default 0). */
  readonly high?: readonly number[];
  /** Elements added between neighbours on each axis (default 0). */
  readonly interior?: readonly number[];
  /** The fill value (default 0). */
  readonly value?: number;
}

/** Pads `x` with a constant; `pad(x, {low: [0, 1], high: [0, 2]})`. */
export function pad(x: Tensor, options: PadOptions): Tensor {
  const read = (name: 'low' | 'high' | 'interior') => {
    const values = options[name] ?? x.shape.map(() => 0);
    if (values.length !== x.rank || values.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new OptionError(`pad: ${name} must list ${x.rank} non-negative integers (one per axis of x ${formatShape(x.shape)}), got ${JSON.stringify(values)}`);
    }
    return values;
  };
  const attrs = { low: read('low'), high: read('high'), interior: read('interior'), value: options.value ?? 0 };
  if ([...attrs.low, ...attrs.high, ...attrs.interior].every((v) => v === 0)) return x;
  if (x.rank === 0) throw new ShapeError('pad: x has rank 0; nothing to pad');
  return apply(padOp, [x], attrs);
}

