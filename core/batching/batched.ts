/**
 * Values as `vmap` runs them: a real tensor holding every example, and where its batch axis is
 * (`null`: the same value for every example). The helpers move and make batch axes with ordinary
 * ops, so tapes and traces record them like any other work.
 */
import { broadcastTo } from '../ops/broadcast.js';
import { reshape } from '../ops/reshape.js';
import { transpose } from '../ops/transpose.js';
import type { Tensor } from '../tensor.js';

export interface Batched {
  readonly value: Tensor;
  /** The axis of `value` that runs over the examples; `null` when every example shares `value`. */
  readonly axis: number | null;
}

/** `x` with axis `from` moved to position `to` (the others keep their order). */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const order = x.shape.map((_, i) => i).filter((i) => i !== from);
  order.splice(to, 0, from);
  return transpose(x, order);
}

/** The batched value with its batch axis at `to`; an unbatched one is repeated `size` times there (a view). */
export function batchAt(input: Batched, to: number, size: number): Tensor {
  const { value, axis } = input;
  if (axis !== null) return moveAxis(value, axis, to);
  const withAxis = reshape(value, [...value.shape.slice(0, to), 1, ...value.shape.slice(to)]);
  return broadcastTo(withAxis, [...value.shape.slice(0, to), size, ...value.shape.slice(to)]);
}

/** Where an axis of one example lands in a tensor whose batch axis is `batchAxis`. */
export function batchedAxis(axis: number, batchAxis: number): number {
  return axis < batchAxis ? axis : axis + 1;
}

/** Inserts `value` at `index` in a per-axis list (an op's attrs gaining the batch axis). */
export function insertAt<T>(list: readonly T[], index: number, value: T): T[] {
  return [...list.slice(0, index), value, ...list.slice(index)];
}
