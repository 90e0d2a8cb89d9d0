import { OptionError } from '../errors.js';
import { type OpDef, apply } from '../op.js';
import { checkArgument, checkNoOptions, checkTensor, option } from '../options.js';
import type { Tensor } from '../tensor.js';

type Attrs = { perm: readonly number[] };

/** Permutes axes as a view: output axis i is input axis perm[i]. */
export const transposeOp: OpDef<Attrs, {}, 'transpose'> = {
  name: 'transpose',
  args: ['x'],
  infer: ([x], { perm }) => ({ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }),
  forward: ([x], { perm }) => ({ view: x.storage.transpose(...perm) }),
  save: () => ({}),
  // a permutation's transpose is its inverse permutation
  vjp: (ct, _saved, { perm }) => [transpose(ct, inversePermutation(perm))],
};

export function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

/** Permutes the axes of `x`; without `perm`, reverses them (as NumPy and JAX do). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  checkTensor('transpose', 'x', x);
  if (perm !== undefined) checkArgument('transpose', 'perm', perm, option.integers);
  const order = perm ?? Array.from({ length: x.rank }, (_, i) => x.rank - 1 - i);
  const sorted = [...order].map((p) => (p < 0 ? p + x.rank : p)).sort((a, b) => a - b);
  if (order.length !== x.rank || !sorted.every((p, i) => p === i)) {
    throw new OptionError(`transpose: perm ${JSON.stringify(order)} is not a permutation of the ${x.rank} axes of x`);
  }
  const resolved = order.map((p) => (p < 0 ? p + x.rank : p));
  if (resolved.every((p, i) => p === i)) return x;
  return apply(transposeOp, [x], { perm: resolved });
}

/** Swaps the last two axes: the matrix transpose of a batch of matrices. */
export function matrixTranspose(x: Tensor): Tensor {
  checkTensor('matrixTranspose', 'x', x);
  checkNoOptions('matrixTranspose', arguments, ['x']);
  if (x.rank < 2) throw new OptionError(`matrixTranspose: x needs rank ≥ 2, got rank ${x.rank}`);
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}
