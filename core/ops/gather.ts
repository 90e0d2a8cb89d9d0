import ndarray from 'ndarray';
import { DTypeError, OptionError, ShapeError, formatShape } from '../errors.js';
import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { type AxisOption, axisOptionSpec, checkArgument, checkAxisOrOptions, checkTensor, option } from '../options.js';
import { normalizeAxis, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

type TakeAttrs = { axis: number };
type ScatterAttrs = { axis: number; size: number };
type Saved = { indices: Tensor; inputSize: number };

/**
 * take(x, indices, axis): picks slices of x along `axis` by int32 indices. The output shape is
 * x.shape[:axis] + indices.shape + x.shape[axis+1:].
 */
export const takeOp: OpDef<TakeAttrs, Saved, 'take'> = {
  name: 'take',
  args: ['x', 'indices'],
  infer: ([x, indices], { axis }) => {
    if (indices.dtype !== 'int32') throw new DTypeError(`take: indices must be int32, got ${indices.dtype}`);
    const dim = x.shape[axis];
    const bad = Array.from(indices.dataSync()).find((i) => i < 0 || i >= dim);
    if (bad !== undefined) throw new ShapeError(`take: index ${bad} is out of range for axis ${axis} of x ${formatShape(x.shape)}`);
    return { shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], dtype: x.dtype };
  },
  forward: ([x, indices], { axis }) => ({
    kernel: function (this: KernelThis, x: Float32Array, indices: Float32Array) {
      const inner = this.constants.inner;
      const count = this.constants.count;
      const within = this.thread.x % inner;
      const row = Math.floor(this.thread.x / inner);
      const position = row % count;
      const outer = Math.floor(row / count);
      return x[(outer * this.constants.size + indices[position]) * inner + within];
    },
    constants: { inner: Math.max(1, sizeOf(x.shape.slice(axis + 1))), count: Math.max(1, indices.size), size: x.shape[axis] },
  }),
  save: ([x, indices], _y, { axis }) => ({ indices, inputSize: x.shape[axis] }),
  // picking is linear; its transpose adds each picked cotangent back where it came from
  vjp: (ct, { indices, inputSize }, { axis }) => [scatterAdd(ct, indices, axis, inputSize), null],
};

/** scatterAdd(updates, indices, axis, size): the transpose of take; repeated indices add up. */
export const scatterAddOp: OpDef<ScatterAttrs, { indices: Tensor }, 'scatterAdd'> = {
  name: 'scatterAdd',
  args: ['updates', 'indices'],
  infer: ([updates, indices], { axis, size }) => ({
    shape: [...updates.shape.slice(0, axis), size, ...updates.shape.slice(axis + indices.rank)],
    dtype: updates.dtype,
  }),
  forward: ([updates, indices], { axis, size }) => {
    // group the positions by the index they point at, so each output sums only its own updates
    const values = indices.dataSync();
    const starts = new Float32Array(size + 1);
    for (let p = 0; p < values.length; p++) starts[values[p] + 1]++;
    let maxRepeat = 0;
    for (let t = 0; t < size; t++) {
      maxRepeat = Math.max(maxRepeat, starts[t + 1]);
      starts[t + 1] += starts[t];
    }
    const order = new Float32Array(Math.max(1, values.length));
    const filled = starts.slice(0, size);
    for (let p = 0; p < values.length; p++) order[filled[values[p]]++] = p;
    return {
      kernel: function (this: KernelThis, updates: Float32Array, order: Float32Array, starts: Float32Array) {
        const inner = this.constants.inner;
        const within = this.thread.x % inner;
        const row = Math.floor(this.thread.x / inner);
        const target = row % this.constants.size;
        const outer = Math.floor(row / this.constants.size);
        const start = starts[target];
        const end = starts[target + 1];
        let total = 0.0;
        for (let j = 0; j < this.constants.maxRepeat; j++) {
          if (start + j < end) {
            total += updates[(outer * this.constants.count + order[start + j]) * inner + within];
          }
        }
        return total;
      },
      constants: { inner: Math.max(1, sizeOf(updates.shape.slice(axis + indices.rank))), count: Math.max(1, indices.size), size, maxRepeat },
      args: [updates.storage, ndarray(order, [order.length]), ndarray(starts, [starts.length])],
    };
  },
  save: ([, indices]) => ({ indices }),
  // the transpose of scatter-add is take
  vjp: (ct, { indices }, { axis }) => [take(ct, indices, axis), null],
};

/** Gathers slices of `x` along an axis (default 0; a number or `{axis}`) at int32 `indices` of any shape. */
export function take(x: Tensor, indices: Tensor, axis?: AxisOption): Tensor {
  checkTensor('take', 'x', x);
  checkArgument('take', 'indices', indices, option.tensor);
  const { axis: requested = 0 } = checkAxisOrOptions('take', axis, axisOptionSpec);
  return apply(takeOp, [x, indices], { axis: normalizeAxis('take', requested, x.rank) });
}

/** Adds the slices of `updates` into zeros of length `size` along `axis`, at int32 `indices`. */
export function scatterAdd(updates: Tensor, indices: Tensor, axis: number, size: number): Tensor {
  checkTensor('scatterAdd', 'updates', updates);
  checkArgument('scatterAdd', 'indices', indices, option.tensor);
  checkArgument('scatterAdd', 'axis', axis, option.axis);
  if (indices.dtype !== 'int32') throw new DTypeError(`scatterAdd: indices must be int32, got ${indices.dtype}`);
  const resolved = normalizeAxis('scatterAdd', axis, updates.rank);
  const expected = updates.shape.slice(resolved, resolved + indices.rank);
  if (expected.length !== indices.rank || !expected.every((d, i) => d === indices.shape[i])) {
    throw new ShapeError(`scatterAdd: updates ${formatShape(updates.shape)} at axis ${resolved} do not match indices ${formatShape(indices.shape)}`);
  }
  if (!Number.isInteger(size) || size < 0) throw new OptionError(`scatterAdd: size must be a non-negative integer, got ${size}`);
  return apply(scatterAddOp, [updates, indices], { axis: resolved, size });
}
