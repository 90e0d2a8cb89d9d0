/**
 * Float32 matmul throughput (GFLOP/s) on the shapes a DINO step really multiplies: attention's batched
 * products (QKᵀ, AV and the transposed products of their backward pass), the ViT's linear layers and the
 * DINO head, for the `bench-vit-mnist` preset and `npm start`'s default. tapegrad's `wasmMatmul` (the
 * kernel the CPU backends dispatch to, with its default threading and choice of kernel, and with the
 * packed-panel kernel forced, which every shape used before the unpacked one existed) beside PyTorch's bmm/mm on the same
 * shapes where a python with torch is found (as bench/run.ts finds it). Both write into a preallocated
 * result, as a compiled jit program does. Medians of 15 timed runs (5 for slow shapes) after warm-up.
 *
 * Run with `npx tsx bench/matmul-shapes.ts` (`--no-torch` to skip PyTorch). Not a test.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { wasmMatmul, wasmMatmulInfo, wasmMatmulWarmup } from '../core/backend/wasm/matmul/index.js';
import { timeRuns } from './timing.js';
import { torchPython } from './torch-python.js';

interface Case {
  readonly label: string;
  readonly batch: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/**
 * Attention over B·H heads of N tokens, head width d: QKᵀ and dP = dO·Vᵀ are [N×d]·[d×N]; AV, dQ = dS·K
 * and dV = Pᵀ·dO are [N×N]·[N×d]; dKᵀ = Qᵀ·dS is [d×N]·[N×N] (transposes are copied before the product).
 */
function attention(preset: string, heads: number, tokens: number, d = 16): Case[] {
  const where = `${preset} ${heads}×N${tokens}`;
  return [
    { label: `${where} QKᵀ, dO·Vᵀ`, batch: heads, m: tokens, k: d, n: tokens },
    { label: `${where} AV, dS·K, Pᵀ·dO`, batch: heads, m: tokens, k: tokens, n: d },
    { label: `${where} Qᵀ·dS`, batch: heads, m: d, k: tokens, n: tokens },
  ];
}

const dense = (label: string, m: number, k: number, n: number): Case => ({ label, batch: 1, m, k, n });

/**
 * bench-vit-mnist: batch 32, 2 global crops of 50 tokens (64 images, 256 heads), 4 local crops of 10
 * tokens (128 images, 512 heads), D 64, MLP 256, head 64→256→256→64→1024 on 192 rows.
 * default: batch 64, patch 7: 17 and 5 tokens (512 and 1,024 heads), 2,176 and 1,280 token rows, head on 384 rows to K 32.
 */
const cases: Case[] = [
  ...attention('bench', 256, 50),
  ...attention('bench', 512, 10),
  ...attention('default', 512, 17),
  ...attention('default', 1024, 5),
  dense('bench qkv [3200×64]·[64×192]', 3200, 64, 192),
  dense('bench fc1 [3200×64]·[64×256]', 3200, 64, 256),
  dense('bench fc2 [3200×256]·[256×64]', 3200, 256, 64),
  dense('bench proj [3200×64]·[64×64]', 3200, 64, 64),
  dense('bench qkv dX [3200×192]·[192×64]', 3200, 192, 64),
  dense('bench fc1 dW [256×3200]·[3200×64]', 256, 3200, 64),
  dense('bench local qkv [1280×64]·[64×192]', 1280, 64, 192),
  dense('bench head [192×64]·[64×256]', 192, 64, 256),
  dense('bench head [192×256]·[256×256]', 192, 256, 256),
  dense('bench head last [192×64]·[64×1024]', 192, 64, 1024),
  dense('bench head last dX [192×1024]·[1024×64]', 192, 1024, 64),
  dense('default qkv [2176×64]·[64×192]', 2176, 64, 192),
  dense('default fc1 [2176×64]·[64×256]', 2176, 64, 256),
  dense('default fc2 [2176×256]·[256×64]', 2176, 256, 64),
  dense('default patch [2048×49]·[49×64]', 2048, 49, 64),
  dense('default head [384×256]·[256×256]', 384, 256, 256),
  dense('default head last [384×64]·[64×32]', 384, 64, 32),
  dense('512³', 512, 512, 512),
];

function seeded(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) | 0;
    return state / 2 ** 32;
  });
}

/** Median milliseconds: warm-up, then 5 timed runs if one takes over 100 ms, else 15. */
const medianMs = (body: () => void): number => timeRuns(body, 100).median;

