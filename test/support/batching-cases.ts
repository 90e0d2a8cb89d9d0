/**
 * One fast-check arbitrary per primitive for the batching-rule tests: a function that applies the op
 * and the arguments of each example (same shapes, different values). The table is typed over
 * `OpName`, so a new op without a batching case does not compile. Most cases reuse the gradient
 * cases' functions and shapes, with each example's float arguments scaled by its own positive
 * factor (which keeps them inside the op's domain); ops whose interesting arguments are masks,
 * indices or keys draw those per example here.
 */
import fc from 'fast-check';
import * as tg from '../../core/index.js';
import type { OpName, Tensor } from '../../core/index.js';
import { identity } from '../../core/ops/identity.js';
import { type Shape, broadcastPairArb, nonScalarShapeArb, randomTensor, seedArb, seeded } from './draw.js';
import { gradientCases } from './gradient-cases.js';

export interface BatchCase {
  readonly f: (...args: Tensor[]) => Tensor;
  /** The arguments of example `index`: the same shapes and dtypes for every index. */
  readonly example: (index: number) => Tensor[];
}

/** An op vmap refuses to batch, with the reason; its test checks the refusal instead. */
export interface RefusedCase {
  readonly refused: string;
}

const scaled = (t: Tensor, index: number) => (t.dtype === 'int32' ? t : tg.mul(t, 1 + 0.375 * index));

/** The gradient case's function and shapes; example i's float arguments times 1 + 0.375 i. */
const fromGradientCase = (name: OpName) => gradientCases[name].map(({ f, args }): BatchCase => ({ f, example: (i) => args.map((a) => scaled(a, i)) }));

/** Values in {−1, 0, 1}, so masks, ties and equalities all occur. */
const smallIntegers = (shape: Shape, seed: number) => {
  const values = randomTensor(shape, seed, { min: -1.5, max: 1.5 }).dataSync();
  return tg.tensor(Float64Array.from(values, Math.round), { shape, dtype: 'float64' });
};

const comparisonCase = (f: (a: Tensor, b: Tensor) => Tensor) =>
  fc.tuple(broadcastPairArb, seedArb).map(([[sa, sb], seed]): BatchCase => ({ f, example: (i) => [smallIntegers(sa, seed + 2 * i), smallIntegers(sb, seed + 2 * i + 1)] }));

const intTensor = (shape: Shape, seed: number, below: number) => {
  const next = seeded(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tg.tensor(Int32Array.from({ length: size }, () => Math.floor(next() * below)), { shape, dtype: 'int32' });
};

const indexShapeArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.boolean()).map(([count, matrix]): Shape => (matrix ? [2, count] : [count]));

// indices per example (or shared, when vmap leaves them unbatched)
const takeCase = fc
  .tuple(nonScalarShapeArb(3), seedArb, indexShapeArb)
  .chain(([shape, seed, indexShape]) => fc.integer({ min: 0, max: shape.length - 1 }).map((axis) => ({ shape, seed, indexShape, axis })))
  .map(({ shape, seed, indexShape, axis }): BatchCase => ({
    f: (x, indices) => tg.take(x, indices, axis),
    example: (i) => [randomTensor(shape, seed + 2 * i), intTensor(indexShape, seed + 2 * i + 1, shape[axis])],
  }));

const scatterAddCase = fc
  .tuple(nonScalarShapeArb(3), seedArb, indexShapeArb, fc.integer({ min: 1, max: 4 }))
  .chain(([shape, seed, indexShape, size]) => fc.integer({ min: 0, max: shape.length - 1 }).map((axis) => ({ shape, seed, indexShape, size, axis })))
  .map(({ shape, seed, indexShape, size, axis }): BatchCase => {
    const updatesShape = [...shape.slice(0, axis), ...indexShape, ...shape.slice(axis + 1)];
    return {
      f: (updates, indices) => tg.scatterAdd(updates, indices, axis, size),
      example: (i) => [randomTensor(updatesShape, seed + 2 * i), intTensor(indexShape, seed + 2 * i + 1, size)],
    };
  });

