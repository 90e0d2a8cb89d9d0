import { TransformError } from '../errors.js';
import { customVjpApply } from '../ops/custom.js';
import { anyTapeActive } from '../tape.js';
import { Tensor } from '../tensor.js';
import { tracing } from '../trace.js';

export interface CustomVjpRule<Residuals> {
  /** Computes the output and what the backward needs (a pytree of tensors and plain values). */
  readonly forward: (...inputs: Tensor[]) => [Tensor, Residuals];
  /** Cotangents of the inputs, in order (`null` for none), from the residuals and the output cotangent. */
  readonly backward: (residuals: Residuals, cotangent: Tensor) => readonly (Tensor | null)[];
}

/**
 * Gives `f` (tensors in, one tensor out) a hand-written vjp, as JAX's `custom_vjp`. While a tape or a
 * jit trace records, `rule.forward` runs as ordinary ops (so the residuals stay linked to the inputs and
 * the backward can itself be differentiated) and one `customVjp` op links the inputs, the value and the
 * residuals (`core/ops/custom.ts`); its vjp is `rule.backward`. With nothing recording, it calls `f`.
 */
export function customVjp<Residuals>(f: (...inputs: Tensor[]) => Tensor, rule: CustomVjpRule<Residuals>): (...inputs: Tensor[]) => Tensor {
  const name = f.name || 'customVjp';
  return (...inputs: Tensor[]) => {
    inputs.forEach((input, i) => {
      if (!(input instanceof Tensor)) throw new TransformError(`${name}: argument ${i} must be a Tensor (customVjp takes tensors only)`);
    });
    if (!anyTapeActive() && !tracing()) return f(...inputs);
    const [value, residuals] = rule.forward(...inputs);
    if (!(value instanceof Tensor)) throw new TransformError(`${name}: forward must return [Tensor, residuals], got ${typeof value} as its value`);
    return customVjpApply(name, rule.backward as (residuals: unknown, ct: Tensor) => readonly (Tensor | null)[], inputs, value, residuals);
  };
}
