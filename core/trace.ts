import { withOutputBuffers } from './buffer-pool.js';
import { type DType, type TypedArray, allocate } from './dtype.js';
import { TransformError, formatShape } from './errors.js';
import type { OpDef } from './op.js';
import { type Tensor, repeatingWindow } from './tensor.js';

/**
 * A tensor as the trace describes it: identity, type, and the group of its buffer (tensors in one
 * group share memory: a view and its base). Only a constant of the trace (an input of an op that
 * depends on the arguments, itself computed without them) keeps its tensor: the trace holds no
 * intermediate, so tracing a step needs no more memory than running it.
 */
export interface TraceValue {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly buffer: number;
  /** Whether its layout repeats one window (`repeatingWindow`), which kernels read without a copy. */
  readonly window: boolean;
  readonly constant?: Tensor;
}

/** An output buffer an op asked for (`outputBuffer`) while traced: its kind and the group of the array it got. */
export interface BufferRequest {
  readonly dtype: DType;
  readonly length: number;
  readonly buffer: number;
}

/**
 * One thing a traced function did. Every tensor a function makes comes from an op (stopGradient and
 * customVjp included), so an op application is the only kind of event.
 */
export type TraceEvent = {
  readonly kind: 'op';
  readonly op: OpDef<any, any>;
  readonly inputs: readonly TraceValue[];
  readonly attrs: unknown;
  readonly output: TraceValue;
  /** The output buffers the op asked for, in order: what a compiled program plans memory for. */
  readonly requests: readonly BufferRequest[];
};

/**
 * What a tracing transform (`jit`, `vmap`) records while it runs a function once: every op in order,
 * with its inputs and attrs. `traced` holds the tensors that depend on the arguments, whose values
 * the function may not read. Traces nest like tapes: every active trace records every op.
 */
export class Trace {
  readonly events: TraceEvent[] = [];
  readonly traced = new Set<number>();
  readonly inputs: readonly TraceValue[];
  private readonly groups = new WeakMap<ArrayBufferLike, number>();
  private groupCount = 0;

  /** `transform` names the tracer in errors. */
  constructor(inputs: readonly Tensor[], readonly transform = 'jit') {
    inputs.forEach((t) => this.traced.add(t.id));
    this.inputs = inputs.map((t) => this.describe(t, false));
  }

  /** The group of the memory under `data`: typed arrays over one ArrayBuffer share it. */
  groupOf(data: TypedArray): number {
    let group = this.groups.get(data.buffer);
    if (group === undefined) this.groups.set(data.buffer, (group = this.groupCount++));
    return group;
  }

  /** `tensor` as the trace keeps it; with `keepConstant`, a tensor computed without the arguments keeps its value. */
  describe(tensor: Tensor, keepConstant: boolean): TraceValue {
    const value = { id: tensor.id, shape: tensor.shape, dtype: tensor.dtype, buffer: this.groupOf(tensor.storage.data), window: repeatingWindow(tensor.storage) !== null };
    return keepConstant && !this.traced.has(tensor.id) ? { ...value, constant: tensor } : value;
  }
}

const active: Trace[] = [];
/** Above 0 while an op's own infer/forward runs: reading inputs there is execution, not tracing. */
let opDepth = 0;
/** The output buffers the op running under the traces asked for, per trace, until `recordOp` takes them. */
let pendingRequests = new Map<Trace, BufferRequest[]>();

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

/** Runs an op's own work; under traces, notes for each the output buffers it asks for. */
export function insideOp<T>(fn: () => T): T {
  opDepth++;
  try {
    if (active.length === 0 || opDepth > 1) return fn();
    const traces = [...active];
    const requests = new Map(traces.map((trace) => [trace, [] as BufferRequest[]]));
    const take = (dtype: DType, length: number) => {
      const buffer = allocate(dtype, length);
      for (const trace of traces) requests.get(trace)!.push({ dtype, length, buffer: trace.groupOf(buffer) });
      return buffer;
    };
    const result = withOutputBuffers({ take }, fn);
    pendingRequests = requests;
    return result;
  } finally {
    opDepth--;
  }
}

export function recordOp(op: OpDef<any, any>, inputs: readonly Tensor[], attrs: unknown, output: Tensor): void {
  if (active.length === 0) return;
  const requests = pendingRequests;
  pendingRequests = new Map();
  for (const trace of active) {
    const traced = inputs.some((t) => trace.traced.has(t.id));
    if (traced) trace.traced.add(output.id);
    trace.events.push({ kind: 'op', op, inputs: inputs.map((t) => trace.describe(t, traced)), attrs, output: trace.describe(output, false), requests: requests.get(trace) ?? [] });
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
