import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { broadcastTo } from './broadcast.js';
import { equal, greater } from './compare.js';
import { elementwiseOp } from './elementwise.js';
import { type TensorLike, asTensorPair } from './operand.js';
import { log, neg, square } from './unary.js';

type AB = { a: Tensor; b: Tensor };
const keepAB = ([a, b]: readonly Tensor[]): AB => ({ a, b });
const keepNothing = () => ({});

export const addOp = elementwiseOp({
  name: 'add', args: ['a', 'b'], integers: true, save: keepNothing,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return a[this.thread.x] + b[this.thread.x]; },
  // d(a + b) = da + db
  vjp: (ct) => [ct, ct],
});

export const subOp = elementwiseOp({
  name: 'sub', args: ['a', 'b'], integers: true, save: keepNothing,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return a[this.thread.x] - b[this.thread.x]; },
  // d(a − b) = da − db
  vjp: (ct) => [ct, neg(ct)],
});

export const mulOp = elementwiseOp({
  name: 'mul', args: ['a', 'b'], integers: true, save: keepAB,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return a[this.thread.x] * b[this.thread.x]; },
  // d(ab) = b da + a db
  vjp: (ct, { a, b }: AB) => [mul(ct, b), mul(ct, a)],
});

export const divOp = elementwiseOp({
  name: 'div', args: ['a', 'b'], save: keepAB,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return a[this.thread.x] / b[this.thread.x]; },
  // d(a/b) = da/b − a db/b²
  vjp: (ct, { a, b }: AB) => [div(ct, b), neg(div(mul(ct, a), square(b)))],
});

export const powOp = elementwiseOp({
  name: 'pow', args: ['a', 'b'], save: (inputs: readonly Tensor[], y: Tensor) => ({ a: inputs[0], b: inputs[1], y }),
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return Math.pow(a[this.thread.x], b[this.thread.x]); },
  // d aᵇ = b aᵇ⁻¹ da + aᵇ log(a) db   (the second term needs a > 0)
  vjp: (ct, { a, b, y }) => [mul(ct, mul(b, pow(a, sub(b, 1)))), mul(ct, mul(y, log(a)))],
});

export const maximumOp = elementwiseOp({
  name: 'maximum', args: ['a', 'b'], integers: true, save: keepAB,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return Math.max(a[this.thread.x], b[this.thread.x]); },
  // d max(a, b) = [a > b] da + [a < b] db, split in half where a = b (as JAX does)
  vjp: (ct, { a, b }: AB) => {
    const aShare = add(greater(a, b), mul(equal(a, b), 0.5));
    return [mul(ct, aShare), mul(ct, sub(1, aShare))];
  },
});

export const minimumOp = elementwiseOp({
  name: 'minimum', args: ['a', 'b'], integers: true, save: keepAB,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return Math.min(a[this.thread.x], b[this.thread.x]); },
  // d min(a, b) = [a < b] da + [a > b] db, split in half where a = b
  vjp: (ct, { a, b }: AB) => {
    const aShare = add(greater(b, a), mul(equal(a, b), 0.5));
    return [mul(ct, aShare), mul(ct, sub(1, aShare))];
  },
});

/** Converts numbers, checks dtypes, and broadcasts both operands to their common shape (recorded, so vjps unbroadcast). */
export function broadcastOperands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const [ta, tb] = asTensorPair(op, a, b);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  return [broadcastTo(ta, shape), broadcastTo(tb, shape)];
}

const binary = (op: OpDef<{}, any, any>) => (a: TensorLike, b: TensorLike): Tensor => apply(op, broadcastOperands(op.name, a, b), {});

export const add = binary(addOp);
export const sub = binary(subOp);
export const mul = binary(mulOp);
export const div = binary(divOp);
export const pow = binary(powOp);
export const maximum = binary(maximumOp);
export const minimum = binary(minimumOp);
