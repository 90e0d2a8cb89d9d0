/**
 * SiameseIM's schedules as functions of the fractional epoch t = epoch + iteration / itersPerEpoch
 * (official `engine_pretrain.py` and `util/lr_sched.py`).
 */

export interface MomentumSchedule {
  /** Momentum at t = 0 (released config 0.995). */
  readonly base?: number;
  /** T, where the momentum reaches 1 (1600). */
  readonly totalEpochs?: number;
}

/** m(t) = 1 − ½(1 + cos(πt/T))(1 − base): rises from `base` to 1 along a half cosine. */
export function siameseimMomentum(t: number, { base = 0.995, totalEpochs = 1600 }: MomentumSchedule = {}): number {
  return 1 - 0.5 * (1 + Math.cos((Math.PI * t) / totalEpochs)) * (1 - base);
}

export interface LearningRateSchedule {
  /** lr after warmup (blr · batch / 256; released config 1e-3). */
  readonly peakLr?: number;
  readonly warmupEpochs?: number;
  readonly totalEpochs?: number;
  readonly minLr?: number;
}

/** Linear warmup from 0 to peakLr over warmupEpochs, then a half cosine down to minLr at totalEpochs. */
export function siameseimLearningRate(t: number, { peakLr = 1e-3, warmupEpochs = 40, totalEpochs = 1600, minLr = 0 }: LearningRateSchedule = {}): number {
  if (t < warmupEpochs) return (peakLr * t) / warmupEpochs;
  const progress = (t - warmupEpochs) / (totalEpochs - warmupEpochs);
  return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