/** Reads [[batch, m, k, n], …] on stdin; prints a JSON line: threads, BLAS, median ms per shape. */
const torchTimer = `
import json, sys, time, torch
shapes = json.load(sys.stdin)
def median_ms(body):
    body(); body()
    first = time.perf_counter(); body(); slow = time.perf_counter() - first > 0.1
    samples = []
    for _ in range(5 if slow else 15):
        start = time.perf_counter(); body(); samples.append((time.perf_counter() - start) * 1e3)
    return sorted(samples)[len(samples) // 2]
result = []
for batch, m, k, n in shapes:
    a, b = torch.rand(batch, m, k), torch.rand(batch, k, n)
    out = torch.empty(batch, m, n)
    if batch == 1:
        a, b, out = a[0], b[0], out[0]
        result.append(median_ms(lambda: torch.mm(a, b, out=out)))
    else:
        result.append(median_ms(lambda: torch.bmm(a, b, out=out)))
with open("/proc/self/maps") as handle:
    blas = sorted({line.split()[-1] for line in handle if "blas" in line.lower() and "/" in line})
print(json.dumps({"threads": torch.get_num_threads(), "version": torch.__version__, "blas": blas, "ms": result}))
`;

function torchMedians(): { note: string; ms: number[] } | { note: string; ms?: undefined } {
  if (process.argv.includes('--no-torch')) return { note: 'PyTorch skipped (--no-torch)' };
  const torch = torchPython();
  if (!torch) return { note: 'PyTorch skipped: no python with torch (see bench/run.ts)' };
  const shapes = JSON.stringify(cases.map(({ batch, m, k, n }) => [batch, m, k, n]));
  const run = spawnSync(torch.python, ['-c', torchTimer], { input: shapes, env: { ...process.env, ...torch.env }, encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) return { note: `PyTorch failed: ${run.stderr.trim().split('\n').pop()}` };
  const parsed = JSON.parse(run.stdout.trim().split('\n').pop()!) as { threads: number; version: string; blas: string[]; ms: number[] };
  return { note: `PyTorch ${parsed.version}, ${parsed.threads} intra-op threads, BLAS ${parsed.blas.join(', ') || 'none mapped'}`, ms: parsed.ms };
}

const info = await wasmMatmulWarmup();
/** Median ms of the default call, the kernel it chose, and the median ms with the packed kernel forced. */
const tapegrad = cases.map(({ batch, m, k, n }) => {
  const a = seeded(batch * m * k, 1);
  const b = seeded(batch * k * n, 2);
  const out = new Float32Array(batch * m * n);
  const ms = medianMs(() => wasmMatmul(a, b, m, k, n, batch, { out }));
  const kernel = wasmMatmulInfo().lastCallKernel;
  return { ms, kernel, packedMs: medianMs(() => wasmMatmul(a, b, m, k, n, batch, { out, kernel: 'packed' })) };
});
const torch = torchMedians();

const gflops = ({ batch, m, k, n }: Case, ms: number) => (2 * batch * m * k * n) / (ms * 1e6);
const rows = [['shape', 'batch', 'm×k·k×n', 'MFLOP', 'tapegrad GFLOP/s', 'ms', 'kernel', 'packed-only GFLOP/s', ...(torch.ms ? ['torch GFLOP/s', 'ms', 'torch/tapegrad time'] : [])]];
cases.forEach((shape, index) => {
  const { batch, m, k, n } = shape;
  const { ms: ours, kernel, packedMs } = tapegrad[index];
  const theirs = torch.ms?.[index];
  rows.push([
    shape.label, String(batch), `${m}×${k}·${k}×${n}`, ((2 * batch * m * k * n) / 1e6).toFixed(1),
    gflops(shape, ours).toFixed(1), ours.toFixed(3), kernel, gflops(shape, packedMs).toFixed(1),
    ...(theirs === undefined ? [] : [gflops(shape, theirs).toFixed(1), theirs.toFixed(3), (theirs / ours).toFixed(2)]),
  ]);
});
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
console.log(`matmul on a DINO step's shapes, float32, median of runs, result preallocated; Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(2)}`);
console.log(`tapegrad wasmMatmul: pool of ${info.threads} threads (${info.readyWorkers} workers ready), threaded from ${info.threadThresholdFlops / 1e6} MFLOP; ${torch.note}`);
for (const row of rows) console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '));
