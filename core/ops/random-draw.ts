import type { DType, TypedArray } from '../dtype.js';
import type { OpDef } from '../op.js';
import type { Shape } from '../shape.js';

/** Turns a key's two uint32 words into the drawn values (a sampler of `core/random.ts` with its options bound). */
export type Sampler = (k0: number, k1: number) => TypedArray;

type Attrs = { sampler: string; shape: Shape; dtype: DType; sample: Sampler };

/**
 * Values drawn from a key. The hashing runs on the host, inside the op, so the key is an input like
 * any other: `jit` records a draw and replays it with the next call's key (drop path in a traced
 * training step), where a sampler reading the key outside an op would be a value read it must refuse.
 * Nothing flows back to a key (int32), so the vjp is empty.
 */
export const randomDrawOp: OpDef<Attrs, {}, 'randomDraw'> = {
  name: 'randomDraw',
  args: ['key'],
  infer: (_inputs, { shape, dtype }) => ({ shape, dtype }),
  forward: ([key], { sample }) => {
    const words = key.dataSync();
    return { values: sample(words[0] >>> 0, words[1] >>> 0) };
  },
  save: () => ({}),
  vjp: () => [null],
};
