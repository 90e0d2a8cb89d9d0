import { stopGradientTensor } from '../ops/stop-gradient.js';
import { treeMap } from '../pytree.js';

/** The same values with no gradient flowing back, leaf by leaf over a pytree (one `stopGradient` op each). */
export function stopGradient<T>(tree: T): T {
  return treeMap(stopGradientTensor, tree);
}
