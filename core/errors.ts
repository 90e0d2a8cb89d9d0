/** Base class of every error tapegrad throws on purpose, so callers can tell them from bugs. */
export class TapegradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an op; the message names the op, the argument and the shapes. */
export class ShapeError extends TapegradError {}

/** Dtypes that do not fit an op; the message names the op and the dtypes. */
export class DTypeError extends TapegradError {}

/**
 * An option or argument of the wrong kind (an unknown key, a string for a number, a tensor where an
 * array of tensors belongs) or outside its allowed values; the message names the op, the option and
 * what is allowed.
 */
export class OptionError extends TapegradError {}

/** A transform used against its contract (grad of a non-scalar, a cotangent of the wrong shape). */
export class TransformError extends TapegradError {}

/** checkGrads found a derivative that disagrees with finite differences. */
export class GradientCheckError extends TapegradError {}

/** A function asked for what this host lacks (a Node-only function in a browser, too old a Node). */
export class PlatformError extends TapegradError {}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Debug mode for non-finite values (`setDebugNans`, `TAPEGRAD_DEBUG_NANS=1`): an op's output held NaN or Inf. */
export class NonFiniteError extends TapegradError {
  constructor(
    message: string,
    /** The op whose output held the value. */
    readonly op: string,
    /** `forward`, or `vjp` when the op ran inside another op's vjp (a backward pass). */
    readonly phase: 'forward' | 'vjp',
  ) {
    super(message);
  }
}

/** A backend that cannot start on this machine; the message says why and what would make it start. */
export class BackendError extends TapegradError {}
