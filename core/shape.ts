import { OptionError, ShapeError, formatShape } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C order) strides of a contiguous array of `shape`. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * One step of an odometer over the leading `axes` axes of a strided view: advances `index` (one counter
 * per axis) by one and returns `offset` moved by the strides to match, so that a walk of a view's rows
 * (or blocks) visits them in row-major order.
 */
export function advanceOdometer(index: number[], shape: Shape, stride: readonly number[], axes: number, offset: number): number {
  for (let axis = axes - 1; axis >= 0; axis--) {
    index[axis]++;
    offset += stride[axis];
    if (index[axis] < shape[axis]) break;
    offset -= stride[axis] * shape[axis];
    index[axis] = 0;
  }
  return offset;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of two shapes; the error names the op and both arguments. */
export function broadcastShapes(op: string, a: Shape, b: Shape, names: [string, string] = ['a', 'b']): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: cannot broadcast ${names[0]} of shape ${formatShape(a)} with ${names[1]} of shape ${formatShape(b)} (axis ${i - rank} is ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Resolves negative axes and checks range and duplicates. `undefined` means every axis. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (typeof axes !== 'number' && !Array.isArray(axes)) throw new OptionError(`${op}: axes must be an integer or an array of integers, got ${JSON.stringify(axes) ?? String(axes)}`);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => normalizeAxis(op, a, rank));
  if (new Set(out).size !== out.length) throw new OptionError(`${op}: axes ${JSON.stringify(list)} repeat an axis`);
  return out.sort((x, y) => x - y);
}

export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis)) throw new OptionError(`${op}: axis must be an integer, got ${typeof axis === 'number' ? axis : JSON.stringify(axis) ?? String(axis)}`);
  if (axis < -rank || axis >= Math.max(rank, 1)) {
    throw new OptionError(`${op}: axis ${axis} is out of range for rank ${rank} (allowed ${-rank}..${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape) ?? String(shape)}`);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: shape ${formatShape(shape)} must hold non-negative integers`);
  }
}
