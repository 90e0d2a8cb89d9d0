/**
 * `npm run bench`: tapegrad's op benchmark (`bench/ops.ts`), then one DINO training step
 * (`dino-step/preset.ts`) in tapegrad and its peers, each library and backend in its own process
 * (`npx tsx bench/dino-step-<library>.ts --json`, `python3 bench/dino_step_torch.py --json`), then
 * a check that the implementations agree step for step without drop path. Prints one table and
 * writes bench/results.json.
 *
 * Flags: --steps N (timed steps, default 10), --warmup N (2), --repeat N (sanity repeats, 5),
 * --only tapegrad,tfjs,jax-js,torch, --skip-ops, --no-agreement, --timeout-s S (per process, 3600),
 * --profile (tapegrad's rows time one more step per op class, printed after the table).
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { availableGpuModes, webgpuSupport } from '../core/index.js';
import { wasmRelaxedSimdAvailable } from '../core/backend/wasm/matmul/index.js';
import type { DinoBenchResult } from './dino-step/harness.js';
import { benchVitMnist } from './dino-step/preset.js';
import { type Agreement, type RowOutcome, formatAgreement, formatTable, rowLabel } from './dino-step/report.js';
import { torchPython } from './torch-python.js';

interface Flags {
  readonly steps: number;
  readonly warmup: number;
  readonly repeat: number;
  readonly only: readonly string[];
  readonly skipOps: boolean;
  readonly agreement: boolean;
  readonly timeoutSeconds: number;
  readonly profile: boolean;
}

const libraries = ['tapegrad', 'tfjs', 'jax-js', 'torch'];

function parseFlags(argv: readonly string[]): Flags {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag === '--skip-ops' || flag === '--no-agreement' || flag === '--profile') switches.add(flag);
    else if (['--steps', '--warmup', '--repeat', '--only', '--timeout-s'].includes(flag)) values.set(flag, inline ?? argv[++i]);
    else throw new Error(`unknown flag ${argv[i]}; allowed: --steps N, --warmup N, --repeat N, --only ${libraries.join(',')}, --skip-ops, --no-agreement, --timeout-s S, --profile`);
  }
  const count = (flag: string, fallback: number, min: number) => {
    const value = values.has(flag) ? Number(values.get(flag)) : fallback;
    if (!Number.isInteger(value) || value < min) throw new Error(`${flag} must be an integer ≥ ${min}, got ${values.get(flag)}`);
    return value;
  };
  const only = values.get('--only')?.split(',') ?? libraries;
  const unknown = only.filter((name) => !libraries.includes(name));
  if (unknown.length > 0) throw new Error(`--only: unknown ${unknown.join(', ')}; allowed: ${libraries.join(', ')}`);
  return {
    steps: count('--steps', 10, 1), warmup: count('--warmup', 2, 0), repeat: count('--repeat', 5, 1), only,
    skipOps: switches.has('--skip-ops'), agreement: !switches.has('--no-agreement'), timeoutSeconds: count('--timeout-s', 3600, 1),
    profile: switches.has('--profile'),
  };
}

/** One process to run: a command, or a row that explains why there is none. */
interface Target {
  readonly library: string;
  readonly backend: string;
  readonly mode: string;
  readonly command?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly message?: string;
  /** This library's row in the agreement check. */
  readonly agreement?: boolean;
}

const tsx = (file: string, ...args: string[]) => ['npx', 'tsx', `bench/${file}`, ...args];

const relaxedSimdFlag = '--experimental-wasm-relaxed-simd';
/** V8 before 11.4 (Node 20) has relaxed SIMD behind the flag; later ones ship it on (and may not know the flag). */
function relaxedSimdFlagExists(): boolean {
  const [major, minor] = process.versions.v8.split('.').map(Number);
  return major < 11 || (major === 11 && minor < 4);
}

