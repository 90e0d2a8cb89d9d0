import { TransformError } from '../errors.js';
import { type CustomBackward, customVjpOp } from '../ops/custom.js';
import { anyTapeActive, recordOnActiveTapes } from '../tape.js';
import { Tensor } from '../tensor.js';
import { recordAlias } from '../trace.js';

export interface CustomVjpRule<Residuals> {
  /** Computes the output and what the backward needs. */
  readonly forward: (...inputs: Tensor[]) => [Tensor, Residuals];
  /** Cotangents of the inputs, in order (`null` for none), from the residuals and the output cotangent. */
  readonly backward: (residuals: Residuals, cotangent: Tensor) => readonly (Tensor | null)[];
}

/**
 * Gives `f` (tensors in, one tensor out) a hand-written vjp, as JAX's `custom_vjp`. The forward runs
 * with tapes active, so the residuals stay linked to the inputs and the backward can itself be
 * differentiated; the tape then holds one `customVjp` record whose vjp is `backward`.
 */
export function customVjp<Residuals>(f: (...inputs: Tensor[]) => Tensor, rule: CustomVjpRule<Residuals>): (...inputs: Tensor[]) => Tensor {
  const name = f.name || 'customVjp';
  return (...inputs: Tensor[]) => {
    inputs.forEach((input, i) => {
      if (!(input instanceof Tensor)) throw new TransformError(`${name}: argument ${i} must be a Tensor (customVjp takes tensors only)`);
    });
    if (!anyTapeActive()) return f(...inputs);
    const [value, residuals] = rule.forward(...inputs);
    const output = new Tensor(value.storage);
    recordAlias(value, output);
    const backward: CustomBackward = (saved, ct) => {
      const cts = rule.backward(saved as Residuals, ct);
      if (cts.length !== inputs.length) {
        throw new TransformError(`${name}: backward returned ${cts.length} cotangents for ${inputs.length} inputs`);
      }
      return cts;
    };
    recordOnActiveTapes(customVjpOp, inputs, output, { name, backward, residuals }, () => ({}));
    return output;
  };
}
