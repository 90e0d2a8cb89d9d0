/**
 * Where WebAssembly memory cannot be shared (a browser page without cross-origin isolation has no
 * SharedArrayBuffer), growing it would detach every view into it, so jit's arena must keep ordinary
 * arrays: this file removes SharedArrayBuffer before tapegrad loads (vitest gives each file its own
 * modules), so the kernels' memory is an ordinary one; it is put back afterwards.
 */
import { afterAll, describe, expect, it } from 'vitest';

const sharedArrayBuffer = globalThis.SharedArrayBuffer;
delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
afterAll(() => void (globalThis.SharedArrayBuffer = sharedArrayBuffer));
const tg = await import('../../core/index.js');
const { wasmArenaMemory, wasmHeapTraffic } = await import('../../core/backend/wasm/elementwise/index.js');
const { wasmMatmulAvailable, wasmMatmulInfo } = await import('../../core/backend/wasm/matmul/index.js');
const { currentBackend } = await import('../../core/backend/index.js');
const { seeded } = await import('../support/draw.js');

type Tensor = import('../../core/index.js').Tensor;

describe.runIf(wasmMatmulAvailable())('the jit arena over unshared WebAssembly memory', () => {
  it('stays in ordinary arrays: every kernel copies in and out, and values equal eager across memory growth', () =>
    tg.withBackend('webasm', () => {
      expect(wasmMatmulInfo().sharedMemory).toBe(false);
      expect(wasmArenaMemory()).toBeUndefined();
      expect(currentBackend().arenaMemory).toBeUndefined();
      const f = (x: Tensor) => tg.sum(tg.standardize(tg.softmax(tg.gelu(tg.add(tg.mul(x, 2), 1)), -1), 1e-5), { axis: -1 });
      const jitted = tg.jit(f);
      for (const [rows, seed] of [[16, 1], [512, 2], [16, 3]]) {
        const random = seeded(seed);
        const x = tg.tensor(Array.from({ length: rows * 1024 }, () => 4 * random() - 2), { shape: [rows, 1024], dtype: 'float32' });
        jitted(x);
        wasmHeapTraffic(true);
        const result = jitted(x);
        // the fused chain, softmax, standardize and the sum
        expect(wasmHeapTraffic(true)).toEqual({ copiedIn: 4, readInPlace: 0, copiedOut: 4, writtenInPlace: 0 });
        expect(result.toArray()).toEqual(f(x).toArray());
      }
      // and the matmul copies its operands in and its product out
      const g = (x: Tensor) => tg.sum(tg.matmul(tg.matrixTranspose(tg.exp(x)), tg.exp(x)), { axis: -1 });
      const random = seeded(4);
      const x = tg.tensor(Array.from({ length: 256 * 96 }, () => random() - 0.5), { shape: [256, 96], dtype: 'float32' });
      const jittedProduct = tg.jit(g);
      jittedProduct(x);
      const product = jittedProduct(x);
      expect(wasmMatmulInfo().lastCallInPlace).toEqual({ a: false, b: false, c: false });
      expect(product.toArray()).toEqual(g(x).toArray());
    }));
});
