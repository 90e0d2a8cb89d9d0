/**
 * SiameseIM on real digits: a small ViT learns by predicting the dense features of view b of a digit
 * from a masked view a and the position of view b relative to view a (Tao et al., "Siamese Image
 * Modeling for Self-Supervised Vision Representation Learning", CVPR 2023). `--variant mim` and
 * `--variant id` train the two baselines the paper argues against on the same data and budget.
 *
 *   npx tsx examples/siameseim-mnist.ts                       # about 5 minutes on 2 cores
 *   npx tsx examples/siameseim-mnist.ts --variant mim
 *   npx tsx examples/siameseim-mnist.ts --resume              # continue runs/siameseim-siameseim
 *   npx tsx examples/siameseim-mnist.ts --help
 *
 * Every `--eval-every` steps and at the end, the ONLINE encoder's CLS feature (and, from the same
 * pass, its mean patch token) is scored by weighted k-NN (k 20, T 0.07) on the test split of the
 * 80/20 split, beside the same network at its random initialisation and raw pixels. The run
 * directory (`--out`, default runs/siameseim-<variant>) gets metrics.jsonl, curves.png and
 * checkpoint.safetensors; the last line printed is `RESULT {json}`. Ctrl-C stops after the current
 * step with a checkpoint.
 */
import { existsSync } from 'node:fs';
import { type Tensor, backendInfo, random, setBackend, take, tensor } from '../core/index.js';
import { type SiameseimState, type SiameseimTrainConfig, NonFiniteLossError, initSiameseimState, jitSiameseimStep, siameseimStep } from '../ssl/index.js';
import { type CheckpointInfo, loadCheckpoint, saveCheckpoint } from './siameseim/checkpoint.js';
import { type KnnSets, batchRows, knnSets, normalisePixels } from './siameseim/data.js';
import { encoderScores, knnNeighbours, pixelKnn, pixelProbes } from './siameseim/evaluate.js';
import { type EvalRecord, type MetricsRecord, keepMetricsUpTo, writeCurves } from './siameseim/metrics.js';
import { type Flags, RunError, outputDirectory, parseRunFlags, trainConfig } from './siameseim/run-config.js';
import { appendJsonLine, writeFileAtomic } from './support/atomic-file.js';
import { runIfScript } from './support/cli.js';
import { loadMnist } from './support/mnist.js';
import { reportEarlyStop, runSteps } from './support/run-loop.js';

export { RunError } from './siameseim/run-config.js';

