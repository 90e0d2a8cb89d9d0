/**
 * pad writes its input into the padded output a contiguous block at a time (`writeInto`): these cases
 * cover a block of the whole input, blocks of rows at and past the 64 elements where set() takes
 * over, rows copied element by element, interior padding, a strided (transposed) input and integer
 * and float64 dtypes, each against an index-by-index construction of the padded array.
 */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { DType } from '../../core/dtype.js';

/** The padded array, element by element: each output index either maps back into x or holds the value. */
function padByIndex(values: ArrayLike<number>, shape: readonly number[], low: readonly number[], high: readonly number[], interior: readonly number[], value: number): number[] {
  const outShape = shape.map((n, d) => low[d] + high[d] + (n === 0 ? 0 : n + (n - 1) * interior[d]));
  const size = outShape.reduce((a, b) => a * b, 1);
  const result: number[] = [];
  for (let flat = 0; flat < size; flat++) {
    let rest = flat;
    let source = 0;
    let inside = true;
    for (let d = outShape.length - 1, scale = 1; d >= 0; d--) {
      const at = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      const shifted = at - low[d];
      const i = shifted / (interior[d] + 1);
      if (shifted < 0 || !Number.isInteger(i) || i >= shape[d]) inside = false;
      source += i * scale;
      scale *= shape[d];
    }
    result.push(inside ? values[source] : value);
  }
  return result;
}

const zeros = (rank: number) => new Array<number>(rank).fill(0);

const cases: { name: string; shape: number[]; low: number[]; high: number[]; interior?: number[]; dtype?: DType }[] = [
  { name: 'a leading axis (the stacked q, k, v gradients): one block', shape: [1, 3, 4, 5, 16], low: [1, 0, 0, 0, 0], high: [1, 0, 0, 0, 0] },
  { name: 'a middle axis, rows of 64', shape: [3, 5, 64], low: [0, 1, 0], high: [0, 2, 0] },
  { name: 'a middle axis, rows of 67', shape: [2, 3, 67], low: [0, 2, 0], high: [0, 0, 0] },
  { name: 'the last axis, rows of 70 moved by 3', shape: [3, 70], low: [1, 3], high: [0, 2] },
  { name: 'rows of 16, element by element', shape: [4, 3, 16], low: [0, 1, 0], high: [0, 1, 0] },
  { name: 'interior padding on the last axis', shape: [3, 65], low: [0, 1], high: [1, 0], interior: [0, 2] },
  { name: 'interior padding on a leading axis', shape: [3, 2, 64], low: [0, 0, 0], high: [0, 0, 0], interior: [2, 1, 0] },
  { name: 'int32', shape: [2, 3, 64], low: [1, 0, 0], high: [0, 1, 0], dtype: 'int32' },
  { name: 'float64', shape: [2, 96], low: [1, 0], high: [0, 5], dtype: 'float64' },
];

describe('pad writes blocks', () => {
  for (const { name, shape, low, high, interior, dtype = 'float32' } of cases) {
    it(name, () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = tg.reshape(tg.arange(1, size + 1, 1, dtype), shape);
      const padded = tg.pad(x, { low, high, interior: interior ?? zeros(shape.length), value: -7 });
      expect(Array.from(padded.dataSync())).toEqual(padByIndex(x.dataSync(), shape, low, high, interior ?? zeros(shape.length), -7));
    });
  }

  it('a transposed input', () => {
    const x = tg.transpose(tg.reshape(tg.arange(1, 3 * 5 * 64 + 1), [64, 5, 3]), [2, 1, 0]); // [3, 5, 64], strided
    const padded = tg.pad(x, { low: [1, 0, 0], high: [0, 1, 0] });
    expect(Array.from(padded.dataSync())).toEqual(padByIndex(x.dataSync(), [3, 5, 64], [1, 0, 0], [0, 1, 0], [0, 0, 0], 0));
  });
});
