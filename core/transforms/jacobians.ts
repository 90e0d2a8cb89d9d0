/**
 * Whole Jacobians, as JAX's `jacfwd`, `jacrev` and `hessian`: one `vmap` over a basis of tangents
 * (forward mode, a column per input element) or of cotangents (reverse mode, a row per output
 * element), so every column or row comes from the same batched kernels.
 *
 * For an output leaf of shape O and an input leaf of shape I the block has shape [...O, ...I]. The
 * result has the output's structure with each leaf replaced by the differentiated arguments'
 * structure (one argument bare for a number `argnums`, a list for an array), as in JAX.
 */
import { eye, zerosLike } from '../creation.js';
import { OptionError, TransformError } from '../errors.js';
import { reshape } from '../ops/reshape.js';
import { type PyTree, treeFlatten, treeMap, treeUnflatten } from '../pytree.js';
import type { Tensor } from '../tensor.js';
import { moveAxis } from '../batching/batched.js';
import { jvp } from './jvp.js';
import { vjp } from './vjp.js';
import { vmap } from './vmap.js';
import type { AxisSpec } from './vmap-axes.js';

export interface JacobianOptions {
  /** Which positional arguments to differentiate: one index (its Jacobian is returned bare) or several. Default 0. */
  readonly argnums?: number | readonly number[];
}

/** The identity of size n as n one-hot tensors of `like`'s shape, stacked: [n, ...shape]. */
const basisLike = (like: Tensor) => reshape(eye(like.size, like.size, like.dtype), [like.size, ...like.shape]);

function chosenArguments(transform: string, argnums: number | readonly number[], count: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  if (list.length === 0 || list.some((i) => !Number.isInteger(i) || i < 0 || i >= count) || new Set(list).size !== list.length) {
    throw new OptionError(`${transform}: argnums ${JSON.stringify(argnums)} must be distinct indices of the ${count} arguments (0..${count - 1})`);
  }
  return list;
}

/** `f` as a function of the chosen arguments only, the others fixed at `args`. */
function ofChosen(f: (...args: any[]) => unknown, args: readonly unknown[], chosen: readonly number[]) {
  return (...diffArgs: unknown[]) => {
    const full = [...args];
    chosen.forEach((argIndex, i) => (full[argIndex] = diffArgs[i]));
    return f(...full);
  };
}

/** Nests per (output leaf, input leaf) blocks: the output's structure of the inputs' structure. */
function assemble(outDef: ReturnType<typeof treeFlatten>[1], inDef: ReturnType<typeof treeFlatten>[1], blocks: (output: number, input: number) => Tensor, outCount: number, inCount: number, bare: boolean): PyTree {
  const perOutput = Array.from({ length: outCount }, (_, o) => {
    const tree = treeUnflatten<PyTree[]>(inDef, Array.from({ length: inCount }, (_, i) => blocks(o, i)));
    return bare ? tree[0] : tree;
  });
  return treeUnflatten(outDef, perOutput);
}

/** Forward mode: one jvp per input element, batched by vmap; best when inputs are fewer than outputs. */
export function jacfwd(f: (...args: any[]) => unknown, options: JacobianOptions = {}): (...args: any[]) => any {
  const { argnums = 0 } = options;
  return (...args: unknown[]) => {
    const chosen = chosenArguments('jacfwd', argnums, args.length);
    const primals = chosen.map((i) => args[i]);
    const g = ofChosen(f, args, chosen);
    const [inLeaves, inDef] = treeFlatten(primals);
    if (inLeaves.length === 0) throw new TransformError(`jacfwd: arguments ${JSON.stringify(argnums)} hold no tensor to differentiate`);
    let outDef: ReturnType<typeof treeFlatten>[1] | undefined;
    // columns[i][o]: d output o / d input leaf i, shaped [...O, ...I]
    const columns = inLeaves.map((leaf, i) => {
      const tangents = treeUnflatten<unknown[]>(inDef, inLeaves.map((other, j) => (j === i ? basisLike(leaf) : zerosLike(other))));
      const inAxes = [treeUnflatten<AxisSpec>(inDef, inLeaves.map((_, j) => (j === i ? 0 : null)))];
      const pushed = vmap((t: unknown[]) => jvp(g, primals, t)[1], { inAxes })(tangents);
      const [outLeaves, def] = treeFlatten(pushed);
      outDef = def;
      return outLeaves.map((column) => reshape(moveAxis(column, 0, column.rank - 1), [...column.shape.slice(1), ...leaf.shape]));
    });
    return assemble(outDef!, inDef, (o, i) => columns[i][o], columns[0].length, inLeaves.length, typeof argnums === 'number');
  };
}

/** Reverse mode: one vjp per output element, batched by vmap; best when outputs are fewer than inputs. */
export function jacrev(f: (...args: any[]) => unknown, options: JacobianOptions = {}): (...args: any[]) => any {
  const { argnums = 0 } = options;
  return (...args: unknown[]) => {
    const chosen = chosenArguments('jacrev', argnums, args.length);
    const [out, vjpFn] = vjp(ofChosen(f, args, chosen), ...chosen.map((i) => args[i]));
    const [outLeaves, outDef] = treeFlatten(out);
    const [inLeaves, inDef] = treeFlatten(chosen.map((i) => args[i]));
    // rows[o][i]: d output o / d input leaf i, shaped [...O, ...I]
    const rows = outLeaves.map((leaf, o) => {
      const cotangent = treeUnflatten(outDef, outLeaves.map((other, k) => (k === o ? basisLike(leaf) : zerosLike(other))));
      const inAxes = [treeUnflatten<AxisSpec>(outDef, outLeaves.map((_, k) => (k === o ? 0 : null)))];
      const pulled = vmap((ct: unknown) => vjpFn(ct as typeof out), { inAxes })(cotangent);
      return treeFlatten(treeMap((row: Tensor) => reshape(row, [...leaf.shape, ...row.shape.slice(1)]), pulled))[0];
    });
    return assemble(outDef, inDef, (o, i) => rows[o][i], outLeaves.length, inLeaves.length, typeof argnums === 'number');
  };
}

/** The Hessian of a scalar `f`: forward over reverse, `jacfwd(jacrev(f))`, blocks [...I, ...I]. */
export function hessian(f: (...args: any[]) => unknown, options: JacobianOptions = {}): (...args: any[]) => any {
  return jacfwd(jacrev(f, options), options);
}
