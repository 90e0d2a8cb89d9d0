import { ShapeError, formatShape } from '../errors.js';
import type { KernelFunction, KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { checkAxisOrOptions, checkTensor, option } from '../options.js';
import { normalizeAxes, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div, mul } from './binary.js';
import { broadcastTo } from './broadcast.js';
import { equal } from './compare.js';
import { reshape } from './reshape.js';

/** Axes are resolved (non-negative, sorted, distinct). */
type Attrs = { axes: readonly number[]; keepDims: boolean };

/**
 * `sum(x)`, `sum(x, -1)`, `sum(x, [0, 2])` or `sum(x, {axis: -1, keepDims: true})`: the axes alone,
 * or an options object with exactly these keys (checked at run time).
 */
export type ReduceOptions = number | readonly number[] | { readonly axis?: number | readonly number[]; readonly keepDims?: boolean };

export const reduceOptionSpec = { axis: option.axes, keepDims: option.boolean };

/** The input's shape with reduced axes set to 1: the cotangent broadcasts back from it. */
const keptShape = (shape: readonly number[], axes: readonly number[]) => shape.map((d, i) => (axes.includes(i) ? 1 : d));

/**
 * A reduction kernel over the input viewed as [outer, length, inner]: output (o, i) folds the `length`
 * values x[o, ·, i]. Reduced axes that sit next to each other already have this layout (a sum over the
 * batch axes, over the last axis); other sets are permuted to the end first (inner = 1).
 */
function reduction<Name extends 'sum' | 'max' | 'min', Saved extends object>(
  name: Name,
  kernel: KernelFunction,
  save: OpDef<Attrs, Saved>['save'],
  vjp: OpDef<Attrs, Saved>['vjp'],
): OpDef<Attrs, Saved, Name> {
  return {
    name,
    args: ['x'],
    infer: ([x], { axes, keepDims }) => {
      if (name !== 'sum' && axes.some((a) => x.shape[a] === 0)) {
        throw new ShapeError(`${name}: cannot reduce an empty axis of x ${formatShape(x.shape)}`);
      }
      return { shape: keepDims ? keptShape(x.shape, axes) : x.shape.filter((_, i) => !axes.includes(i)), dtype: x.dtype };
    },
    forward: ([x], { axes }) => {
      const length = sizeOf(axes.map((a) => x.shape[a]));
      const adjacent = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
      if (adjacent) return { kernel, constants: { length, inner: sizeOf(x.shape.slice(axes[axes.length - 1] + 1)) } };
      const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      return { kernel, constants: { length, inner: 1 }, args: [x.storage.transpose(...kept, ...axes)] };
    },
    save,
    vjp,
  };
}

export const sumOp = reduction<'sum', { inputShape: readonly number[] }>(
  'sum',
  function (this: KernelThis, x: Float32Array) {
    const length = this.constants.length;
    const inner = this.constants.inner;
    const start = Math.floor(this.thread.x / inner) * length * inner + (this.thread.x % inner);
    let total = 0.0;
    for (let r = 0; r < length; r++) {
      total += x[start + r * inner];
    }
    return total;
  },
  ([x]) => ({ inputShape: x.shape }),
  // every summed element receives the cotangent of its sum
  (ct, { inputShape }, { axes }) => [broadcastTo(reshape(ct, keptShape(inputShape, axes)), inputShape)],
);

type Extremum = { x: Tensor; y: Tensor };
// d max(x) = Σ over the maximal elements, shared equally among ties: ct · [x = max] / #ties
const extremumVjp = (ct: Tensor, { x, y }: Extremum, { axes }: Attrs) => {
  const kept = keptShape(x.shape, axes);
  const winners = equal(x, broadcastTo(reshape(y, kept), x.shape));
  const ties = sum(winners, { axis: axes, keepDims: true });
  return [mul(broadcastTo(reshape(ct, kept), x.shape), div(winners, ties))];
};

export const maxOp = reduction<'max', Extremum>(
  'max',
  function (this: KernelThis, x: Float32Array) {
    const length = this.constants.length;
    const inner = this.constants.inner;
    const start = Math.floor(this.thread.x / inner) * length * inner + (this.thread.x % inner);
    let best = x[start];
    for (let r = 1; r < length; r++) {
      best = Math.max(best, x[start + r * inner]);
    }
    return best;
  },
  ([x], y) => ({ x, y }),
  extremumVjp,
);

export const minOp = reduction<'min', Extremum>(
  'min',
  function (this: KernelThis, x: Float32Array) {
    const length = this.constants.length;
    const inner = this.constants.inner;
    const start = Math.floor(this.thread.x / inner) * length * inner + (this.thread.x % inner);
    let best = x[start];
    for (let r = 1; r < length; r++) {
      best = Math.min(best, x[start + r * inner]);
    }
    return best;
  },
  ([x], y) => ({ x, y }),
  extremumVjp,
);

/** Resolves a reduction's `ReduceOptions`, refusing unknown keys and wrong types in `op`'s name. */
export function reduceAttrs(op: string, x: Tensor, options: unknown): Attrs {
  checkTensor(op, 'x', x);
  const { axis, keepDims = false } = checkAxisOrOptions(op, options, reduceOptionSpec);
  return { axes: normalizeAxes(op, axis, x.rank), keepDims };
}

const reduce = (op: OpDef<Attrs, any, any>) => (x: Tensor, options?: ReduceOptions): Tensor => {
  const attrs = reduceAttrs(op.name, x, options);
  if (attrs.axes.length === 0) return x;
  return apply(op, [x], attrs);
};

/** Sum over the given axes (all by default); `options` is an axis, an array of axes or `{axis, keepDims}`. */
export const sum = reduce(sumOp);
/** Maximum over the given axes; ties share the gradient equally. */
export const max = reduce(maxOp);
/** Minimum over the given axes; ties share the gradient equally. */
export const min = reduce(minOp);
