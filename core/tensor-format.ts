import type { NdArray } from 'ndarray';
import type { DType, TypedArray } from './dtype.js';
import { formatShape } from './errors.js';

/** NumPy's print options: more elements than this are summarised, keeping `edgeItems` at each end of each axis. */
const threshold = 1000;
const edgeItems = 3;
const lineWidth = 75;
/** At most this many digits after the point, as NumPy's default `precision`. */
const precision = 8;

type Slot = number | 'ellipsis';

/**
 * A tensor as NumPy and JAX print an array: `Tensor([[1. , 2.5],\n        [3. , 4. ]], dtype=float32, shape=[2, 2])`.
 * Elements are read through the view's strides and offset (transposed, sliced and broadcast storage
 * print their own values, with no copy); past 1000 elements each long axis shows its first and last
 * three entries around `...`. Floats print in the shortest form that reads back to the same value
 * (float32 values as float32), aligned on the point, in scientific notation when their range is wide.
 */
export function formatTensor(storage: NdArray<TypedArray>, dtype: DType): string {
  const shape = storage.shape;
  const size = shape.reduce((a, b) => a * b, 1);
  const summarise = size > threshold;
  const slotsOf = (n: number): Slot[] =>
    summarise && n > 2 * edgeItems
      ? [...range(0, edgeItems), 'ellipsis', ...range(n - edgeItems, n)]
      : range(0, n);
  const axes = shape.map(slotsOf);
  const valueAt = (index: readonly number[]) => storage.data[index.reduce((at, i, axis) => at + i * storage.stride[axis], storage.offset)];

  const shown: number[] = [];
  const collect = (index: number[]): void => {
    if (index.length === shape.length) return void shown.push(valueAt(index));
    for (const slot of axes[index.length]) if (slot !== 'ellipsis') collect([...index, slot]);
  };
  if (size > 0) collect([]);
  const format = dtype === 'int32' ? integerFormat(shown) : floatFormat(shown, dtype);

  const prefix = 'Tensor(';
  const body = size === 0 ? '[]' : block([], prefix.length, valueAt, axes, format);
  return `${prefix}${body}, dtype=${dtype}, shape=${formatShape(shape)})`;
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

/** The nested brackets from axis `index.length` down; `column` is where this block's `[` stands. */
function block(index: number[], column: number, valueAt: (index: readonly number[]) => number, axes: readonly Slot[][], format: (v: number) => string): string {
  const depth = index.length;
  if (depth === axes.length) return format(valueAt(index));
  const slots = axes[depth];
  const indent = ' '.repeat(column + 1);
  if (depth === axes.length - 1) {
    const items = slots.map((slot) => (slot === 'ellipsis' ? '...' : format(valueAt([...index, slot]))));
    return `[${wrap(items, indent)}]`;
  }
  const separator = ',' + '\n'.repeat(axes.length - depth - 1) + indent;
  const rows = slots.map((slot) => (slot === 'ellipsis' ? '...' : block([...index, slot], column + 1, valueAt, axes, format)));
  return `[${rows.join(separator)}]`;
}

/** Joins one row's items with `, `, breaking lines at NumPy's 75 columns. */
function wrap(items: readonly string[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const candidate = line ? `${line}, ${item}` : item;
    if (line && indent.length + candidate.length + 2 > lineWidth) {
      lines.push(`${line},`);
      line = item;
    } else {
      line = candidate;
    }
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

function integerFormat(values: readonly number[]): (v: number) => string {
  const width = Math.max(0, ...values.map((v) => String(v).length));
  return (v) => String(v).padStart(width);
}

/** The shortest decimal that reads back to `value` in `dtype` (float32 values need fewer digits than float64). */
function shortest(value: number, dtype: DType): number {
  if (dtype !== 'float32') return value;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function nonFinite(value: number): string {
  return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
}

/** Digits after the point in a number's positional shortest form. */
function fractionDigits(value: number): number {
  const text = String(value);
  const exponent = text.indexOf('e');
  if (exponent >= 0) {
    const mantissa = text.slice(0, exponent);
    const point = mantissa.indexOf('.');
    return Math.max(0, (point < 0 ? 0 : mantissa.length - point - 1) - Number(text.slice(exponent + 1)));
  }
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
}

/** NumPy's rule: scientific when the largest magnitude is ≥ 1e8, the smallest nonzero < 1e-4, or their ratio > 1e3. */
function floatFormat(values: readonly number[], dtype: DType): (v: number) => string {
  const finite = values.filter(Number.isFinite).map((v) => shortest(v, dtype));
  const magnitudes = finite.map(Math.abs).filter((v) => v > 0);
  const largest = Math.max(0, ...magnitudes);
  const smallest = Math.min(Infinity, ...magnitudes);
  const scientific = magnitudes.length > 0 && (largest >= 1e8 || smallest < 1e-4 || largest / smallest > 1e3);
  const texts = new Map<number, string>();
  if (scientific) {
    const digits = Math.min(precision, Math.max(0, ...finite.map((v) => mantissaDigits(v))));
    for (const v of finite) texts.set(v, exponential(v, digits));
  } else {
    const digits = Math.min(precision, Math.max(0, ...finite.map(fractionDigits)));
    for (const v of finite) texts.set(v, positional(v, digits));
  }
  const parts = [...texts.values()].map((text) => text.split('.'));
  const integerWidth = Math.max(0, ...parts.map(([integer]) => integer.length));
  const fractionWidth = Math.max(0, ...parts.map(([, fraction = '']) => fraction.length));
  return (v) => {
    // nan and inf take the width of the numbers, as NumPy pads them (wider only if there are no numbers)
    if (!Number.isFinite(v)) return nonFinite(v).padStart(texts.size ? integerWidth + 1 + fractionWidth : 0);
    const [integer, fraction = ''] = texts.get(shortest(v, dtype))!.split('.');
    return scientific ? `${integer}.${fraction}`.padStart(integerWidth + 1 + fractionWidth) : `${integer.padStart(integerWidth)}.${fraction.padEnd(fractionWidth)}`;
  };
}

/** `2.5` → `2.5`, `3` → `3.` (NumPy keeps the point), trailing zeros dropped. */
function positional(value: number, digits: number): string {
  const text = value.toFixed(digits);
  if (!text.includes('.')) return `${text}.`;
  return text.replace(/0+$/, '');
}

function mantissaDigits(value: number): number {
  const [mantissa] = value.toExponential().split('e');
  const point = mantissa.indexOf('.');
  return point < 0 ? 0 : mantissa.length - point - 1;
}

/** `1.5e-05`, `1.e+10`: NumPy's exponent has a sign and at least two digits. */
function exponential(value: number, digits: number): string {
  const [mantissa, exponent] = value.toExponential(digits).split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  const withPoint = mantissa.includes('.') ? mantissa : `${mantissa}.`;
  return `${withPoint}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}
