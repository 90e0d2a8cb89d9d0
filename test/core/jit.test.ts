/** jit: traced once per signature, replayed after; equal to eager; honest about what it cannot trace. */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { randomTensor } from '../support/draw.js';

const mlpLoss = (p: { w: Tensor; b: Tensor }, x: Tensor) => tg.mean(tg.square(tg.tanh(tg.add(tg.matmul(x, p.w), p.b))));

describe('jit', () => {
  it('gives exactly the eager results for a loss and its gradient, on every call', () => {
    const step = tg.valueAndGrad(mlpLoss);
    const compiled = tg.jit(step);
    for (let seed = 1; seed <= 3; seed++) {
      const p = { w: randomTensor([3, 4], seed), b: randomTensor([4], seed + 10) };
      const x = randomTensor([5, 3], seed + 20);
      const [value, grads] = step(p, x) as [Tensor, { w: Tensor; b: Tensor }];
      const [jValue, jGrads] = compiled(p, x) as [Tensor, { w: Tensor; b: Tensor }];
      expect(jValue.item()).toBe(value.item());
      expect(jGrads.w.toArray()).toEqual(grads.w.toArray());
      expect(jGrads.b.toArray()).toEqual(grads.b.toArray());
    }
  });

  it('traces once per signature and again for new shapes or static values', () => {
    let traces = 0;
    const f = tg.jit((x: Tensor, scale: number) => {
      traces++;
      return tg.mul(tg.exp(x), scale);
    });
    f(tg.ones([2]), 2);
    f(tg.zeros([2]), 2);
    expect(traces).toBe(1);
    expect(f(tg.zeros([2]), 2).toArray()).toEqual([2, 2]);
    f(tg.ones([3]), 2);
    f(tg.ones([3]), 5);
    expect(traces).toBe(3);
    expect(f(tg.ones([3]), 5).toArray()).toEqual(Array(3).fill(Math.fround(Math.E) * 5).map(Math.fround));
  });

  it('refuses to let the traced function read a value computed from its arguments', () => {
    const f = tg.jit((x: Tensor) => (tg.sum(x).item() > 0 ? x : tg.neg(x)));
    expect(() => f(tg.ones([2]))).toThrow(/jit: the traced function reads the value of a tensor computed from its arguments \(float32 \[\]\)/);
  });

  it('replays random draws with the key of each call (split, foldIn and samplers are ops on the key)', () => {
    const noisy = (x: Tensor, key: Tensor) => {
      const [maskKey, noiseKey] = tg.random.split(key, 2);
      const mask = tg.random.bernoulli(maskKey, 0.5, x.shape);
      return tg.add(tg.mul(x, mask), tg.random.normal(tg.random.foldIn(noiseKey, 3), x.shape));
    };
    const compiled = tg.jit(noisy);
    const x = tg.cast(randomTensor([64], 4), 'float32');
    const outputs = [1, 2, 3].map((seed) => {
      const key = tg.random.key(seed);
      const eager = noisy(x, key).toArray();
      expect(compiled(x, key).toArray()).toEqual(eager);
      return eager;
    });
    // the keys matter: a draw baked in at trace time would repeat the first output
    expect(outputs[1]).not.toEqual(outputs[0]);
    expect(outputs[2]).not.toEqual(outputs[1]);
  });

  it('reuses the buffers of dead intermediates without touching inputs, outputs, views of live values or earlier results', () =>
    tg.withBackend('gpujs', () => {
      // float32 on a CPU mode, where kernels write into recycled buffers; views share buffers with live values
      const f = (x: Tensor, w: Tensor) => {
        const h = tg.exp(tg.mul(tg.reshape(tg.reshape(x, [64 * 64]), [64, 64]), 0.1));
        const view = tg.transpose(h, [1, 0]);
        const y = tg.add(tg.matmul(h, w), 1);
        const z = tg.mul(tg.gelu(y), tg.sub(y, 2));
        return { z: tg.add(z, tg.matmul(view, view)), view, sum: tg.sum(tg.square(z)) };
      };
      const compiled = tg.jit(f);
      const draw = (seed: number) => tg.cast(randomTensor([64, 64], seed), 'float32');
      const results: { eager: number[][]; jitted: { z: Tensor; view: Tensor; sum: Tensor } }[] = [];
      for (let seed = 1; seed <= 4; seed++) {
        const [x, w] = [draw(seed), draw(seed + 10)];
        const inputs = [x.toArray(), w.toArray()];
        const eager = f(x, w);
        const jitted = compiled(x, w);
        expect(jitted.z.toArray()).toEqual(eager.z.toArray());
        expect(jitted.view.toArray()).toEqual(eager.view.toArray());
        expect(jitted.sum.item()).toBe(eager.sum.item());
        expect([x.toArray(), w.toArray()]).toEqual(inputs);
        results.push({ eager: [eager.z.toArray(), eager.view.toArray()] as number[][], jitted });
      }
      // results of earlier calls are never handed out again
      for (const { eager, jitted } of results) expect([jitted.z.toArray(), jitted.view.toArray()]).toEqual(eager);
    }));

  it('composes with grad in both orders', () => {
    const x = randomTensor([4], 5);
    const f = (y: Tensor) => tg.sum(tg.sin(tg.mul(y, y)));
    const expected = tg.grad(f)(x).toArray();
    expect(tg.grad(tg.jit(f))(x).toArray()).toEqual(expected);
    const jitted = tg.jit(tg.grad(f));
    jitted(x);
    expect(jitted(x).toArray()).toEqual(expected);
  });

  it('keeps stopGradient in the replayed program', () => {
    const f = tg.jit((x: Tensor) => tg.mul(x, tg.stopGradient(x)));
    const g = tg.grad((x: Tensor) => tg.sum(f(x)));
    g(tg.tensor([2, 3], { dtype: 'float64' }));
    expect(g(tg.tensor([2, 3], { dtype: 'float64' })).toArray()).toEqual([2, 3]);
  });
});
