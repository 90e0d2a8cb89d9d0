/**
 * String(t) and console.log(t) print as NumPy prints arrays (`repr`), with tapegrad's dtype and shape:
 * the expected texts are NumPy 1.26's output for the same arrays, with `array(` spelled `Tensor(`.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';

describe('printing tensors', () => {
  it('aligns floats on the point and keeps the point of whole numbers', () => {
    expect(String(tg.tensor([[1, 2.5], [3, 4]]))).toBe('Tensor([[1. , 2.5],\n        [3. , 4. ]], dtype=float32, shape=[2, 2])');
    expect(String(tg.tensor([-1, 2.5]))).toBe('Tensor([-1. ,  2.5], dtype=float32, shape=[2])');
    expect(String(tg.scalar(2.5))).toBe('Tensor(2.5, dtype=float32, shape=[])');
    expect(String(tg.tensor([1, 2, 3], { dtype: 'int32' }))).toBe('Tensor([1, 2, 3], dtype=int32, shape=[3])');
  });

  it('prints float32 values in their shortest float32 form and float64 to 8 digits', () => {
    expect(String(tg.tensor([0.1, 0.2]))).toBe('Tensor([0.1, 0.2], dtype=float32, shape=[2])');
    expect(String(tg.tensor([1 / 3, NaN, -Infinity], { dtype: 'float64' }))).toBe('Tensor([0.33333333,        nan,       -inf], dtype=float64, shape=[3])');
  });

  it('switches to scientific notation over a wide range, as NumPy does', () => {
    expect(String(tg.tensor([0.1, 1e-7, 3]))).toBe('Tensor([1.e-01, 1.e-07, 3.e+00], dtype=float32, shape=[3])');
    expect(String(tg.tensor([1.5e10, 1], { dtype: 'float64' }))).toBe('Tensor([1.5e+10, 1.0e+00], dtype=float64, shape=[2])');
  });

  it('elides the middle of each long axis past 1000 elements', () => {
    expect(String(tg.arange(0, 2000, 1, 'int32'))).toBe('Tensor([   0,    1,    2, ..., 1997, 1998, 1999], dtype=int32, shape=[2000])');
    const text = String(tg.reshape(tg.arange(0, 2002, 1, 'int32'), [1001, 2]));
    expect(text).toBe('Tensor([[   0,    1],\n        [   2,    3],\n        [   4,    5],\n        ...,\n        [1996, 1997],\n        [1998, 1999],\n        [2000, 2001]], dtype=int32, shape=[1001, 2])');
  });

  it('separates the blocks of a rank-3 tensor with a blank line', () => {
    expect(String(tg.reshape(tg.arange(0, 8, 1, 'int32'), [2, 2, 2]))).toBe(
      'Tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], dtype=int32, shape=[2, 2, 2])',
    );
  });

  it('prints the values of views: transposed, sliced with a step, broadcast', () => {
    const x = tg.reshape(tg.arange(0, 6, 1, 'int32'), [2, 3]);
    expect(String(tg.transpose(x))).toBe('Tensor([[0, 3],\n        [1, 4],\n        [2, 5]], dtype=int32, shape=[3, 2])');
    expect(String(tg.slice(x, [{ start: 1 }, { step: 2 }]))).toBe('Tensor([[3, 5]], dtype=int32, shape=[1, 2])');
    expect(String(tg.broadcastTo(tg.tensor([1, 2]), [2, 2]))).toBe('Tensor([[1., 2.],\n        [1., 2.]], dtype=float32, shape=[2, 2])');
  });

  it('console.log shows the same text (util.inspect.custom), and an empty tensor prints []', () => {
    const x = tg.tensor([1, 2]);
    expect(inspect(x)).toBe(String(x));
    expect(inspect({ x })).toBe(`{ x: ${String(x)} }`);
    expect(String(tg.zeros([2, 0]))).toBe('Tensor([], dtype=float32, shape=[2, 0])');
  });

  it('under jit, a value not computed yet prints as traced instead of throwing', () => {
    const printed: string[] = [];
    const f = tg.jit((x: tg.Tensor) => {
      printed.push(String(tg.exp(x)));
      return x;
    });
    f(tg.ones([2]));
    expect(printed).toEqual(['Tensor(<traced>, dtype=float32, shape=[2])']);
  });
});