export interface RunResult {
  /** k-NN top-1 / top-5 (%) of the trained online encoder's CLS feature on the test split. */
  readonly knn_top1: number;
  readonly knn_top5: number;
  readonly random_init_knn_top1: number;
  readonly raw_pixel_knn_top1: number;
  /** The same k-NN on the mean of the patch tokens instead of the CLS token, after training and at initialisation. */
  readonly patch_mean_knn_top1: number;
  readonly random_init_patch_mean_knn_top1: number;
  /** Linear probe top-1 (%) on the L2-normalised CLS token and mean patch token, trained and at initialisation, and on raw pixels. */
  readonly linear_probe_top1: number;
  readonly patch_mean_linear_probe_top1: number;
  readonly random_init_linear_probe_top1: number;
  readonly random_init_patch_mean_linear_probe_top1: number;
  readonly raw_pixel_linear_probe_top1: number;
  /** Nearest-class-mean accuracy (%) with 1, 5 and 10 labelled digits per class (mean of 5 draws), the same five ways. */
  readonly few_shot: Readonly<Record<number, number>>;
  readonly patch_mean_few_shot: Readonly<Record<number, number>>;
  readonly random_init_few_shot: Readonly<Record<number, number>>;
  readonly random_init_patch_mean_few_shot: Readonly<Record<number, number>>;
  readonly raw_pixel_few_shot: Readonly<Record<number, number>>;
  readonly steps: number;
  /** Seconds in training steps over every session of the run (evaluation excluded). */
  readonly train_seconds: number;
  readonly ms_per_step: number;
  readonly variant: string;
  /** The backend and its mode, e.g. `gpujs/webasm`. */
  readonly backend: string;
  readonly final_loss: number;
  readonly seed: number;
  readonly out: string;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface MainOptions {
  /** Where progress and the RESULT line go (default process.stdout). */
  readonly stdout?: Stream;
}

/** The run's files inside its directory. */
export const runFiles = { metrics: 'metrics.jsonl', curves: 'curves.png', checkpoint: 'checkpoint.safetensors' } as const;

/** What a run is: its flags, data, configuration and keys. Nothing here changes while it trains. */
interface Run {
  readonly flags: Flags;
  readonly paths: Record<keyof typeof runFiles, string>;
  readonly backend: string;
  /** Normalised train images [N, 1, 28, 28]. */
  readonly trainImages: Tensor;
  readonly sets: KnnSets;
  readonly config: SiameseimTrainConfig;
  readonly dataKey: Tensor;
  readonly stepKey: Tensor;
  readonly fresh: SiameseimState;
  readonly write: (line: string) => void;
}

/** Where a run stands: the state, what the checkpoint carries besides it, and the metrics so far. */
interface Session {
  state: SiameseimState;
  info: CheckpointInfo;
  records: MetricsRecord[];
  /** The step of the last checkpoint written or read, for the message of a failed step. */
  checkpointStep: number | undefined;
}

/**
 * Runs the example with command-line arguments `argv` (without `node` and the script). Resolves to
 * the result of a run that reached `--steps`, or undefined after `--help` or an early stop. Bad
 * flags, an unusable checkpoint and a non-finite loss reject with a `FlagError` or `RunError`.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<RunResult | undefined> {
  const stdout = options.stdout ?? process.stdout;
  const flags = parseRunFlags(argv, (text) => stdout.write(text));
  if (flags === undefined) return undefined;
  const run = prepare(flags, (line) => stdout.write(`${line}\n`));
  const session = flags.resume ? resume(run) : start(run);
  const interrupted = await train(run, session, stdout);
  if (session.state.step < flags.steps) {
    checkpoint(run, session);
    reportEarlyStop(run.write, { interrupted, step: session.state.step, total: flags.steps, checkpoint: run.paths.checkpoint, resume: '--resume' });
    return undefined;
  }
  return finish(run, session);
}

function prepare(flags: Flags, write: (line: string) => void): Run {
  const out = outputDirectory(flags);
  const paths = { metrics: `${out}/${runFiles.metrics}`, curves: `${out}/${runFiles.curves}`, checkpoint: `${out}/${runFiles.checkpoint}` };
  setBackend(flags.backend);
  const info = backendInfo();
  const mnist = loadMnist(flags.limitPerDigit > 0 ? { limitPerDigit: flags.limitPerDigit } : {});
  const trainCount = mnist.train.labels.shape[0];
  if (flags.batchSize > trainCount) throw new RunError(`--batch-size ${flags.batchSize} is larger than the ${trainCount} train images`);
  const sets = knnSets(mnist, flags.knnTrain);
  const bankSize = sets.bank.labels.shape[0];
  if (bankSize < knnNeighbours) throw new RunError(`the k-NN bank holds ${bankSize} images, fewer than k = ${knnNeighbours}; raise --knn-train or --limit-per-digit`);
  const config = trainConfig(flags, trainCount);
  const [initKey, dataKey, stepKey] = random.split(random.key(flags.seed), 3);
  return {
    flags, paths, backend: `${info.name}/${info.mode}`, trainImages: normalisePixels(mnist.train.images), sets, config,
    dataKey, stepKey, fresh: initSiameseimState(initKey, config.model), write,
  };
}

/** A new run: fresh metrics, and the baselines measured on the fresh network and on pixels. */
function start(run: Run): Session {
  const { flags, paths, sets, write } = run;
  write(`${flags.variant} on ${run.trainImages.shape[0]} train digits, k-NN on ${sets.test.labels.shape[0]} test digits against a bank of ${sets.bank.labels.shape[0]}; backend ${run.backend}; writing ${outputDirectory(flags)}/`);
  if (existsSync(paths.checkpoint)) write(`(starting over: the checkpoint there will be replaced; --resume continues it instead)`);
  writeFileAtomic(paths.metrics, '');
  const randomInit = encoderScores(run.fresh.params, run.config.model, sets, { probes: true });
  const randomProbes = randomInit.probes!;
  const rawPixels = pixelKnn(sets);
  const pixelProbeScores = pixelProbes(sets);
  const baseline: MetricsRecord = {
    type: 'baseline', step: 0,
    random_init_knn_top1: randomInit.cls.top1, random_init_knn_top5: randomInit.cls.top5,
    random_init_patch_mean_knn_top1: randomInit.patchMean.top1, random_init_patch_mean_knn_top5: randomInit.patchMean.top5,
    raw_pixel_knn_top1: rawPixels.top1, raw_pixel_knn_top5: rawPixels.top5,
    random_init_linear_probe_top1: randomProbes.cls.linearProbe, random_init_patch_mean_linear_probe_top1: randomProbes.patchMean.linearProbe,
    random_init_few_shot: randomProbes.cls.fewShot, random_init_patch_mean_few_shot: randomProbes.patchMean.fewShot,
    raw_pixel_linear_probe_top1: pixelProbeScores.linearProbe, raw_pixel_few_shot: pixelProbeScores.fewShot,
  };
  appendJsonLine(paths.metrics, baseline);
  write(`k-NN top-1 before training: random init ${percent(randomInit.cls.top1)} (patch mean ${percent(randomInit.patchMean.top1)}), raw pixels ${percent(rawPixels.top1)}`);
  return {
    state: run.fresh,
    info: {
      trainSeconds: 0,
      baselines: { randomInit: randomInit.cls.top1, randomInitPatchMean: randomInit.patchMean.top1, rawPixels: rawPixels.top1, probes: { randomInit: randomProbes, rawPixels: pixelProbeScores } },
    },
    records: [baseline],
    checkpointStep: undefined,
  };
}

/** The checkpoint's state, and the metrics file cut back to the checkpoint's step. */
function resume(run: Run): Session {
  const { state, info } = loadCheckpoint(run.paths.checkpoint, run.fresh, run.flags);
  run.write(`resuming ${outputDirectory(run.flags)} at step ${state.step} of ${run.flags.steps}`);
  return { state, info, records: keepMetricsUpTo(run.paths.metrics, state.step), checkpointStep: state.step };
}

/** Steps until --steps (or --stop-after, or Ctrl-C); resolves to whether Ctrl-C stopped it. */
function train(run: Run, session: Session, stdout: Stream): Promise<boolean> {
  const { flags } = run;
  const trainStep = flags.jit ? jitSiameseimStep() : siameseimStep;
  return runSteps({
    from: session.state.step,
    to: flags.stopAfter > 0 ? Math.min(flags.stopAfter, flags.steps) : flags.steps,
    total: flags.steps,
    stream: stdout,
    step: (step) => {
      const images = take(run.trainImages, tensor(batchRows(run.dataKey, step, run.trainImages.shape[0], flags.batchSize), { dtype: 'int32' }), 0);
      const started = performance.now();
      const next = guardedStep(run, session, () => trainStep(session.state, { images }, random.foldIn(run.stepKey, step), run.config));
      session.info = { ...session.info, trainSeconds: session.info.trainSeconds + (performance.now() - started) / 1000 };
      session.state = next.state;
      const last = next.metrics;
      record(run, session, {
        type: 'train', step: step + 1, loss: last.loss, positive: last.positive, negative: last.negative,
        lr: last.lr, momentum: last.momentum, grad_norm: last.gradNorm, train_seconds: session.info.trainSeconds,
      });
      return { loss: last.loss, pos: last.positive, neg: last.negative, lr: last.lr.toExponential(2), m: last.momentum.toFixed(4) };
    },
    // every evaluation is followed by a checkpoint
    evalEvery: flags.evalEvery,
    evaluate: () => evaluate(run, session),
    checkpointEvery: flags.evalEvery,
    checkpoint: () => checkpoint(run, session),
    summary: ({ loss }) => ({ loss }),
  });
}

/** The final evaluation (kept from an earlier session if the run was already complete), checkpoint and RESULT. */
function finish(run: Run, session: Session): RunResult {
  const { flags } = run;
  const previous = session.records.at(-1);
  const summary = previous?.type === 'eval' && previous.step === session.state.step && previous.linear_probe_top1 !== undefined ? 'as evaluated before' : evaluate(run, session, true);
  checkpoint(run, session);
  const final = session.records.at(-1) as EvalRecord;
  const lastTrain = session.records.findLast((entry) => entry.type === 'train');
  const { baselines, trainSeconds } = session.info;
  const result: RunResult = {
    knn_top1: final.knn_top1,
    knn_top5: final.knn_top5,
    random_init_knn_top1: baselines.randomInit,
    raw_pixel_knn_top1: baselines.rawPixels,
    patch_mean_knn_top1: final.patch_mean_knn_top1,
    random_init_patch_mean_knn_top1: baselines.randomInitPatchMean,
    linear_probe_top1: final.linear_probe_top1 ?? NaN,
    patch_mean_linear_probe_top1: final.patch_mean_linear_probe_top1 ?? NaN,
    random_init_linear_probe_top1: baselines.probes.randomInit.cls.linearProbe,
    random_init_patch_mean_linear_probe_top1: baselines.probes.randomInit.patchMean.linearProbe,
    raw_pixel_linear_probe_top1: baselines.probes.rawPixels.linearProbe,
    few_shot: final.few_shot ?? {},
    patch_mean_few_shot: final.patch_mean_few_shot ?? {},
    random_init_few_shot: baselines.probes.randomInit.cls.fewShot,
    random_init_patch_mean_few_shot: baselines.probes.randomInit.patchMean.fewShot,
    raw_pixel_few_shot: baselines.probes.rawPixels.fewShot,
    steps: session.state.step,
    train_seconds: round(trainSeconds, 2),
    ms_per_step: round((trainSeconds * 1000) / Math.max(1, session.state.step), 1),
    variant: flags.variant,
    backend: run.backend,
    final_loss: lastTrain?.type === 'train' ? lastTrain.loss : NaN,
    seed: flags.seed,
    out: outputDirectory(flags),
  };
  run.write(`after ${session.state.step} steps: ${summary}`);
  run.write(`RESULT ${JSON.stringify(result)}`);
  return result;
}

function record(run: Run, session: Session, entry: MetricsRecord): void {
  session.records.push(entry);
  appendJsonLine(run.paths.metrics, entry);
}

/** k-NN of the current online encoder (and with `final` its probes), recorded; returns a line that puts it beside the baselines. */
function evaluate(run: Run, session: Session, final = false): string {
  const score = encoderScores(session.state.params, run.config.model, run.sets, { probes: final });
  const probes = score.probes;
  record(run, session, {
    type: 'eval', step: session.state.step, knn_top1: score.cls.top1, knn_top5: score.cls.top5,
    patch_mean_knn_top1: score.patchMean.top1, patch_mean_knn_top5: score.patchMean.top5,
    ...(probes
      ? { linear_probe_top1: probes.cls.linearProbe, patch_mean_linear_probe_top1: probes.patchMean.linearProbe, few_shot: probes.cls.fewShot, patch_mean_few_shot: probes.patchMean.fewShot }
      : {}),
  });
  const { baselines } = session.info;
  const knn = `k-NN top-1 ${percent(score.cls.top1)} (patch mean ${percent(score.patchMean.top1)}); random init ${percent(baselines.randomInit)} (${percent(baselines.randomInitPatchMean)}), raw pixels ${percent(baselines.rawPixels)}`;
  if (!probes) return knn;
  const base = baselines.probes;
  const shots = (accuracy: Readonly<Record<number, number>>) => Object.entries(accuracy).map(([count, value]) => `${count}: ${value.toFixed(1)}`).join(' / ');
  return `${knn}; linear probe ${percent(probes.cls.linearProbe)} (patch mean ${percent(probes.patchMean.linearProbe)}; random ${percent(base.randomInit.cls.linearProbe)}, pixels ${percent(base.rawPixels.linearProbe)}); few-shot ${shots(probes.cls.fewShot)} (random ${shots(base.randomInit.cls.fewShot)}, pixels ${shots(base.rawPixels.fewShot)})`;
}

function checkpoint(run: Run, session: Session): void {
  saveCheckpoint(run.paths.checkpoint, session.state, run.flags, session.info);
  writeCurves(run.paths.curves, session.records, run.flags.variant);
  session.checkpointStep = session.state.step;
}

/**
 * One step, with a non-finite loss (the step throws `NonFiniteLossError`) or a non-finite loss term
 * or gradient norm turned into a `RunError` that names the step and the last checkpoint: the state
 * after such a step is useless.
 */
function guardedStep(run: Run, session: Session, step: () => ReturnType<typeof siameseimStep>): ReturnType<typeof siameseimStep> {
  const failed = (what: string, atStep: number, values: string) => {
    const resumeFrom = session.checkpointStep === undefined ? 'no checkpoint was written yet' : `the last checkpoint is step ${session.checkpointStep}, ${run.paths.checkpoint}`;
    return new RunError(`non-finite ${what} at step ${atStep} (${values}); ${resumeFrom}; try a lower --lr`);
  };
  let next: ReturnType<typeof siameseimStep>;
  try {
    next = step();
  } catch (error) {
    if (error instanceof NonFiniteLossError) throw failed('loss', error.step + 1, `loss ${error.value}`);
    throw error;
  }
  const { metrics } = next;
  const bad = (['positive', 'negative', 'gradNorm'] as const).filter((name) => !Number.isFinite(metrics[name]));
  if (bad.length > 0) throw failed(bad[0], session.state.step + 1, `${bad.map((name) => `${name} ${metrics[name]}`).join(', ')}, lr ${metrics.lr}`);
  return next;
}

const round = (value: number, decimals: number) => Number(value.toFixed(decimals));
const percent = (value: number) => `${value.toFixed(2)} %`;

runIfScript(import.meta.url, 'siameseim-mnist', main, [RunError]);
