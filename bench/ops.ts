/**
 * Eager per-op dispatch overhead on tiny tensors (µs per op), gelu over 2¹⁹ floats (the MLPs'
 * transcendental cost, ms) and matmul throughput (GFLOP/s) at 128³ and 512³, for each backend and
 * gpu.js mode present. Medians of several runs, min and max beside.
 * Run with `npm run bench`. Not a test: timings never go into the test suite.
 */
import * as tg from '../core/index.js';
import type { BackendChoice } from '../core/index.js';
import { random } from '../core/random.js';

interface Timing {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function time(repeats: number, body: () => void): Timing {
  body(); // warm-up: compiles kernels for these shapes
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    body();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], max: samples[samples.length - 1] };
}

const backends: BackendChoice[] = ['reference', ...tg.availableGpuModes()];

const rows: string[][] = [['backend', 'dispatch µs/op (median [min–max])', 'gelu 2¹⁹ ms', 'matmul 128³ GFLOP/s', 'matmul 512³ GFLOP/s']];
const key = random.key(0);
for (const backend of backends) {
  tg.setBackend(backend);
  const a = tg.ones([4]);
  const b = tg.ones([4]);
  const opsPerRun = 1000;
  const dispatch = time(7, () => {
    for (let i = 0; i < opsPerRun; i++) tg.add(a, b);
  });
  const perOp = (ms: number) => ((ms * 1000) / opsPerRun).toFixed(1);
  const gflops = (n: number, repeats: number) => {
    const [k1, k2] = random.split(key);
    const x = random.normal(k1, [n, n]);
    const y = random.normal(k2, [n, n]);
    const t = time(repeats, () => void tg.matmul(x, y).dataSync());
    return `${((2 * n ** 3) / (t.median * 1e6)).toFixed(2)} [${((2 * n ** 3) / (t.max * 1e6)).toFixed(2)}–${((2 * n ** 3) / (t.min * 1e6)).toFixed(2)}]`;
  };
  const geluInput = random.normal(key, [2 ** 19]);
  const gelu = time(7, () => void tg.gelu(geluInput).dataSync());
  const label = backend === 'reference' ? 'reference (js)' : `gpujs ${backend}`;
  rows.push([label, `${perOp(dispatch.median)} [${perOp(dispatch.min)}–${perOp(dispatch.max)}]`, `${gelu.median.toFixed(1)} [${gelu.min.toFixed(1)}–${gelu.max.toFixed(1)}]`, gflops(128, 7), gflops(512, 3)]);
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log(`tapegrad ops benchmark, float32, Node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
