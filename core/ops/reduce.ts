import { OptionError, ShapeError, formatShape } from '../errors.js';
import type { KernelFunction, KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { normalizeAxes, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div, mul } from './binary.js';
import { broadcastTo } from './broadcast.js';
import { equal } from './compare.js';
import { reshape } from './reshape.js';

/** Axes are resolved (non-negative, sorted, distinct). */
type Attrs = { axes: readonly number[]; keepDims: boolean };

/** `sum(x)`, `sum(x, -1)`, `sum(x, [0, 2])` or `sum(x, {axis: -1, keepDims: true})`. */
export type ReduceOptions = number | readonly number[] | { readonly axis?: number | readonly number[]; readonly keepDims?: boolean };

/** The input's shape with reduced axes set to 1: the cotangent broadcasts back from it. */
const keptShape = (shape: readonly number[], axes: readonly number[]) => shape.map((d, i) => (axes.includes(i) ? 1 : d));

/**
 * A reduction kernel: the input is permuted so the reduced axes come last and are contiguous, then
 * each output element folds `this.constants.length` consecutive values.
 */
function reduction<Name extends 'sum' | 'max' | 'min', Saved extends object>(name: Name, kernel: KernelFunction, save: OpDef<Attrs, Saved>['save'], vjp: OpDef<Attrs, Saved>['vjp']): OpDef<Attrs, Saved, Name> {
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
      const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      return {
        kernel,
        constants: { length: sizeOf(axes.map((a) => x.shape[a])) },
        args: [x.storage.transpose(...kept, ...axes)],
      };
    },
    save,
    vjp,
  };
}

export const sumOp = reduction<'sum', { inputShape: readonly number[] }>(
  'sum',
  function (this: KernelThis, x: Float32Array) {
    const length = this.constants.length;
    let total = 0.0;
    for (let j = 0; j < length; j++) {
      total += x[this.thread.x * length + j];
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
    let best = x[this.thread.x * length];
    for (let j = 1; j < length; j++) {
      best = Math.max(best, x[this.thread.x * length + j]);
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
    let best = x[this.thread.x * length];
    for (let j = 1; j < length; j++) {
      best = Math.min(best, x[this.thread.x * length + j]);
    }
    return best;
  },
  ([x], y) => ({ x, y }),
  extremumVjp,
);

export function reduceAttrs(op: string, x: Tensor, options: ReduceOptions | undefined): Attrs {
  const { axis, keepDims = false } =
    typeof options === 'number' || Array.isArray(options) ? { axis: options as number | number[] } : ((options ?? {}) as { axis?: number | readonly number[]; keepDims?: boolean });
  if (typeof keepDims !== 'boolean') throw new OptionError(`${op}: keepDims must be true or false, got ${JSON.stringify(keepDims)}`);
  return { axes: normalizeAxes(op, axis, x.rank), keepDims };
}

const reduce = (op: OpDef<Attrs, any, any>) => (x: Tensor, options?: ReduceOptions): Tensor => {
  const attrs = reduceAttrs(op.name, x, options);
  if (attrs.axes.length === 0) return x;
  return apply(op, [x], attrs);
};

/** Sum over the given axes (all by default). */
export const sum = reduce(sumOp);
/** Maximum over the given axes; ties share the gradient equally. */
export const max = reduce(maxOp);
/** Minimum over the given axes; ties share the gradient equally. */
export const min = reduce(minOp);
