/**
 * Per-iteration schedules for learning rate, weight decay and EMA momentum, as DINO's
 * `utils.cosine_scheduler` (docs/dino.md §6.2).
 */
import { checkInteger, checkKnownOptions } from './options.js';
import { OptionError } from '../core/index.js';

export interface CosineSchedulerOptions {
  readonly baseValue: number;
  readonly finalValue: number;
  readonly epochs: number;
  readonly niterPerEp: number;
  /** Default 0. */
  readonly warmupEpochs?: number;
  /** Default 0. */
  readonly startWarmupValue?: number;
}

/**
 * `epochs · niterPerEp` values: a warmup `linspace(startWarmupValue, baseValue, W)` with both
 * endpoints (W = warmupEpochs · niterPerEp; so the first step has lr = start, 0 by default), then
 * final + ½(base − final)(1 + cos(π j / L)) for j = 0 … L−1 (L = total − W): `baseValue` appears
 * twice and `finalValue` is never reached.
 */
export function cosineScheduler(options: CosineSchedulerOptions): number[] {
  checkKnownOptions('cosineScheduler', options, ['baseValue', 'finalValue', 'epochs', 'niterPerEp', 'warmupEpochs', 'startWarmupValue']);
  const { baseValue, finalValue, startWarmupValue = 0 } = options;
  const epochs = checkInteger('cosineScheduler', 'epochs', options.epochs, 0);
  const niter = checkInteger('cosineScheduler', 'niterPerEp', options.niterPerEp, 0);
  const warmupEpochs = checkInteger('cosineScheduler', 'warmupEpochs', options.warmupEpochs ?? 0, 0);
  const total = epochs * niter;
  const warmup = warmupEpochs * niter;
  if (warmup > total) throw new OptionError(`cosineScheduler: option warmupEpochs (${warmupEpochs}) must not exceed epochs (${epochs})`);
  // numpy's linspace: start + i·step, the last value set to stop exactly
  const step = warmup > 1 ? (baseValue - startWarmupValue) / (warmup - 1) : 0;
  const values = Array.from({ length: warmup }, (_, i) => startWarmupValue + i * step);
  if (warmup > 1) values[warmup - 1] = baseValue;
  const length = total - warmup;
  for (let j = 0; j < length; j++) values.push(finalValue + 0.5 * (baseValue - finalValue) * (1 + Math.cos((Math.PI * j) / length)));
  return values;
}
