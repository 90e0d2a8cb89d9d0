/**
 * The run's checkpoint: one safetensors file (written atomically by core's `saveSafetensorsSync`)
 * holding the online parameters under `online.` (named as the official state dict:
 * `online.blocks.0.attn.qkv.weight`), the momentum target under `target.`, AdamW's moments under
 * `optimizer.<param>.exp_avg` / `.exp_avg_sq`, and in its string metadata the step, the flags that
 * define the run, each moment's step count, the training time and the baseline scores.
 */
import { existsSync } from 'node:fs';
import { SafetensorsError, loadSafetensorsSync, saveSafetensorsSync } from '../../core/index.js';
import type { SiameseimParams, SiameseimState, SiameseimTargetParams } from '../../ssl/index.js';
import { type MomentTree, momentShapes, optimizerState, optimizerTree } from '../support/optimizer-checkpoint.js';
import type { ProbeScores } from '../support/probe-scores.js';
import type { EncoderProbes } from './evaluate.js';
import { type Flags, RunError, runDefiningFlags } from './run-config.js';

export const checkpointFormat = 'tapegrad/siameseim-mnist/1';

export type RunFlags = Pick<Flags, (typeof runDefiningFlags)[number]>;

export interface CheckpointInfo {
  /** Seconds spent in training steps so far (evaluation excluded). */
  readonly trainSeconds: number;
  /** k-NN top-1 (%) of the network at its initialisation (CLS and mean patch token) and of raw pixels. */
  readonly baselines: {
    readonly randomInit: number;
    readonly randomInitPatchMean: number;
    readonly rawPixels: number;
    /** Linear probe and few-shot of the random network (CLS, patch mean) and of raw pixels. */
    readonly probes: { readonly randomInit: EncoderProbes; readonly rawPixels: ProbeScores };
  };
}

function runFlagsOf(flags: RunFlags): Record<string, unknown> {
  return Object.fromEntries(runDefiningFlags.map((name) => [name, flags[name]]));
}

export function saveCheckpoint(path: string, state: SiameseimState, flags: RunFlags, info: CheckpointInfo): void {
  const { moments, steps } = optimizerTree(state.optimizer);
  saveSafetensorsSync(path, { online: state.params, target: state.target, optimizer: moments }, {
    format: checkpointFormat,
    step: String(state.step),
    flags: JSON.stringify(runFlagsOf(flags)),
    optimizer_steps: JSON.stringify(steps),
    train_seconds: String(info.trainSeconds),
    baselines: JSON.stringify(info.baselines),
  });
}

function parseJson(text: string | undefined, what: string, path: string): unknown {
  try {
    if (text === undefined) throw new Error('missing');
    return JSON.parse(text);
  } catch {
    throw new RunError(`cannot resume: ${path} has no valid "${what}" metadata; it was not written by this example`);
  }
}

/**
 * Reads a checkpoint written by `saveCheckpoint` into the shapes of `fresh` (a newly initialised
 * state of the same model). A missing file, a damaged one, one from another model or run, or one
 * whose flags differ from `flags` is a `RunError` that says which.
 */
export function loadCheckpoint(path: string, fresh: SiameseimState, flags: RunFlags): { state: SiameseimState; info: CheckpointInfo } {
  if (!existsSync(path)) throw new RunError(`cannot resume: there is no checkpoint at ${path} (run without --resume to start, or point --out at the run's directory)`);
  const read = (like?: unknown) => {
    try {
      return loadSafetensorsSync(path, like === undefined ? {} : { like });
    } catch (error) {
      if (error instanceof SafetensorsError) throw new RunError(`cannot resume: ${path} is not a readable checkpoint: ${error.message}`);
      throw error;
    }
  };
  const { metadata } = read();
  if (metadata.format !== checkpointFormat) throw new RunError(`cannot resume: ${path} is not a siameseim-mnist checkpoint (format ${JSON.stringify(metadata.format ?? null)}, expected ${checkpointFormat})`);
  const saved = parseJson(metadata.flags, 'flags', path) as Record<string, unknown>;
  const expected = runFlagsOf(flags);
  const differing = runDefiningFlags.filter((name) => saved[name] !== expected[name]);
  if (differing.length > 0) {
    const spell = (name: string) => `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    const list = differing.map((name) => `${spell(name)} ${String(saved[name])} (now ${String(expected[name])})`).join(', ');
    throw new RunError(`cannot resume: ${path} was made with ${list}; resume with the same flags, or start a new run in another --out`);
  }
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0 || step > flags.steps) throw new RunError(`cannot resume: ${path} records step ${JSON.stringify(metadata.step)}, not an integer in [0, ${flags.steps}]`);
  const slotSteps = parseJson(metadata.optimizer_steps, 'optimizer_steps', path) as Record<string, number>;
  const moments = momentShapes(slotSteps, fresh.params, (name) => new RunError(`cannot resume: ${path} holds optimizer moments for ${JSON.stringify(name)}, which the model does not have`));
  const { tree } = read({ online: fresh.params, target: fresh.target, optimizer: moments });
  const loaded = tree as unknown as { online: SiameseimParams; target: SiameseimTargetParams; optimizer: MomentTree };
  const optimizer = optimizerState(loaded.optimizer, slotSteps);
  const baselines = parseJson(metadata.baselines, 'baselines', path) as CheckpointInfo["baselines"];
  if (!(['randomInit', 'randomInitPatchMean', 'rawPixels'] as const).every((name) => typeof baselines?.[name] === 'number') || typeof baselines.probes?.rawPixels?.linearProbe !== 'number') {
    throw new RunError(`cannot resume: ${path} has no valid "baselines" metadata; it was not written by this version of the example`);
  }
  const trainSeconds = Number(metadata.train_seconds);
  return {
    state: { params: loaded.online, target: loaded.target, optimizer, step },
    info: { trainSeconds: Number.isFinite(trainSeconds) ? trainSeconds : 0, baselines },
  };
}
