/**
 * Drawing float64 parameters and inputs for the nn gradient checks.
 * The official init (std 0.02) keeps every GELU and softmax almost linear, which would let a wrong
 * second-order term slip through, so parameters are redrawn with values of order one.
 */
import { type CheckGradsOptions, type PyTree, type Tensor, add, arange, reshape, treeFlatten, treeUnflatten } from '../../core/index.js';
import { randomTensor } from '../support/draw.js';

/** Every leaf redrawn uniformly in [−scale, scale] (float64), deterministically from `seed`. */
export function randomizeParams<T extends PyTree>(params: T, seed: number, scale = 0.6): T {
  const [leaves, def] = treeFlatten(params);
  return treeUnflatten<T>(def, leaves.map((leaf: Tensor, i) => randomTensor([...leaf.shape], seed + 7919 * (i + 1), { min: -scale, max: scale })));
}

/**
 * Values in [−½, ½] plus a ramp 0, 1, 2, … along `axis`, so the statistics a normalisation takes
 * along that axis never come near a zero variance (the normalisation's singular point).
 */
export function spreadTensor(shape: number[], seed: number, axis: number): Tensor {
  const ramp = reshape(arange(0, shape[axis], 1, 'float64'), shape.map((d, i) => (i === axis ? d : 1)));
  return add(randomTensor(shape, seed, { min: -0.5, max: 0.5 }), ramp);
}

/**
 * Central differences with step 1e-6 instead of 1e-5: the normalisations (LayerNorm, BatchNorm over
 * three rows) have large third derivatives, and in float64 the smaller step trades a 100× smaller
 * truncation error for a round-off error still below 1e-8.
 */
export const gradCheckOptions: CheckGradsOptions = { eps: 1e-6 };
