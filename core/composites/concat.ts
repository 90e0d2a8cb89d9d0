import { OptionError, ShapeError, formatShape } from '../errors.js';
import { concat } from '../ops/concat.js';
import { sliceAxis } from '../ops/slice.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { expandDims } from './axes.js';

/** Stacks same-shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new OptionError('stack: needs at least one tensor');
  xs.forEach((x, i) => {
    if (x.shape.join() !== xs[0].shape.join()) {
      throw new ShapeError(`stack: xs[${i}] has shape ${formatShape(x.shape)} but xs[0] has ${formatShape(xs[0].shape)}`);
    }
  });
  return concat(xs.map((x) => expandDims(x, axis)), axis);
}

/** Splits along `axis` into equal parts (a number) or parts of the given sizes (an array). */
export function split(x: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const at = normalizeAxis('split', axis, x.rank);
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
