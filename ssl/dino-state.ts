/** The state a DINO run carries from one iteration to the next, and its start. */
import { type PyTree, type Tensor, treeLeaves, zeros } from '../core/index.js';
import { type AdamwMoments, type AdamwState, initAdamw } from '../nn/index.js';
import { type DinoHyperparams, withDinoDefaults } from './dino-hyperparams.js';
import type { DinoModel } from './dino-model.js';
import { type DinoSchedules, dinoSchedules } from './dino-schedules.js';

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
    hyperparams: withDinoDefaults(hyperparams),
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
