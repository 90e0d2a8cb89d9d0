import ndarray from 'ndarray';
import { outputBuffer } from '../buffer-pool.js';
import { OptionError, ShapeError, formatShape } from '../errors.js';
import { type OpDef, apply } from '../op.js';
import { checkOptions, checkTensor, option } from '../options.js';
import { sizeOf } from '../shape.js';
import { type Tensor, contiguousData, writeInto } from '../tensor.js';
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
  // data movement only: fill the output with the value, then write x into its strided window
  forward: ([x], { low, interior, value }, out) => {
    const data = outputBuffer(out.dtype, sizeOf(out.shape)).fill(value);
    const window = ndarray(data, [...out.shape]).lo(...low).step(...interior.map((i) => i + 1)).hi(...x.shape);
    writeInto(window, contiguousData(x.storage));
    return { view: ndarray(data, [...out.shape]) };
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

const padOptionSpec = { low: option.integers, high: option.integers, interior: option.integers, value: option.number };

/** Pads `x` with a constant; `options` is `{low, high, interior, value}`: `pad(x, {low: [0, 1], high: [0, 2]})`. */
export function pad(x: Tensor, options: PadOptions): Tensor {
  checkTensor('pad', 'x', x);
  const checked = checkOptions('pad', options, padOptionSpec);
  const read = (name: 'low' | 'high' | 'interior') => {
    const values = checked[name] ?? x.shape.map(() => 0);
    if (values.length !== x.rank || values.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new OptionError(`pad: ${name} must list ${x.rank} non-negative integers (one per axis of x ${formatShape(x.shape)}), got ${JSON.stringify(values)}`);
    }
    return values;
  };
  const attrs = { low: read('low'), high: read('high'), interior: read('interior'), value: checked.value ?? 0 };
  if ([...attrs.low, ...attrs.high, ...attrs.interior].every((v) => v === 0)) return x;
  if (x.rank === 0) throw new ShapeError('pad: x has rank 0; nothing to pad');
  return apply(padOp, [x], attrs);
}

