/**
 * DINO on real digits: a small ViT learns from unlabelled MNIST by self-distillation (Caron et al.,
 * "Emerging Properties in Self-Supervised Vision Transformers", ICCV 2021), through ssl's `dinoStep`.
 *
 *   npm start                                                      # the default preset, under 10 minutes on 2 cores
 *   npx tsx examples/dino-mnist.ts --preset bench-vit-mnist --steps 1000
 *   npx tsx examples/dino-mnist.ts --resume runs/dino-default-seed0   # continue a stopped run
 *   npx tsx examples/dino-mnist.ts --help
 *
 * Every `--eval-every` steps and at the end, the TEACHER's CLS feature is scored by weighted k-NN
 * (k 20, T 0.07) on the test split, beside the same network at its random initialisation and raw
 * pixels. The run directory (`--out`, default runs/dino-<preset>-seed<seed>) gets metrics.jsonl,
 * curves.png, attention.png and checkpoint.safetensors; the last line printed is `RESULT {json}`.
 * Ctrl-C stops after the current step with a checkpoint.
 */
import { type Key, type Tensor, backendInfo, random, setBackend, take, tensor } from '../core/index.js';
import type { DinoModelParams } from '../nn/index.js';
import { type DinoMetrics, type DinoState, dinoStep, initDinoState, jitDinoStep, NonFiniteLossError } from '../ssl/index.js';
import { figureDigits, writeAttentionFigure } from './dino/attention-figure.js';
import { type Baselines, type CheckpointInfo, type ProbeBaselines, loadCheckpointState, readCheckpointHeader, saveCheckpoint } from './dino/checkpoint.js';
import { writeCurves } from './dino/curves.js';
import { type RunData, batchRows, loadRunData } from './dino/data.js';
import { type BackboneScores, backboneScores, knnNeighbours, pixelScores } from './dino/evaluate.js';
import { type BaselineRecord, type EvalRecord, type MetricsRecord, type TrainRecord, keepMetricsUpTo } from './dino/metrics.js';
import { type RunModel, runModel } from './dino/model.js';
import { stepViews } from './dino/views.js';
import { type Flags, type RunDefinition, RunError, dinoHyperparams, explicitFlags, outputDirectory, parseRunFlags, runDefiningFlags, runDefinition } from './dino/run-config.js';
import { appendJsonLine, writeFileAtomic } from './support/atomic-file.js';
import { runIfScript } from './support/cli.js';
import { reportEarlyStop, runSteps } from './support/run-loop.js';

export { RunError } from './dino/run-config.js';

