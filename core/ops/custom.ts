import type { OpDef } from '../op.js';
import type { Tensor } from '../tensor.js';

/** A user's backward rule: cotangents of the inputs, in order, from the residuals and the output cotangent. */
export type CustomBackward = (residuals: unknown, cotangent: Tensor) => readonly (Tensor | null)[];

type Attrs = { name: string; backward: CustomBackward; residuals: unknown };

/**
 * The record `customVjp` leaves on a tape: its forward already ran (in `core/transforms/custom-vjp.ts`),
 * so this op is never applied eagerly; its vjp is whatever the user gave.
 */
export const customVjpOp: OpDef<Attrs, {}, 'customVjp'> = {
  name: 'customVjp',
  args: [],
  infer: () => {
    throw new Error('customVjp records are made by customVjp(), never applied');
  },
  forward: () => {
    throw new Error('customVjp records are made by customVjp(), never applied');
  },
  save: () => ({}),
  vjp: (ct, _saved, { backward, residuals }) => backward(residuals, ct),
};