// a mask per example
const whereCase = fc.tuple(broadcastPairArb, seedArb).map(([[sa, sb], seed]): BatchCase => ({
  f: (condition, a, b) => tg.where(condition, a, b),
  example: (i) => [tg.greater(randomTensor(sa, seed + 3 * i + 2), 0), randomTensor(sa, seed + 3 * i), randomTensor(sb, seed + 3 * i + 1)],
}));

// a key per example: a float draw scaling x, and an int32 draw (split) sliced into a key
const randomDrawCase = fc.tuple(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }), seedArb, fc.boolean()).map(([shape, seed, splitFirst]): BatchCase => ({
  f: (key, x) => {
    const drawKey = splitFirst ? tg.random.split(key, 3)[1] : key;
    return tg.mul(x, tg.random.normal(drawKey, shape, { dtype: 'float64' }));
  },
  example: (i) => [tg.random.foldIn(tg.random.key(seed), i), randomTensor(shape, seed + i)],
}));

// sign keeps its sign under a positive factor, so examples alternate the sign as well
const signCase = fc.tuple(nonScalarShapeArb(), seedArb).map(([shape, seed]): BatchCase => ({ f: tg.sign, example: (i) => [smallIntegers(shape, seed + i)] }));

export const batchingCases: { readonly [Name in OpName]: fc.Arbitrary<BatchCase> | RefusedCase } = {
  neg: fromGradientCase('neg'),
  exp: fromGradientCase('exp'),
  log: fromGradientCase('log'),
  log1p: fromGradientCase('log1p'),
  sqrt: fromGradientCase('sqrt'),
  rsqrt: fromGradientCase('rsqrt'),
  square: fromGradientCase('square'),
  abs: fromGradientCase('abs'),
  sign: signCase,
  tanh: fromGradientCase('tanh'),
  sigmoid: fromGradientCase('sigmoid'),
  relu: fromGradientCase('relu'),
  erf: fromGradientCase('erf'),
  gelu: fromGradientCase('gelu'),
  geluDerivative: fromGradientCase('geluDerivative'),
  sin: fromGradientCase('sin'),
  cos: fromGradientCase('cos'),
  reciprocal: fromGradientCase('reciprocal'),
  powScalar: fromGradientCase('powScalar'),
  add: fromGradientCase('add'),
  sub: fromGradientCase('sub'),
  mul: fromGradientCase('mul'),
  div: fromGradientCase('div'),
  pow: fromGradientCase('pow'),
  maximum: comparisonCase(tg.maximum),
  minimum: comparisonCase(tg.minimum),
  greater: comparisonCase(tg.greater),
  greaterEqual: comparisonCase(tg.greaterEqual),
  less: comparisonCase(tg.less),
  equal: comparisonCase(tg.equal),
  where: whereCase,
  sum: fromGradientCase('sum'),
  max: fromGradientCase('max'),
  min: fromGradientCase('min'),
  matmul: fromGradientCase('matmul'),
  standardize: fromGradientCase('standardize'),
  scaleShift: fromGradientCase('scaleShift'),
  softmax: fromGradientCase('softmax'),
  logSoftmax: fromGradientCase('logSoftmax'),
  identity: fromGradientCase('identity').map((c) => ({ ...c, f: identity })),
  reshape: fromGradientCase('reshape'),
  transpose: fromGradientCase('transpose'),
  broadcastTo: fromGradientCase('broadcastTo'),
  slice: fromGradientCase('slice'),
  flip: fromGradientCase('flip'),
  pad: fromGradientCase('pad'),
  concat: fromGradientCase('concat'),
  take: takeCase,
  scatterAdd: scatterAddCase,
  // one cast (the gradient case casts there and back, which would hide a rule applied twice)
  cast: fromGradientCase('exp').map((c) => ({ ...c, f: (x: Tensor) => tg.cast(x, 'float32') })),
  randomDraw: randomDrawCase,
  // forward only: under a tape or an outer trace the rule refuses (test/core/vmap.test.ts)
  customVjp: fromGradientCase('customVjp'),
  // its value (the gradient case's cancels the held value out exactly, so a wrong rule would hide there)
  stopGradient: fromGradientCase('exp').map((c) => ({ ...c, f: (x: Tensor) => tg.stopGradient(tg.sin(x)) })),
};
