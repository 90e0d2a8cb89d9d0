/**
 * The protocol every DINO-step implementation runs in its own process, so the timings and peak
 * memory of one library never include another's:
 *   1. sanity: from the shared host parameters, the loss of the first step must lie in
 *      `initialLossWindow` around ln K, and repeating that one batch for `repeat` more steps must
 *      lower KL(P_t‖P_s) at every step. The loss itself is reported, not required to fall: on random
 *      images the teacher's outputs barely differ, so centering flattens its targets and h(P_t) rises;
 *   2. `warmup` steps on fresh batches (kernel compilation, JIT tracing), then `steps` timed steps:
 *      median, min and max ms;
 *   3. peak RSS of the process; a 512³ float32 matmul in GFLOP/s.
 * Progress goes to stderr; with `--json` the result is the last line of stdout.
 */
import { resourceUsage } from 'node:process';
import { type HostParams, initHostParams } from './host-params.js';
import { benchVitMnist, initialLossWindow, uniformLoss } from './preset.js';
import { type HostCrops, randomCrops } from './random-crops.js';
import { seededRandom } from './seeded-random.js';

export interface StepMetrics {
  readonly loss: number;
  /** h(P_t), the mean entropy of the teacher targets; loss − h(P_t) is KL(P_t‖P_s). */
  readonly teacherEntropy: number;
}

export interface DinoTrainer<Batch> {
  /** The crops in this library's tensors (not timed). */
  readonly upload: (crops: HostCrops) => Batch;
  /** One DINO step; resolves once the new state is computed. Returns the metrics before the update. */
  readonly step: (batch: Batch, index: number) => Promise<StepMetrics>;
  /** One more step with its time per op class, as a printable table (`--profile`; tapegrad only). */
  readonly profileStep?: (batch: Batch, index: number) => Promise<string>;
}

export interface DinoStepTarget<Batch> {
  readonly library: string;
  readonly version: string;
  readonly backend: string;
  readonly mode: 'eager' | 'jit';
  /** Where this implementation departs from the preset, and anything else a reader needs. */
  readonly notes: string[];
  /** Student = teacher = `params`, zero centre, empty AdamW state. */
  readonly createTrainer: (params: HostParams) => Promise<DinoTrainer<Batch>>;
  /** One n×n by n×n float32 product, returning once its values are computed. */
  readonly matmul: (a: Float32Array, b: Float32Array, size: number) => () => Promise<void>;
}

export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly samplesMs: number[];
}

export interface DinoBenchResult {
  readonly library: string;
  readonly version: string;
  readonly backend: string;
  readonly mode: string;
  readonly notes: string[];
  readonly dropPathRate: number;
  readonly sanity: {
    readonly initialLoss: number;
    /** ln K, and the window the first loss must fall in (see `initialLossWindow`). */
    readonly uniformLoss: number;
    readonly initialLossWindow: readonly [number, number];
    readonly initialLossOk: boolean;
    /** The losses of the first step and of `repeat` more steps on the same batch. */
    readonly repeatedBatchLosses: number[];
    /** KL(P_t‖P_s) = loss − h(P_t) of the same steps: the part the student's update lowers. */
    readonly repeatedBatchKl: number[];
    readonly lossFalls: boolean;
    readonly klFalls: boolean;
  };
  /** The very first step: includes kernel compilation or tracing. */
  readonly firstStepMs: number;
  readonly warmupSteps: number;
  readonly step: Timing;
  readonly peakRssMiB: number;
  /** Resident memory after the last timed step minus after the first: steady growth hints at a leak. */
  readonly rssGrowthMiB: number;
  readonly matmul512: { readonly gflops: number; readonly minGflops: number; readonly maxGflops: number };
  /** With `--profile`: one step after the timed ones, per op class. */
  readonly profile?: string;
}

export interface HarnessFlags {
  readonly json: boolean;
  readonly steps: number;
  readonly warmup: number;
  readonly repeat: number;
  readonly backend: string | undefined;
  readonly mode: string | undefined;
  /** The student's stochastic depth (default the preset's 0.1); 0 makes every library's step deterministic. */
  readonly dropPathRate: number;
  /** Profile one more step per op class after the timed steps, where the library can. */
  readonly profile: boolean;
}

/**
 * `--json`, `--steps N` (timed, ≥ 1; default 10), `--warmup N` (2), `--repeat N` (5), `--backend X`,
 * `--mode eager|jit`, `--drop-path-rate R` (default the preset's), `--profile`.
 */
export function parseHarnessFlags(argv: readonly string[] = process.argv.slice(2)): HarnessFlags {
  const values = new Map<string, string>();
  let json = false;
  let profile = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag === '--json') json = true;
    else if (flag === '--profile') profile = true;
    else if (['--steps', '--warmup', '--repeat', '--backend', '--mode', '--drop-path-rate'].includes(flag)) values.set(flag, inline ?? argv[++i]);
    else throw new Error(`unknown flag ${argv[i]}; allowed: --json, --steps N, --warmup N, --repeat N, --backend NAME, --mode eager|jit, --drop-path-rate R, --profile`);
  }
  const count = (flag: string, fallback: number, min: number) => {
    const text = values.get(flag);
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`${flag} must be an integer ≥ ${min}, got ${text}`);
    return value;
  };
  const dropPathRate = Number(values.get('--drop-path-rate') ?? benchVitMnist.dropPathRate);
  if (!(dropPathRate >= 0 && dropPathRate < 1)) throw new Error(`--drop-path-rate must be in [0, 1), got ${values.get('--drop-path-rate')}`);
  return {
    json, steps: count('--steps', 10, 1), warmup: count('--warmup', 2, 0), repeat: count('--repeat', 5, 1),
    backend: values.get('--backend'), mode: values.get('--mode'), dropPathRate, profile,
  };
}

