import { zerosLike } from '../creation.js';
import { TransformError, formatShape } from '../errors.js';
import { describeTree, sameStructure, treeFlatten, treeUnflatten } from '../pytree.js';
import { Tape, withTape } from '../tape.js';
import { backward } from './backward.js';
import { flattenDifferentiable } from './differentiable.js';
import { vjpOf } from './vjp.js';

/**
 * Forward mode by transposing reverse mode: u ↦ Jᵀu is linear, and its own vjp applied to the
 * tangent t is (Jᵀ)ᵀt = Jt. So `jvp` records the vjp on a tape watching a placeholder u, then walks
 * that tape backwards with t. Every vjp is made of ops, which is what makes this work.
 * Returns `[f(...primals), J·tangents]`. Every leaf of every primal must be a float tensor.
 */
export function jvp<Out>(f: (...args: any[]) => Out, primals: readonly unknown[], tangents: readonly unknown[]): [Out, Out] {
  if (primals.length !== tangents.length) {
    throw new TransformError(`jvp: ${primals.length} primals but ${tangents.length} tangents`);
  }
  const flatten = (primal: unknown, i: number) => flattenDifferentiable('jvp', i, primal, 'close over values that are not differentiated instead');
  primals.forEach(flatten);
  const [primalLeaves, primalDef] = treeFlatten(primals, 'jvp', 'the primals');
  const [tangentLeaves, tangentDef] = treeFlatten(tangents, 'jvp', 'the tangents');
  if (!sameStructure(primalDef, tangentDef)) {
    throw new TransformError(`jvp: tangents have structure ${describeTree(tangentDef)} but primals have ${describeTree(primalDef)}`);
  }
  tangentLeaves.forEach((t, i) => {
    const p = primalLeaves[i];
    if (t.dtype !== p.dtype || t.shape.join() !== p.shape.join()) {
      throw new TransformError(`jvp: tangent ${i} is ${t.dtype} ${formatShape(t.shape)} but its primal is ${p.dtype} ${formatShape(p.shape)}`);
    }
  });

  const [out, vjpFn] = vjpOf('jvp', f, primals, flatten);
  const [outLeaves, outDef] = treeFlatten(out);
  const placeholderTape = new Tape();
  const placeholders = outLeaves.map(zerosLike);
  placeholders.forEach((u) => placeholderTape.watch(u));
  const transposed = withTape(placeholderTape, () => vjpFn(treeUnflatten(outDef, placeholders) as Out));
  const [transposedLeaves] = treeFlatten(transposed);
  const cts = backward(placeholderTape, transposedLeaves, tangentLeaves);
  const tangentOut = placeholders.map((u) => cts.get(u.id) ?? zerosLike(u));
  return [out, treeUnflatten(outDef, tangentOut) as Out];
}

