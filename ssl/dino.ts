/**
 * DINO (Caron et al., ICCV 2021) as pure functions, after the official `main_dino.py`
 * (`DINOLoss`, `train_one_epoch`, `cancel_gradients_last_layer`); see docs/dino.md §5–§6.
 *
 * Row layout everywhere is crop-major, as `MultiCropWrapper` produces it: with B images and V crops,
 * row v·B + b of the student output is crop v of image b (crops 0 and 1 are the global crops), and
 * row i·B + b of the teacher output is global crop i of image b.
 *
 *   q_i  = softmax((t_i − c) / τt)          teacher targets, no gradient (centre first, then sharpen)
 *   p_v  = softmax(s_v / τs)                student predictions
 *   loss = 1/(2V−2) Σ_{i∈{0,1}} Σ_{v≠i} mean_b H(q_i[b], p_v[b]),   H(a, b) = −Σ_k a_k log b_k
 */
import {
  type Tensor,
  OptionError,
  ShapeError,
  add,
  div,
  exp,
  isTensor,
  jit,
  logSoftmax,
  mean,
  mul,
  neg,
  reshape,
  scalar,
  sliceAxis,
  stopGradient,
  sub,
  sum,
  treeLeaves,
  treeMapWithPath,
  dottedName,
  valueAndGrad,
  zeros,
  type PyTree,
  random,
} from '../core/index.js';
import {
  type AdamwCoefficients,
  type AdamwMoments,
  type AdamwState,
  type DinoHeadConfig,
  type DinoModelParams,
  type VitConfig,
  adamwApply,
  adamwCoefficientTensors,
  adamwMoments,
  adamwNextState,
  adamwPlan,
  clipGradientsPerParam,
  cosineScheduler,
  dinoHeadFrozenNames,
  dinoMultiCrop,
  dinoMultiCropWithFeatures,
  dinoParamGroups,
  initAdamw,
  initDinoHead,
  initVit,
} from '../nn/index.js';
import { type EmaWeights, emaUpdate, emaWeights, momentumSchedule } from './ema.js';
import { globalCropKoleo } from './koleo.js';
import { NonFiniteLossError } from './errors.js';

export interface DinoLossOptions {
  /** τs, the student temperature (official: 0.1, hard-coded). */
  readonly studentTemp?: number;
  /** τt, the teacher temperature of this epoch (see `teacherTempSchedule`); a scalar tensor in a traced step. */
  readonly teacherTemp: number | Tensor;
  /** V = 2 + number of local crops; the student output has V·B rows. */
  readonly ncrops: number;
}

/** B, V and K from the two outputs, with errors that name the shapes. */
function cropLayout(fn: string, studentOut: Tensor, teacherOut: Tensor, ncrops: number): { batch: number; crops: number; dim: number } {
  if (!Number.isInteger(ncrops) || ncrops < 2) throw new OptionError(`${fn}: ncrops must be an integer ≥ 2 (two global crops), got ${ncrops}`);
  if (studentOut.rank !== 2 || teacherOut.rank !== 2) {
    throw new ShapeError(`${fn}: studentOut [V·B, K] and teacherOut [2B, K] must be matrices, got [${studentOut.shape}] and [${teacherOut.shape}]`);
  }
  const [teacherRows, dim] = teacherOut.shape;
  const batch = teacherRows / 2;
  if (!Number.isInteger(batch) || batch < 1 || studentOut.shape[0] !== ncrops * batch || studentOut.shape[1] !== dim) {
    throw new ShapeError(
      `${fn}: with ncrops ${ncrops}, teacherOut [${teacherOut.shape}] (2B rows) needs studentOut [${ncrops}·B, K] = [${ncrops * batch}, ${dim}], got [${studentOut.shape}]`,
    );
  }
  return { batch, crops: ncrops, dim };
}

