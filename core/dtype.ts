import { DTypeError, OptionError } from './errors.js';

/** Element types. int32 holds indices and labels and is never differentiated. */
export type DType = 'float32' | 'float64' | 'int32';
export const dtypes: readonly DType[] = ['float32', 'float64', 'int32'];

export type TypedArray = Float32Array | Float64Array | Int32Array;

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
}

/** Copies `values` into a fresh array of `dtype` (rounding to the dtype, truncating for int32). */
export function convert(values: ArrayLike<number>, dtype: DType): TypedArray {
  const out = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

export function dtypeOfArray(array: TypedArray): DType {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Float64Array) return 'float64';
  return 'int32';
}

export function checkDType(name: string, value: unknown): DType {
  if (typeof value === 'string' && (dtypes as readonly string[]).includes(value)) return value as DType;
  throw new OptionError(`${name}: unknown dtype ${JSON.stringify(value)}; allowed: ${dtypes.join(', ')}`);
}

/** All inputs of `op` must share one dtype; tapegrad never promotes silently. */
export function sameDType(op: string, dtypesOfInputs: readonly DType[], argNames: readonly string[]): DType {
  const first = dtypesOfInputs[0];
  dtypesOfInputs.forEach((d, i) => {
    if (d !== first) {
      throw new DTypeError(
        `${op}: dtype mismatch: ${argNames[0]} is ${first} but ${argNames[i]} is ${d}; cast one of them first`,
      );
    }
  });
  return first;
}

export function requireFloat(op: string, arg: string, dtype: DType): void {
  if (!isFloat(dtype)) throw new DTypeError(`${op}: ${arg} must be float32 or float64, got ${dtype}`);
}
