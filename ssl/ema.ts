/**
 * The momentum (EMA) teacher of DINO (`main_dino.py:train_one_epoch`, ../shared/specs/dino.md §6.2 and
 * §6.4 step 7): after each optimizer step, every teacher parameter moves towards the student's,
 * θt ← m·θt + (1 − m)·θs, with m rising from 0.996 to 1 along a cosine over the iterations.
 */
import { type PyTree, type Tensor, OptionError, ShapeError, add, isTensor, mul, stopGradient, sub, treeMap } from '../core/index.js';
import { cosineScheduler } from '../nn/index.js';

/**
 * One EMA step over two parameter trees of the same structure: θt ← m·θt + (1 − m)·θs, leaf by leaf,
 * with no gradient. Every leaf is averaged on its own, so a weight-normalised layer averages
 * `weight_g` and `weight_v` separately (never the effective weight g·v/‖v‖), as the official loop
 * does over `parameters()`. `momentum` is a number, or a scalar tensor (a step traced by `jit`; then
 * 1 − m is computed in its dtype). Returns the new teacher tree; neither input changes.
 */
export function emaUpdate<T extends PyTree>(teacher: T, student: PyTree, momentum: number | Tensor): T {
  if (isTensor(momentum)) {
    if (momentum.size !== 1) throw new ShapeError(`emaUpdate: a momentum tensor must hold one value, got shape [${momentum.shape}]`);
  } else if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
    throw new OptionError(`emaUpdate: momentum must be a number in [0, 1] or a scalar tensor, got ${String(momentum)}`);
  }
  const complement = isTensor(momentum) ? sub(1, momentum) : 1 - momentum;
  return treeMap<T>(
    (t: Tensor, s: Tensor) => add(mul(stopGradient(t), momentum), mul(stopGradient(s), complement)),
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
