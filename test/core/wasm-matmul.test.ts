import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { wasmMatmul, wasmMatmulAvailable, wasmMatmulInfo, wasmMatmulWarmup, wasmRelaxedSimdAvailable } from '../../core/backend/wasm/matmul/index.js';
import { generateMatmulModule, packedBytes, type KernelShape, type MatmulExports } from '../../core/backend/wasm/matmul/kernel.js';
import { FunctionBuilder, emitModule, signedLeb128, unsignedLeb128 } from '../../core/backend/wasm/emitter.js';
import { webAssembly } from '../../core/backend/wasm/webassembly-api.js';

function seeded(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) | 0;
    return state / 2 ** 31; // in [-1, 1)
  });
}

/** Float64 reference: batch × (m × k)·(k × n), B matrices `bStride` elements apart. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, batch: number, bStride: number): Float64Array {
  const c = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const x = a[(t * m + i) * k + p];
        for (let j = 0; j < n; j++) c[(t * m + i) * n + j] += x * b[t * bStride + p * n + j];
      }
    }
  }
  return c;
}

/** Each of `batch` row-major rows × columns matrices transposed (columns × rows). */
function transposeEach(values: Float32Array, batch: number, rows: number, columns: number): Float32Array {
  const out = new Float32Array(batch * rows * columns);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out[t * rows * columns + j * rows + i] = values[t * rows * columns + i * columns + j];
  }
  return out;
}

function maxAbs(values: Float32Array): number {
  let most = 0;
  for (const value of values) most = Math.max(most, Math.abs(value));
  return most;
}

