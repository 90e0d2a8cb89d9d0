import { type OpDef, apply } from '../op.js';
import { type AxesOption, axesOptionSpec, checkAxisOrOptions, checkTensor } from '../options.js';
import { normalizeAxes } from '../shape.js';
import type { Tensor } from '../tensor.js';

type Attrs = { axes: readonly number[] };

/** Reverses the order along the given axes, as a view with negative strides. */
export const flipOp: OpDef<Attrs, {}, 'flip'> = {
  name: 'flip',
  args: ['x'],
  infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
  forward: ([x], { axes }) => ({ view: x.storage.step(...x.shape.map((_, d) => (axes.includes(d) ? -1 : 1))) }),
  save: () => ({}),
  // reversing is its own transpose
  vjp: (ct, _saved, { axes }) => [flip(ct, axes)],
};

/** Reverses `x` along an axis, several (an array or `{axis}`), or all when omitted. */
export function flip(x: Tensor, axis?: AxesOption): Tensor {
  checkTensor('flip', 'x', x);
  const { axis: requested } = checkAxisOrOptions('flip', axis, axesOptionSpec);
  const axes = normalizeAxes('flip', requested, x.rank);
  if (axes.length === 0) return x;
  return apply(flipOp, [x], { axes });
}
