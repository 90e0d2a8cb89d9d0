import { withinVjp } from '../debug-nans.js';
import { TransformError, formatShape } from '../errors.js';
import { add } from '../ops/binary.js';
import type { Tape } from '../tape.js';
import type { Tensor } from '../tensor.js';

/**
 * Reverse mode: walks the tape from its last record to its first, turning each output cotangent into
 * input cotangents with the op's vjp, and adding up cotangents that meet at the same tensor.
 * Every vjp is made of ops, so tapes that are still active record this walk too.
 * Returns the cotangent of every tensor that received one, by tensor id.
 */
export function backward(tape: Tape, outputs: readonly Tensor[], cotangents: readonly Tensor[]): Map<number, Tensor> {
  const cts = new Map<number, Tensor>();
  const accumulate = (target: Tensor, ct: Tensor) => {
    const existing = cts.get(target.id);
    cts.set(target.id, existing ? add(existing, ct) : ct);
  };
  outputs.forEach((out, i) => accumulate(out, cotangents[i]));
  for (let r = tape.records.length - 1; r >= 0; r--) {
    const record = tape.records[r];
    const ct = cts.get(record.output.id);
    if (!ct) continue;
    const inputCts = withinVjp(record.op.name, () => record.op.vjp(ct, record.saved, record.attrs));
    record.inputs.forEach((input, i) => {
      const inputCt = inputCts[i];
      if (!inputCt || !tape.isWatched(input)) return;
      checkCotangent(record.op.name, record.op.args[i] ?? `input ${i}`, input, inputCt);
      accumulate(input, inputCt);
    });
  }
  return cts;
}

/** Each cotangent must have its input's shape and dtype; a vjp that breaks this is named. */
function checkCotangent(op: string, arg: string, input: Tensor, ct: Tensor): void {
  const sameShape = ct.shape.length === input.shape.length && ct.shape.every((d, i) => d === input.shape[i]);
  if (!sameShape || ct.dtype !== input.dtype) {
    throw new TransformError(
      `vjp of ${op} returned a cotangent ${ct.dtype} ${formatShape(ct.shape)} for argument ${arg}, which is ${input.dtype} ${formatShape(input.shape)}`,
    );
  }
}
