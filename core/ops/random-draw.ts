import { type DType, type TypedArray, allocate } from '../dtype.js';
import type { OpDef } from '../op.js';
import { type Shape, sizeOf } from '../shape.js';

/** Turns a key's two uint32 words into the drawn values (a sampler of `core/random.ts` with its options bound). */
export type Sampler = (k0: number, k1: number) => TypedArray;

type Attrs = { sampler: string; shape: Shape; dtype: DType; sample: Sampler };

/**
 * Values drawn from a key. The hashing runs on the host, inside the op, so the key is an input like
 * any other: `jit` records a draw and replays it with the next call's key (drop path in a traced
 * training step), where a sampler reading the key outside an op would be a value read it must refuse.
 * Nothing flows back to a key (int32), so the vjp is empty. A stack of keys [..., 2] (what `vmap`
 * passes) draws `shape` from each key in turn: the same values as one draw per key.
 */
export const randomDrawOp: OpDef<Attrs, {}, 'randomDraw'> = {
  name: 'randomDraw',
  args: ['key'],
  infer: ([key], { shape, dtype }) => ({ shape: [...key.shape.slice(0, -1), ...shape], dtype }),
  forward: ([key], { sample, shape, dtype }) => {
    const words = key.dataSync();
    if (words.length === 2) return { values: sample(words[0] >>> 0, words[1] >>> 0) };
    const each = sizeOf(shape);
    const values = allocate(dtype, (words.length / 2) * each);
    for (let k = 0; k < words.length / 2; k++) values.set(sample(words[2 * k] >>> 0, words[2 * k + 1] >>> 0), k * each);
    return { values };
  },
  save: () => ({}),
  vjp: () => [null],
};