/** A positive finite number, or a one-value tensor (whose value cannot be checked without reading it). */
function checkTemperature(fn: string, name: string, value: unknown): void {
  if (isTensor(value)) {
    if (value.size !== 1) throw new ShapeError(`${fn}: ${name} as a tensor must hold one value, got shape [${value.shape}]`);
  } else if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new OptionError(`${fn}: ${name} must be a positive number or a scalar tensor, got ${String(value)}`);
  }
}

/** log q = logSoftmax((teacherOut − center) / τt), [2B, K], cut from the tape. */
export function teacherLogTargets(teacherOut: Tensor, center: Tensor, teacherTemp: number | Tensor): Tensor {
  checkTemperature('teacherLogTargets', 'teacherTemp', teacherTemp);
  return stopGradient(logSoftmax(div(sub(stopGradient(teacherOut), stopGradient(center)), teacherTemp)));
}

/**
 * The average over the 2V − 2 pairs (teacher crop i, student crop v ≠ i) of mean_b Σ_k q_i[b,k]·x_v[b,k].
 * Summing every (i, v) pair and removing the two pairs v = i needs only [B, K] work:
 *   Σ_{i, v≠i} q_i·x_v = Σ (q_0 + q_1)·(Σ_v x_v) − Σ_{i∈{0,1}} q_i·x_i.
 * `teacher` is [2B, K], `student` is [V·B, K]; returns a scalar.
 */
export function crossCropMean(teacher: Tensor, student: Tensor, ncrops: number): Tensor {
  const { batch, crops, dim } = cropLayout('crossCropMean', student, teacher, ncrops);
  const q = reshape(teacher, [2, batch, dim]);
  const x = reshape(student, [crops, batch, dim]);
  const allPairs = sum(mul(sum(q, { axis: 0 }), sum(x, { axis: 0 })));
  const samePairs = sum(mul(q, sliceAxis(x, 0, 0, 2)));
  return div(sub(allPairs, samePairs), batch * (2 * crops - 2));
}

/**
 * The DINO cross-entropy between the teacher's centred, sharpened targets and the student's
 * predictions over every pair of different crops.
 *
 * Arguments: `studentOut` [V·B, K] head outputs of all V crops, crop-major; `teacherOut` [2B, K] head
 * outputs of the 2 global crops; `center` [1, K]. Returns a scalar. The gradient flows into
 * `studentOut` only; each of its rows receives (1/(τs·B·(2V−2))) Σ_{i≠v} (p − q_i), which sums to zero.
 */
export function dinoLoss(studentOut: Tensor, teacherOut: Tensor, center: Tensor, options: DinoLossOptions): Tensor {
  const { studentTemp = 0.1, teacherTemp, ncrops } = options;
  const { dim } = cropLayout('dinoLoss', studentOut, teacherOut, ncrops);
  checkTemperature('dinoLoss', 'studentTemp', studentTemp);
  if (center.size !== dim || center.shape[center.rank - 1] !== dim) throw new ShapeError(`dinoLoss: center must be [1, K] = [1, ${dim}], got [${center.shape}]`);
  const targets = exp(teacherLogTargets(teacherOut, center, teacherTemp));
  const studentLogProbs = logSoftmax(div(studentOut, studentTemp));
  return neg(crossCropMean(targets, studentLogProbs, ncrops));
}

/**
 * The centre's EMA from the raw teacher outputs (not centred, not softmaxed), no gradient:
 * c ← m·c + (1 − m)·mean over the 2B rows. Apply it after the loss, which uses the old centre.
 * `center` [1, K], `teacherOut` [2B, K]; official momentum 0.9.
 */
export function updateCenter(center: Tensor, teacherOut: Tensor, momentum = 0.9): Tensor {
  if (!(momentum >= 0 && momentum <= 1)) throw new OptionError(`updateCenter: momentum must be in [0, 1], got ${momentum}`);
  if (teacherOut.rank !== 2 || center.size !== teacherOut.shape[1]) {
    throw new ShapeError(`updateCenter: center [1, K] and teacherOut [2B, K] must share K, got [${center.shape}] and [${teacherOut.shape}]`);
  }
  const batchCenter = mean(stopGradient(teacherOut), { axis: 0, keepDims: true });
  return add(mul(reshape(stopGradient(center), [1, center.size]), momentum), mul(batchCenter, 1 - momentum));
}

