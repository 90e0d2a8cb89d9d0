import ndarray from 'ndarray';
import { outputBuffer } from '../buffer-pool.js';
import { sameDType } from '../dtype.js';
import { OptionError, ShapeError, formatShape } from '../errors.js';
import { type OpDef, apply } from '../op.js';
import { type AxisOption, axisOptionSpec, checkAxisOrOptions, checkTensorList } from '../options.js';
import { normalizeAxis, sizeOf } from '../shape.js';
import { type Tensor, contiguousData } from '../tensor.js';
import { sliceAxis } from './slice.js';

type Attrs = { axis: number };
type Saved = { sizes: readonly number[] };

/**
 * Joins tensors along an existing axis. Pure data movement, so the host copies each input's rows into
 * place (no kernel); the vjp cuts the cotangent back into slices.
 */
export const concatOp: OpDef<Attrs, Saved, 'concat'> = {
  name: 'concat',
  args: [],
  infer: (xs, { axis }) => {
    const dtype = sameDType('concat', xs.map((x) => x.dtype), xs.map((_, i) => `xs[${i}]`));
    const first = xs[0];
    xs.forEach((x, i) => {
      const fits = x.rank === first.rank && x.shape.every((d, j) => j === axis || d === first.shape[j]);
      if (!fits) {
        throw new ShapeError(`concat: xs[${i}] has shape ${formatShape(x.shape)} but xs[0] has ${formatShape(first.shape)}; they may differ only on axis ${axis}`);
      }
    });
    const total = xs.reduce((n, x) => n + x.shape[axis], 0);
    return { shape: first.shape.map((d, j) => (j === axis ? total : d)), dtype };
  },
  forward: (xs, { axis }, out) => {
    const data = outputBuffer(out.dtype, sizeOf(out.shape));
    // rows of the result: everything before `axis`; each input fills a run of every row
    const rows = sizeOf(out.shape.slice(0, axis));
    const rowLength = sizeOf(out.shape.slice(axis));
    let offset = 0;
    for (const x of xs) {
      const source = contiguousData(x.storage);
      const run = source.length / Math.max(rows, 1);
      for (let r = 0; r < rows; r++) data.set(source.subarray(r * run, (r + 1) * run), r * rowLength + offset);
      offset += run;
    }
    return { view: ndarray(data, [...out.shape]) };
  },
  save: (xs, _output, { axis }) => ({ sizes: xs.map((x) => x.shape[axis]) }),
  // joining is linear; its transpose cuts the cotangent back into one slice per input
  vjp: (ct, { sizes }, { axis }) => {
    let start = 0;
    return sizes.map((size) => sliceAxis(ct, axis, start, (start += size)));
  },
};

/**
 * Joins an array of tensors along an existing axis (default 0; a number or `{axis}`):
 * `concat([a, b], 1)`. They must agree on every other axis.
 */
export function concat(xs: readonly Tensor[], axis?: AxisOption): Tensor {
  checkTensorList('concat', xs);
  const { axis: requested = 0 } = checkAxisOrOptions('concat', axis, axisOptionSpec);
  if (xs.length === 0) throw new OptionError('concat: needs at least one tensor');
  const at = normalizeAxis('concat', requested, xs[0].rank);
  if (xs.length === 1) return xs[0];
  return apply(concatOp, xs, { axis: at });
}
