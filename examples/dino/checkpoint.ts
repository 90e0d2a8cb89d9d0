/**
 * The run's checkpoint: one safetensors file, written atomically by core's `saveSafetensorsSync`,
 * holding the student under `student.` and the teacher under `teacher.` (named as the official
 * checkpoints: `teacher.backbone.blocks.0.attn.qkv.weight`, `teacher.head.last_layer.weight_v`), the
 * centre, AdamW's moments under `optimizer.<param>.exp_avg` / `.exp_avg_sq`, and the run's PRNG key
 * under `rng.key`. Its string metadata holds the step, the run definition (preset, overrides, the
 * resolved config, steps, seed, data subsets), each moment's step count, the training time and the
 * baseline scores. The file functions need Node; `checkpointBytes` and `checkpointStateFromBytes` are the
 * same checkpoint as bytes, for a browser page's download and upload.
 */
import { type Key, SafetensorsError, type Tensor, decodeSafetensorsTree, encodeSafetensorsTree, random, saveSafetensorsSync } from '../../core/index.js';
import { requireNodeBuiltin } from '../../core/platform/node-builtin.js';
import type { DinoModelParams } from '../../nn/index.js';
import { type MomentTree, momentShapes, optimizerState, optimizerTree } from '../support/optimizer-checkpoint.js';
import type { DinoState } from '../../ssl/index.js';
import { type DinoRunConfig, presetNames, presets } from './presets.js';
import { type RunDefinition, RunError } from './run-config.js';

export const checkpointFormat = 'tapegrad/dino-mnist/1';

export interface Baselines {
  /** k-NN top-1 / top-5 (%) of the network at initialisation and of raw pixels. */
  readonly randomInit: number;
  readonly randomInitTop5: number;
  readonly rawPixels: number;
  readonly rawPixelsTop5: number;
  /** The other evaluations of the example (the live page measures only the k-NN). */
  readonly probes?: ProbeBaselines;
}

export interface ProbeBaselines {
  /** The random network's CLS+mean-patch k-NN, attention Jaccard (mean mask), linear probe and few-shot; the pixels' probe and few-shot. */
  readonly randomInitClsPatch: number;
  readonly randomInitJaccard: number;
  readonly randomInitLinearProbe: number;
  readonly randomInitFewShot: Record<number, number>;
  readonly rawPixelsLinearProbe: number;
  readonly rawPixelsFewShot: Record<number, number>;
}

export interface CheckpointInfo {
  /** Seconds spent in training steps so far, over every session (evaluation excluded). */
  readonly trainSeconds: number;
  readonly baselines: Baselines;
}

type CheckpointRun = { definition: RunDefinition; runKey: Key; backend: string };

/** The tree and string metadata a checkpoint holds (see the file comment). */
function checkpointContents(state: DinoState<DinoModelParams>, run: CheckpointRun, info: CheckpointInfo) {
  const { moments, steps } = optimizerTree(state.optimizer);
  const tree = { student: state.student, teacher: state.teacher, center: { value: state.center }, optimizer: moments, rng: { key: run.runKey } };
  const metadata = {
    format: checkpointFormat,
    step: String(state.step),
    run: JSON.stringify(run.definition),
    optimizer_steps: JSON.stringify(steps),
    train_seconds: String(info.trainSeconds),
    baselines: JSON.stringify(info.baselines),
    backend: run.backend,
  };
  return { tree, metadata };
}

export function saveCheckpoint(path: string, state: DinoState<DinoModelParams>, run: CheckpointRun, info: CheckpointInfo): void {
  const { tree, metadata } = checkpointContents(state, run, info);
  saveSafetensorsSync(path, tree, metadata);
}

/** The bytes `saveCheckpoint` writes. */
export function checkpointBytes(state: DinoState<DinoModelParams>, run: CheckpointRun, info: CheckpointInfo): Uint8Array {
  const { tree, metadata } = checkpointContents(state, run, info);
  return encodeSafetensorsTree(tree, metadata);
}

function cannotResume(path: string, why: string): RunError {
  return new RunError(`cannot resume from ${path}: ${why}`);
}

function readFile(path: string): Uint8Array {
  try {
    return requireNodeBuiltin('node:fs', 'readCheckpoint').readFileSync(path);
  } catch (error) {
    throw cannotResume(path, `not a readable checkpoint (${(error as Error).message})`);
  }
}

function readBytes(bytes: Uint8Array, path: string, like?: unknown) {
  try {
    return decodeSafetensorsTree(bytes, like === undefined ? {} : { like });
  } catch (error) {
    if (error instanceof SafetensorsError) throw cannotResume(path, `not a readable checkpoint (${error.message})`);
    throw error;
  }
}

