/**
 * Batching rules of take and scatterAdd. With the same indices for every example the batch axis is
 * one more outer axis; with indices per example, the examples are laid end to end along the indexed
 * axis and each example's indices are offset into its own block, so one gather (or scatter) serves all.
 */
import { apply } from '../op.js';
import { add } from '../ops/binary.js';
import { reshape } from '../ops/reshape.js';
import { transpose } from '../ops/transpose.js';
import { type Tensor, fromData } from '../tensor.js';
import { batchAt, moveAxis } from './batched.js';
import type { BatchRule } from './rule.js';

/** Indices [B, ...] of example b shifted by b·blockSize, so they index a [B·blockSize, ...] axis. */
function offsetIndices(indices: Tensor, size: number, blockSize: number): Tensor {
  const offsets = fromData(Int32Array.from({ length: size }, (_, b) => b * blockSize), [size, ...indices.shape.slice(1).map(() => 1)]);
  return add(indices, offsets);
}

// take(x, i, a) per example b: x_b[..., i_b, ...]
export const takeRule: BatchRule<{ axis: number }> = ({ op, inputs: [x, indices], attrs: { axis }, size }) => {
  if (indices.axis === null) return { value: apply(op, [moveAxis(x.value, x.axis!, 0), indices.value], { axis: axis + 1 }), axis: 0 };
  // [B, n, pre…, post…] flattened to [B·n, pre…, post…]
  const stacked = moveAxis(batchAt(x, 0, size), axis + 1, 1);
  const n = stacked.shape[1];
  const flat = reshape(stacked, [size * n, ...stacked.shape.slice(2)]);
  const perExample = moveAxis(indices.value, indices.axis, 0);
  const gathered = apply(op, [flat, offsetIndices(perExample, size, n)], { axis: 0 });
  // [B, idx…, pre…, post…] back to [B, pre…, idx…, post…]
  const indexRank = perExample.rank - 1;
  const order = [0, ...range(axis).map((i) => 1 + indexRank + i), ...range(indexRank).map((i) => 1 + i), ...range(gathered.rank - 1 - indexRank - axis).map((i) => 1 + indexRank + axis + i)];
  return { value: transpose(gathered, order), axis: 0 };
};

// scatterAdd(u, i, a, size) per example b: zeros with u_b added at i_b
export const scatterAddRule: BatchRule<{ axis: number; size: number }> = ({ op, inputs: [updates, indices], attrs: { axis, size: length }, size }) => {
  if (indices.axis === null) return { value: apply(op, [moveAxis(updates.value, updates.axis!, 0), indices.value], { axis: axis + 1, size: length }), axis: 0 };
  // updates [pre…, B, idx…, post…] scattered into [pre…, B·length, post…]
  const laidOut = moveAxis(batchAt(updates, 0, size), 0, axis);
  const perExample = moveAxis(indices.value, indices.axis, 0);
  const scattered = apply(op, [laidOut, offsetIndices(perExample, size, length)], { axis, size: size * length });
  return { value: reshape(scattered, [...scattered.shape.slice(0, axis), size, length, ...scattered.shape.slice(axis + 1)]), axis };
};

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
