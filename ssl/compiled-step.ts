/**
 * The shape the DINO and SiameseIM training steps share, so that `jit` can compile half of each: the
 * *update*, the tensor half (forward, gradient, clipping, AdamW, EMA), reads no value on the host; the
 * host half around it works out the schedules and the AdamW plan, reads the loss back and builds the
 * metrics. The per-step numbers enter the update as scalar tensors, so a trace does not bake them in.
 */
import { type DType, type PyTree, type Tensor, jit, treeLeaves } from '../core/index.js';
import { type AdamwCoefficients, type AdamwHparams, type AdamwMoments, type AdamwPlan, type AdamwState, adamwCoefficientTensors, adamwMoments, adamwPlan } from '../nn/optim.js';
import { type EmaWeights, emaWeights } from './ema.js';
import { NonFiniteLossError } from './errors.js';

/** The numbers every update takes that change from one iteration to the next. */
export interface StepScalars {
  /** The EMA momentum of the teacher (DINO) or target (SiameseIM). */
  readonly momentum: EmaWeights;
  /** AdamW's coefficients of each parameter this step updates (the others are absent). */
  readonly adamw: { readonly [name: string]: AdamwCoefficients<Tensor> };
}

/** The host half of AdamW and the EMA: the plan, its coefficients and the momentum as scalar tensors of the params' dtype, and the moments to pass in. */
export function optimizerInputs(
  params: PyTree,
  optimizer: AdamwState,
  hparams: AdamwHparams,
  momentum: number,
): { plan: AdamwPlan; dtype: DType; scalars: StepScalars; moments: AdamwMoments } {
  const plan = adamwPlan(params, optimizer, hparams);
  const dtype = treeLeaves(params)[0]?.dtype ?? 'float32';
  return { plan, dtype, scalars: { momentum: emaWeights(momentum, dtype), adamw: adamwCoefficientTensors(plan, dtype) }, moments: adamwMoments(params, optimizer, plan) };
}

/** The loss read back on the host; a NaN or infinite one throws `NonFiniteLossError` (the state after it would be useless), as the official loops exit. */
export function finiteLoss(stepFunction: string, step: number, loss: Tensor): number {
  const value = loss.item();
  if (!Number.isFinite(value)) throw new NonFiniteLossError(stepFunction, step, value);
  return value;
}

/** A step in its two forms: `eager` runs the update as traced ops, `compiled()` gives a step whose update is compiled by `jit`. */
export interface StepForms<Args extends unknown[], Result> {
  readonly eager: (...args: Args) => Result;
  readonly compiled: () => (...args: Args) => Result;
}

/**
 * A step from its halves. `configOf` picks from the step's arguments the values the update is built
 * from, `updateOf` builds the update from them, and `run` is the host half, handed the update to call.
 * A compiled step keeps the `jit` of one update (traced on its first call per input signature,
 * replayed after) while its config stays the same objects, and builds a new one when any changes;
 * each compiled step keeps its own programs.
 */
export function compiledStep<Args extends unknown[], Config extends unknown[], Update extends (...inputs: any[]) => unknown, Result>(halves: {
  readonly configOf: (...args: Args) => Config;
  readonly updateOf: (...config: Config) => Update;
  readonly run: (update: Update, ...args: Args) => Result;
}): StepForms<Args, Result> {
  const { configOf, updateOf, run } = halves;
  return {
    eager: (...args) => run(updateOf(...configOf(...args)), ...args),
    compiled: () => {
      let memo: { config: Config; update: Update } | undefined;
      return (...args) => {
        const config = configOf(...args);
        if (memo === undefined || config.some((value, i) => value !== memo!.config[i])) memo = { config, update: jit(updateOf(...config)) as Update };
        return run(memo.update, ...args);
      };
    },
  };
}
