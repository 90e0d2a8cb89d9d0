/**
 * One DINO training iteration as a pure function (`train_one_epoch` in the official `main_dino.py`,
 * docs/dino.md §6.4), eager and compiled by `jit`; the halves are split as `compiled-step.ts` describes.
 */
import { type PyTree, type Tensor, OptionError, add, mul, scalar, stopGradient, valueAndGrad } from '../core/index.js';
import { adamwApply, adamwNextState, clipGradientsPerParam, dinoParamGroups } from '../nn/index.js';
import { teacherEntropy } from './collapse.js';
import { type StepScalars, compiledStep, finiteLoss, optimizerInputs } from './compiled-step.js';
import type { DinoHyperparams } from './dino-hyperparams.js';
import { lastLayerTrainable } from './dino-last-layer.js';
import { checkTemperature, dinoLoss, updateCenter } from './dino-loss.js';
import type { DinoModel } from './dino-model.js';
import type { DinoArrays, DinoState } from './dino-state.js';
import { emaUpdate } from './ema.js';
import { globalCropKoleo } from './koleo.js';

export interface DinoMetrics {
  /** The DINO cross-entropy (without the KoLeo term). */
  readonly loss: number;
  /** KoLeo summed over the two global crops, before its weight (0 when koleoWeight is 0). */
  readonly koleo: number;
  /** h(P_t), see `teacherEntropy`. */
  readonly teacherEntropy: number;
  /** KL(P_t‖P_s) = loss − h(P_t), see `teacherStudentKl`. */
  readonly kl: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly teacherTemp: number;
  readonly epoch: number;
  readonly step: number;
}

/** The numbers that change from one iteration to the next, as scalar tensors (so a trace does not bake them in). */
export interface DinoStepScalars extends StepScalars {
  readonly teacherTemp: Tensor;
}

/** What the tensor half of an iteration returns: the new arrays, the objective, its DINO and KoLeo parts, and h(P_t) (scalars). */
interface DinoUpdateResult<Params extends PyTree> {
  readonly arrays: DinoArrays<Params>;
  readonly total: Tensor;
  readonly loss: Tensor;
  readonly koleo: Tensor;
  readonly teacherEntropy: Tensor;
}

type DinoUpdate<Params extends PyTree> = (arrays: DinoArrays<Params>, crops: readonly Tensor[], key: Tensor, scalars: DinoStepScalars) => DinoUpdateResult<Params>;

/**
 * The tensor half of one iteration, reading no value on the host (so `jit` can trace it): teacher on
 * the 2 global crops and student on all V → loss (old centre) → gradient → per-parameter clipping →
 * AdamW with the given coefficients (parameters without coefficients stay as they are) → EMA teacher →
 * centre update.
 */
function dinoUpdateOf<Params extends PyTree>(model: DinoModel<Params>, h: Required<DinoHyperparams>): DinoUpdate<Params> {
  return (arrays, crops, key, scalars) => {
    const options = { studentTemp: h.studentTemp, teacherTemp: scalars.teacherTemp, ncrops: crops.length };
    const teacherOut = stopGradient(model.forward(arrays.teacher, crops.slice(0, 2), { train: false }));
    // [total, [DINO loss, KoLeo]]: the metrics keep loss = h(P_t) + KL apart from the regulariser
    const objective = (student: Params): [Tensor, [Tensor, Tensor]] => {
      if (h.koleoWeight === 0) {
        const loss = dinoLoss(model.forward(student, crops, { key, train: true }), teacherOut, arrays.center, options);
        return [loss, [loss, scalar(0, loss.dtype)]];
      }
      if (!model.forwardWithFeatures) throw new OptionError('dinoStep: koleoWeight > 0 needs a model with forwardWithFeatures');
      const { features, output } = model.forwardWithFeatures(student, crops, { key, train: true });
      const [loss, koleo] = [dinoLoss(output, teacherOut, arrays.center, options), globalCropKoleo(features, crops[0].shape[0])];
      return [add(loss, mul(koleo, h.koleoWeight)), [loss, koleo]];
    };
    const [[total, [loss, koleo]], grads] = valueAndGrad(objective, { hasAux: true })(arrays.student) as [[Tensor, [Tensor, Tensor]], PyTree];
    const clipped = h.clipGrad > 0 ? clipGradientsPerParam(grads, h.clipGrad).grads : grads;
    const updated = adamwApply(arrays.student, clipped, arrays.moments, scalars.adamw);
    const student = updated.params as Params;
    return {
      arrays: {
        student,
        teacher: emaUpdate(arrays.teacher, student, scalars.momentum),
        center: h.centering ? updateCenter(arrays.center, teacherOut, h.centerMomentum) : arrays.center,
        moments: updated.moments,
      },
      total,
      loss,
      koleo,
      teacherEntropy: teacherEntropy(teacherOut, arrays.center, scalars.teacherTemp),
    };
  };
}