function targets(only: readonly string[]): Target[] {
  const list: Target[] = [];
  if (only.includes('tapegrad')) {
    for (const backend of ['reference', ...availableGpuModes()]) {
      list.push({ library: 'tapegrad', backend: backend === 'reference' ? backend : `gpujs ${backend}`, mode: 'eager', command: tsx('dino-step-tapegrad.ts'), env: { TAPEGRAD_BACKEND: backend }, agreement: backend === 'reference' });
    }
    // jitDinoStep on the gpu.js modes (the reference backend is the oracle, not a contender)
    for (const backend of availableGpuModes()) {
      list.push({ library: 'tapegrad', backend: `gpujs ${backend}`, mode: 'jit', command: tsx('dino-step-tapegrad.ts', '--mode', 'jit'), env: { TAPEGRAD_BACKEND: backend } });
    }
    // Node 20's V8 runs relaxed SIMD (the matmul's fused multiply-adds) only behind a flag: one more row with it
    if (!wasmRelaxedSimdAvailable() && relaxedSimdFlagExists()) {
      list.push({ library: 'tapegrad', backend: 'gpujs cpu', mode: 'jit, relaxed SIMD', command: ['npx', 'tsx', relaxedSimdFlag, 'bench/dino-step-tapegrad.ts', '--mode', 'jit'], env: { TAPEGRAD_BACKEND: 'cpu' } });
    }
    // jitDinoStep on WebGPU; on SwiftShader (no GPU) a step takes minutes, so fewer of them unless --steps says otherwise
    const webgpuMissing = webgpuSupport();
    list.push(webgpuMissing === null
      ? { library: 'tapegrad', backend: 'webgpu', mode: 'jit', command: tsx('dino-step-tapegrad.ts', '--mode', 'jit', '--repeat', '1', '--warmup', '1', '--steps', '3'), env: { TAPEGRAD_BACKEND: 'webgpu' } }
      : { library: 'tapegrad', backend: 'webgpu', mode: 'jit', message: `skipped: ${webgpuMissing}` });
  }
  if (only.includes('tfjs')) {
    for (const backend of ['cpu', 'wasm']) list.push({ library: 'tfjs', backend, mode: 'eager', command: tsx('dino-step-tfjs.ts', '--backend', backend), agreement: backend === 'wasm' });
  }
  if (only.includes('jax-js')) {
    for (const mode of ['jit', 'eager']) list.push({ library: 'jax-js', backend: 'wasm', mode, command: tsx('dino-step-jaxjs.ts', '--backend', 'wasm', '--mode', mode), agreement: mode === 'jit' });
  }
  if (only.includes('torch')) {
    const torch = torchPython();
    list.push(torch
      ? { library: 'torch', backend: 'cpu', mode: 'eager', command: [torch.python, 'bench/dino_step_torch.py', '--backend', 'cpu'], env: torch.env, agreement: true }
      : { library: 'torch', backend: 'cpu', mode: 'eager', message: 'skipped: no torch (neither $TAPEGRAD_TORCH_PYTHON, /usr/bin/python3 nor python3 imports torch; apt-get install python3-torch)' });
  }
  return list;
}

/** Runs a command in its own process group, its stderr shown with a prefix; resolves to its last JSON stdout line. */
function runJson(label: string, command: readonly string[], env: Readonly<Record<string, string>> | undefined, timeoutSeconds: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) process.stderr.write(line.startsWith(label) ? `  ${line}\n` : `  [${label}] ${line}\n`);
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      reject(new Error(`timed out after ${timeoutSeconds} s`));
    }, timeoutSeconds * 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', () => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').reverse().find((text) => text.startsWith('{'));
      if (line === undefined) reject(new Error(`printed no JSON result (exit ${child.exitCode})`));
      else resolve(JSON.parse(line));
    });
  });
}

