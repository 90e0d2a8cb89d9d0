/**
 * jit's arena in the WebAssembly memory of the gpu.js CPU modes' kernels (`core/backend/wasm/heap-arena.ts`):
 * inside a compiled program, a kernel reads an operand that an earlier instruction wrote where it lies
 * and writes its result straight into its planned buffer, so only the arguments are copied in and the
 * results out; values equal eager's bit for bit, also when the memory grows in the middle of a run.
 */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { wasmArenaMemory, wasmHeapTraffic } from '../../core/backend/wasm/elementwise/index.js';
import { scratchStart } from '../../core/backend/wasm/heap-arena.js';
import { wasmMatmulAvailable, wasmMatmulInfo } from '../../core/backend/wasm/matmul/index.js';
import { sizeOf } from '../../core/shape.js';
import { programFor } from '../../core/transforms/jit.js';
import { seeded } from '../support/draw.js';

const draw = (shape: number[], seed: number) => {
  const random = seeded(seed);
  return tg.tensor(Array.from({ length: sizeOf(shape) }, () => 4 * random() - 2), { shape, dtype: 'float32' });
};

/**
 * A fused chain (x·2 + 1, gelu), a row kernel (softmax), a strided copy (the transpose, made
 * contiguous by the reshape), a row standardisation, an add of the first value (alive all along,
 * while the others' scratch comes and goes) and a sum within rows: six kernels, one argument, one result.
 */
const chain = (x: Tensor) => {
  const first = tg.gelu(tg.add(tg.mul(x, 2), 1));
  const columns = tg.reshape(tg.transpose(tg.softmax(first, -1)), [-1, x.shape[0]]);
  return tg.sum(tg.add(tg.standardize(columns, 1e-5), tg.reshape(first, columns.shape)), { axis: -1 });
};
const inPlaceChain = { copiedIn: 1, readInPlace: 6, copiedOut: 1, writtenInPlace: 5 };

/** The compiled run's traffic, after a first call traced the program. */
function compiledTraffic(jitted: (x: Tensor) => Tensor, x: Tensor) {
  jitted(x);
  wasmHeapTraffic(true);
  const result = jitted(x);
  const traffic = wasmHeapTraffic(true);
  expect(programFor(jitted, [x])!.abandoned).toBeNull();
  return { result, traffic };
}

describe.runIf(wasmMatmulAvailable())('the jit arena in WebAssembly memory', () => {
  it('lets the kernels of a compiled program read and write arena buffers in place: only the argument is copied in, the result out', () =>
    tg.withBackend('webasm', () => {
      expect(wasmArenaMemory()).toBeDefined();
      const x = draw([64, 96], 1);
      const jitted = tg.jit(chain);
      const { result, traffic } = compiledTraffic(jitted, x);
      wasmHeapTraffic(true);
      const eager = chain(x);
      const eagerTraffic = wasmHeapTraffic(true);
      expect(result.toArray()).toEqual(eager.toArray());
      expect(traffic).toEqual(inPlaceChain);
      // eager code keeps ordinary arrays: every operand of its eight kernels (mul, add and gelu unfused) is copied in, every result out
      expect(eagerTraffic).toEqual({ copiedIn: 9, readInPlace: 0, copiedOut: 8, writtenInPlace: 0 });
    }));

  it('sums over rows (the middle axis) in place too, equal to eager', () =>
    tg.withBackend('webasm', () => {
      const x = draw([48, 64], 2);
      const f = (v: Tensor) => tg.sum(tg.exp(tg.standardize(v, 1e-5)), { axis: 0 });
      const jitted = tg.jit(f);
      const { result, traffic } = compiledTraffic(jitted, x);
      expect(result.toArray()).toEqual(f(x).toArray());
      expect(traffic).toEqual({ copiedIn: 1, readInPlace: 2, copiedOut: 1, writtenInPlace: 2 });
    }));

  it('multiplies matrices that lie in arena buffers where they lie, given transposed too, and writes the product into its buffer', () =>
    tg.withBackend('webasm', () => {
      const x = draw([256, 96], 5);
      const w = draw([96, 160], 6);
      // the last product reads hᵀ (transposed straight from h's buffer) and g (packed from its buffer) on the worker threads
      const f = (x: Tensor, w: Tensor) => {
        const h = tg.gelu(tg.matmul(x, w));
        const g = tg.matmul(h, tg.matrixTranspose(w));
        return tg.sum(tg.matmul(tg.matrixTranspose(h), g), { axis: -1 });
      };
      const jitted = tg.jit(f);
      jitted(x, w);
      const result = jitted(x, w);
      const compiled = wasmMatmulInfo();
      expect(programFor(jitted, [x, w])!.abandoned).toBeNull();
      const eager = f(x, w);
      expect(result.toArray()).toEqual(eager.toArray());
      expect(compiled.lastCallKernel).toBe('packed');
      expect(compiled.lastCallInPlace).toEqual({ a: true, b: true, c: true });
      // eager operands and products are ordinary arrays, copied in and out
      tg.matmul(tg.matrixTranspose(x), x).dataSync();
      expect(wasmMatmulInfo().lastCallInPlace).toEqual({ a: false, b: false, c: false });
      // a batch of small products (attention's heads) reads B as it lies: in its arena buffer
      const heads = (a: Tensor, b: Tensor) => tg.sum(tg.matmul(tg.exp(a), tg.exp(b)), { axis: -1 });
      const [a, b] = [draw([6, 64, 32], 7), draw([6, 32, 16], 8)];
      const jittedHeads = tg.jit(heads);
      jittedHeads(a, b);
      const headsResult = jittedHeads(a, b);
      const headsInfo = wasmMatmulInfo();
      expect(headsResult.toArray()).toEqual(heads(a, b).toArray());
      expect(headsInfo.lastCallKernel).toBe('unpacked');
      expect(headsInfo.lastCallInPlace).toEqual({ a: true, b: true, c: true });
    }));

  it('gives eager values when a larger program grows the memory, also in the middle of its run, and afterwards', () =>
    tg.withBackend('webasm', () => {
      const small = draw([64, 80], 3); // at least 4,096 elements: the strided copy runs as a kernel
      const jitted = tg.jit(chain);
      const first = compiledTraffic(jitted, small);
      expect(first.result.toArray()).toEqual(chain(small).toArray());
      expect(first.traffic).toEqual(inPlaceChain);
      // softmax's scratch (its shifted rows and their exp) is twice the large input, above the arena
      const large = draw([512, 1024], 4);
      const softmaxScratch = 2 * large.size * 4;
      jitted(large); // traced
      const before = wasmMatmulInfo().memoryBytes;
      wasmHeapTraffic(true);
      const result = jitted(large);
      const traffic = wasmHeapTraffic(true);
      const arenaEnd = scratchStart();
      expect(result.toArray()).toEqual(chain(large).toArray());
      // checking the buffers out grows memory to the arena's end at most: the rest grew during the run
      expect(before).toBeLessThan(arenaEnd + softmaxScratch);
      expect(wasmMatmulInfo().memoryBytes).toBeGreaterThanOrEqual(arenaEnd + softmaxScratch);
      // buffers made over the memory's earlier SharedArrayBuffer are still recognised after the growth
      expect(traffic).toEqual(inPlaceChain);
      const again = compiledTraffic(jitted, small);
      expect(again.traffic).toEqual(first.traffic);
      expect(again.result.toArray()).toEqual(first.result.toArray());
    }));
});
