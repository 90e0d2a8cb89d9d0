/**
 * fast-check arbitraries for op tests: shapes (rank 0–4, size-1 axes), broadcasting pairs, and float64
 * tensors whose values stay in a range chosen away from the op's kinks and poles.
 */
import fc from 'fast-check';
import { type Tensor, tensor } from '../../core/index.js';

export type Shape = number[];

export const shapeArb = (maxRank = 4, maxDim = 3): fc.Arbitrary<Shape> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 0, maxLength: maxRank });

export const nonScalarShapeArb = (maxRank = 4, maxDim = 3): fc.Arbitrary<Shape> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: maxRank });

/** Two shapes that broadcast together: b drops some leading axes of a and sets some axes to 1, in either order. */
export const broadcastPairArb: fc.Arbitrary<[Shape, Shape]> = fc
  .tuple(shapeArb(), fc.integer({ min: 0, max: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.boolean())
  .map(([a, drop, ones, swap]) => {
    const b = a.slice(Math.min(drop, a.length)).map((d, i) => (ones[i] ? 1 : d));
    return swap ? [b, a] : [a, b];
  });

/** A small deterministic generator, so a drawn seed fixes a tensor's values. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

export interface ValueRange {
  readonly min: number;
  readonly max: number;
  /** Also draw negatives of the range (for ranges that exclude a kink at 0). */
  readonly symmetric?: boolean;
}

export function randomTensor(shape: Shape, seed: number, range: ValueRange = { min: -2, max: 2 }): Tensor {
  const next = seeded(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float64Array.from({ length: size }, () => {
    const magnitude = range.min + (range.max - range.min) * next();
    return range.symmetric && next() < 0.5 ? -magnitude : magnitude;
  });
  return tensor(values, { shape, dtype: 'float64' });
}

/** Values all at least `gap` apart (a shuffled ladder plus jitter): no ties, no near-ties, for max/min. */
export function distinctTensor(shape: Shape, seed: number, gap = 0.1): Tensor {
  const next = seeded(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const ladder = Array.from({ length: size }, (_, i) => (i - size / 2) * gap * 2 + next() * gap * 0.5);
  for (let i = ladder.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [ladder[i], ladder[j]] = [ladder[j], ladder[i]];
  }
  return tensor(Float64Array.from(ladder), { shape, dtype: 'float64' });
}

export const seedArb = fc.integer({ min: 1, max: 2 ** 31 - 1 });
