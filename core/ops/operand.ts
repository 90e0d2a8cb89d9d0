import { scalar } from '../creation.js';
import type { DType } from '../dtype.js';
import { OptionError } from '../errors.js';
import { Tensor } from '../tensor.js';

/** A tensor, or a plain number that takes the dtype of the tensor it meets. */
export type TensorLike = Tensor | number;

export function asTensor(op: string, arg: string, value: TensorLike, dtype: DType = 'float32'): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value === 'number') return scalar(value, dtype);
  throw new OptionError(`${op}: ${arg} must be a Tensor or a number, got ${describe(value)}`);
}

/** Two operands, with a number taking the other operand's dtype. */
export function asTensorPair(op: string, a: TensorLike, b: TensorLike, names: [string, string] = ['a', 'b']): [Tensor, Tensor] {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  return [asTensor(op, names[0], a, dtype), asTensor(op, names[1], b, dtype)];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array (wrap it with tensor())';
  return typeof value;
}
