/** What a tape records, pinned as text: one line per op with its inputs, output and what the vjp keeps. */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';

describe('printTape', () => {
  it('records a small network layer by layer', () => {
    const layer = (x: tg.Tensor, w: tg.Tensor, b: tg.Tensor) => tg.sum(tg.tanh(tg.add(tg.matmul(x, w), b)));
    const text = tg.printTape(layer, tg.ones([2, 3]), tg.ones([3, 4]), tg.zeros([4]));
    expect(text).toBe(
      [
        't1 = matmul(x0 [2, 3], x1 [3, 4]) → float32 [2, 4]  keeps a, b',
        't2 = broadcastTo(x2 [4], shape=[2,4]) → float32 [2, 4]  keeps inputShape',
        't3 = add(t1 [2, 4], t2 [2, 4]) → float32 [2, 4]',
        't4 = tanh(t3 [2, 4]) → float32 [2, 4]  keeps y',
        't5 = sum(t4 [2, 4], axes=[0,1], keepDims=false) → float32 []  keeps inputShape',
      ].join('\n'),
    );
  });

  it('shows constants as const and leaves out ops that touch no watched tensor', () => {
    const text = tg.printTape((x: tg.Tensor) => tg.mul(x, tg.exp(tg.ones([2]))), tg.ones([2]));
    expect(text).toBe('t1 = mul(x0 [2], const [2]) → float32 [2]  keeps a, b');
  });

  it('records stopGradient and customVjp as ops, the custom forward as its own ops (the README shows this tape)', () => {
    const sinWithRule = tg.customVjp((x: tg.Tensor) => tg.sin(x), { forward: (x) => [tg.sin(x), x], backward: (x: tg.Tensor, ct) => [tg.mul(ct, tg.cos(x))] });
    const text = tg.printTape((x: tg.Tensor) => tg.sum(tg.mul(sinWithRule(x), tg.stopGradient(x))), tg.ones([3]));
    expect(text).toBe(
      [
        't1 = sin(x0 [3]) → float32 [3]  keeps x',
        't2 = customVjp(x0 [3], t1 [3], x0 [3], name="customVjp", primals=1, residualLeaves=1) → float32 [3]  keeps residuals',
        't3 = stopGradient(x0 [3]) → float32 [3]',
        't4 = mul(t2 [3], t3 [3]) → float32 [3]  keeps a, b',
        't5 = sum(t4 [3], axes=[0], keepDims=false) → float32 []  keeps inputShape',
      ].join('\n'),
    );
  });
});
