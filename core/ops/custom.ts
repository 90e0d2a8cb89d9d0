import { TransformError } from '../errors.js';
import { type OpDef, apply } from '../op.js';
import { type TreeDef, treeFlatten, treeUnflatten } from '../pytree.js';
import type { Tensor } from '../tensor.js';

/** A user's backward rule: cotangents of the inputs, in order, from the residuals and the output cotangent. */
export type CustomBackward = (residuals: any, cotangent: Tensor) => readonly (Tensor | null)[];

interface Attrs {
  readonly name: string;
  readonly backward: CustomBackward;
  /** The op's inputs are `[...arguments, value, ...residual leaves]`: how many arguments, how many leaves. */
  readonly primals: number;
  readonly residualLeaves: number;
  readonly residualDef: TreeDef;
}

/**
 * `customVjp`'s op. The user's forward has already run as ordinary ops, so the value and the residuals
 * are tensors computed from the arguments, and this op only links them: its inputs are
 * `[...arguments, value, ...residual leaves]`, its output is a view of the value, the residuals are
 * its saved values, and its vjp is the user's backward (nothing flows to the value or the residuals).
 * Because those tensors are inputs rather than values captured when the op was made, jit's replay
 * recomputes them from each call's arguments and applies this op to them like any other; and since
 * the forward ran on the tapes, the residuals stay linked to the arguments (gradients of gradients).
 */
export const customVjpOp: OpDef<Attrs, { residuals: unknown }, 'customVjp'> = {
  name: 'customVjp',
  args: [],
  infer: (inputs, { primals }) => ({ shape: inputs[primals].shape, dtype: inputs[primals].dtype }),
  forward: (inputs, { primals }) => ({ view: inputs[primals].storage }),
  save: (inputs, _output, { primals, residualDef }) => ({ residuals: treeUnflatten(residualDef, inputs.slice(primals + 1)) }),
  // d f = the user's rule, for the arguments only
  vjp: (ct, { residuals }, { name, backward, primals, residualLeaves }) => {
    const cts = backward(residuals, ct);
    if (!Array.isArray(cts) || cts.length !== primals) {
      throw new TransformError(`${name}: backward returned ${Array.isArray(cts) ? cts.length : typeof cts} cotangents for ${primals} inputs`);
    }
    return [...cts, ...new Array<null>(1 + residualLeaves).fill(null)];
  },
};

/** Links `value` and `residuals`, computed by the user's forward from `primals`, into one customVjp op. */
export function customVjpApply(name: string, backward: CustomBackward, primals: readonly Tensor[], value: Tensor, residuals: unknown): Tensor {
  const [leaves, residualDef] = treeFlatten(residuals, `${name}: residuals`);
  const attrs: Attrs = { name, backward, primals: primals.length, residualLeaves: leaves.length, residualDef };
  return apply(customVjpOp, [...primals, value, ...leaves], attrs);
}
