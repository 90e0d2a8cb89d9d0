/**
 * Batching rules, one per primitive, in a table typed over the op names (as the vjp table is): a
 * primitive without a rule does not compile. A rule runs only when some input is batched, and builds
 * the batched result with ordinary ops, so tapes, traces and outer vmaps record it.
 */
import { TransformError } from '../errors.js';
import { apply } from '../op.js';
import { anyTapeActive } from '../tape.js';
import { tracing } from '../trace.js';
import { add, mul } from '../ops/binary.js';
import { broadcastTo } from '../ops/broadcast.js';
import { matmul } from '../ops/matmul.js';
import type { OpName } from '../ops/names.js';
import { reshape } from '../ops/reshape.js';
import { transpose } from '../ops/transpose.js';
import { batchAt, batchedAxis, insertAt, moveAxis } from './batched.js';
import { scatterAddRule, takeRule } from './gather-rules.js';
import { type BatchRule, firstBatched } from './rule.js';

// f(x_b, y_b, …) elementwise: line the batch axes up (unbatched operands repeat along it) and apply once
const elementwise: BatchRule = ({ op, inputs, attrs, size }) => {
  const { axis } = firstBatched(inputs);
  return { value: apply(op, inputs.map((input) => batchAt(input, axis, size)), attrs), axis };
};

// reducing axes A of x_b: the same axes, shifted past the batch axis
const reduction: BatchRule<{ axes: readonly number[]; keepDims: boolean }> = ({ op, inputs: [x], attrs: { axes, keepDims } }) => {
  const b = x.axis!;
  const axis = keepDims ? b : b - axes.filter((a) => a < b).length;
  return { value: apply(op, [x.value], { axes: axes.map((a) => batchedAxis(a, b)), keepDims }), axis };
};

// A_b B_b: a batched matrix product with the examples as the leading batch axis
const matmulRule: BatchRule = ({ inputs }) => {
  const [a, b] = inputs.map(({ value, axis }) => (axis === null ? value : moveAxis(value, axis, 0)));
  return { value: matmul(a, b), axis: 0 };
};

// an op over the last axis of x_b: any batch axis but the last one is just another row axis
const lastAxis: BatchRule = ({ op, inputs: [x, ...rest], attrs }) => {
  const axis = x.axis === x.value.rank - 1 ? 0 : x.axis!;
  return { value: apply(op, [moveAxis(x.value, x.axis!, axis), ...rest.map((r) => r.value)], attrs), axis };
};

// x_b·scale_b + shift_b: with vectors per example, as the broadcast product and sum in the op's order
const scaleShiftRule: BatchRule = (args) => {
  const { inputs, size } = args;
  const [x, ...vectors] = inputs;
  if (vectors.every((v) => v.axis === null)) return lastAxis(args);
  const xs = batchAt(x, 0, size);
  const rows = (v: (typeof vectors)[number]) => reshape(batchAt(v, 0, size), [size, ...xs.shape.slice(1, -1).map(() => 1), xs.shape[xs.rank - 1]]);
  const scaled = mul(xs, rows(vectors[0]));
  return { value: vectors.length === 2 ? add(scaled, rows(vectors[1])) : scaled, axis: 0 };
};

const reshapeRule: BatchRule<{ shape: readonly number[] }> = ({ inputs: [x], attrs: { shape }, size }) => ({
  value: reshape(moveAxis(x.value, x.axis!, 0), [size, ...shape]),
  axis: 0,
});

// the batch axis first, then the example's axes permuted
const transposeRule: BatchRule<{ perm: readonly number[] }> = ({ inputs: [x], attrs: { perm } }) => {
  const b = x.axis!;
  return { value: transpose(x.value, [b, ...perm.map((p) => batchedAxis(p, b))]), axis: 0 };
};

// new leading axes of the example go after the batch axis
const broadcastToRule: BatchRule<{ shape: readonly number[] }> = ({ inputs: [x], attrs: { shape }, size }) => {
  const moved = moveAxis(x.value, x.axis!, 0);
  const lead = shape.length - (moved.rank - 1);
  const padded = reshape(moved, [size, ...new Array<number>(lead).fill(1), ...moved.shape.slice(1)]);
  return { value: broadcastTo(padded, [size, ...shape]), axis: 0 };
};

