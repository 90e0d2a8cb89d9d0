import { isFloat } from './dtype.js';
import { NonFiniteError, formatShape } from './errors.js';
import { anyTapeActive } from './tape.js';
import { type Tensor, contiguousData } from './tensor.js';

/**
 * JAX's `jax_debug_nans`: while on, every op checks its output, and the first that holds NaN or ±Inf
 * throws a `NonFiniteError` naming the op, its inputs' shapes and whether it ran forwards or inside a
 * vjp. Off by default (a check reads every output); on with `setDebugNans(true)` or the environment
 * variable `TAPEGRAD_DEBUG_NANS=1`, read without assuming Node (browsers have no `process`).
 */
let enabled = ['1', 'true'].includes((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TAPEGRAD_DEBUG_NANS ?? '');

/** The ops whose vjp is running, innermost last: an op applied meanwhile belongs to a backward pass. */
const vjpsRunning: string[] = [];
let replayDepth = 0;

export function setDebugNans(on: boolean): void {
  enabled = on;
}

export function debugNans(): boolean {
  return enabled;
}

/** Runs `op`'s vjp, so that a non-finite value found meanwhile is reported as the backward pass's. */
export function withinVjp<T>(op: string, fn: () => T): T {
  vjpsRunning.push(op);
  try {
    return fn();
  } finally {
    vjpsRunning.pop();
  }
}

/** Marks jit's replay, whose ops (forward and backward alike) run without their transforms. */
export function withinReplay<T>(fn: () => T): T {
  replayDepth++;
  try {
    return fn();
  } finally {
    replayDepth--;
  }
}

/** Called by `apply` for every op while debug mode is on. */
export function checkFinite(op: { readonly name: string; readonly args: readonly string[] }, inputs: readonly Tensor[], output: Tensor): void {
  if (!isFloat(output.dtype)) return;
  const values = contiguousData(output.storage);
  let index = 0;
  while (index < values.length && Number.isFinite(values[index])) index++;
  if (index === values.length) return;
  const value = Number.isNaN(values[index]) ? 'NaN' : values[index] > 0 ? 'Inf' : '-Inf';
  const inVjp = vjpsRunning.length > 0;
  const when = inVjp
    ? `in the vjp of ${vjpsRunning[vjpsRunning.length - 1]} (backward pass)`
    : replayDepth > 0
      ? 'while jit replayed its program (its forward and backward ops alike)'
      : anyTapeActive()
        ? 'forwards, with a tape recording'
        : 'forwards, with no tape recording';
  const inputsText = inputs.map((t, i) => `${op.args[i] ?? `input ${i}`} ${t.dtype} ${formatShape(t.shape)}`).join(', ');
  throw new NonFiniteError(
    `debugNans: ${op.name} produced ${value} at index ${index} of its output (${output.dtype} ${formatShape(output.shape)}), ${when}; inputs: ${inputsText || 'none'}`,
    op.name,
    inVjp ? 'vjp' : 'forward',
  );
}
