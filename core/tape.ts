import type { Tensor } from './tensor.js';
import type { OpDef } from './op.js';

/** One op application as a tape remembers it: enough to run its vjp later. */
export interface TapeRecord {
  readonly op: OpDef<any, any>;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: unknown;
  /** Exactly what the op's vjp reads, as declared by the op's `save`. */
  readonly saved: Record<string, unknown>;
}

/**
 * A tape records every op whose inputs include a tensor it watches, and then watches that op's output.
 * Tapes nest: while an inner transform runs, outer tapes keep recording, and because backward passes
 * are made of ops, an outer tape also records the inner backward pass (gradients of gradients).
 */
export class Tape {
  readonly records: TapeRecord[] = [];
  private readonly watched = new Set<number>();

  watch(tensor: Tensor): void {
    this.watched.add(tensor.id);
  }

  isWatched(tensor: Tensor): boolean {
    return this.watched.has(tensor.id);
  }

  /** Records the op if it touches a watched tensor; returns whether it did. */
  offer(op: OpDef<any, any>, inputs: readonly Tensor[], output: Tensor, attrs: unknown, saved: () => Record<string, unknown>): boolean {
    if (!inputs.some((t) => this.watched.has(t.id))) return false;
    this.records.push({ op, inputs, output, attrs, saved: saved() });
    this.watched.add(output.id);
    return true;
  }
}

const activeTapes: Tape[] = [];

/** Runs `fn` with `tape` recording (on top of any tapes already active). */
export function withTape<T>(tape: Tape, fn: () => T): T {
  activeTapes.push(tape);
  try {
    return fn();
  } finally {
    activeTapes.pop();
  }
}

export function recordOnActiveTapes(op: OpDef<any, any>, inputs: readonly Tensor[], output: Tensor, attrs: unknown, save: () => Record<string, unknown>): void {
  if (activeTapes.length === 0) return;
  let saved: Record<string, unknown> | undefined;
  const once = () => (saved ??= save());
  for (const tape of activeTapes) tape.offer(op, inputs, output, attrs, once);
}

export function anyTapeActive(): boolean {
  return activeTapes.length > 0;
}