function parseJson(path: string, text: string | undefined, what: string): unknown {
  try {
    if (text === undefined) throw new Error('missing');
    return JSON.parse(text);
  } catch {
    throw cannotResume(path, `its "${what}" metadata is missing or not JSON; it was not written by this example`);
  }
}

export interface CheckpointHeader {
  readonly definition: RunDefinition;
  readonly step: number;
  readonly info: CheckpointInfo;
  readonly runKey: Key;
}

/** The run a checkpoint belongs to and where it stands; a missing, damaged or foreign file is a `RunError`. */
export function readCheckpointHeader(path: string): CheckpointHeader {
  if (!requireNodeBuiltin('node:fs', 'readCheckpointHeader').existsSync(path)) throw cannotResume(path, 'there is no checkpoint there (run without --resume to start one)');
  const { metadata, tensors } = readBytes(readFile(path), path);
  if (metadata.format !== checkpointFormat) throw cannotResume(path, `it is not a dino-mnist checkpoint (format ${JSON.stringify(metadata.format ?? null)}, expected ${checkpointFormat})`);
  const definition = parseJson(path, metadata.run, 'run') as RunDefinition;
  if (typeof definition !== 'object' || definition === null || !presetNames.includes(definition.preset) || typeof definition.config !== 'object' || !Number.isInteger(definition.steps)) {
    throw cannotResume(path, 'its "run" metadata does not describe a run of this example');
  }
  const config = savedRunConfig(path, definition.config);
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0 || step > definition.steps) throw cannotResume(path, `it records step ${JSON.stringify(metadata.step)}, not an integer in [0, ${definition.steps}]`);
  const baselines = parseJson(path, metadata.baselines, 'baselines') as Baselines;
  if (!(['randomInit', 'randomInitTop5', 'rawPixels', 'rawPixelsTop5'] as const).every((name) => typeof baselines?.[name] === 'number')) {
    throw cannotResume(path, 'its "baselines" metadata is incomplete');
  }
  const runKey = tensors['rng.key'];
  if (runKey === undefined || runKey.dtype !== 'int32' || runKey.size !== 2) throw cannotResume(path, 'it holds no PRNG key (rng.key, int32 [2])');
  const trainSeconds = Number(metadata.train_seconds);
  return { definition: { ...definition, config }, step, info: { trainSeconds: Number.isFinite(trainSeconds) ? trainSeconds : 0, baselines }, runKey };
}

/** Keys added to the run config after checkpoints were first written, with the value that reproduces those older runs. */
const addedConfigKeys: Partial<DinoRunConfig> = { scheduleSteps: 0 };

/**
 * The config a checkpoint was written with, in this version's form: a key added since takes the value
 * the older run had in effect (`addedConfigKeys`); any other key missing is a `RunError` naming it,
 * never an undefined setting that would turn a schedule into NaN.
 */
export function savedRunConfig(path: string, saved: Partial<DinoRunConfig>): DinoRunConfig {
  const config = { ...addedConfigKeys, ...saved };
  const missing = Object.keys(presets.default).filter((key) => !(key in config));
  if (missing.length > 0) throw cannotResume(path, `its run config lacks ${missing.join(', ')}, which this version needs`);
  return config as DinoRunConfig;
}

/** The state saved in `path`, read into the shapes of `fresh` (a newly initialised state of the same run). */
export function loadCheckpointState(path: string, fresh: DinoState<DinoModelParams>, step: number): DinoState<DinoModelParams> {
  return checkpointStateFromBytes(readFile(path), fresh, step, path);
}

/** `loadCheckpointState` of bytes; `source` names them in errors. */
export function checkpointStateFromBytes(bytes: Uint8Array, fresh: DinoState<DinoModelParams>, step: number, source = 'the checkpoint'): DinoState<DinoModelParams> {
  const path = source;
  const { metadata } = readBytes(bytes, path);
  const slotSteps = parseJson(path, metadata.optimizer_steps, 'optimizer_steps') as Record<string, number>;
  const moments = momentShapes(slotSteps, fresh.student, (name) => cannotResume(path, `it holds optimizer moments for ${JSON.stringify(name)}, which the model does not have`));
  const like = { student: fresh.student, teacher: fresh.teacher, center: { value: fresh.center }, optimizer: moments, rng: { key: random.key(0) } };
  const { tree } = readBytes(bytes, path, like);
  const loaded = tree as unknown as { student: DinoModelParams; teacher: DinoModelParams; center: { value: Tensor }; optimizer: MomentTree };
  return { ...fresh, student: loaded.student, teacher: loaded.teacher, center: loaded.center.value, optimizer: optimizerState(loaded.optimizer, slotSteps), step };
}
