import type { OpDef } from '../op.js';
import type { Batched } from './batched.js';

/** What a batching rule gets: the op, its inputs with their batch axes (at least one batched), its attrs. */
export interface BatchArgs<Attrs> {
  readonly op: OpDef<Attrs, any>;
  readonly inputs: readonly Batched[];
  readonly attrs: Attrs;
  /** The number of examples. */
  readonly size: number;
}

/**
 * How an op runs on a batch of examples at once: its result for every example, as one real tensor
 * built with ordinary ops, and where its batch axis is.
 */
export type BatchRule<Attrs = any> = (args: BatchArgs<Attrs>) => Batched;

/** The first batched input (a rule runs only when there is one). */
export function firstBatched(inputs: readonly Batched[]): Batched & { readonly axis: number } {
  return inputs.find((input) => input.axis !== null) as Batched & { readonly axis: number };
}
