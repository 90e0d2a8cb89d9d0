/**
 * DINO's loss and centre (Caron et al., ICCV 2021), after the official `DINOLoss` in `main_dino.py`;
 * see docs/dino.md §5.
 *
 * Row layout everywhere is crop-major, as `MultiCropWrapper` produces it: with B images and V crops,
 * row v·B + b of the student output is crop v of image b (crops 0 and 1 are the global crops), and
 * row i·B + b of the teacher output is global crop i of image b.
 *
 *   q_i  = softmax((t_i − c) / τt)          teacher targets, no gradient (centre first, then sharpen)
 *   p_v  = softmax(s_v / τs)                student predictions
 *   loss = 1/(2V−2) Σ_{i∈{0,1}} Σ_{v≠i} mean_b H(q_i[b], p_v[b]),   H(a, b) = −Σ_k a_k log b_k
 */
import { type Tensor, OptionError, ShapeError, add, div, exp, isTensor, logSoftmax, mean, mul, neg, reshape, sliceAxis, stopGradient, sub, sum } from '../core/index.js';

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
export function checkTemperature(fn: string, name: string, value: unknown): void {
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
