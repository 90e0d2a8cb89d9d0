/**
 * Float32 matmul throughput (GFLOP/s) of a plain JavaScript ikj loop against the generated WebAssembly
 * SIMD kernel on one thread and on two, at square sizes and at the shapes of a small ViT. Medians of
 * at least 5 timed runs after warm-up, min and max beside. Every variant allocates its result,
 * as a tensor op would, except the `reused out` columns, which write into one preallocated array (so
 * they leave out the cost of fresh pages, large and erratic on some VMs); the last column splits the
 * one-thread wasm time (fresh result) into its phases, medians over 15 calls.
 * Run with `npx tsx bench/matmul.ts`. Not a test: timings never go into the test suite.
 */
import { availableParallelism, loadavg } from 'node:os';
import { wasmMatmul, wasmMatmulInfo, wasmMatmulWarmup, type WasmMatmulPhases } from '../core/backend/wasm/matmul/index.js';
import { type Timing, timeRuns } from './timing.js';

interface Case {
  readonly label: string;
  readonly batch: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/** C = A·B with C accumulated in a Float32Array, i, then p, then j innermost. */
function plainMatmul(a: Float32Array, b: Float32Array, { batch, m, k, n }: Case): Float32Array {
  const c = new Float32Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      const cRow = (t * m + i) * n;
      for (let p = 0; p < k; p++) {
        const x = a[(t * m + i) * k + p];
        const bRow = (t * k + p) * n;
        for (let j = 0; j < n; j++) c[cRow + j] += x * b[bRow + j];
      }
    }
  }
  return c;
}


/** Median milliseconds of each phase of the one-thread wasm call over 15 calls. */
function phaseMedians(body: () => void): string {
  const samples: WasmMatmulPhases[] = [];
  for (let r = 0; r < 15; r++) {
    body();
    samples.push(wasmMatmulInfo().lastCallPhases);
  }
  const median = (phase: keyof WasmMatmulPhases) => samples.map((sample) => sample[phase]).sort((x, y) => x - y)[7].toFixed(3);
  return [median('copyIn'), median('pack'), median('compute'), median('copyOut')].join(' / ');
}

const square = (size: number): Case => ({ label: `${size}³`, batch: 1, m: size, k: size, n: size });
const cases: Case[] = [
  ...[64, 128, 256, 512, 1024].map(square),
  { label: '[1600×64]·[64×192]', batch: 1, m: 1600, k: 64, n: 192 },
  { label: '[1600×256]·[256×64]', batch: 1, m: 1600, k: 256, n: 64 },
  { label: '[32×50×16]·[32×16×50]', batch: 32, m: 50, k: 16, n: 50 },
  { label: '[32×50×50]·[32×50×16]', batch: 32, m: 50, k: 50, n: 16 },
];

function seeded(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) | 0;
    return state / 2 ** 32;
  });
}

const format = (flops: number, t: Timing) =>
  `${(flops / (t.median * 1e6)).toFixed(1)} [${(flops / (t.max * 1e6)).toFixed(1)}–${(flops / (t.min * 1e6)).toFixed(1)}]`;

const info = await wasmMatmulWarmup();
const threads = Math.min(2, info.threads);
const rows: string[][] = [
  ['shape', 'plain JS ikj', 'wasm 1 thread', `wasm ${threads} threads`, 'wasm 1 thread, reused out', `wasm ${threads} threads, reused out`, 'threads used', 'wasm 1 thread: copy-in / pack / kernel / copy-out, median ms'],
];
for (const shape of cases) {
  const { batch, m, k, n } = shape;
  const a = seeded(batch * m * k, 1);
  const b = seeded(batch * k * n, 2);
  const flops = 2 * batch * m * k * n;
  const plain = timeRuns(() => plainMatmul(a, b, shape), 200);
  const one = timeRuns(() => wasmMatmul(a, b, m, k, n, batch, { threads: 1 }), 200);
  const phases = phaseMedians(() => wasmMatmul(a, b, m, k, n, batch, { threads: 1 }));
  const two = timeRuns(() => wasmMatmul(a, b, m, k, n, batch, { threads }), 200);
  const used = wasmMatmulInfo().lastCallThreads;
  const out = new Float32Array(batch * m * n);
  const oneReused = timeRuns(() => wasmMatmul(a, b, m, k, n, batch, { threads: 1, out }), 200);
  const twoReused = timeRuns(() => wasmMatmul(a, b, m, k, n, batch, { threads, out }), 200);
  rows.push([shape.label, format(flops, plain), format(flops, one), format(flops, two), format(flops, oneReused), format(flops, twoReused), String(used), phases]);
}

const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
console.log(`tapegrad matmul benchmark, float32, GFLOP/s median [min–max], Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(2)}`);
console.log(`wasm kernel ${info.kernel.rows}×${info.kernel.columns} tile, shared memory ${info.sharedMemory}, pool of ${info.threads} threads (${info.readyWorkers} workers ready), threaded from ${info.threadThresholdFlops / 1e6} MFLOP`);
for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  '));