// the whole batch axis is kept
const sliceRule: BatchRule<{ starts: readonly number[]; stops: readonly number[]; steps: readonly number[] }> = ({ op, inputs: [x], attrs, size }) => {
  const b = x.axis!;
  const value = apply(op, [x.value], { starts: insertAt(attrs.starts, b, 0), stops: insertAt(attrs.stops, b, size), steps: insertAt(attrs.steps, b, 1) });
  return { value, axis: b };
};

const flipRule: BatchRule<{ axes: readonly number[] }> = ({ op, inputs: [x], attrs: { axes } }) => ({
  value: apply(op, [x.value], { axes: axes.map((a) => batchedAxis(a, x.axis!)) }),
  axis: x.axis,
});

// no padding along the batch axis
const padRule: BatchRule<{ low: readonly number[]; high: readonly number[]; interior: readonly number[]; value: number }> = ({ op, inputs: [x], attrs }) => {
  const b = x.axis!;
  const value = apply(op, [x.value], { low: insertAt(attrs.low, b, 0), high: insertAt(attrs.high, b, 0), interior: insertAt(attrs.interior, b, 0), value: attrs.value });
  return { value, axis: b };
};

const concatRule: BatchRule<{ axis: number }> = ({ op, inputs, attrs: { axis }, size }) => ({
  value: apply(op, inputs.map((input) => batchAt(input, 0, size)), { axis: axis + 1 }),
  axis: 0,
});

// a stack of keys [B, 2]: the op draws from each key in turn, the same values as one draw per example
const randomDrawRule: BatchRule = ({ op, inputs: [key], attrs }) => ({ value: apply(op, [moveAxis(key.value, key.axis!, 0)], attrs), axis: 0 });

// customVjp's value passes through when nothing can ask for its gradient (no tape, no outer trace
// to replay under one); otherwise the user's rule would meet batched residuals it was not written for
const customVjpRule: BatchRule<{ name?: string; primals: number }> = ({ inputs, attrs }) => {
  if (!anyTapeActive() && !tracing()) return inputs[attrs.primals];
  throw new TransformError(
    `vmap: customVjp${attrs?.name ? ` (${attrs.name})` : ''} cannot be batched under grad, vjp, jvp or jit: its backward is the user's function, written for one example; ` +
      'apply grad inside vmap (vmap(grad(f))), or apply the customVjp function outside vmap',
  );
};

export const batchRules: { readonly [Name in OpName]: BatchRule } = {
  neg: elementwise,
  exp: elementwise,
  log: elementwise,
  log1p: elementwise,
  sqrt: elementwise,
  rsqrt: elementwise,
  square: elementwise,
  abs: elementwise,
  sign: elementwise,
  tanh: elementwise,
  sigmoid: elementwise,
  relu: elementwise,
  erf: elementwise,
  gelu: elementwise,
  geluDerivative: elementwise,
  sin: elementwise,
  cos: elementwise,
  reciprocal: elementwise,
  powScalar: elementwise,
  add: elementwise,
  sub: elementwise,
  mul: elementwise,
  div: elementwise,
  pow: elementwise,
  maximum: elementwise,
  minimum: elementwise,
  greater: elementwise,
  greaterEqual: elementwise,
  less: elementwise,
  equal: elementwise,
  where: elementwise,
  sum: reduction,
  max: reduction,
  min: reduction,
  matmul: matmulRule,
  standardize: lastAxis,
  scaleShift: scaleShiftRule,
  softmax: lastAxis,
  logSoftmax: lastAxis,
  identity: elementwise,
  reshape: reshapeRule,
  transpose: transposeRule,
  broadcastTo: broadcastToRule,
  slice: sliceRule,
  flip: flipRule,
  pad: padRule,
  concat: concatRule,
  take: takeRule,
  scatterAdd: scatterAddRule,
  cast: elementwise,
  randomDraw: randomDrawRule,
  customVjp: customVjpRule,
  stopGradient: elementwise,
};
