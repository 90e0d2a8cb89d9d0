/**
 * The WGSL matmul (core/backend/webgpu/wgsl-matmul.ts) against the reference backend in all four
 * operand layouts (`transposeA`: a holds each A as k×m; `transposeB`: b holds each B as n×k), called
 * through the webgpu backend's kernel table with hand-built constants. The shapes reach each way the
 * kernel reads an operand (vec4 across rows or columns, vec4 along k, scalars), edge blocks, blocks
 * narrower than the kernel's widest, and batches.
 */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { currentBackend } from '../../core/backend/index.js';
import { matmulBlocking } from '../../core/backend/webgpu/wgsl-matmul.js';
import { webgpuMissing } from '../support/webgpu.js';

/** [batch, m, k, n] */
const shapes: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [3, 5, 16, 5],
  [2, 17, 17, 16],
  [2, 17, 16, 17],
  [1, 70, 45, 33],
  [1, 64, 36, 24],
  [2, 3, 7, 2],
  [1, 9, 130, 12],
];

const normal = (seed: number, shape: number[]) => tg.random.normal(tg.random.key(seed), shape, { dtype: 'float32' });

/** The product on the webgpu backend's WGSL kernel, from operands stored as the layout says. */
function wgslProduct(a: Tensor, b: Tensor, transposeA: number, transposeB: number): { data: Float32Array; implementation: string } {
  const [batch, m, k] = a.shape;
  const n = b.shape[2];
  const stored = (t: Tensor, transpose: number) => Float32Array.from((transpose ? tg.matrixTranspose(t) : t).dataSync() as Float32Array);
  return tg.withBackend('webgpu', () => {
    const run = currentBackend().run({
      op: 'matmul',
      fn: () => Number.NaN, // the WGSL kernel runs, never the kernel function
      constants: { m, k, n, transposeA, transposeB },
      args: [stored(a, transposeA), stored(b, transposeB)],
      size: batch * m * n,
      dtype: 'float32',
    });
    return { data: run.data as Float32Array, implementation: run.implementation };
  });
}

describe.skipIf(webgpuMissing !== null)('the WGSL matmul', () => {
  const layouts = [[0, 0], [1, 0], [0, 1], [1, 1]] as const;
  it.each(layouts.flatMap(([ta, tb]) => shapes.map((shape) => [ta, tb, shape] as const)))('transposeA %i, transposeB %i, [batch, m, k, n] %j matches the reference backend', (transposeA, transposeB, [batch, m, k, n]) => {
    const a = normal(m * 100 + k, [batch, m, k]);
    const b = normal(k * 100 + n + 1, [batch, k, n]);
    const expected = tg.withBackend('reference', () => tg.matmul(a, b)).dataSync();
    const { data, implementation } = wgslProduct(a, b, transposeA, transposeB);
    expect(implementation).toBe('wgsl');
    expect(data.length).toBe(batch * m * n);
    expected.forEach((e, i) => {
      if (!(Math.abs(data[i] - e) <= 1e-5 + 1e-5 * Math.abs(e))) expect.fail(`element ${i}: ${data[i]} on webgpu, ${e} on reference`);
    });
  });

  it('the shapes above reach every way the kernel reads its operands', () => {
    const reads = new Set<string>();
    for (const [transposeA, transposeB] of layouts) {
      for (const [, m, k, n] of shapes) {
        const { vectorA, vectorB } = matmulBlocking({ m, k, n, transposeA: transposeA === 1, transposeB: transposeB === 1 });
        reads.add(`A ${transposeA} ${vectorA}`).add(`B ${transposeB} ${vectorB}`);
      }
    }
    expect([...reads].sort()).toEqual(['A 0 depth', 'A 0 none', 'A 1 none', 'A 1 rows', 'B 0 cols', 'B 0 none', 'B 1 depth', 'B 1 none']);
  });

});
