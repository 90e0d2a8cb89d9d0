/**
 * The momentum (EMA) teacher of DINO (`main_dino.py:train_one_epoch`, docs/dino.md §6.2 and
 * §6.4 step 7): after each optimizer step, every teacher parameter moves towards the student's,
 * θt ← m·θt + (1 − m)·θs, with m rising from 0.996 to 1 along a cosine over the iterations.
 */
import { type DType, type PyTree, type Tensor, OptionError, add, isTensor, mul, scalar, stopGradient, treeMap } from '../core/index.js';
import { cosineScheduler } from '../nn/index.js';

/**
 * m and 1 − m as scalar tensors, both worked out on the host in float64 (as the official loop's Python
 * floats are) and rounded once: how a step traced by `jit` passes a momentum that changes every call.
 */
export interface EmaWeights {
  readonly momentum: Tensor;
  readonly complement: Tensor;
}

/** `EmaWeights` for momentum `m` in `dtype`. */
export function emaWeights(m: number, dtype: DType): EmaWeights {
  checkMomentum(m);
  return { momentum: scalar(m, dtype), complement: scalar(1 - m, dtype) };
}

function checkMomentum(m: unknown): void {
  if (typeof m !== 'number' || !(m >= 0 && m <= 1)) throw new OptionError(`emaUpdate: momentum must be a number in [0, 1], got ${String(m)}`);
}

/**
 * One EMA step over two parameter trees of the same structure: θt ← m·θt + (1 − m)·θs, leaf by leaf,
 * with no gradient. Every leaf is averaged on its own, so a weight-normalised layer averages
 * `weight_g` and `weight_v` separately (never the effective weight g·v/‖v‖), as the official loop
 * does over `parameters()`. `momentum` is a number, or `EmaWeights` (a traced step). Returns the new
 * teacher tree; neither input changes.
 */
export function emaUpdate<T extends PyTree>(teacher: T, student: PyTree, momentum: number | EmaWeights): T {
  if (typeof momentum === 'number') checkMomentum(momentum);
  else if (!isTensor(momentum?.momentum) || !isTensor(momentum.complement) || momentum.momentum.size !== 1 || momentum.complement.size !== 1) {
    throw new OptionError('emaUpdate: momentum must be a number in [0, 1], or EmaWeights (two one-value tensors, see emaWeights)');
  }
  const [keep, take] = typeof momentum === 'number' ? [momentum, 1 - momentum] : [momentum.momentum, momentum.complement];
  return treeMap<T>(
    (t: Tensor, s: Tensor) => add(mul(stopGradient(t), keep), mul(stopGradient(s), take)),
    teacher,
    student,
  );
}

export interface MomentumScheduleOptions {
  /** m at the first iteration (official 0.996; 0.9995 suggested for batch 256). */
  readonly base?: number;
  readonly epochs: number;
  readonly itersPerEpoch: number;
}

/**
 * The EMA momentum per iteration: `cosine_scheduler(base, 1, epochs, niter)` with no warmup, so
 * m_j = 1 − ½(1 − base)(1 + cos(πj/L)): it starts at `base` and never quite reaches 1.
 */
export function momentumSchedule({ base = 0.996, epochs, itersPerEpoch }: MomentumScheduleOptions): number[] {
  return cosineScheduler({ baseValue: base, finalValue: 1, epochs, niterPerEp: itersPerEpoch });
}
