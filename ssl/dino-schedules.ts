/** DINO's schedules (docs/dino.md §6): lr, weight decay and teacher momentum per iteration, τt per epoch. */
import { OptionError } from '../core/index.js';
import { cosineScheduler } from '../nn/index.js';
import { momentumSchedule } from './ema.js';
import { type DinoHyperparams, withDinoDefaults } from './dino-hyperparams.js';

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

/** The per-iteration lr, wd and momentum, and the per-epoch teacher temperature. */
export interface DinoSchedules {
  readonly lr: readonly number[];
  readonly weightDecay: readonly number[];
  readonly momentum: readonly number[];
  readonly teacherTemp: readonly number[];
}

/** The four schedules of `train_dino` for these hyper-parameters. */
export function dinoSchedules(hyperparams: DinoHyperparams): DinoSchedules {
  const h = withDinoDefaults(hyperparams);
  const common = { epochs: h.epochs, niterPerEp: h.itersPerEpoch };
  return {
    lr: cosineScheduler({ baseValue: h.lr, finalValue: h.minLr, warmupEpochs: h.warmupEpochs, ...common }),
    weightDecay: cosineScheduler({ baseValue: h.weightDecay, finalValue: h.weightDecayEnd, ...common }),
    momentum: momentumSchedule({ base: h.momentumTeacher, epochs: h.epochs, itersPerEpoch: h.itersPerEpoch }),
    teacherTemp: teacherTempSchedule({ warmupTeacherTemp: h.warmupTeacherTemp, teacherTemp: h.teacherTemp, warmupEpochs: h.warmupTeacherTempEpochs, epochs: h.epochs }),
  };
}
