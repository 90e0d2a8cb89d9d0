/**
 * Splitting PRNG keys per sublayer, Equinox style: each layer takes one key and hands each child its
 * own. A forward pass without a key (eval) hands every child `undefined`.
 */
import type { Tensor } from '../core/index.js';
import { random } from '../core/random.js';

/** `n` independent keys from `key`. */
export function splitKey(key: Tensor, n: number): Tensor[] {
  return random.split(key, n);
}

/** `n` keys from `key`, or `n` undefineds when there is no key (an eval-mode forward). */
export function splitOptionalKey(key: Tensor | undefined, n: number): (Tensor | undefined)[] {
  return key === undefined ? new Array<undefined>(n).fill(undefined) : random.split(key, n);
}
