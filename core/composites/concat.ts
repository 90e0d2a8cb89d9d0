import { OptionError, ShapeError, formatShape } from '../errors.js';
import { concat } from '../ops/concat.js';
import { sliceAxis } from '../ops/slice.js';
import { type AxisOption, axisOptionSpec, checkArgument, checkAxisOrOptions, checkTensor, checkTensorList, optionType } from '../options.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { expandDims } from './axes.js';

/** Stacks an array of same-shaped tensors along a new axis (default 0; a number or `{axis}`): `stack([a, b])`. */
export function stack(xs: readonly Tensor[], axis?: AxisOption): Tensor {
  checkTensorList('stack', xs);
  const { axis: at = 0 } = checkAxisOrOptions('stack', axis, axisOptionSpec);
  if (xs.length === 0) throw new OptionError('stack: needs at least one tensor');
  xs.forEach((x, i) => {
    if (x.shape.join() !== xs[0].shape.join()) {
      throw new ShapeError(`stack: xs[${i}] has shape ${formatShape(x.shape)} but xs[0] has ${formatShape(xs[0].shape)}`);
    }
  });
  return concat(xs.map((x) => expandDims(x, at)), at);
}

const splitSections = optionType<number | readonly number[]>(
  'a number of equal parts or an array of part sizes',
  (v) => typeof v === 'number' || (Array.isArray(v) && v.every((size) => typeof size === 'number')),
);

/**
 * Splits along an axis (default 0; a number or `{axis}`) into equal parts (`sections` a number) or
 * parts of the given sizes (an array): `split(x, [2, 1], 1)`.
 */
export function split(x: Tensor, sections: number | readonly number[], axis?: AxisOption): Tensor[] {
  checkTensor('split', 'x', x);
  checkArgument('split', 'sections', sections, splitSections);
  const { axis: requested = 0 } = checkAxisOrOptions('split', axis, axisOptionSpec);
  const at = normalizeAxis('split', requested, x.rank);
  const length = x.shape[at];
  let sizes: number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections < 1 || length % sections !== 0) {
      throw new OptionError(`split: ${sections} equal parts do not divide axis ${at} of size ${length}`);
    }
    sizes = new Array<number>(sections).fill(length / sections);
  } else {
    sizes = [...sections];
    if (sizes.reduce((a, b) => a + b, 0) !== length || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new OptionError(`split: sizes ${JSON.stringify(sizes)} must be non-negative integers adding up to ${length}`);
    }
  }
  let start = 0;
  return sizes.map((size) => {
    const part = sliceAxis(x, at, start, start + size);
    start += size;
    return part;
  });
}
