import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { checkNoOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { broadcastOperands } from './binary.js';
import { elementwiseOp } from './elementwise.js';
import type { TensorLike } from './operand.js';

/**
 * Comparisons return masks of 1 and 0 in the inputs' dtype, so a mask multiplies straight into
 * arithmetic. A mask is piecewise constant: it has no gradient, and its vjp says so.
 */
function comparison<Name extends 'greater' | 'greaterEqual' | 'less' | 'equal'>(name: Name, kernel: (this: KernelThis, a: Float32Array, b: Float32Array) => number) {
  return elementwiseOp({ name, args: ['a', 'b'], integers: true, kernel, save: () => ({}), vjp: () => [null, null] });
}

export const greaterOp = comparison('greater', function (a, b) { if (a[this.thread.x] > b[this.thread.x]) { return 1.0; } return 0.0; });
export const greaterEqualOp = comparison('greaterEqual', function (a, b) { if (a[this.thread.x] >= b[this.thread.x]) { return 1.0; } return 0.0; });
export const lessOp = comparison('less', function (a, b) { if (a[this.thread.x] < b[this.thread.x]) { return 1.0; } return 0.0; });
export const equalOp = comparison('equal', function (a, b) { if (a[this.thread.x] === b[this.thread.x]) { return 1.0; } return 0.0; });

const compare = (op: OpDef<{}, any, any>) =>
  function (a: TensorLike, b: TensorLike): Tensor {
    checkNoOptions(op.name, arguments, ['a', 'b']);
    return apply(op, broadcastOperands(op.name, a, b), {});
  };

export const greater = compare(greaterOp);
export const greaterEqual = compare(greaterEqualOp);
export const less = compare(lessOp);
export const equal = compare(equalOp);
