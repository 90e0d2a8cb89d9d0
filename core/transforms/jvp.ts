import { zerosLike } from '../creation.js';
import { TransformError, formatShape } from '../errors.js';
import { describeTree, sameStructure, treeFlatten, treeUnflatten } from '../pytree.js';
import { Tape, withTape } from '../tape.js';
import { backward } from './backward.js';
import { vjp } from './vjp.js';

/**
 * Forward mode by transposing reverse mode: u ↦ Jᵀu is linear, and its own vjp applied to the
 * tangent t is (Jᵀ)ᵀt = Jt. So `jvp` records the vjp on a tape watching a placeholder u, then walks
 * that tape backwards with t. Every vjp is made of ops, which is what makes this work.
 * Returns `[f(...primals), J·tangents]`.
 */
export function jvp<Out>(f: (...args: any[]) => Out, primals: readonly unknown[], tangents: readonly unknown[]): [Out, Out] {
  if (primals.length !== tangents.length) {
    throw new TransformError(`jvp: ${primals.length} primals but ${tangents.length} tangents`);
  }
  const [primalLeaves, primalDef] = treeFlatten(primals);
  const [tangentLeaves, tangentDef] = treeFlatten(tangents);
  if (!sameStructure(primalDef, tangentDef)) {
    throw new TransformError(`jvp: tangents have structure ${describeTree(tangentDef)} but primals have ${describeTree(primalDef)}`);
  }
  tangentLeaves.forEach((t, i) => {
    const p = primalLeaves[i];
    if (t.dtype !== p.dtype || t.shape.join() !== p.shape.join()) {
      throw new TransformError(`jvp: tangent ${i} is ${t.dtype} ${formatShape(t.shape)} but its primal is ${p.dtype} ${formatShape(p.shape)}`);
    }
  });

  const [out, vjpFn] = vjp(f, ...primals);
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