export interface RunResult {
  /** k-NN top-1 / top-5 (%) of the teacher's CLS feature on the test digits after training. */
  readonly knn_top1: number;
  readonly knn_top5: number;
  readonly random_init_knn_top1: number;
  readonly raw_pixel_knn_top1: number;
  /** k-NN top-1 (%) of the teacher's CLS beside its mean patch token, and the same for the random network. */
  readonly knn_cls_patch_top1: number;
  readonly random_init_knn_cls_patch_top1: number;
  /** Jaccard of the 60 %-mass mask of the head-averaged CLS attention with the ink (pixels > 0.3), over the test digits. */
  readonly jaccard_mean: number;
  readonly random_init_jaccard_mean: number;
  /** The same per head, for the teacher. */
  readonly jaccard_heads: readonly number[];
  /** Linear probe top-1 (%) on the L2-normalised feature. */
  readonly linear_probe_top1: number;
  readonly random_init_linear_probe_top1: number;
  readonly raw_pixel_linear_probe_top1: number;
  /** Nearest-class-mean accuracy (%) with 1, 5 and 10 labelled digits per class, mean of 5 draws. */
  readonly few_shot: Readonly<Record<number, number>>;
  readonly random_init_few_shot: Readonly<Record<number, number>>;
  readonly raw_pixel_few_shot: Readonly<Record<number, number>>;
  readonly steps: number;
  /** Seconds in training steps (augmentation included, evaluation excluded) over every session of the run. */
  readonly train_seconds: number;
  readonly ms_per_step: number;
  /** Seconds this process ran main(), startup of the data and model included. */
  readonly wall_seconds: number;
  readonly preset: string;
  readonly overrides: Readonly<Record<string, unknown>>;
  /** The backend and its mode, e.g. `gpujs/webasm`. */
  readonly backend: string;
  readonly final_loss: number;
  readonly final_teacher_entropy: number;
  readonly final_kl: number;
  /** log K: the teacher entropy of a uniform (collapsed) output. */
  readonly max_entropy: number;
  readonly seed: number;
  readonly out: string;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface MainOptions {
  /** Where progress and the RESULT line go (default process.stdout). */
  readonly stdout?: Stream;
  /** Test hook: replaces the crops of a step before `dinoStep` sees them (e.g. to inject a NaN). */
  readonly transformCrops?: (crops: Tensor[], step: number) => Tensor[];
}

/** The run's files inside its directory. */
export const runFiles = { metrics: 'metrics.jsonl', curves: 'curves.png', attention: 'attention.png', checkpoint: 'checkpoint.safetensors' } as const;

/** What a run is: its definition, data, model and keys. Nothing here changes while it trains. */
interface Run {
  readonly flags: Flags;
  readonly definition: RunDefinition;
  readonly out: string;
  readonly paths: Record<keyof typeof runFiles, string>;
  readonly backend: string;
  readonly data: RunData;
  readonly net: RunModel;
  readonly runKey: Key;
  readonly dataKey: Key;
  readonly trainKey: Key;
  readonly fresh: DinoState<DinoModelParams>;
  readonly write: (line: string) => void;
  readonly options: MainOptions;
}

/** Where a run stands: the state, what the checkpoint carries besides it, and the metrics so far. */
interface Session {
  state: DinoState<DinoModelParams>;
  info: CheckpointInfo;
  records: MetricsRecord[];
  /** The step of the last checkpoint written or read, for the message of a failed step. */
  checkpointStep: number | undefined;
  last: DinoMetrics | undefined;
}

/**
 * Runs the example with command-line arguments `argv` (without `node` and the script). Resolves to
 * the result of a run that reached its step count, or undefined after `--help` or an early stop.
 * Bad flags, an unusable checkpoint and a non-finite loss reject with a `FlagError` or `RunError`.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<RunResult | undefined> {
  const started = performance.now();
  const stdout = options.stdout ?? process.stdout;
  const flags = parseRunFlags(argv, (text) => stdout.write(text));
  if (flags === undefined) return undefined;
  const write = (line: string) => stdout.write(`${line}\n`);
  const header = flags.resume === '' ? undefined : readCheckpointHeader(`${flags.resume}/${runFiles.checkpoint}`);
  const definition = header ? resumedDefinition(flags, argv, header.definition, flags.resume) : runDefinition(flags);
  const run = prepare(flags, definition, header?.runKey, write, options);
  const session = header ? resume(run, header) : start(run);
  const interrupted = await train(run, session, stdout);
  if (session.state.step < definition.steps) {
    checkpoint(run, session);
    reportEarlyStop(write, { interrupted, step: session.state.step, total: definition.steps, checkpoint: run.paths.checkpoint, resume: `--resume ${run.out}` });
    return undefined;
  }
  return finish(run, session, started);
}

/** A resumed run is the checkpoint's; any run-defining flag given on the command line must agree with it. */
function resumedDefinition(flags: Flags, argv: readonly string[], saved: RunDefinition, directory: string): RunDefinition {
  const given = explicitFlags(argv);
  const fromFlags = runDefinition({ ...flags, preset: given.has('preset') ? flags.preset : saved.preset });
  const current: Record<(typeof runDefiningFlags)[number], unknown> = {
    preset: saved.preset, steps: saved.steps, seed: saved.seed, set: JSON.stringify(saved.overrides),
    trainLimit: saved.trainLimit, knnTrain: saved.knnTrain, testLimit: saved.testLimit,
  };
  const asked: Record<(typeof runDefiningFlags)[number], unknown> = {
    preset: fromFlags.preset, steps: flags.steps, seed: fromFlags.seed, set: JSON.stringify(fromFlags.overrides),
    trainLimit: fromFlags.trainLimit, knnTrain: fromFlags.knnTrain, testLimit: fromFlags.testLimit,
  };
  const differing = runDefiningFlags.filter((name) => given.has(name) && !(name === 'steps' && flags.steps === 0) && current[name] !== asked[name]);
  if (differing.length > 0) {
    const spell = (name: string) => `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    const list = differing.map((name) => `${spell(name)} ${String(current[name])} (asked: ${String(asked[name])})`).join(', ');
    throw new RunError(`cannot resume from ${directory}: that run was made with ${list}; leave those flags out to continue it, or start a new run in another --out`);
  }
  return saved;
}

function prepare(flags: Flags, definition: RunDefinition, savedKey: Key | undefined, write: (line: string) => void, options: MainOptions): Run {
  const out = outputDirectory(flags);
  const paths = Object.fromEntries(Object.entries(runFiles).map(([name, file]) => [name, `${out}/${file}`])) as Record<keyof typeof runFiles, string>;
  setBackend(flags.backend);
  const info = backendInfo();
  const data = loadRunData(definition);
  const { config } = definition;
  const trainCount = data.train.labels.shape[0];
  if (config.batchSize > trainCount) throw new RunError(`batchSize ${config.batchSize} is larger than the ${trainCount} train digits; lower it with --set batchSize=… or raise --train-limit`);
  if (data.bank.labels.shape[0] < knnNeighbours) throw new RunError(`the k-NN bank holds ${data.bank.labels.shape[0]} digits, fewer than k = ${knnNeighbours}; raise --knn-train or --train-limit`);
  const runKey = savedKey ?? random.key(definition.seed);
  const [initKey, dataKey, trainKey] = random.split(runKey, 3);
  const net = runModel(config);
  const fresh = initDinoState(initKey, net.model, config.outDim, dinoHyperparams(config, definition.steps));
  return { flags, definition, out, paths, backend: `${info.name}/${info.mode}`, data, net, runKey, dataKey, trainKey, fresh, write, options };
}

/** A new run: fresh metrics, and the two baselines measured the same way as the teacher. */
function start(run: Run): Session {
  const { definition, data, paths, write } = run;
  write(`DINO preset ${definition.preset}${Object.keys(definition.overrides).length > 0 ? ` with ${JSON.stringify(definition.overrides)}` : ''}, ${definition.steps} steps, seed ${definition.seed}; backend ${run.backend}; writing ${run.out}/`);
  write(`config ${JSON.stringify(definition.config)}`);
  write(`${data.train.labels.shape[0]} train digits; k-NN of ${data.test.labels.shape[0]} test digits against a bank of ${data.bank.labels.shape[0]}`);
  writeFileAtomic(paths.metrics, '');
  const { record: baseline, baselines } = measureBaselines(run);
  appendJsonLine(paths.metrics, baseline);
  return { state: run.fresh, info: { trainSeconds: 0, baselines }, records: [baseline], checkpointStep: undefined, last: undefined };
}

/** The random network and raw pixels, scored as the teacher will be. */
function measureBaselines(run: Run): { record: BaselineRecord; baselines: Baselines } {
  const { data, write } = run;
  const randomInit = backboneScores(run.fresh.teacher.backbone, run.net.evalConfig, data.bank, data.test, { probes: true });
  const rawPixels = pixelScores(data.bank, data.test);
  const randomProbes = randomInit.probes!;
  const record: BaselineRecord = {
    type: 'baseline', step: 0,
    random_init_knn_top1: randomInit.knn.top1, random_init_knn_top5: randomInit.knn.top5, random_init_feature_std: randomInit.featureStd,
    raw_pixel_knn_top1: rawPixels.knn.top1, raw_pixel_knn_top5: rawPixels.knn.top5,
    random_init_knn_cls_patch_top1: randomInit.knnClsPatch.top1, random_init_jaccard_mean: randomInit.jaccard.mean, random_init_jaccard_heads: randomInit.jaccard.perHead,
    random_init_linear_probe_top1: randomProbes.linearProbe, random_init_few_shot: randomProbes.fewShot,
    raw_pixel_linear_probe_top1: rawPixels.probes.linearProbe, raw_pixel_few_shot: rawPixels.probes.fewShot,
  };
  write(`before training: random init k-NN ${percent(randomInit.knn.top1)} (CLS+patch ${percent(randomInit.knnClsPatch.top1)}), linear probe ${percent(randomProbes.linearProbe)}, ${fewShotText(randomProbes.fewShot)}, attention Jaccard ${randomInit.jaccard.mean.toFixed(3)}`);
  write(`                 raw pixels  k-NN ${percent(rawPixels.knn.top1)}, linear probe ${percent(rawPixels.probes.linearProbe)}, ${fewShotText(rawPixels.probes.fewShot)}`);
  const baselines: Baselines = {
    randomInit: randomInit.knn.top1, randomInitTop5: randomInit.knn.top5, rawPixels: rawPixels.knn.top1, rawPixelsTop5: rawPixels.knn.top5,
    probes: {
      randomInitClsPatch: randomInit.knnClsPatch.top1, randomInitJaccard: randomInit.jaccard.mean, randomInitLinearProbe: randomProbes.linearProbe,
      randomInitFewShot: randomProbes.fewShot, rawPixelsLinearProbe: rawPixels.probes.linearProbe, rawPixelsFewShot: rawPixels.probes.fewShot,
    },
  };
  return { record, baselines };
}

/** The checkpoint's state, and the metrics cut back to the checkpoint's step. */
function resume(run: Run, header: ReturnType<typeof readCheckpointHeader>): Session {
  const from = `${run.flags.resume}/${runFiles.checkpoint}`;
  const state = loadCheckpointState(from, run.fresh, header.step);
  run.write(`resuming ${run.flags.resume} (preset ${run.definition.preset}) at step ${state.step} of ${run.definition.steps}; backend ${run.backend}; writing ${run.out}/`);
  const records = keepMetricsUpTo(`${run.flags.resume}/${runFiles.metrics}`, run.paths.metrics, state.step);
  // a checkpoint of the live page carries only the k-NN baselines
  const info = header.info.baselines.probes ? header.info : { ...header.info, baselines: measureBaselines(run).baselines };
  return { state, info, records, checkpointStep: state.step, last: undefined };
}

/** The crops of step `step`: its batch of train digits, cropped with the step's own key. */
function stepCrops(run: Run, step: number, augmentKey: Key): Tensor[] {
  const { config } = run.definition;
  const rows = batchRows(run.dataKey, step, run.data.train.labels.shape[0], config.batchSize);
  const images = take(run.data.train.images, tensor(rows, { shape: [rows.length], dtype: 'int32' }), 0);
  const crops = stepViews(augmentKey, images, rows, config);
  return run.options.transformCrops ? run.options.transformCrops(crops, step) : crops;
}

/** Steps until the run's count (or --stop-after, or Ctrl-C); resolves to whether Ctrl-C stopped it. */
function train(run: Run, session: Session, stdout: Stream): Promise<boolean> {
  const { flags, definition } = run;
  const trainStep = flags.jit ? jitDinoStep() : dinoStep;
  return runSteps({
    from: session.state.step,
    to: flags.stopAfter > 0 ? Math.min(flags.stopAfter, definition.steps) : definition.steps,
    total: definition.steps,
    stream: stdout,
    step: (step) => {
      const started = performance.now();
      const [augmentKey, dropKey] = random.split(random.foldIn(run.trainKey, step), 2);
      const next = guardedStep(run, session, () => trainStep(session.state, stepCrops(run, step, augmentKey), dropKey));
      session.info = { ...session.info, trainSeconds: session.info.trainSeconds + (performance.now() - started) / 1000 };
      session.state = next.state;
      const metrics = (session.last = next.metrics);
      const done = step + 1;
      if (done % flags.logEvery === 0 || done === definition.steps) record(run, session, trainRecord(metrics, done, session.info.trainSeconds));
      return { loss: metrics.loss, H: metrics.teacherEntropy, KL: metrics.kl };
    },
    evalEvery: flags.evalEvery,
    evaluate: () => evaluate(run, session),
    checkpointEvery: flags.checkpointEvery,
    checkpoint: () => checkpoint(run, session),
  });
}

/**
 * One `dinoStep`, with a non-finite loss (dinoStep throws) or entropy turned into a `RunError` that
 * names the step and the last good checkpoint, which is left as it was; the curves so far are drawn.
 */
function guardedStep(run: Run, session: Session, step: () => ReturnType<typeof dinoStep<DinoModelParams>>): ReturnType<typeof dinoStep<DinoModelParams>> {
  const failed = (what: string) => {
    drawCurves(run, session);
    const kept = session.checkpointStep === undefined ? 'no checkpoint was written yet' : `the last good checkpoint (step ${session.checkpointStep}) is kept in ${run.paths.checkpoint}`;
    return new RunError(`${what} at step ${session.state.step + 1}; the run stops there; ${kept}; metrics up to step ${session.state.step} are in ${run.paths.metrics}. Try a lower lr (--set lr=…)`);
  };
  let next: ReturnType<typeof dinoStep<DinoModelParams>>;
  try {
    next = step();
  } catch (error) {
    if (error instanceof NonFiniteLossError) throw failed(`non-finite loss (${error.value})`);
    throw error;
  }
  if (!Number.isFinite(next.metrics.teacherEntropy)) throw failed(`non-finite teacher entropy (${next.metrics.teacherEntropy})`);
  return next;
}

function trainRecord(metrics: DinoMetrics, step: number, trainSeconds: number): TrainRecord {
  return {
    type: 'train', step, loss: metrics.loss, koleo: metrics.koleo, teacher_entropy: metrics.teacherEntropy, kl: metrics.kl, lr: metrics.lr,
    weight_decay: metrics.weightDecay, momentum: metrics.momentum, teacher_temp: metrics.teacherTemp, train_seconds: round(trainSeconds, 3),
  };
}

/** The final evaluation (kept from an earlier session if the run was already complete), figures, checkpoint and RESULT. */
function finish(run: Run, session: Session, started: number): RunResult {
  const { definition, paths, write } = run;
  const previous = session.records.at(-1);
  const summary = previous?.type === 'eval' && previous.step === session.state.step && previous.linear_probe_top1 !== undefined ? 'as evaluated before' : evaluate(run, session, true);
  checkpoint(run, session);
  writeAttentionFigure(paths.attention, session.state.teacher.backbone, run.net.evalConfig, figureDigits(run.data.test), `teacher CLS attention, last block, ${attentionTitle(run, session)}`);
  const final = session.records.at(-1) as EvalRecord;
  const lastTrain = session.records.findLast((entry): entry is TrainRecord => entry.type === 'train');
  const { baselines, trainSeconds } = session.info;
  const probes = baselines.probes as ProbeBaselines;
  const result: RunResult = {
    knn_top1: final.knn_top1,
    knn_top5: final.knn_top5,
    random_init_knn_top1: baselines.randomInit,
    raw_pixel_knn_top1: baselines.rawPixels,
    knn_cls_patch_top1: final.knn_cls_patch_top1,
    random_init_knn_cls_patch_top1: probes.randomInitClsPatch,
    jaccard_mean: final.jaccard_mean,
    random_init_jaccard_mean: probes.randomInitJaccard,
    jaccard_heads: final.jaccard_heads,
    linear_probe_top1: final.linear_probe_top1 ?? NaN,
    random_init_linear_probe_top1: probes.randomInitLinearProbe,
    raw_pixel_linear_probe_top1: probes.rawPixelsLinearProbe,
    few_shot: final.few_shot ?? {},
    random_init_few_shot: probes.randomInitFewShot,
    raw_pixel_few_shot: probes.rawPixelsFewShot,
    steps: session.state.step,
    train_seconds: round(trainSeconds, 2),
    ms_per_step: round((trainSeconds * 1000) / Math.max(1, session.state.step), 1),
    wall_seconds: round((performance.now() - started) / 1000, 1),
    preset: definition.preset,
    overrides: definition.overrides,
    backend: run.backend,
    final_loss: lastTrain?.loss ?? NaN,
    final_teacher_entropy: lastTrain?.teacher_entropy ?? NaN,
    final_kl: lastTrain?.kl ?? NaN,
    max_entropy: round(Math.log(definition.config.outDim), 4),
    seed: definition.seed,
    out: run.out,
  };
  write(`after ${session.state.step} steps: ${summary}`);
  for (const [name, path] of Object.entries(paths)) write(`${name.padEnd(10)} ${path}`);
  write(`RESULT ${JSON.stringify(result)}`);
  return result;
}

function attentionTitle(run: Run, session: Session): string {
  return `${run.definition.preset}, step ${session.state.step}, 60% mass outlined`;
}

function record(run: Run, session: Session, entry: MetricsRecord): void {
  session.records.push(entry);
  appendJsonLine(run.paths.metrics, entry);
}

/** Scores of the current teacher (the probes only with `final`), recorded; returns a line that puts them beside the baselines. */
function evaluate(run: Run, session: Session, final = false): string {
  const started = performance.now();
  const score: BackboneScores = backboneScores(session.state.teacher.backbone, run.net.evalConfig, run.data.bank, run.data.test, { probes: final });
  const seconds = (performance.now() - started) / 1000;
  record(run, session, {
    type: 'eval', step: session.state.step, knn_top1: score.knn.top1, knn_top5: score.knn.top5, knn_cls_patch_top1: score.knnClsPatch.top1,
    jaccard_mean: score.jaccard.mean, jaccard_heads: score.jaccard.perHead, feature_std: score.featureStd, eval_seconds: round(seconds, 2),
    ...(score.probes ? { linear_probe_top1: score.probes.linearProbe, few_shot: score.probes.fewShot } : {}),
  });
  const { baselines } = session.info;
  const base = baselines.probes as ProbeBaselines;
  const probes = score.probes
    ? `; linear probe ${percent(score.probes.linearProbe)} (random ${percent(base.randomInitLinearProbe)}, pixels ${percent(base.rawPixelsLinearProbe)}); ${fewShotText(score.probes.fewShot)} (random ${fewShotText(base.randomInitFewShot)}, pixels ${fewShotText(base.rawPixelsFewShot)})`
    : '';
  return `teacher k-NN top-1 ${percent(score.knn.top1)} (top-5 ${percent(score.knn.top5)}, CLS+patch ${percent(score.knnClsPatch.top1)}); random init ${percent(baselines.randomInit)}, raw pixels ${percent(baselines.rawPixels)}; attention Jaccard ${score.jaccard.mean.toFixed(3)} (random ${base.randomInitJaccard.toFixed(3)})${probes} [${seconds.toFixed(1)} s]`;
}

const fewShotText = (accuracy: Readonly<Record<number, number>>) => `few-shot ${Object.entries(accuracy).map(([shots, value]) => `${shots}: ${value.toFixed(1)}`).join(' / ')}`;

function drawCurves(run: Run, session: Session): void {
  writeCurves(run.paths.curves, session.records, { title: run.definition.preset, outDim: run.definition.config.outDim });
}

function checkpoint(run: Run, session: Session): void {
  saveCheckpoint(run.paths.checkpoint, session.state, run, session.info);
  drawCurves(run, session);
  session.checkpointStep = session.state.step;
}

const round = (value: number, decimals: number) => Number(value.toFixed(decimals));
const percent = (value: number) => `${value.toFixed(2)} %`;

runIfScript(import.meta.url, 'dino-mnist', main, [RunError]);
