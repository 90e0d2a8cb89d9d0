import { TapegradError } from '../core/errors.js';

/** A training step whose loss came out NaN or infinite; the state after it would be useless, so the step refuses to return it. */
export class NonFiniteLossError extends TapegradError {
  constructor(
    /** The step function that refused (`dinoStep`, …). */
    readonly stepFunction: string,
    /** The step counter of the state the step started from. */
    readonly step: number,
    /** The non-finite loss value. */
    readonly value: number,
  ) {
    super(`${stepFunction}: loss is ${value} at step ${step}, stopping training`);
  }
}
