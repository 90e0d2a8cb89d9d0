import ndarray, { type NdArray } from 'ndarray';
import { type DType, type TypedArray, allocate, checkDType, convert, dtypeOfArray } from './dtype.js';
import { OptionError, ShapeError, formatShape } from './errors.js';
import { checkArgument, checkNoOptions, checkOptions, checkTensor, option } from './options.js';
import { type Shape, checkShape, sizeOf } from './shape.js';
import { type NestedArray, Tensor, contiguousData, fromData } from './tensor.js';

export interface TensorOptions {
  /** Required for typed arrays of rank other than 1; inferred from nested arrays. */
  readonly shape?: Shape;
  /** Defaults to float32 for numbers and nested arrays, and to the array's own type for typed arrays. */
  readonly dtype?: DType;
}

const tensorOptionSpec = { shape: option.shape, dtype: option.dtype };

/**
 * Makes a tensor from a number, nested arrays, or a typed array (row-major) with a shape;
 * `options` is `{shape, dtype}`. `tensor([[1, 2], [3, 4]])`, `tensor(new Float64Array(6), {shape: [2, 3]})`.
 */
export function tensor(values: NestedArray | TypedArray | readonly number[], options?: TensorOptions): Tensor {
  options = checkOptions('tensor', options, tensorOptionSpec);
  const isTyped = ArrayBuffer.isView(values);
  const dtype = options.dtype === undefined ? (isTyped ? dtypeOfArray(values as TypedArray) : 'float32') : checkDType('tensor: dtype', options.dtype);
  let flat: ArrayLike<number>;
  let shape: number[];
  if (isTyped) {
    flat = values as TypedArray;
    shape = [...(options.shape ?? [flat.length])];
  } else {
    shape = inferShape(values as NestedArray);
    flat = flatten(values as NestedArray, shape);
    if (options.shape) {
      if (sizeOf(options.shape) !== flat.length) {
        throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${formatShape(options.shape)}`);
      }
      shape = [...options.shape];
    }
  }
  checkShape('tensor', shape);
  return fromData(convert(flat, dtype), shape);
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function flatten(values: NestedArray, shape: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (v: NestedArray, depth: number, path: string) => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new ShapeError(`tensor: ragged nested array at ${path || 'the top'}; expected a number`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(`tensor: ragged nested array at ${path || 'the top'}; expected ${shape[depth]} entries`);
    }
    v.forEach((item, i) => walk(item, depth + 1, `${path}[${i}]`));
  };
  walk(values, 0, '');
  return out;
}

/** A tensor of `shape` filled with `value`; the dtype (default float32) is a positional string, as in NumPy. */
export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  return filled('full', shape, value, dtype);
}

function filled(op: string, shape: Shape, value: number, dtype: DType): Tensor {
  checkShape(op, shape);
  checkArgument(op, 'value', value, option.number);
  const data = allocate(checkDType(`${op}: dtype`, dtype), sizeOf(shape));
  data.fill(value);
  return fromData(data, shape);
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return filled('zeros', shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return filled('ones', shape, 1, dtype);
}

export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return filled('scalar', [], value, dtype);
}

export function zerosLike(x: Tensor): Tensor {
  checkTensor('zerosLike', 'x', x);
  checkNoOptions('zerosLike', arguments, ['x']);
  return zeros(x.shape, x.dtype);
}

export function onesLike(x: Tensor): Tensor {
  checkTensor('onesLike', 'x', x);
  checkNoOptions('onesLike', arguments, ['x']);
  return ones(x.shape, x.dtype);
}

export function fullLike(x: Tensor, value: number): Tensor {
  checkTensor('fullLike', 'x', x);
  return filled('fullLike', x.shape, value, x.dtype);
}

/** `start, start + step, …` up to but excluding `stop`, as in NumPy. `arange(n)` counts from 0. */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  checkNumbers('arange', { start, stop, step });
  checkDType('arange: dtype', dtype);
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new OptionError('arange: step must not be 0');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocate(dtype, count);
  for (let i = 0; i < count; i++) data[i] = start + i * step;
  return fromData(data, [count]);
}

/** `count` evenly spaced values from `start` to `stop`, both included (NumPy's default). */
export function linspace(start: number, stop: number, count: number, dtype: DType = 'float32'): Tensor {
  checkNumbers('linspace', { start, stop });
  checkDType('linspace: dtype', dtype);
  if (!Number.isInteger(count) || count < 0) throw new OptionError(`linspace: count must be a non-negative integer, got ${count}`);
  const data = allocate(dtype, count);
  const step = count > 1 ? (stop - start) / (count - 1) : 0;
  for (let i = 0; i < count; i++) data[i] = start + i * step;
  if (count > 1) data[count - 1] = stop;
  return fromData(data, [count]);
}

/** The `n × m` identity matrix (ones on the diagonal). */
export function eye(n: number, m: number = n, dtype: DType = 'float32'): Tensor {
  checkShape('eye', [n, m]);
  checkDType('eye: dtype', dtype);
  const data = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return fromData(data, [n, m]);
}

/** Each defined entry must be a number (a dtype string passed where `stop` belongs fails here). */
function checkNumbers(op: string, values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) if (value !== undefined) checkArgument(op, name, value, option.number);
}

/** Wraps an `ndarray` (any strides) as a tensor; the tensor copies it, so later writes to it do not leak in. */
export function fromNdarray(array: NdArray<TypedArray>): Tensor {
  checkNoOptions('fromNdarray', arguments, ['array']);
  const data = contiguousData(array);
  return new Tensor(ndarray(data === array.data ? data.slice() : data, [...array.shape]));
}
