import { zerosLike } from '../creation.js';
import { isFloat } from '../dtype.js';
import { TransformError, formatShape } from '../errors.js';
import { identity } from '../ops/identity.js';
import { type PyTree, type TreeDef, describeTree, sameStructure, treeFlatten, treeUnflatten } from '../pytree.js';
import { Tape, withTape } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { backward } from './backward.js';
import { flattenDifferentiable } from './differentiable.js';

/** Maps cotangents of the output back to cotangents of each primal argument. */
export type VjpFunction<Out> = (cotangent: Out) => PyTree[];

/** How a transform flattens the argument at `index`: with the differentiable check, or leniently (printTape). */
export type FlattenArgument = (primal: unknown, index: number) => [Tensor[], TreeDef];

/**
 * Runs `f` on fresh aliases of every tensor in `primals`, watched by a new tape. The aliases are
 * `identity` ops, so the same tensor passed twice gets two gradients, and outer tapes keep the link.
 */
export function traceOnTape<Out>(f: (...args: any[]) => Out, primals: readonly unknown[], flatten: FlattenArgument): { tape: Tape; out: Out; inputs: Tensor[][]; defs: TreeDef[] } {
  const flattened = primals.map(flatten);
  const tape = new Tape();
  const inputs: Tensor[][] = [];
  const defs: TreeDef[] = [];
  const aliased = flattened.map(([leaves, def]) => {
    const aliases = leaves.map(identity);
    aliases.forEach((alias) => isFloat(alias.dtype) && tape.watch(alias));
    inputs.push(aliases);
    defs.push(def);
    return treeUnflatten(def, aliases);
  });
  const out = withTape(tape, () => f(...aliased));
  return { tape, out, inputs, defs };
}

/**
 * `vjp(f, ...primals)` returns `[f(...primals), vjpFn]`; `vjpFn(ct)` gives, for each primal, the
 * pytree of cotangents Jᵀct. `ct` must match the output's structure, shapes and dtypes. Every leaf
 * of every primal must be a float tensor (the error names the argument and the leaf).
 */
export function vjp<Out>(f: (...args: any[]) => Out, ...primals: unknown[]): [Out, VjpFunction<Out>] {
  return vjpOf('vjp', f, primals, (primal, i) => flattenDifferentiable('vjp', i, primal, 'close over values that are not differentiated instead'));
}

/** `vjp` as `transform` (grad, jvp, checkGrads) sees it: its own name and argument numbers in errors. */
export function vjpOf<Out>(transform: string, f: (...args: any[]) => Out, primals: readonly unknown[], flatten: FlattenArgument): [Out, VjpFunction<Out>] {
  const { tape, out, inputs, defs } = traceOnTape(f, primals, flatten);
  const [outLeaves, outDef] = treeFlatten(out, transform, 'the output');
  const vjpFn = (cotangent: Out): PyTree[] => {
    const [ctLeaves, ctDef] = treeFlatten(cotangent, transform, 'the cotangent');
    if (!sameStructure(outDef, ctDef)) {
      throw new TransformError(`${transform}: the cotangent has structure ${describeTree(ctDef)} but the output has ${describeTree(outDef)}`);
    }
    ctLeaves.forEach((ct, i) => {
      const o = outLeaves[i];
      if (ct.dtype !== o.dtype || ct.shape.length !== o.shape.length || ct.shape.some((d, j) => d !== o.shape[j])) {
        throw new TransformError(`${transform}: cotangent ${i} is ${ct.dtype} ${formatShape(ct.shape)} but the output is ${o.dtype} ${formatShape(o.shape)}`);
      }
    });
    const cts = backward(tape, outLeaves, ctLeaves);
    return inputs.map((aliases, i) => treeUnflatten(defs[i], aliases.map((alias) => cts.get(alias.id) ?? zerosLike(alias))));
  };
  return [out, vjpFn];
}
