/**
 * The elementwise, fused, row and sum kernels split across the worker threads give the
 * single-threaded results bit for bit: odd sizes, sizes not divisible by the thread count or the
 * range count, periods that do not divide a range, and sizes around the threading threshold. Each
 * threaded call runs first, over memory that still holds another call's values, so a range that is
 * skipped or computed at the wrong offset shows as a difference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FusedExpression,
  binaryKernelNames,
  defaultThreadThreshold,
  elementwiseKernelNames,
  setElementwiseThreading,
  wasmBinary,
  wasmElementwise,
  wasmFused,
  wasmRowSoftmax,
  wasmRowStandardize,
  wasmSum,
} from '../../core/backend/wasm/elementwise/index.js';
import { wasmMatmulAvailable, wasmMatmulWarmup } from '../../core/backend/wasm/matmul/index.js';

function seeded(length: number, seed: number): Float32Array {
  let state = seed * 2654435761 + 1;
  return Float32Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 8 - 4;
  });
}

/** `compute` threaded on every call (threshold 0), then on one thread; both results, as bits. */
function bothWays(compute: () => Float32Array | null): [Uint32Array, Uint32Array] {
  setElementwiseThreading({ threshold: 0 });
  const threaded = compute()!;
  setElementwiseThreading({ threads: 1 });
  const single = compute()!;
  setElementwiseThreading({});
  return [new Uint32Array(threaded.slice().buffer), new Uint32Array(single.slice().buffer)];
}

const sizes = [5, 4097, 33_333, defaultThreadThreshold - 1, defaultThreadThreshold + 3, 100_003];

describe.runIf(wasmMatmulAvailable())('wasm elementwise kernels on several threads', () => {
  beforeAll(async () => {
    await wasmMatmulWarmup();
  });
  afterAll(() => setElementwiseThreading({}));

  it('unary kernels', () => {
    sizes.forEach((size, seed) => {
      for (const name of elementwiseKernelNames) {
        const x = seeded(size, seed);
        const [threaded, single] = bothWays(() => wasmElementwise(name, x));
        expect(threaded, `${name} ${size}`).toEqual(single);
      }
    });
  });

  it('binary kernels with repeating operands whose periods do not divide a range', () => {
    sizes.forEach((size, seed) => {
      for (const name of binaryKernelNames) {
        const a = seeded(size, seed);
        for (const bLength of [1, 5, size]) {
          if (size % bLength !== 0) continue;
          const b = seeded(bLength, seed + 7);
          const [threaded, single] = bothWays(() => wasmBinary(name, a, b, size));
          expect(threaded, `${name} ${size} by ${bLength}`).toEqual(single);
        }
      }
    });
  });

  it('a fused chain over a full input and a repeating row', () => {
    // gelu(x + row) · x, with the row 7 floats long
    const expression: FusedExpression = {
      inputCount: 2,
      nodes: [{ input: 0 }, { input: 1 }, { binary: 'add', a: 0, b: 1 }, { unary: 'gelu', x: 2 }, { binary: 'mul', a: 3, b: 0 }],
    };
    for (const rows of [1, 3, 4681, 14_287]) {
      const x = seeded(rows * 7, rows);
      const row = seeded(7, 3);
      const [threaded, single] = bothWays(() => wasmFused(expression, [x, row], x.length));
      expect(threaded, `${rows} rows`).toEqual(single);
    }
  });

  it('softmax, log-softmax and standardisation split by whole rows', () => {
    for (const [rows, d] of [[1, 9], [7, 50], [1001, 50], [333, 197]]) {
      const x = seeded(rows * d, rows + d);
      for (const logarithm of [false, true]) {
        const [threaded, single] = bothWays(() => wasmRowSoftmax(x, d, logarithm));
        expect(threaded, `softmax ${rows}×${d} log ${logarithm}`).toEqual(single);
      }
      const [threaded, single] = bothWays(() => wasmRowStandardize(x, d, 1e-5));
      expect(threaded, `standardize ${rows}×${d}`).toEqual(single);
    }
  });

  it('sums within rows and over rows, split by outer rows', () => {
    for (const [outer, length, inner] of [[1001, 50, 1], [3, 4097, 1], [37, 101, 12], [1, 999, 64]]) {
      const x = seeded(outer * length * inner, outer + length);
      const [threaded, single] = bothWays(() => wasmSum(x, length, inner));
      expect(threaded, `sum ${outer}×${length}×${inner}`).toEqual(single);
    }
  });
});
