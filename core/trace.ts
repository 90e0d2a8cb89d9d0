import { TransformError, formatShape } from './errors.js';
import type { OpDef } from './op.js';
import type { Tensor } from './tensor.js';

/**
 * One thing a traced function did. Every tensor a function makes comes from an op (stopGradient and
 * customVjp included), so an op application is the only kind of event.
 */
export type TraceEvent = { readonly kind: 'op'; readonly op: OpDef<any, any>; readonly inputs: readonly Tensor[]; readonly attrs: unknown; readonly output: Tensor };

/**
 * What a tracing transform (`jit`, `vmap`) records while it runs a function once: every op in order,
 * with its inputs and attrs. `traced` holds the tensors that depend on the arguments, whose values
 * the function may not read. Traces nest like tapes: every active trace records every op.
 */
export class Trace {
  readonly events: TraceEvent[] = [];
  readonly traced = new Set<number>();

  /** `transform` names the tracer in errors. */
  constructor(inputs: readonly Tensor[], readonly transform = 'jit') {
    inputs.forEach((t) => this.traced.add(t.id));
  }
}

const active: Trace[] = [];
/** Above 0 while an op's own infer/forward runs: reading inputs there is execution, not tracing. */
let opDepth = 0;

/** Whether a trace is recording. */
export function tracing(): boolean {
  return active.length > 0;
}

export function withTrace<T>(trace: Trace, fn: () => T): T {
  active.push(trace);
  try {
    return fn();
  } finally {
    active.pop();
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
  for (const trace of active) {
    trace.events.push({ kind: 'op', op, inputs, attrs, output });
    if (inputs.some((t) => trace.traced.has(t.id))) trace.traced.add(output.id);
  }
}

/** The trace for which `tensor` is a value not computed yet, if any (printing shows it as traced). */
function tracerOf(tensor: Tensor): Trace | undefined {
  return opDepth === 0 ? active.find((t) => t.traced.has(tensor.id)) : undefined;
}

/** Whether `tensor` is a value a trace (`jit`, `vmap`) has not computed yet. */
export function isTracedValue(tensor: Tensor): boolean {
  return tracerOf(tensor) !== undefined;
}

/** Called by `Tensor.dataSync`: under `jit` or `vmap`, the value of a tensor computed from the arguments is not known yet. */
export function checkValueRead(tensor: Tensor): void {
  const trace = tracerOf(tensor);
  if (trace) {
    const name = trace.transform;
    throw new TransformError(
      `${name}: the traced function reads the value of a tensor computed from its arguments (${tensor.dtype} ${formatShape(tensor.shape)}); ` +
        `${name} runs the function once to record its ops, so values cannot steer it: read values outside ${name}, or pass them as plain numbers`,
    );
  }
}
