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

/** An option outside its allowed values; the message names the option and what is allowed. */
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
