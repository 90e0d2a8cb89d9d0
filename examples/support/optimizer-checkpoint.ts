/**
 * AdamW's state in the examples' checkpoints, the same for every harness: the moments as a tree
 * `optimizer.<param>.exp_avg` / `.exp_avg_sq` (PyTorch's names) and each parameter's step count
 * in the `optimizer_steps` metadata, as JSON.
 */
import { type Tensor, zerosLike } from '../../core/index.js';
import { type AdamwSlot, type AdamwState, namedLeaves } from '../../nn/index.js';

export type MomentTree = Record<string, { exp_avg: Tensor; exp_avg_sq: Tensor }>;

/** The tree to save and the step counts to write as `optimizer_steps`. */
export function optimizerTree(optimizer: AdamwState): { moments: MomentTree; steps: Record<string, number> } {
  const moments: MomentTree = {};
  const steps: Record<string, number> = {};
  for (const [name, slot] of Object.entries(optimizer)) {
    moments[name] = { exp_avg: slot.expAvg, exp_avg_sq: slot.expAvgSq };
    steps[name] = slot.step;
  }
  return { moments, steps };
}

/**
 * The shapes to read the moments into: one zero pair per parameter named in `steps`, shaped as that
 * parameter of `params`. A name the model does not have is `unknown(name)`, thrown.
 */
export function momentShapes(steps: Record<string, number>, params: unknown, unknown: (name: string) => Error): MomentTree {
  const byName = new Map(namedLeaves(params));
  const moments: MomentTree = {};
  for (const name of Object.keys(steps)) {
    const param = byName.get(name);
    if (param === undefined) throw unknown(name);
    moments[name] = { exp_avg: zerosLike(param), exp_avg_sq: zerosLike(param) };
  }
  return moments;
}

/** The AdamW state of loaded moments and their step counts. */
export function optimizerState(moments: MomentTree, steps: Record<string, number>): AdamwState {
  const optimizer: Record<string, AdamwSlot> = {};
  for (const [name, slot] of Object.entries(moments)) optimizer[name] = { step: steps[name], expAvg: slot.exp_avg, expAvgSq: slot.exp_avg_sq };
  return optimizer;
}
