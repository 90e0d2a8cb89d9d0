/**
 * matmul reads a matrixTranspose view through the matrix it views (`transposeA` / `transposeB`), so no
 * backend copies Aᵀ or Bᵀ into row-major order first. Every implementation of matmul must then read
 * both layouts: each backend is checked here against a float64 product computed in the test.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { matmulOp } from '../../core/ops/matmul.js';
import { webgpuMissing } from '../support/webgpu.js';

/** Float64 batch of products of the nested arrays' values: [..., m, k]·[..., k, n]. */
function float64Product(a: Tensor, b: Tensor): Float64Array {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape.at(-1)!;
  const batch = a.size / (m * k);
  const [x, y] = [a.dataSync(), b.dataSync()];
  const c = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let total = 0;
        for (let p = 0; p < k; p++) total += x[(t * m + i) * k + p] * y[(t * k + p) * n + j];
        c[(t * m + i) * n + j] = total;
      }
    }
  }
  return c;
}

const normal = (seed: number, shape: number[]) => tg.random.normal(tg.random.key(seed), shape);

/** Operands as row-major tensors, or as matrixTranspose views of their transposes. */
function operands(transposeA: boolean, transposeB: boolean, [batch, m, k, n]: number[]): [Tensor, Tensor] {
  const a = transposeA ? tg.matrixTranspose(normal(1, [batch, k, m])) : normal(1, [batch, m, k]);
  const b = transposeB ? tg.matrixTranspose(normal(2, [batch, n, k])) : normal(2, [batch, k, n]);
  return [a, b];
}

const combinations = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

describe('the matmul forward passes a transposed view as the matrix it views', () => {
  it('sets transposeA / transposeB and hands over the viewed data, uncopied', () => {
    const x = normal(3, [2, 5, 7]);
    const y = normal(4, [2, 5, 3]);
    const forward = matmulOp.forward([tg.matrixTranspose(x), y], {}, { shape: [2, 7, 3], dtype: 'float32' });
    expect('kernel' in forward && forward.constants).toMatchObject({ m: 7, k: 5, n: 3, transposeA: 1, transposeB: 0 });
    expect('kernel' in forward && forward.args![0].data).toBe(x.storage.data);
    expect('kernel' in forward && forward.args![0].shape).toEqual([2, 5, 7]);
  });

  it('reads any other view as it lies (a strided slice is copied row-major as before)', () => {
    const x = tg.sliceAxis(normal(5, [6, 4]), 0, 0, 6, 2);
    const forward = matmulOp.forward([x, normal(6, [4, 2])], {}, { shape: [3, 2], dtype: 'float32' });
    expect('kernel' in forward && forward.constants).toMatchObject({ transposeA: 0, transposeB: 0 });
  });
});

const backends: tg.BackendChoice[] = ['reference', ...tg.availableGpuModes(), ...(webgpuMissing === null ? (['webgpu'] as const) : [])];

describe.each(backends)('on %s, matmul of transposed views equals the float64 product', (backend) => {
  afterAll(() => tg.setBackend('reference'));
  // small products (attention's heads: the unpacked WebAssembly kernel) and larger ones (packed panels)
  for (const sizes of [
    [3, 5, 4, 6],
    [2, 17, 16, 17],
    [1, 67, 129, 33],
  ]) {
    for (const [transposeA, transposeB] of combinations) {
      it(`[${sizes}] transposeA ${transposeA} transposeB ${transposeB}`, () => {
        const [a, b] = operands(transposeA, transposeB, sizes);
        const expected = float64Product(a, b);
        const actual = tg.withBackend(backend, () => tg.matmul(a, b).dataSync());
        const k = sizes[2];
        for (let i = 0; i < expected.length; i++) {
          if (!(Math.abs(actual[i] - expected[i]) <= 1e-5 * k)) expect.fail(`element ${i}: ${actual[i]} against ${expected[i]}`);
        }
      });
    }
  }

  it('and so does a jitted function whose gradient multiplies by transposes', () => {
    const x = normal(7, [40, 24]);
    const w = normal(8, [24, 12]);
    const loss = (x: Tensor, w: Tensor) => tg.sum(tg.square(tg.matmul(x, w)));
    const expected = tg.withBackend('reference', () => tg.grad(loss, { argnums: [0, 1] })(x, w).map((g) => g.dataSync()));
    const actual = tg.withBackend(backend, () => tg.jit(tg.grad(loss, { argnums: [0, 1] }))(x, w).map((g) => g.dataSync()));
    actual.forEach((g, i) => {
      for (let j = 0; j < g.length; j++) expect(Math.abs(g[j] - expected[i][j])).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(expected[i][j])));
    });
  });
});