/** The host half of an iteration around `update`: schedule values, AdamW plan, the loss check, metrics. */
function runDinoStep<Params extends PyTree>(
  update: DinoUpdate<Params>,
  state: DinoState<Params>,
  crops: readonly Tensor[],
  key: Tensor,
): { state: DinoState<Params>; metrics: DinoMetrics } {
  const { model, hyperparams: h, schedules, step } = state;
  if (step >= schedules.lr.length) throw new OptionError(`dinoStep: step ${step} is past the schedules (${h.epochs} epochs × ${h.itersPerEpoch} iterations)`);
  if (crops.length < 2) throw new OptionError(`dinoStep: needs the 2 global crops first, got ${crops.length} crops`);
  const epoch = Math.floor(step / h.itersPerEpoch);
  const lr = schedules.lr[step];
  const weightDecay = schedules.weightDecay[step];
  const momentum = schedules.momentum[step];
  const teacherTemp = schedules.teacherTemp[epoch];
  checkTemperature('dinoStep', 'teacherTemp', teacherTemp);

  // every parameter but the frozen names gets an update, and the last layer only once its freeze is over
  const groups = dinoParamGroups(model.frozenNames ?? []);
  const optimizer = optimizerInputs(state.student, state.optimizer, { lr, weightDecay, groups, trainable: lastLayerTrainable(epoch, h.freezeLastLayer) }, momentum);
  const scalars: DinoStepScalars = { teacherTemp: scalar(teacherTemp, optimizer.dtype), ...optimizer.scalars };
  const arrays = { student: state.student, teacher: state.teacher, center: state.center, moments: optimizer.moments };
  const result = update(arrays, crops, key, scalars);

  finiteLoss('dinoStep', step, result.total);
  const loss = result.loss.item();
  const entropy = result.teacherEntropy.item();
  return {
    state: {
      ...state,
      student: result.arrays.student,
      teacher: result.arrays.teacher,
      center: result.arrays.center,
      optimizer: adamwNextState(state.optimizer, optimizer.plan, result.arrays.moments),
      step: step + 1,
    },
    metrics: { loss, koleo: result.koleo.item(), teacherEntropy: entropy, kl: loss - entropy, lr, weightDecay, momentum, teacherTemp, epoch, step },
  };
}

const dinoStepForms = compiledStep({
  configOf: (state: DinoState<any>, _crops: readonly Tensor[], _key: Tensor): [DinoModel<any>, Required<DinoHyperparams>] => [state.model, state.hyperparams],
  updateOf: (model: DinoModel<any>, hyperparams: Required<DinoHyperparams>) => dinoUpdateOf(model, hyperparams),
  run: runDinoStep,
});

/**
 * One DINO iteration, in the official order: schedules at `it` → teacher on the 2 global crops and
 * student on all V → loss (old centre) → gradient → per-parameter clipping → last-layer freeze →
 * AdamW (decay on non-bias params of rank > 1; frozen names skipped) → EMA teacher → centre update.
 *
 * Arguments: `crops`, V tensors [B, C, Hv, Wv] ordered [global1, global2, local…] (see
 * `multiCrop`); `key` drives the student's stochastic depth. Returns the next state and the metrics
 * of this step (loss and KL from the student before its update). Throws `NonFiniteLossError` on a
 * non-finite loss, as the official loop exits. `jitDinoStep()` gives the same step compiled by `jit`.
 */
export function dinoStep<Params extends PyTree>(state: DinoState<Params>, crops: readonly Tensor[], key: Tensor): { state: DinoState<Params>; metrics: DinoMetrics } {
  return dinoStepForms.eager(state, crops, key) as { state: DinoState<Params>; metrics: DinoMetrics };
}

/**
 * `dinoStep` with its tensor half compiled by `jit`: traced on the first call per signature (shapes,
 * and which parameters have AdamW state or are frozen: a handful of traces over a run), replayed after,
 * and built anew when the state's model or hyper-parameters change. The schedules, AdamW step counts
 * and the loss check stay on the host, around the compiled part. Results equal `dinoStep`'s. Each
 * returned function keeps its own compiled programs.
 */
export function jitDinoStep(): typeof dinoStep {
  return dinoStepForms.compiled() as typeof dinoStep;
}
