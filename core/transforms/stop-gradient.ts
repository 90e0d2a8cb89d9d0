import { treeMap } from '../pytree.js';
import { Tensor } from '../tensor.js';
import { recordAlias } from '../trace.js';

/**
 * The same values as a tensor no tape has seen, so no gradient flows through it. Works on pytrees.
 * (Zero cost: the result shares the buffer, which immutability makes safe.)
 */
export function stopGradient<T>(tree: T): T {
  return treeMap<T>((leaf) => {
    const detached = new Tensor(leaf.storage);
    recordAlias(leaf, detached);
    return detached;
  }, tree);
}