async function runTarget(target: Target, args: readonly string[], timeoutSeconds: number): Promise<DinoBenchResult | { error: string }> {
  try {
    return (await runJson(rowLabel(target), [...target.command!, '--json', ...args], target.env, timeoutSeconds)) as DinoBenchResult | { error: string };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * One target per library (tapegrad reference, tfjs wasm, jax-js jit, torch cpu) without drop path for
 * 3 steps on one batch: from the same parameters and crops, the losses must match the first one's.
 */
async function checkAgreement(list: readonly Target[], timeoutSeconds: number): Promise<Agreement> {
  const chosen = list.filter((target) => target.agreement && target.command);
  const args = ['--drop-path-rate', '0', '--repeat', '2', '--warmup', '0', '--steps', '1'];
  const runs = [];
  for (const target of chosen) runs.push({ label: rowLabel(target), outcome: await runTarget(target, args, timeoutSeconds) });
  const losses = (outcome: DinoBenchResult | { error: string }) => ('error' in outcome ? undefined : outcome.sanity.repeatedBatchLosses);
  const reference = runs[0] ? losses(runs[0].outcome) : undefined;
  return {
    reference: runs[0]?.label ?? 'nothing',
    tolerance: 1e-4,
    rows: runs.map(({ label, outcome }) => {
      if ('error' in outcome) return { label, error: outcome.error };
      const own = losses(outcome)!;
      return { label, losses: own, maxDifference: reference ? Math.max(...own.map((loss, i) => Math.abs(loss - reference[i]))) : Number.NaN };
    }),
  };
}

const flags = parseFlags(process.argv.slice(2));
const loadAtStart = loadavg()[0];
if (!flags.skipOps) {
  const ops = spawnSync('npx', ['tsx', 'bench/ops.ts'], { stdio: 'inherit' });
  if (ops.status !== 0) process.stderr.write(`bench/ops.ts exited with ${ops.status}\n`);
  console.log();
}

const list = targets(flags.only);
const passThrough = ['--steps', String(flags.steps), '--warmup', String(flags.warmup), '--repeat', String(flags.repeat)];
const rows: RowOutcome[] = [];
for (const target of list) {
  const { library, backend, mode } = target;
  if (!target.command) {
    rows.push({ library, backend, mode, message: target.message! });
    continue;
  }
  process.stderr.write(`running ${rowLabel(target)} …\n`);
  const profile = flags.profile && library === 'tapegrad' && backend !== 'reference' ? ['--profile'] : [];
  const outcome = await runTarget(target, [...passThrough, ...profile], flags.timeoutSeconds);
  rows.push('error' in outcome ? { library, backend, mode, message: `failed: ${outcome.error}` } : { library, backend, mode, result: outcome });
}
const agreement = flags.agreement ? await checkAgreement(list, flags.timeoutSeconds) : undefined;
const loadAtEnd = loadavg()[0];

const cores = availableParallelism();
console.log(`DINO step, bench-vit-mnist preset (ViT p4 D64 depth 4, 4 heads; head 64→256→256→64→1024; B ${benchVitMnist.batch}, 2×28² + 4×12² crops), float32`);
console.log(`Node ${process.version}, ${cores} cores (${cpus()[0]?.model ?? 'unknown cpu'}), load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end`);
if (Math.max(loadAtStart, loadAtEnd) > cores / 2) console.log(`warning: the machine was busy (load average above ${cores / 2}); these timings are not comparable to a quiet run`);
console.log(`${flags.warmup} warm-up steps, then ${flags.steps} timed steps per row; sanity: ${flags.repeat} repeats of one batch\n`);
console.log(formatTable(rows));
if (agreement) console.log(`\n${formatAgreement(agreement)}`);
for (const row of rows) if ('result' in row && row.result.profile) console.log(`\n${rowLabel(row)}, one step per op class:\n${row.result.profile}`);

const resultsPath = new URL('./results.json', import.meta.url);
writeFileSync(
  resultsPath,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores, cpu: cpus()[0]?.model, loadAverage: { start: loadAtStart, end: loadAtEnd }, preset: benchVitMnist, flags, rows, agreement }, null, 2)}\n`,
);
console.log(`\nwrote ${resultsPath.pathname}`);
