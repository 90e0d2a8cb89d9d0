import ndarray, { type NdArray } from 'ndarray';
import { chosenBackend } from './backend/index.js';
import { outputBuffer } from './buffer-pool.js';
import { type DType, type TypedArray, dtypeOfArray } from './dtype.js';
import { ShapeError, formatShape } from './errors.js';
import { type Shape, advanceOdometer, contiguousStrides, sizeOf } from './shape.js';
import { formatTensor } from './tensor-format.js';
import { checkValueRead, isTracedValue } from './trace.js';

let nextId = 0;

/**
 * An immutable n-dimensional array. Nothing mutates a tensor after it is made, so layout ops may
 * return views over the same buffer (an `ndarray` with its own shape, stride and offset).
 * Op methods (`x.add(y)`, `x.sum()`) are attached in `tensor-methods.ts`.
 */
export class Tensor {
  /** Identity on tapes; never reused. */
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Eager storage: data, shape, stride, offset. Treat as read-only. */
  readonly storage: NdArray<TypedArray>;

  constructor(storage: NdArray<TypedArray>) {
    this.storage = storage;
    this.shape = Object.freeze([...storage.shape]);
    this.dtype = dtypeOfArray(storage.data);
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  /** The elements in row-major order. May share memory with the tensor: do not write to it. */
  dataSync(): TypedArray {
    checkValueRead(this);
    return contiguousData(this.storage);
  }

  /**
   * Asynchronous read, so that code written against it also runs on an asynchronous device. Today every
   * backend has the value when the op returns (webgpu waits for each kernel on a device thread), so this
   * resolves at once; it is the read a future deferred device backend would synchronise on.
   */
  async data(): Promise<TypedArray> {
    return this.dataSync();
  }

  /** `toArray`'s nested arrays, read asynchronously like `data()`. */
  async array(): Promise<NestedArray> {
    return nest(Array.from(await this.data()), this.shape, 0);
  }

  /** The elements as nested JavaScript arrays (a number for rank 0). */
  toArray(): NestedArray {
    const flat = Array.from(this.dataSync());
    return nest(flat, this.shape, 0);
  }

  /** The single element of a size-1 tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: needs a tensor with one element, got shape ${formatShape(this.shape)}`);
    return this.dataSync()[0];
  }

  /** A copy as an `ndarray` (contiguous, row-major). */
  toNdarray(): NdArray<TypedArray> {
    return ndarray(this.dataSync().slice(), [...this.shape]);
  }

  /** The values as NumPy prints an array, with dtype and shape (`core/tensor-format.ts`). */
  toString(): string {
    // under jit, a value computed from the arguments does not exist yet: say so rather than throw
    if (isTracedValue(this)) return `Tensor(<traced>, dtype=${this.dtype}, shape=${formatShape(this.shape)})`;
    return formatTensor(this.storage, this.dtype);
  }

  /** What `console.log` and `util.inspect` show in Node (a registered symbol: no Node import, so browsers load this file too). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

export type NestedArray = number | NestedArray[];

function nest(flat: number[], shape: Shape, start: number): NestedArray {
  if (shape.length === 0) return flat[start];
  const [head, ...rest] = shape;
  const step = sizeOf(rest);
  return Array.from({ length: head }, (_, i) => nest(flat, rest, start + i * step));
}

export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}

/** Wraps a contiguous row-major buffer; takes ownership of `data`. */
export function fromData(data: TypedArray, shape: Shape): Tensor {
  if (data.length !== sizeOf(shape)) {
    throw new ShapeError(`tensor: ${data.length} values do not fill shape ${formatShape(shape)}`);
  }
  return new Tensor(ndarray(data, [...shape]));
}

export function isContiguous(array: NdArray<TypedArray>): boolean {
  const expected = contiguousStrides(array.shape);
  return array.offset === 0 && array.data.length === array.size && array.shape.every((d, i) => d <= 1 || array.stride[i] === expected[i]);
}

/** Row-major elements of an ndarray view, copying only when the view is not already contiguous. */
export function contiguousData(array: NdArray<TypedArray>): TypedArray {
  if (isContiguous(array)) return array.data;
  const { shape, stride, data } = array;
  // a number broadcast to a shape (every stride 0) is a fill, the commonest view by far
  if (stride.every((s, d) => s === 0 || shape[d] <= 1)) return outputBuffer(dtypeOfArray(data), array.size).fill(data[array.offset]);
  // the backend may copy float32 views faster (the gpu.js CPU modes in WebAssembly, several times faster)
  const fastCopy = chosenBackend()?.copyStrided;
  if (fastCopy && data instanceof Float32Array) {
    const copied = fastCopy(data, shape, stride, array.offset);
    if (copied) return copied;
  }
  const out = outputBuffer(dtypeOfArray(data), array.size);
  const rank = shape.length;
  if (out.length === 0) return out;
  // walk the rows (every axis but the last) like an odometer, and copy each row in a tight loop
  const length = shape[rank - 1];
  const step = stride[rank - 1];
  const index = new Array<number>(rank).fill(0);
  let rowStart = array.offset;
  for (let o = 0; o < out.length; o += length) {
    if (step === 1 && length >= 64) out.set(data.subarray(rowStart, rowStart + length), o);
    else if (step === 0) out.fill(data[rowStart], o, o + length);
    else for (let j = 0, source = rowStart; j < length; j++, source += step) out[o + j] = data[source];
    rowStart = advanceOdometer(index, shape, stride, rank - 1, rowStart);
  }
  return out;
}

/**
 * The window that a view repeats, when it repeats one: element i of the view (row-major) is
 * window[i mod window.length]. That holds for a contiguous view (the window is all of it) and for
 * one broadcast along leading axes only (a [D] bias under [N, D]: the window is the bias). Null for
 * any other layout, e.g. a column [N, 1] broadcast to [N, D].
 */
export function repeatingWindow(view: NdArray<TypedArray>): TypedArray | null {
  const { shape, stride, offset, data } = view;
  let period = 1;
  let axis = shape.length - 1;
  for (; axis >= 0; axis--) {
    if (shape[axis] === 1) continue;
    if (stride[axis] !== period) break;
    period *= shape[axis];
  }
  for (; axis >= 0; axis--) if (shape[axis] !== 1 && stride[axis] !== 0) return null;
  return data.subarray(offset, offset + period);
}

/**
 * Writes `values` (row-major) into the positions of the view `target`, a block at a time: a block is
 * the trailing axes that lie contiguously in `target` (in a pad along a leading axis, all of them).
 */
export function writeInto(target: NdArray<TypedArray>, values: ArrayLike<number>): void {
  const { shape, stride, data } = target;
  const rank = shape.length;
  if (values.length === 0) return;
  if (rank === 0) {
    data[target.offset] = values[0];
    return;
  }
  let outer = rank - 1; // axes outside the block
  let block = shape[rank - 1];
  while (outer > 0 && stride[rank - 1] === 1 && stride[outer - 1] === block) block *= shape[--outer];
  const step = stride[rank - 1];
  const index = new Array<number>(rank).fill(0);
  let blockStart = target.offset;
  // a contiguous block of 64 or more copies with set(), 2.4× faster than element by element at 64
  // (no faster at 32): e.g. a pad of the stacked q, k, v gradients, or of [B, N, 64] tokens
  const typed = step === 1 && block >= 64 && ArrayBuffer.isView(values) ? (values as TypedArray) : null;
  for (let o = 0; o < values.length; o += block) {
    if (typed) data.set(typed.subarray(o, o + block), blockStart);
    else for (let j = 0, place = blockStart; j < block; j++, place += step) data[place] = values[o + j];
    blockStart = advanceOdometer(index, shape, stride, outer, blockStart);
  }
}
