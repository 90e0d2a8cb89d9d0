import ndarray from 'ndarray';
import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { checkNoOptions } from '../options.js';
import { broadcastShapes } from '../shape.js';
import { broadcastTo } from './broadcast.js';
import { type Tensor, repeatingWindow } from '../tensor.js';
import { equal, greater } from './compare.js';
import { type ElementwiseSpec, elementwiseOp } from './elementwise.js';
import type { OpName } from './names.js';
import { type TensorLike, asTensorPair } from './operand.js';
import { log, neg, square } from './unary.js';

type AB = { a: Tensor; b: Tensor };
type BinarySpec<Name extends OpName, Saved extends object> = ElementwiseSpec<Name, {}, Saved>;

/**
 * A binary elementwise op whose operands reach the kernel unbroadcast where they can: an operand that
 * is a broadcast view repeating one window (a bias row under a matrix, a number under a tensor) is
 * passed as that window with its period, so no full-size copy is made; the kernel reads element
 * i mod period. Other views are made contiguous.
 */
function binaryOp<Name extends OpName, Saved extends object>(spec: BinarySpec<Name, Saved>): OpDef<{}, Saved, Name> {
  const op = elementwiseOp(spec);
  return {
    ...op,
    forward: (inputs) => {
      const args = inputs.map((t) => {
        const window = repeatingWindow(t.storage);
        return window ? ndarray(window) : t.storage;
      });
      return {
        kernel: spec.kernel,
        constants: { periodA: args[0].size, periodB: args[1].size },
        args,
      };
    },
  };
}
const keepAB = ([a, b]: readonly Tensor[]): AB => ({ a, b });
const keepNothing = () => ({});

export const addOp = binaryOp({
  name: 'add', args: ['a', 'b'], integers: true, save: keepNothing,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return a[this.thread.x % this.constants.periodA] + b[this.thread.x % this.constants.periodB]; },
  // d(a + b) = da + db
  vjp: (ct) => [ct, ct],
});

export const subOp = binaryOp({
  name: 'sub', args: ['a', 'b'], integers: true, save: keepNothing,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return a[this.thread.x % this.constants.periodA] - b[this.thread.x % this.constants.periodB]; },
  // d(a − b) = da − db
  vjp: (ct) => [ct, neg(ct)],
});

export const mulOp = binaryOp({
  name: 'mul', args: ['a', 'b'], integers: true, save: keepAB,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return a[this.thread.x % this.constants.periodA] * b[this.thread.x % this.constants.periodB]; },
  // d(ab) = b da + a db
  vjp: (ct, { a, b }: AB) => [mul(ct, b), mul(ct, a)],
});

export const divOp = binaryOp({
  name: 'div', args: ['a', 'b'], save: keepAB,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return a[this.thread.x % this.constants.periodA] / b[this.thread.x % this.constants.periodB]; },
  // d(a/b) = da/b − a db/b²
  vjp: (ct, { a, b }: AB) => [div(ct, b), neg(div(mul(ct, a), square(b)))],
});

export const powOp = binaryOp({
  name: 'pow', args: ['a', 'b'], save: (inputs: readonly Tensor[], y: Tensor) => ({ a: inputs[0], b: inputs[1], y }),
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return Math.pow(a[this.thread.x % this.constants.periodA], b[this.thread.x % this.constants.periodB]); },
  // d aᵇ = b aᵇ⁻¹ da + aᵇ log(a) db   (the second term needs a > 0)
  vjp: (ct, { a, b, y }) => [mul(ct, mul(b, pow(a, sub(b, 1)))), mul(ct, mul(y, log(a)))],
});

export const maximumOp = binaryOp({
  name: 'maximum', args: ['a', 'b'], integers: true, save: keepAB,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return Math.max(a[this.thread.x % this.constants.periodA], b[this.thread.x % this.constants.periodB]); },
  // d max(a, b) = [a > b] da + [a < b] db, split in half where a = b (as JAX does)
  vjp: (ct, { a, b }: AB) => {
    const aShare = add(greater(a, b), mul(equal(a, b), 0.5));
    return [mul(ct, aShare), mul(ct, sub(1, aShare))];
  },
});

export const minimumOp = binaryOp({
  name: 'minimum', args: ['a', 'b'], integers: true, save: keepAB,
  kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) { return Math.min(a[this.thread.x % this.constants.periodA], b[this.thread.x % this.constants.periodB]); },
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

const binary = (op: OpDef<{}, any, any>) =>
  function (a: TensorLike, b: TensorLike): Tensor {
    checkNoOptions(op.name, arguments, ['a', 'b']);
    return apply(op, broadcastOperands(op.name, a, b), {});
  };

export const add = binary(addOp);
export const sub = binary(subOp);
export const mul = binary(mulOp);
export const div = binary(divOp);
export const pow = binary(powOp);
export const maximum = binary(maximumOp);
export const minimum = binary(minimumOp);
