/**
 * Attention's batched products (per head: [N × d]·[d × N] and [N × N]·[N × d], d 16) and their
 * backward pass's transposed products, through the matmul op on the gpu.js CPU modes, whose kernel
 * table runs them on the unpacked wasm kernel: equal to the reference backend within the float32
 * tolerances of test/core/kernels.test.ts, at the presets' token counts and others (odd, not multiples of 4) and
 * head counts that do not divide among the pool's threads.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { wasmMatmulInfo } from '../../core/backend/wasm/matmul/index.js';

const ATOL = 2e-5;
const RTOL = 2e-4;

function expectClose(actual: Tensor, expected: Tensor, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= ATOL + RTOL * Math.abs(e[i]))) expect.fail(`${what}: element ${i} is ${a[i]} but ${e[i]} on the reference backend`);
  }
}

/** softmax(q kᵀ / 4) v, as nn/attention.ts computes it, for [B, H, N, 16] q, k, v. */
const attend = (q: Tensor, k: Tensor, v: Tensor) => tg.matmul(tg.softmax(tg.mul(tg.matmul(q, tg.matrixTranspose(k)), 0.25), -1), v);

const cpuModes = tg.availableGpuModes().filter((mode) => mode === 'webasm' || mode === 'cpu');

describe.each(cpuModes)('attention products on gpu.js %s', (mode) => {
  afterAll(() => tg.setBackend('reference'));

  it.each([
    { batch: 3, heads: 3, tokens: 17 },
    { batch: 5, heads: 1, tokens: 5 },
    { batch: 2, heads: 4, tokens: 50 },
    { batch: 7, heads: 2, tokens: 10 },
    { batch: 3, heads: 1, tokens: 11 },
  ])('batch $batch × $heads heads × $tokens tokens: forward and vjp match the reference backend', ({ batch, heads, tokens }) => {
    const shape = [batch, heads, tokens, 16];
    const inputs = [1, 2, 3].map((seed) => tg.random.normal(tg.random.key(seed), shape));
    const cotangent = tg.random.normal(tg.random.key(4), shape);
    const run = () => {
      const [out, vjpFn] = tg.vjp(attend, ...inputs);
      return { out: out as Tensor, grads: vjpFn(cotangent) as Tensor[] };
    };
    const expected = tg.withBackend('reference', run);
    const actual = tg.withBackend(mode, run);
    expect(wasmMatmulInfo().lastCallKernel).toBe('unpacked');
    expectClose(actual.out, expected.out, 'output');
    actual.grads.forEach((grad, i) => expectClose(grad, expected.grads[i], `gradient of ${['q', 'k', 'v'][i]}`));
  });
});
