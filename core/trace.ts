import { TransformError, formatShape } from './errors.js';
import type { OpDef } from './op.js';
import type { Tensor } from './tensor.js';

/**
 * One thing a traced function did. Every tensor a function makes comes from an op (stopGradient and
 * customVjp included), so an op application is the only kind of event.
 */
export type TraceEvent = { readonly kind: 'op'; readonly op: OpDef<any, any>; readonly inputs: readonly Tensor[]; readonly attrs: unknown; readonly output: Tensor };

/**
 * What `jit` records while it runs a function once: every op in order, with its inputs and attrs.
 * `traced` holds the tensors that depend on the arguments, whose values the function may not read.
 */
export class Trace {
  readonly events: TraceEvent[] = [];
  readonly traced = new Set<number>();

  constructor(inputs: readonly Tensor[]) {
    inputs.forEach((t) => this.traced.add(t.id));
  }
}

let active: Trace | null = null;
/** Above 0 while an op's own infer/forward runs: reading inputs there is execution, not tracing. */
let opDepth = 0;

/** Whether a `jit` trace is recording. */
export function tracing(): boolean {
  return active !== null;
}

export function withTrace<T>(trace: Trace, fn: () => T): T {
  const outer = active;
  active = trace;
  try {
    return fn();
  } finally {
    active = outer;
  }
}

export function insideOp<T>(fn: () => T): T {
  opDepth++;
  try {
    return fn();
  } finally {
    opDepth--;
  }
}

export function recordOp(op: OpDef<any, any>, inputs: readonly Tensor[], attrs: unknown, output: Tensor): void {
  if (!active) return;
  active.events.push({ kind: 'op', op, inputs, attrs, output });
  if (inputs.some((t) => active!.traced.has(t.id))) active.traced.add(output.id);
}

/** Whether `tensor` is a value a `jit` trace has not computed yet (printing shows it as traced). */
export function isTracedValue(tensor: Tensor): boolean {
  return active !== null && opDepth === 0 && active.traced.has(tensor.id);
}

/** Called by `Tensor.dataSync`: under `jit`, the value of a tensor computed from the arguments is not known yet. */
export function checkValueRead(tensor: Tensor): void {
  if (isTracedValue(tensor)) {
    throw new TransformError(
      `jit: the traced function reads the value of a tensor computed from its arguments (${tensor.dtype} ${formatShape(tensor.shape)}); ` +
        'a jitted function runs once per input shape to record its ops, so values cannot steer it: read values outside jit, or pass them as plain numbers',
    );
  }
}