export function summarize(samplesMs: number[]): Timing {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const medianMs = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { medianMs, minMs: sorted[0], maxMs: sorted[sorted.length - 1], samplesMs };
}

const log = (message: string) => process.stderr.write(`${message}\n`);

/** Peak resident memory so far, MiB: the kernel's high-water mark, or the largest sample if higher. */
function peakRssTracker(): { sample: () => void; peakMiB: () => number } {
  let peak = process.memoryUsage().rss;
  return {
    sample: () => void (peak = Math.max(peak, process.memoryUsage().rss)),
    peakMiB: () => Math.max(peak, resourceUsage().maxRSS * 1024) / 2 ** 20,
  };
}

async function timeMatmul<Batch>(target: DinoStepTarget<Batch>, size: number, repeats: number): Promise<DinoBenchResult['matmul512']> {
  const fill = (seed: number) => Float32Array.from({ length: size * size }, seededRandom(seed).normal);
  const run = target.matmul(fill(101), fill(202), size);
  await run();
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  const { medianMs, minMs, maxMs } = summarize(samples);
  const gflops = (ms: number) => (2 * size ** 3) / (ms * 1e6);
  return { gflops: gflops(medianMs), minGflops: gflops(maxMs), maxGflops: gflops(minMs) };
}

export async function runDinoBench<Batch>(target: DinoStepTarget<Batch>, flags: HarnessFlags): Promise<DinoBenchResult> {
  const label = `${target.library} ${target.backend} ${target.mode}`;
  const rss = peakRssTracker();
  const trainer = await target.createTrainer(initHostParams(0));
  const sanityBatch = trainer.upload(randomCrops(1));

  const firstStart = performance.now();
  const metrics = [await trainer.step(sanityBatch, 0)];
  const firstStepMs = performance.now() - firstStart;
  const [low, high] = initialLossWindow();
  log(`${label}: step 0 loss ${metrics[0].loss.toFixed(4)} (ln K = ${uniformLoss().toFixed(4)}, window [${low.toFixed(2)}, ${high.toFixed(2)}]), ${firstStepMs.toFixed(0)} ms with compilation`);
  for (let r = 1; r <= flags.repeat; r++) metrics.push(await trainer.step(sanityBatch, r));
  const losses = metrics.map((m) => m.loss);
  const kl = metrics.map((m) => m.loss - m.teacherEntropy);
  log(`${label}: same batch ${flags.repeat} more times: loss ${losses.map((loss) => loss.toFixed(4)).join(' → ')}`);
  log(`${label}:                          KL   ${kl.map((value) => value.toFixed(4)).join(' → ')}`);
  rss.sample();

  const batches = [2, 3, 4].map((seed) => trainer.upload(randomCrops(seed)));
  let index = flags.repeat + 1;
  for (let w = 0; w < flags.warmup; w++) await trainer.step(batches[w % batches.length], index++);
  const samples: number[] = [];
  const residentMiB: number[] = [];
  for (let s = 0; s < flags.steps; s++) {
    const batch = batches[s % batches.length];
    const start = performance.now();
    const { loss } = await trainer.step(batch, index++);
    samples.push(performance.now() - start);
    rss.sample();
    residentMiB.push(process.memoryUsage().rss / 2 ** 20);
    if (!Number.isFinite(loss)) throw new Error(`${label}: loss ${loss} at timed step ${s}`);
  }
  const step = summarize(samples);
  log(`${label}: ${flags.steps} timed steps, median ${step.medianMs.toFixed(1)} ms [${step.minMs.toFixed(1)}–${step.maxMs.toFixed(1)}]`);
  const peakRssMiB = rss.peakMiB();
  const matmul512 = await timeMatmul(target, 512, 5);
  log(`${label}: matmul 512³ ${matmul512.gflops.toFixed(2)} GFLOP/s, peak RSS ${peakRssMiB.toFixed(0)} MiB`);
  const profile = flags.profile && trainer.profileStep ? await trainer.profileStep(batches[0], index++) : undefined;
  if (profile !== undefined) log(`${label}: one step per op class\n${profile}`);

  const initialLoss = losses[0];
  return {
    library: target.library, version: target.version, backend: target.backend, mode: target.mode, notes: target.notes, dropPathRate: flags.dropPathRate,
    sanity: {
      initialLoss,
      uniformLoss: uniformLoss(),
      initialLossWindow: [low, high],
      initialLossOk: initialLoss >= low && initialLoss <= high,
      repeatedBatchLosses: losses,
      repeatedBatchKl: kl,
      lossFalls: losses[losses.length - 1] < losses[0],
      klFalls: kl.every((value, i) => i === 0 || value < kl[i - 1]),
    },
    firstStepMs, warmupSteps: flags.warmup, step, peakRssMiB, rssGrowthMiB: residentMiB[residentMiB.length - 1] - residentMiB[0], matmul512, profile,
  };
}

/** Runs the protocol and prints the result (a JSON line with `--json`); a failure prints `{error}` and exits 1. */
export async function main<Batch>(makeTarget: (flags: HarnessFlags) => Promise<DinoStepTarget<Batch>>): Promise<void> {
  const flags = parseHarnessFlags();
  try {
    const result = await runDinoBench(await makeTarget(flags), flags);
    process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
  } catch (error) {
    const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
    log(message);
    if (flags.json) process.stdout.write(`${JSON.stringify({ error: message.split('\n')[0] })}\n`);
    process.exitCode = 1;
  }
}

