import { onesLike } from '../creation.js';
import { isFloat } from '../dtype.js';
import { OptionError, TransformError, formatShape } from '../errors.js';
import type { PyTree } from '../pytree.js';
import { Tensor } from '../tensor.js';
import { vjp } from './vjp.js';

export interface GradOptions {
  /** Which positional arguments to differentiate: one index (the gradient is returned bare) or several (a tuple). Default 0. */
  readonly argnums?: number | readonly number[];
  /** `f` returns `[scalarLoss, aux]`; aux is passed through without being differentiated. */
  readonly hasAux?: boolean;
}

function checkArgnums(argnums: number | readonly number[], count: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  list.forEach((i) => {
    if (!Number.isInteger(i) || i < 0 || i >= count) {
      throw new OptionError(`grad: argnums ${JSON.stringify(argnums)} must index the ${count} arguments (0..${count - 1})`);
    }
  });
  if (new Set(list).size !== list.length) throw new OptionError(`grad: argnums ${JSON.stringify(argnums)} repeats an argument`);
  return list;
}

function requireScalar(transform: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) {
    throw new TransformError(`${transform}: f must return a scalar Tensor, got ${Array.isArray(value) ? 'an array (pass {hasAux: true} to return [loss, aux])' : typeof value}`);
  }
  if (value.rank !== 0) {
    throw new TransformError(`${transform}: f must return a scalar (shape []), got shape ${formatShape(value.shape)}; reduce it (sum, mean) or use vjp`);
  }
  if (!isFloat(value.dtype)) throw new TransformError(`${transform}: f must return a float scalar, got ${value.dtype}`);
  return value;
}

/**
 * `valueAndGrad(f, {argnums, hasAux})(...args)` returns `[value, grads]` (with `hasAux`, `[[value, aux], grads]`).
 * The gradient of each chosen argument has that argument's pytree structure.
 */
export function valueAndGrad<Args extends any[]>(f: (...args: Args) => unknown, options: GradOptions = {}) {
  const { argnums = 0, hasAux = false } = options;
  const transform = 'grad';
  return (...args: Args): [unknown, PyTree] => {
    const chosen = checkArgnums(argnums, args.length);
    let aux: unknown;
    const loss = (...diffArgs: unknown[]) => {
      const full = [...args] as unknown[];
      chosen.forEach((argIndex, i) => (full[argIndex] = diffArgs[i]));
      const result = f(...(full as Args));
      if (!hasAux) return requireScalar(transform, result);
      if (!Array.isArray(result) || result.length !== 2) throw new TransformError(`${transform}: with hasAux, f must return [loss, aux]`);
      aux = result[1];
      return requireScalar(transform, result[0]);
    };
    const [value, vjpFn] = vjp(loss, ...chosen.map((i) => args[i]));
    const grads = vjpFn(onesLike(value));
    const gradResult = typeof argnums === 'number' ? grads[0] : grads;
    return [hasAux ? [value, aux] : value, gradResult];
  };
}

/** `grad(f)(x)`: the gradient of a scalar-valued `f` with respect to its first argument (or `argnums`). */
export function grad<Args extends any[]>(f: (...args: Args) => unknown, options: GradOptions = {}) {
  const both = valueAndGrad(f, options);
  return (...args: Args): any => both(...args)[1];
}
