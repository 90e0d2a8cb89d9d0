import { isFloat } from '../dtype.js';
import { TransformError } from '../errors.js';
import { type TreeDef, describeValue, treeFlatten, treePaths } from '../pytree.js';
import type { Tensor } from '../tensor.js';

/**
 * Flattens one argument a transform differentiates, refusing every leaf it could not give a gradient:
 * an integer tensor, a plain number or string (which a non-differentiated pytree would keep as static),
 * a class instance or a Map. `null` and `undefined` are empty nodes, as `None` is in JAX. The error
 * names the transform, the argument and the leaf's path (`grad: argument 0, leaf .w is …`).
 */
export function flattenDifferentiable(transform: string, argIndex: number, argument: unknown, remedy: string): [Tensor[], TreeDef] {
  const place = `argument ${argIndex}`;
  const [leaves, def] = treeFlatten(argument, transform, place);
  const paths = treePaths(def);
  const refuse = (path: string, what: string, allowed: string) => {
    throw new TransformError(`${transform}: ${place}${path ? `, leaf ${path}` : ''} is ${what}; ${allowed}; ${remedy}`);
  };
  leaves.forEach((leaf, i) => {
    if (!isFloat(leaf.dtype)) refuse(paths.leaves[i], `an ${leaf.dtype} tensor`, 'only float32 and float64 tensors can be differentiated (cast it)');
  });
  for (const { path, value } of paths.statics) {
    if (value === null || value === undefined) continue;
    const allowed = typeof value === 'number' ? `a differentiated number must be a float tensor (scalar(${value}))` : 'a differentiated argument holds float tensors only';
    refuse(path, describeValue(value), allowed);
  }
  return [leaves, def];
}
