import { treeMap } from '../pytree.js';
import { Tensor } from '../tensor.js';

/**
 * The same values as a tensor no tape has seen, so no gradient flows through it. Works on pytrees.
 * (Zero cost: the result shares the buffer, which immutability makes safe.)
 */
export function stopGradient<T>(tree: T): T {
  return treeMap<T>((leaf) => new Tensor(leaf.storage), tree);
}