/** Float32 sums of k products: |error| ≤ 1e-5·k·max|a|·max|b|. */
function expectClose(actual: Float32Array, expected: Float64Array, k: number, a: Float32Array, b: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const tolerance = 1e-5 * Math.max(k, 1) * maxAbs(a) * maxAbs(b);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('wasm emitter', () => {
  it('encodes LEB128 like the spec examples', () => {
    expect(unsignedLeb128(0)).toEqual([0x00]);
    expect(unsignedLeb128(127)).toEqual([0x7f]);
    expect(unsignedLeb128(128)).toEqual([0x80, 0x01]);
    expect(unsignedLeb128(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(unsignedLeb128(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(signedLeb128(-1)).toEqual([0x7f]);
    expect(signedLeb128(63)).toEqual([0x3f]);
    expect(signedLeb128(64)).toEqual([0xc0, 0x00]);
    expect(signedLeb128(-64)).toEqual([0x40]);
    expect(signedLeb128(-65)).toEqual([0xbf, 0x7f]);
    expect(signedLeb128(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(signedLeb128(-0x80000000)).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
    expect(() => unsignedLeb128(-1)).toThrow(RangeError);
  });

  it('emits modules that WebAssembly.validate accepts, and ill-typed ones that it rejects', () => {
    const shapes: KernelShape[] = [{ rows: 4, columns: 8, unroll: 1 }, { rows: 3, columns: 12, unroll: 2 }, { rows: 1, columns: 4, unroll: 4 }];
    for (const shape of shapes) {
      for (const shared of [false, true]) {
        expect(webAssembly!.validate(generateMatmulModule({ shape, shared, fusedMultiplyAdd: false, initialPages: 1, maximumPages: 16 }))).toBe(true);
      }
    }
    const illTyped = new FunctionBuilder('bad', [], ['i32']);
    illTyped.f32Const(1); // returns an f32 where an i32 is declared
    const memory = { module: 'env', name: 'memory', initialPages: 1, maximumPages: 1, shared: false };
    expect(webAssembly!.validate(emitModule({ memory, functions: [illTyped.definition()] }))).toBe(false);
  });

  it('runs what it emits: an f32x4 multiply-add reduced by extract_lane', () => {
    const f = new FunctionBuilder('dot4', ['i32', 'i32'], ['f32']);
    const product = f.local('v128');
    f.get(0).v128Load().get(1).v128Load().f32x4Mul().set(product);
    for (let lane = 0; lane < 4; lane++) f.get(product).f32x4ExtractLane(lane);
    f.f32Add().f32Add().f32Add();
    const memory = new webAssembly!.Memory({ initial: 1, maximum: 1 });
    const bytes = emitModule({ memory: { module: 'env', name: 'memory', initialPages: 1, maximumPages: 1, shared: false }, functions: [f.definition()] });
    const { dot4 } = new webAssembly!.Instance(new webAssembly!.Module(bytes), { env: { memory } }).exports as { dot4: (x: number, y: number) => number };
    new Float32Array(memory.buffer).set([1, 2, 3, 4, 10, 20, 30, 40]);
    // lanes sum as ((x₃y₃ + x₂y₂) + x₁y₁) + x₀y₀ = 160 + 90 + 40 + 10
    expect(dot4(0, 16)).toBe(300);
  });
});

describe('generated kernel shapes', () => {
  // The public entry uses one tile shape; other shapes exercise the generator's unrolled and tail loops.
  it.each<KernelShape>([
    { rows: 3, columns: 12, unroll: 2 },
    { rows: 2, columns: 4, unroll: 4 },
    { rows: 5, columns: 8, unroll: 1 },
  ])('rows $rows, columns $columns, unroll $unroll matches the reference on ragged sizes', (shape) => {
    const pages = 4;
    const memory = new webAssembly!.Memory({ initial: pages, maximum: pages });
    const module = new webAssembly!.Module(generateMatmulModule({ shape, shared: false, fusedMultiplyAdd: false, initialPages: 1, maximumPages: pages }));
    const kernel = new webAssembly!.Instance(module, { env: { memory } }).exports as unknown as MatmulExports;
    for (const [m, k, n] of [[1, 1, 1], [7, 5, 13], [11, 9, 3], [6, 17, 24]]) {
      const a = seeded(m * k, m);
      const b = seeded(k * n, n);
      const heap = new Float32Array(memory.buffer);
      // A ends where memory ends, so a read past its last row would trap
      const [bAt, packedAt, aAt] = [4096, 16384, pages * 65536 - m * k * 4];
      const cAt = packedAt + packedBytes(shape, k, n);
      heap.set(a, aAt / 4);
      heap.set(b, bAt / 4);
      kernel.packB(bAt, packedAt, k, n);
      kernel.gemm(aAt, packedAt, cAt, 0, m, k, n, 2 * shape.columns, 0);
      expectClose(heap.slice(cAt / 4, cAt / 4 + m * n), reference(a, b, m, k, n, 1, 0), k, a, b);
    }
  });
});

describe('wasmMatmul', () => {
  beforeAll(async () => {
    expect(wasmMatmulAvailable()).toBe(true);
    await wasmMatmulWarmup();
  });

  const shapes: [m: number, k: number, n: number, batch: number][] = [
    [1, 1, 1, 1],
    [1, 7, 1, 1],
    [4, 8, 8, 1],
    [5, 1, 9, 1],
    [13, 1, 7, 3],
    [7, 13, 11, 1],
    [31, 37, 41, 1],
    [3, 5, 2, 7],
    [50, 16, 50, 4],
    [50, 16, 50, 32],
    [67, 129, 33, 1],
    [2, 200, 3, 2],
  ];

  // Each path gets its own data: a path that skipped part of C would otherwise find the other path's
  // correct values still in WebAssembly memory.
  it.each(shapes.map(([m, k, n, batch]) => ({ m, k, n, batch })))('[$m×$k]·[$k×$n], batch $batch, matches a float64 reference, threaded or not', ({ m, k, n, batch }) => {
    for (const [seed, options] of [[1, { threads: 1 }], [2, { threadThresholdFlops: 0 }]] as const) {
      const a = seeded(batch * m * k, seed + m);
      const b = seeded(batch * k * n, seed + n);
      // the threaded path splits the work into chunks (several matrices per chunk for large batches)
      expectClose(wasmMatmul(a, b, m, k, n, batch, options), reference(a, b, m, k, n, batch, k * n), k, a, b);
    }
  });

  it('shares one B across the batch when bBatchStride is 0', () => {
    const [m, k, n, batch] = [9, 23, 17, 5];
    const a = seeded(batch * m * k, 3);
    const b = seeded(k * n, 4);
    expectClose(wasmMatmul(a, b, m, k, n, batch, { bBatchStride: 0 }), reference(a, b, m, k, n, batch, 0), k, a, b);
  });

  it('reads B matrices bBatchStride elements apart, and writes into out', () => {
    const [m, k, n, batch, stride] = [6, 10, 7, 3, 100];
    const a = seeded(batch * m * k, 5);
    const b = seeded((batch - 1) * stride + k * n, 6);
    const out = new Float32Array(batch * m * n + 5).fill(-7);
    expect(wasmMatmul(a, b, m, k, n, batch, { bBatchStride: stride, out })).toBe(out);
    expectClose(out.subarray(0, batch * m * n), reference(a, b, m, k, n, batch, stride), k, a, b);
    expect([...out.subarray(batch * m * n)]).toEqual([-7, -7, -7, -7, -7]);
  });

  // the op passes a matrixTranspose view as the matrix it views: Aᵀ (k × m) or Bᵀ (n × k) per batch entry
  it.each([
    { m: 7, k: 13, n: 11, batch: 1 },
    { m: 5, k: 3, n: 9, batch: 4 },
    { m: 17, k: 16, n: 17, batch: 6 },
    { m: 67, k: 129, n: 33, batch: 2 },
    { m: 64, k: 300, n: 40, batch: 1 },
  ])('reads A or B given transposed, [$m×$k]·[$k×$n] batch $batch, on both kernels and on threads', ({ m, k, n, batch }) => {
    const a = seeded(batch * m * k, m + 20);
    const b = seeded(batch * k * n, n + 21);
    const aT = transposeEach(a, batch, m, k);
    const bT = transposeEach(b, batch, k, n);
    const expected = reference(a, b, m, k, n, batch, k * n);
    for (const kernel of ['packed', 'unpacked'] as const) {
      for (const threads of [{ threads: 1 }, { threadThresholdFlops: 0 }]) {
        const rowMajor = wasmMatmul(a, b, m, k, n, batch, { kernel, ...threads });
        for (const [transposeA, transposeB] of [[true, false], [false, true], [true, true]]) {
          const product = wasmMatmul(transposeA ? aT : a, transposeB ? bT : b, m, k, n, batch, { kernel, transposeA, transposeB, ...threads });
          expectClose(product, expected, k, a, b);
          // the same sums in the same order as for row-major operands
          expect(product, `${kernel} transposeA ${transposeA} transposeB ${transposeB}`).toEqual(rowMajor);
        }
      }
    }
  });

  it('splits products given transposed by batch and by rows like row-major ones', () => {
    const [m, k, n, batch] = [40, 30, 20, 3];
    const a = seeded(batch * m * k, 29);
    const b = seeded(batch * k * n, 30);
    const whole = wasmMatmul(a, b, m, k, n, batch);
    for (const workspaceLimitBytes of [175_000, 150_000]) {
      expect(wasmMatmul(transposeEach(a, batch, m, k), transposeEach(b, batch, k, n), m, k, n, batch, { workspaceLimitBytes, transposeA: true, transposeB: true })).toEqual(whole);
    }
    const single = wasmMatmul(a.subarray(0, m * k), b, m, k, n);
    expect(wasmMatmul(transposeEach(a, 1, m, k), b, m, k, n, 1, { workspaceLimitBytes: 142_000, transposeA: true })).toEqual(single);
  });

  it('gives zeros for k = 0 and an empty result for m = 0', () => {
    expect([...wasmMatmul(new Float32Array(0), new Float32Array(0), 2, 0, 3)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(wasmMatmul(new Float32Array(0), seeded(12, 1), 0, 3, 4).length).toBe(0);
  });

  it('gives identical results on one thread and on several', () => {
    const [m, k, n, batch] = [150, 197, 131, 2];
    const a = seeded(batch * m * k, 7);
    const b = seeded(batch * k * n, 8);
    const single = wasmMatmul(a, b, m, k, n, batch, { threads: 1 });
    expect(wasmMatmulInfo().lastCallThreads).toBe(1);
    expectClose(single, reference(a, b, m, k, n, batch, k * n), k, a, b);
    let workersHelped = false;
    const other = seeded(batch * m * k, 70);
    // a worker computes chunks only if it runs before the caller has claimed them all
    for (const deadline = Date.now() + 3000; Date.now() < deadline && !workersHelped; ) {
      wasmMatmul(other, b, m, k, n, batch, { threads: 1 }); // overwrites C in WebAssembly memory
      expect(wasmMatmul(a, b, m, k, n, batch, { threadThresholdFlops: 0 })).toEqual(single);
      workersHelped = wasmMatmulInfo().lastCallOnWorkers;
    }
    if (availableParallelism() >= 2 && wasmMatmulInfo().sharedMemory) expect(workersHelped).toBe(true);
  });

  it('splits products larger than workspaceLimitBytes by batch, then by rows, with the same result', () => {
    const [m, k, n, batch] = [40, 30, 20, 3];
    const a = seeded(batch * m * k, 9);
    const b = seeded(batch * k * n, 10);
    const whole = wasmMatmul(a, b, m, k, n, batch);
    // 160 kB fits two of the three matrices; 142 kB fits half the rows of one
    for (const workspaceLimitBytes of [160_000, 142_000]) {
      expect(wasmMatmul(a, b, m, k, n, batch, { workspaceLimitBytes })).toEqual(whole);
    }
    expect(() => wasmMatmul(a, b, m, k, n, batch, { workspaceLimitBytes: 1000 })).toThrow(/over the limit/);
  });

  it('grows its memory for a larger product after smaller ones, on every thread', () => {
    const [m, k, n] = [700, 300, 200]; // about 2.4 MB of operands, more than any earlier test used
    const a = seeded(m * k, 11);
    const b = seeded(k * n, 12);
    const before = wasmMatmulInfo().memoryBytes;
    const product = wasmMatmul(a, b, m, k, n, 1, { threadThresholdFlops: 0 });
    expect(wasmMatmulInfo().memoryBytes).toBeGreaterThan(before);
    expect(product).toEqual(wasmMatmul(a, b, m, k, n, 1, { threads: 1 }));
    expectClose(product, reference(a, b, m, k, n, 1, 0), k, a, b);
  });

  it('rejects inputs shorter than the sizes say, naming wasmMatmul', () => {
    expect(() => wasmMatmul(new Float32Array(5), new Float32Array(6), 2, 3, 2)).toThrow(/wasmMatmul: a has 5 elements/);
    expect(() => wasmMatmul(new Float32Array(6), new Float32Array(5), 2, 3, 2)).toThrow(/wasmMatmul: b has 5 elements/);
    expect(() => wasmMatmul(new Float32Array(6), new Float32Array(6), 2, 3, 2, 1, { out: new Float32Array(3) })).toThrow(/wasmMatmul: out/);
    expect(() => wasmMatmul(new Float32Array(6), new Float32Array(6), 2.5, 3, 2)).toThrow(/m must be a non-negative integer/);
  });

  it('rejects float64 inputs instead of rounding them to float32', () => {
    const wide = new Float64Array(6) as unknown as Float32Array;
    expect(() => wasmMatmul(wide, new Float32Array(6), 2, 3, 2)).toThrow(/wasmMatmul: a must be a Float32Array \(float32 only\), got Float64Array/);
  });
});

describe('the unpacked kernel (small B, read as it lies)', () => {
  beforeAll(async () => {
    await wasmMatmulWarmup();
  });

  // attention's products per head (d 16) at the presets' token counts, their backward pass's
  // transposed shapes, N not a multiple of 4 or 8, and batches that do not divide among 2 threads
  const shapes: [m: number, k: number, n: number, batch: number][] = [
    [50, 16, 50, 37],
    [50, 50, 16, 37],
    [16, 50, 50, 37],
    [10, 16, 10, 51],
    [17, 16, 17, 33],
    [17, 17, 16, 33],
    [16, 17, 17, 33],
    [5, 16, 5, 129],
    [5, 5, 16, 129],
    [16, 5, 5, 129],
    [1, 3, 1, 7],
    [3, 1, 2, 5],
    [6, 9, 7, 3],
    [301, 13, 11, 1],
  ];

  it.each(shapes.map(([m, k, n, batch]) => ({ m, k, n, batch })))('[$m×$k]·[$k×$n], batch $batch, matches a float64 reference, threaded or not', ({ m, k, n, batch }) => {
    for (const [seed, options] of [[1, { threads: 1 }], [2, { threadThresholdFlops: 0 }]] as const) {
      const a = seeded(batch * m * k, seed + m);
      const b = seeded(batch * k * n, seed + n);
      const out = new Float32Array(batch * m * n + 3).fill(-7);
      wasmMatmul(a, b, m, k, n, batch, { ...options, out, kernel: 'unpacked' });
      expect(wasmMatmulInfo().lastCallKernel).toBe('unpacked');
      expectClose(out.subarray(0, batch * m * n), reference(a, b, m, k, n, batch, k * n), k, a, b);
      expect([...out.subarray(batch * m * n)]).toEqual([-7, -7, -7]);
    }
  });

  it('gives the same bits as the packed kernel: both sum over k in ascending order', () => {
    for (const [m, k, n, batch] of [[50, 16, 50, 9], [17, 17, 16, 5], [16, 5, 5, 3], [37, 64, 23, 2]]) {
      const a = seeded(batch * m * k, 15);
      const b = seeded(batch * k * n, 16);
      const packed = wasmMatmul(a, b, m, k, n, batch, { kernel: 'packed', threads: 1 });
      expect(wasmMatmul(a, b, m, k, n, batch, { kernel: 'unpacked', threadThresholdFlops: 0 })).toEqual(packed);
    }
  });

  it('runs for small B by default and leaves a large B to the packed kernel', () => {
    wasmMatmul(seeded(64 * 50 * 16, 1), seeded(64 * 16 * 50, 2), 50, 16, 50, 64);
    expect(wasmMatmulInfo().lastCallKernel).toBe('unpacked');
    wasmMatmul(seeded(100 * 256, 1), seeded(256 * 64, 2), 100, 256, 64);
    expect(wasmMatmulInfo().lastCallKernel).toBe('packed');
  });

  it('reads B matrices bBatchStride elements apart, and folds a shared B into the rows', () => {
    const [m, k, n, batch, stride] = [7, 16, 9, 11, 200];
    const a = seeded(batch * m * k, 17);
    const strided = seeded((batch - 1) * stride + k * n, 18);
    for (const options of [{ threads: 1 }, { threadThresholdFlops: 0 }]) {
      const product = wasmMatmul(a, strided, m, k, n, batch, { ...options, bBatchStride: stride, kernel: 'unpacked' });
      expectClose(product, reference(a, strided, m, k, n, batch, stride), k, a, strided);
      const shared = wasmMatmul(a, strided, m, k, n, batch, { ...options, bBatchStride: 0, kernel: 'unpacked' });
      expectClose(shared, reference(a, strided, m, k, n, batch, 0), k, a, strided);
    }
  });

  it('reads nothing past its 16 bytes of slack after the last B, and writes nothing outside C', () => {
    const pages = 2;
    const memory = new webAssembly!.Memory({ initial: pages, maximum: pages });
    const module = new webAssembly!.Module(generateMatmulModule({ shape: { rows: 4, columns: 8, unroll: 1 }, shared: false, fusedMultiplyAdd: false, initialPages: 1, maximumPages: pages }));
    const kernel = new webAssembly!.Instance(module, { env: { memory } }).exports as unknown as MatmulExports;
    for (const [m, k, n, batch] of [[5, 3, 5, 2], [9, 4, 13, 3], [4, 7, 1, 1], [6, 2, 8, 2]]) {
      const a = seeded(batch * m * k, 19);
      const b = seeded(batch * k * n, 20);
      const heap = new Float32Array(memory.buffer).fill(NaN);
      // B ends 16 bytes before memory does: a load any further would trap
      const bAt = pages * 65536 - 16 - b.length * 4;
      const [aAt, cAt] = [1024, 32768];
      heap.set(a, aAt / 4);
      heap.set(b, bAt / 4);
      kernel.gemmUnpacked(aAt, bAt, cAt, batch, m, k, n);
      expectClose(heap.slice(cAt / 4, cAt / 4 + batch * m * n), reference(a, b, m, k, n, batch, k * n), k, a, b);
      expect(Number.isNaN(heap[cAt / 4 - 1]) && Number.isNaN(heap[cAt / 4 + batch * m * n])).toBe(true);
    }
  });
});

describe('wasmMatmul with NaN and Inf', () => {
  it('propagates a NaN in A to its row of C only', () => {
    const [m, k, n] = [5, 6, 9];
    const a = seeded(m * k, 13);
    const b = seeded(k * n, 14);
    a[2 * k + 3] = NaN;
    const c = wasmMatmul(a, b, m, k, n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) expect(Number.isNaN(c[i * n + j])).toBe(i === 2);
    }
  });

  it('gives ±Inf where one product is infinite and NaN where Inf meets 0', () => {
    const a = Float32Array.from([Infinity, 1, 2, 3]); // 2 × 2
    const b = Float32Array.from([1, 0, 1, 1]); // 2 × 2
    const c = wasmMatmul(a, b, 2, 2, 2);
    expect(c[0]).toBe(Infinity);
    expect(Number.isNaN(c[1])).toBe(true); // Inf·0 + 1·1
    expect([c[2], c[3]]).toEqual([5, 3]);
  });
});

describe('wasmMatmul worker threads', () => {
  it('do not keep the process alive', () => {
    const directory = mkdtempSync(join(tmpdir(), 'wasm-matmul-'));
    const entry = fileURLToPath(new URL('../../core/backend/wasm/matmul/index.ts', import.meta.url));
    const script = join(directory, 'exits.mts');
    writeFileSync(
      script,
      `import { wasmMatmul, wasmMatmulWarmup } from ${JSON.stringify(entry)};\n` +
        `await wasmMatmulWarmup();\n` +
        `const x = new Float32Array(300 * 300).fill(1);\n` +
        `wasmMatmul(x, x, 300, 300, 300, 1, { threadThresholdFlops: 0 });\n` +
        `console.log('done');\n`,
    );
    try {
      const started = Date.now();
      const output = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 12_000 });
      expect(output.trim()).toBe('done');
      expect(Date.now() - started).toBeLessThan(12_000);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('wasmMatmul with relaxed SIMD (fused multiply-adds)', () => {
  it('uses them exactly where the engine validates relaxed SIMD', () => {
    expect(wasmMatmulInfo().fusedMultiplyAdd).toBe(wasmRelaxedSimdAvailable());
  });

  // Node 20 runs relaxed SIMD only behind this V8 flag (later engines ship it on): a fresh process with it
  it('with the engine flag, the fused kernels match the float64 reference on both kernels, threaded or not', () => {
    const script = `
      import { wasmMatmul, wasmMatmulInfo, wasmMatmulWarmup } from ${JSON.stringify(new URL('../../core/backend/wasm/matmul/index.ts', import.meta.url).href)};
      await wasmMatmulWarmup();
      const seeded = (length, seed) => { let s = seed; return Float32Array.from({ length }, () => ((s = (Math.imul(s, 1664525) + 1013904223) | 0), s / 2 ** 31)); };
      const worst = [];
      for (const [m, k, n, batch] of [[7, 13, 11, 1], [50, 16, 50, 8], [67, 129, 33, 2], [150, 197, 131, 1]]) {
        const a = seeded(batch * m * k, m), b = seeded(batch * k * n, n);
        for (const options of [{ kernel: 'packed', threads: 1 }, { kernel: 'unpacked', threads: 1 }, { threadThresholdFlops: 0 }]) {
          const c = wasmMatmul(a, b, m, k, n, batch, options);
          let error = 0;
          for (let t = 0; t < batch; t++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
            let total = 0;
            for (let p = 0; p < k; p++) total += a[(t * m + i) * k + p] * b[(t * k + p) * n + j];
            error = Math.max(error, Math.abs(c[(t * m + i) * n + j] - total) / k);
          }
          worst.push(error);
        }
      }
      console.log(JSON.stringify({ fused: wasmMatmulInfo().fusedMultiplyAdd, worst: Math.max(...worst) }));
      process.exit(0);`;
    const printed = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const { fused, worst } = JSON.parse(printed.trim().split('\n').at(-1)!);
    expect(fused).toBe(true);
    // inputs in [−1, 1): float32 sums of k products stay within 1e-5·k of the exact sum
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