/**
 * h(P_t): the entropy −Σ_k q log q of the teacher targets, averaged over the 2B teacher rows.
 * Each teacher crop enters V − 1 pairs of the loss, so this row mean is also the pair average
 * that the decomposition loss = h(P_t) + KL(P_t‖P_s) needs. Returns a scalar (no gradient).
 */
export function teacherEntropy(teacherOut: Tensor, center: Tensor, teacherTemp: number | Tensor): Tensor {
  const logTargets = teacherLogTargets(teacherOut, center, teacherTemp);
  return neg(div(sum(mul(exp(logTargets), logTargets)), teacherOut.shape[0]));
}

/**
 * KL(P_t‖P_s) averaged exactly like the loss: over the 2V − 2 pairs (i, v ≠ i) and the B images,
 * mean Σ_k q_i (log q_i − log p_v). Equal to dinoLoss − teacherEntropy (paper §5.3). Scalar, no gradient.
 */
export function teacherStudentKl(studentOut: Tensor, teacherOut: Tensor, center: Tensor, options: DinoLossOptions): Tensor {
  const loss = dinoLoss(stopGradient(studentOut), teacherOut, center, options);
  return sub(loss, teacherEntropy(teacherOut, center, options.teacherTemp));
}

export interface TeacherTempScheduleOptions {
  /** τt at epoch 0 (official 0.04). */
  readonly warmupTeacherTemp?: number;
  /** τt after warmup (0.04 in the code default, 0.07 in the paper). */
  readonly teacherTemp?: number;
  /** Epochs of the linear warmup (0 in the code default, 30 in the paper). */
  readonly warmupEpochs?: number;
  readonly epochs: number;
}

/**
 * τt per epoch (indexed by epoch, not iteration): linspace(warmup, final, warmupEpochs) with its
 * endpoint included, so the final value is reached at epoch warmupEpochs − 1, then constant.
 */
