/**
 * The webgpu backend runs a compiled jit program as a whole on the device (`core/backend/webgpu/program-lowering.ts`):
 * one read-back per call, intermediates kept in device buffers, the same values as the reference
 * backend within float32 rounding. A program the device cannot run says why once and runs op by op.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as tg from '../../core/index.js';
import { currentBackend } from '../../core/backend/index.js';
import type { WebgpuBackend } from '../../core/backend/webgpu/index.js';
import { mergedAxes } from '../../core/backend/webgpu/program-lowering.js';
import type { Tensor } from '../../core/index.js';
import { webgpuMissing } from '../support/webgpu.js';

const { random } = tg;

function expectClose(actual: Tensor, expected: Tensor, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const [a, e] = [actual.dataSync(), expected.dataSync()];
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= 1e-5 + 1e-4 * Math.abs(e[i]))) expect.fail(`${what}: element ${i} is ${a[i]} on webgpu but ${e[i]} on reference`);
  }
}

/** Views (transpose, strided slice, broadcast), a reshape of a non-contiguous view, pad with gaps, concat, matmul, reductions and a constant made inside. */
function mixed(x: Tensor, w: Tensor, bias: Tensor) {
  const h = tg.matmul(tg.matrixTranspose(x), w).add(bias);
  const flat = tg.reshape(tg.transpose(h, [1, 0]), [-1]);
  const picked = tg.slice(h, [{ start: 1, stop: 5, step: 2 }]);
  const padded = tg.pad(picked, { low: [1, 0], high: [0, 2], interior: [1, 1], value: -0.5 });
  const joined = tg.concat([padded, tg.exp(padded).mul(tg.tensor([0.25]))], 1);
  return { flat, joined, total: tg.sum(tg.softmax(h, -1).mul(h)), h };
}

describe.skipIf(webgpuMissing !== null)('a jit program on webgpu', () => {
  afterAll(() => tg.setBackend('reference'));
  const x = random.normal(random.key(1), [6, 7]);
  const w = random.normal(random.key(2), [6, 5]);
  const bias = random.normal(random.key(3), [5]);

  it('runs as one device request with one read-back per call and gives the reference values', () => {
    const expected = tg.withBackend('reference', () => mixed(x, w, bias));
    tg.withBackend('webgpu', () => {
      const backend = currentBackend() as WebgpuBackend;
      const jitted = tg.jit(mixed);
      jitted(x, w, bias); // traces, op by op
      const before = backend.readBacks();
      const first = jitted(x, w, bias);
      const between = backend.readBacks();
      const second = jitted(x, w, bias);
      expect(between - before).toBe(1);
      expect(backend.readBacks() - between).toBe(1);
      for (const got of [first, second]) for (const key of ['flat', 'joined', 'total', 'h'] as const) expectClose(got[key], expected[key], key);
    });
  });

  it('copies views of rank 1 to 5 (the copy shader is specialised by rank) as the reference does', () => {
    const f = (t: Tensor) => ({
      heads: tg.transpose(tg.reshape(t, [2, 3, 5, 7]), [0, 2, 1, 3]).add(1),
      mixed: tg.transpose(tg.reshape(t, [2, 3, 5, 7, 1]), [3, 1, 4, 0, 2]).mul(2),
      strided: tg.slice(tg.reshape(t, [210]), [{ start: 3, stop: 200, step: 3 }]).sub(1),
      padded: tg.pad(tg.reshape(t, [6, 35]), { low: [1, 2], high: [0, 1], interior: [0, 1], value: 0.5 }),
    });
    const t = random.normal(random.key(9), [210]);
    const expected = tg.withBackend('reference', () => f(t));
    tg.withBackend('webgpu', () => {
      const jitted = tg.jit(f);
      jitted(t);
      const got = jitted(t);
      for (const key of ['heads', 'mixed', 'strided', 'padded'] as const) expectClose(got[key], expected[key], key);
    });
  });

  it('a copy drops length-1 axes and merges axes both sides lay out as one', () => {
    expect(mergedAxes([2, 1, 3, 4], [12, 12, 4, 1], [12, 99, 4, 1])).toEqual({ shape: [24], srcStride: [1], dstStride: [1] });
    expect(mergedAxes([2, 3, 4], [1, 9, 2], [12, 4, 1])).toEqual({ shape: [2, 3, 4], srcStride: [1, 9, 2], dstStride: [12, 4, 1] });
    expect(mergedAxes([5, 2, 3], [6, 3, 1], [12, 3, 1])).toEqual({ shape: [5, 6], srcStride: [6, 1], dstStride: [12, 1] });
    expect(mergedAxes([1, 1], [1, 1], [1, 1])).toEqual({ shape: [1], srcStride: [1], dstStride: [1] });
  });

  it('runs a program the device cannot run (int32 made from a device value) op by op, saying so once', () => {
    const f = (x: Tensor) => tg.cast(tg.cast(x.mul(3), 'int32'), 'float32').add(x);
    const expected = tg.withBackend('reference', () => f(x));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      tg.withBackend('webgpu', () => {
        const backend = currentBackend() as WebgpuBackend;
        const jitted = tg.jit(f);
        jitted(x);
        const before = backend.readBacks();
        expectClose(jitted(x), expected, 'first compiled call');
        expectClose(jitted(x), expected, 'second compiled call');
        // per call, mul, the cast back to float32 and add each read back (the cast to int32 runs on the host)
        expect(backend.readBacks() - before).toBe(6);
      });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });
});
