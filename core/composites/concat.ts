import { OptionError, ShapeError, formatShape } from '../errors.js';
import { sameDType } from '../dtype.js';
import { add } from '../ops/binary.js';
import { pad } from '../ops/pad.js';
import { sliceAxis } from '../ops/slice.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { expandDims } from './axes.js';

/**
 * Joins tensors along an existing axis. Written from primitives: each piece is padded with zeros to
 * its place in the result and the pieces are added, so the vjp (slices of the cotangent) comes free.
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new OptionError('concat: needs at least one tensor');
  sameDType('concat', xs.map((x) => x.dtype), xs.map((_, i) => `xs[${i}]`));
  const first = xs[0];
  const at = normalizeAxis('concat', axis, first.rank);
  xs.forEach((x, i) => {
    const fits = x.rank === first.rank && x.shape.every((d, j) => j === at || d === first.shape[j]);
    if (!fits) {
      throw new ShapeError(`concat: xs[${i}] has shape ${formatShape(x.shape)} but xs[0] has ${formatShape(first.shape)}; they may differ only on axis ${at}`);
    }
  });
  if (xs.length === 1) return first;
  const total = xs.reduce((n, x) => n + x.shape[at], 0);
  let offset = 0;
  const placed = xs.map((x) => {
    const low = x.shape.map((_, j) => (j === at ? offset : 0));
    const high = x.shape.map((_, j) => (j === at ? total - offset - x.shape[at] : 0));
    offset += x.shape[at];
    return pad(x, { low, high });
  });
  return placed.reduce((acc, x) => add(acc, x));
}

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