export function teacherTempSchedule(options: TeacherTempScheduleOptions): number[] {
  const { warmupTeacherTemp = 0.04, teacherTemp = 0.04, warmupEpochs = 0, epochs } = options;
  if (!Number.isInteger(epochs) || epochs < 0) throw new OptionError(`teacherTempSchedule: epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(warmupEpochs) || warmupEpochs < 0 || warmupEpochs > epochs) {
    throw new OptionError(`teacherTempSchedule: warmupEpochs must be an integer in [0, epochs = ${epochs}], got ${warmupEpochs}`);
  }
  return [...linspaceValues(warmupTeacherTemp, teacherTemp, warmupEpochs), ...new Array<number>(epochs - warmupEpochs).fill(teacherTemp)];
}

/** NumPy's linspace with endpoint: start + j·step, and the last value exactly `stop`. */
function linspaceValues(start: number, stop: number, count: number): number[] {
  if (count === 1) return [start];
  const step = (stop - start) / (count - 1);
  return Array.from({ length: count }, (_, j) => (j === count - 1 ? stop : start + j * step));
}

/** While `epoch < freezeEpochs`, false for every dotted name that contains `pattern`: the parameters the optimiser leaves alone. */
export function lastLayerTrainable(epoch: number, freezeEpochs = 1, pattern = 'last_layer'): (name: string) => boolean {
  return (name) => epoch >= freezeEpochs || !name.includes(pattern);
}

/**
 * `cancel_gradients_last_layer`: while `epoch < freezeEpochs`, every gradient whose dotted name
 * contains `last_layer` becomes `null`, so the optimizer leaves that parameter entirely alone (no
 * update, no weight decay, no moment state), as PyTorch does for `grad = None`. Apply after clipping.
 * Returns a new gradient tree of the same structure (`null` leaves are static pytree nodes).
 */
export function freezeLastLayer<T>(grads: T, epoch: number, freezeEpochs = 1, pattern = 'last_layer'): T {
  if (epoch >= freezeEpochs) return grads;
  const trainable = lastLayerTrainable(epoch, freezeEpochs, pattern);
  return treeMapWithPath((path, leaf) => (trainable(dottedName(path)) ? leaf : null), grads) as T;
}

// ---------------------------------------------------------------------------------------------
// One training iteration (`train_one_epoch`, docs/dino.md §6.4)

/** A student/teacher architecture for `dinoStep`: parameters, a multi-crop forward and its frozen names. */
export interface DinoModel<Params extends PyTree = PyTree> {
  /** The student's initial parameters; the teacher starts as the same tree (`load_state_dict`). */
  readonly init: (key: Tensor) => Params;
  /**
   * V crops, each [B, C, Hv, Wv] → head outputs [V·B, K], crop-major. `train` is true for the
   * student (stochastic depth on, with `key`) and false for the teacher (no drop path).
   */
  readonly forward: (params: Params, crops: readonly Tensor[], context: { readonly key?: Tensor; readonly train: boolean }) => Tensor;
  /** Dotted names the optimiser must skip entirely (a frozen `head.last_layer.weight_g`). */
  readonly frozenNames?: readonly string[];
  /** `forward` that also returns the backbone features [V·B, D] (needed when `koleoWeight` > 0). */
  readonly forwardWithFeatures?: (params: Params, crops: readonly Tensor[], context: { readonly key?: Tensor; readonly train: boolean }) => { features: Tensor; output: Tensor };
}

/**
 * DINO's architecture: the nn ViT (CLS feature) per group of same-width crops, then `dinoHead` once
 * on all rows (`MultiCropWrapper`). Params are `{backbone, head}`, so names read `backbone.blocks.0…`
 * and `head.last_layer.weight_v`. The teacher runs the same ViT with dropPathRate 0.
 */
export function vitDinoModel(vitConfig: VitConfig, headConfig: Omit<DinoHeadConfig, 'inDim'>): DinoModel<DinoModelParams> {
  const head = { ...headConfig, inDim: vitConfig.embedDim };
  const teacherConfig = { ...vitConfig, dropPathRate: 0 };
  return {
    init: (key) => {
      const [backboneKey, headKey] = random.split(key, 2);
      return { backbone: initVit(backboneKey, vitConfig), head: initDinoHead(headKey, head) };
    },
    forward: (params, crops, { key, train }) =>
      dinoMultiCrop(params, crops, { vitConfig: train ? vitConfig : teacherConfig, normLastLayer: head.normLastLayer, train, ...(key ? { key } : {}) }),
    forwardWithFeatures: (params, crops, { key, train }) =>
      dinoMultiCropWithFeatures(params, crops, { vitConfig: train ? vitConfig : teacherConfig, normLastLayer: head.normLastLayer, train, ...(key ? { key } : {}) }),
    frozenNames: dinoHeadFrozenNames(head, 'head.'),
  };
}

/** Hyper-parameters of `train_dino`, official defaults unless said otherwise. */
export interface DinoHyperparams {
  readonly epochs: number;
  readonly itersPerEpoch: number;
  /** Peak lr after warmup, already scaled: 0.0005 · total batch / 256 in the official code. */
  readonly lr?: number;
  readonly minLr?: number;
  /** lr warmup epochs (10). */
  readonly warmupEpochs?: number;
  /** Weight decay goes from `weightDecay` (0.04) to `weightDecayEnd` (0.4) along a cosine. */
  readonly weightDecay?: number;
  readonly weightDecayEnd?: number;
  /** EMA momentum at the first iteration (0.996), rising to 1. */
  readonly momentumTeacher?: number;
  readonly warmupTeacherTemp?: number;
  readonly teacherTemp?: number;
  readonly warmupTeacherTempEpochs?: number;
  readonly studentTemp?: number;
  readonly centerMomentum?: number;
  /** Per-parameter gradient norm cap (3.0); 0 turns clipping off. */
  readonly clipGrad?: number;
  /** Epochs during which the last layer gets no update (1). */
  readonly freezeLastLayer?: number;
  /** Ablation: false keeps the centre at zero (paper §5.3: without centering the targets go one-hot). */
  readonly centering?: boolean;
  /** DINOv2's KoLeo on the student's backbone features of the 2 global crops, this weight × the sum of the two (0: off, DINO v1). */
  readonly koleoWeight?: number;
}

/** The per-iteration lr, wd and momentum, and the per-epoch teacher temperature. */
export interface DinoSchedules {
  readonly lr: readonly number[];
  readonly weightDecay: readonly number[];
  readonly momentum: readonly number[];
  readonly teacherTemp: readonly number[];
}

export interface DinoState<Params extends PyTree = PyTree> {
  readonly student: Params;
  readonly teacher: Params;
  /** [1, K]. */
  readonly center: Tensor;
  readonly optimizer: AdamwState;
  /** Global iteration index `it = len(loader)·epoch + i` of the next step. */
  readonly step: number;
  readonly model: DinoModel<Params>;
  readonly hyperparams: Required<DinoHyperparams>;
  readonly schedules: DinoSchedules;
}

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

const hyperparamDefaults = {
  lr: 0.0005, minLr: 1e-6, warmupEpochs: 10, weightDecay: 0.04, weightDecayEnd: 0.4, momentumTeacher: 0.996,
  warmupTeacherTemp: 0.04, teacherTemp: 0.04, warmupTeacherTempEpochs: 0, studentTemp: 0.1, centerMomentum: 0.9,
  clipGrad: 3, freezeLastLayer: 1, centering: true, koleoWeight: 0,
};

/** The four schedules of `train_dino` for these hyper-parameters. */
export function dinoSchedules(hyperparams: DinoHyperparams): DinoSchedules {
  const h = { ...hyperparamDefaults, ...hyperparams };
  const common = { epochs: h.epochs, niterPerEp: h.itersPerEpoch };
  return {
    lr: cosineScheduler({ baseValue: h.lr, finalValue: h.minLr, warmupEpochs: h.warmupEpochs, ...common }),
    weightDecay: cosineScheduler({ baseValue: h.weightDecay, finalValue: h.weightDecayEnd, ...common }),
    momentum: momentumSchedule({ base: h.momentumTeacher, epochs: h.epochs, itersPerEpoch: h.itersPerEpoch }),
    teacherTemp: teacherTempSchedule({ warmupTeacherTemp: h.warmupTeacherTemp, teacherTemp: h.teacherTemp, warmupEpochs: h.warmupTeacherTempEpochs, epochs: h.epochs }),
  };
}

/**
 * The state before the first step: student from `model.init(key)`, the teacher equal to it, a zero
 * centre [1, K] (K from `outDim`), empty AdamW state, step 0, and the schedules.
 */
export function initDinoState<Params extends PyTree>(key: Tensor, model: DinoModel<Params>, outDim: number, hyperparams: DinoHyperparams): DinoState<Params> {
  const student = model.init(key);
  const dtype = treeLeaves(student)[0]?.dtype ?? 'float32';
  return {
    student,
    teacher: student,
    center: zeros([1, outDim], dtype),
    optimizer: initAdamw(),
    step: 0,
    model,
    hyperparams: { ...hyperparamDefaults, ...hyperparams },
    schedules: dinoSchedules(hyperparams),
  };
}

/** The tensors of a DINO state that one iteration reads and writes. */
export interface DinoArrays<Params extends PyTree = PyTree> {
  readonly student: Params;
  readonly teacher: Params;
  readonly center: Tensor;
  readonly moments: AdamwMoments;
}

/** The numbers that change from one iteration to the next, as scalar tensors (so a trace does not bake them in). */
export interface DinoStepScalars {
  readonly teacherTemp: Tensor;
  readonly momentum: EmaWeights;
  /** AdamW's coefficients of each parameter this step updates (the frozen last layer is absent). */
  readonly adamw: { readonly [name: string]: AdamwCoefficients<Tensor> };
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

/**
 * One DINO iteration, in the official order: schedules at `it` → teacher on the 2 global crops and
 * student on all V → loss (old centre) → gradient → per-parameter clipping → last-layer freeze →
 * AdamW (decay on non-bias params of rank > 1; frozen names skipped) → EMA teacher → centre update.
 *
 * Arguments: `crops`, V tensors [B, C, Hv, Wv] ordered [global1, global2, local…] (see
 * `multiCrop`); `key` drives the student's stochastic depth. Returns the next state and the metrics
 * of this step (loss and KL from the student before its update). Throws on a non-finite loss, as
 * the official loop exits. `jitDinoStep()` gives the same step compiled by `jit`.
 */
export function dinoStep<Params extends PyTree>(state: DinoState<Params>, crops: readonly Tensor[], key: Tensor): { state: DinoState<Params>; metrics: DinoMetrics } {
  return runDinoStep(state, crops, key, dinoUpdateOf(state.model, state.hyperparams));
}

/**
 * `dinoStep` with its tensor half compiled by `jit`: traced on the first call per signature (shapes,
 * and which parameters have AdamW state or are frozen: a handful of traces over a run), replayed after.
 * The schedules, AdamW step counts and the loss check stay on the host, around the compiled part.
 * Results equal `dinoStep`'s. Each returned function keeps its own compiled programs.
 */
export function jitDinoStep(): typeof dinoStep {
  let compiled: { model: DinoModel<any>; hyperparams: Required<DinoHyperparams>; update: DinoUpdate<any> } | undefined;
  return (state, crops, key) => {
    if (compiled?.model !== state.model || compiled.hyperparams !== state.hyperparams) {
      compiled = { model: state.model, hyperparams: state.hyperparams, update: jit(dinoUpdateOf(state.model, state.hyperparams)) };
    }
    return runDinoStep(state, crops, key, compiled.update);
  };
}

/** The host half of an iteration around `update`: schedule values, AdamW plan, the loss check, metrics. */
function runDinoStep<Params extends PyTree>(
  state: DinoState<Params>,
  crops: readonly Tensor[],
  key: Tensor,
  update: DinoUpdate<Params>,
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

  // the parameters that get a gradient update: all but the last layer while it is frozen
  const trainable = lastLayerTrainable(epoch, h.freezeLastLayer);
  const plan = adamwPlan(state.student, state.optimizer, { lr, weightDecay, groups: dinoParamGroups(model.frozenNames ?? []), trainable });
  const dtype = treeLeaves(state.student)[0]?.dtype ?? 'float32';
  const scalars: DinoStepScalars = { teacherTemp: scalar(teacherTemp, dtype), momentum: emaWeights(momentum, dtype), adamw: adamwCoefficientTensors(plan, dtype) };
  const arrays = { student: state.student, teacher: state.teacher, center: state.center, moments: adamwMoments(state.optimizer) };
  const result = update(arrays, crops, key, scalars);

  const total = result.total.item();
  if (!Number.isFinite(total)) throw new NonFiniteLossError('dinoStep', step, total);
  const loss = result.loss.item();
  const entropy = result.teacherEntropy.item();
  return {
    state: {
      ...state,
      student: result.arrays.student,
      teacher: result.arrays.teacher,
      center: result.arrays.center,
      optimizer: adamwNextState(state.optimizer, plan, result.arrays.moments),
      step: step + 1,
    },
    metrics: { loss, koleo: result.koleo.item(), teacherEntropy: entropy, kl: loss - entropy, lr, weightDecay, momentum, teacherTemp, epoch, step },
  };
}
