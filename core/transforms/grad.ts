import { onesLike } from '../creation.js';
import { isFloat } from '../dtype.js';
import { OptionError, TransformError, formatShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import { flattenDifferentiable } from './differentiable.js';
import { vjpOf } from './vjp.js';

export interface GradOptions {
  /** Which positional arguments to differentiate: one index (the gradient is returned bare) or several (a tuple). Default 0. */
  readonly argnums?: number | readonly number[];
  /** `f` returns `[scalarLoss, aux]`; aux is passed through without being differentiated. */
  readonly hasAux?: boolean;
}

/** The `argnums` an options type asks for: 0 when absent, and 0 among the possibilities when it is optional. */
type ArgnumsOf<Options> = Options extends { readonly argnums?: infer Argnums }
  ? unknown extends Argnums
    ? 0
    : undefined extends Argnums
      ? Exclude<Argnums, undefined> | 0
      : Argnums
  : 0;

type GradAt<Args extends readonly unknown[], Argnums> = Argnums extends number
  ? Args[Argnums]
  : Argnums extends readonly number[]
    ? { -readonly [K in keyof Argnums]: Argnums[K] extends number ? Args[Argnums[K]] : never }
    : never;

/**
 * The gradient's type: the differentiated argument's own type (a gradient has its argument's
 * structure), or a tuple of them when `argnums` is an array; a union when the options are not literal.
 */
export type GradOf<Args extends readonly unknown[], Options> = GradAt<Args, ArgnumsOf<Options>>;

function checkArgnums(transform: string, argnums: number | readonly number[], count: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  list.forEach((i) => {
    if (!Number.isInteger(i) || i < 0 || i >= count) {
      throw new OptionError(`${transform}: argnums ${JSON.stringify(argnums)} must index the ${count} arguments (0..${count - 1})`);
    }
  });
  if (new Set(list).size !== list.length) throw new OptionError(`${transform}: argnums ${JSON.stringify(argnums)} repeats an argument`);
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

function gradient<Args extends unknown[]>(transform: string, f: (...args: Args) => unknown, options: GradOptions) {
  const { argnums = 0, hasAux = false } = options;
  return (...args: Args): [unknown, unknown] => {
    const chosen = checkArgnums(transform, argnums, args.length);
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
    // only the chosen arguments are checked: the others may hold anything
    const remedy = 'pass it in an argument outside argnums';
    const flatten = (primal: unknown, i: number) => flattenDifferentiable(transform, chosen[i], primal, remedy);
    const [value, vjpFn] = vjpOf(transform, loss, chosen.map((i) => args[i]), flatten);
    const grads = vjpFn(onesLike(value));
    const gradResult = typeof argnums === 'number' ? grads[0] : grads;
    return [hasAux ? [value, aux] : value, gradResult];
  };
}

/**
 * `valueAndGrad(f, {argnums, hasAux})(...args)` returns `[value, grads]` (with `hasAux`, `[[value, aux], grads]`,
 * which is `f`'s own result). The gradient of each chosen argument has that argument's type and pytree
 * structure; every leaf of a chosen argument must be a float tensor.
 */
export function valueAndGrad<Args extends any[], Out, const Options extends GradOptions = {}>(
  f: (...args: Args) => Out,
  options?: Options,
): (...args: Args) => [Out, GradOf<Args, Options>] {
  return gradient('valueAndGrad', f, options ?? {}) as (...args: Args) => [Out, GradOf<Args, Options>];
}

/** `grad(f)(x)`: the gradient of a scalar-valued `f` with respect to its first argument (or `argnums`), typed as that argument. */
export function grad<Args extends any[], Out, const Options extends GradOptions = {}>(f: (...args: Args) => Out, options?: Options): (...args: Args) => GradOf<Args, Options> {
  const both = gradient('grad', f, options ?? {});
  return (...args: Args) => both(...args)[1] as GradOf<Args, Options>;
}
