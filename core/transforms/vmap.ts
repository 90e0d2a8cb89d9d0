import { type Batched, batchAt, insertAt, moveAxis } from '../batching/batched.js';
import { batchRules } from '../batching/rules.js';
import { allocate } from '../dtype.js';
import { OptionError, TransformError, formatShape } from '../errors.js';
import { apply } from '../op.js';
import type { OpName } from '../ops/names.js';
import { type TreeDef, treeFlatten, treeUnflatten } from '../pytree.js';
import { Tensor, fromData } from '../tensor.js';
import { Trace, type TraceEvent, type TraceValue, withTrace } from '../trace.js';
import { type AxisSpec, type LeafAxis, resolveInAxes, resolveOutAxes } from './vmap-axes.js';

export interface VmapOptions {
  /** Where each argument's batch axis is: one axis (or null) for all, or one entry per argument, each a pytree prefix of it. Default 0. */
  readonly inAxes?: AxisSpec;
  /** Where the batch axis goes in each output (a pytree prefix of the output); null for an output that is the same for every example. Default 0. */
  readonly outAxes?: AxisSpec;
}

/** A traced op that depends on the arguments, to be run once on the whole batch. */


/**
 * `vmap(f, {inAxes, outAxes})` maps `f` over a batch axis of its arguments, as JAX's `vmap`: the
 * result equals stacking `f` of each example, computed by batched kernels rather than a loop. `f`
 * runs once, on the first example of each argument (zeros for an empty batch), while its ops are
 * recorded; then every op that depends on the arguments runs once on the whole batch through its
 * batching rule (`core/batching/rules.ts`). The batched run is made of ordinary ops, so `grad`,
 * `jvp`, `jit` and another `vmap` around it see it like any other work, and `vmap(grad(f))` batches
 * `f`'s backward pass too. As under `jit`, `f` may not read the value of a tensor computed from its
 * arguments (values cannot steer it); plain values in the arguments pass through unchanged.
 */
export function vmap<Args extends unknown[], Out>(f: (...args: Args) => Out, options: VmapOptions = {}): (...args: Args) => Out {
  const unknown = Object.keys(options).filter((key) => key !== 'inAxes' && key !== 'outAxes');
  if (unknown.length > 0) throw new OptionError(`vmap: unknown option ${JSON.stringify(unknown[0])}; allowed: inAxes, outAxes`);
  const { inAxes = 0, outAxes = 0 } = options;
  return (...args: Args): Out => {
    const [leaves, def] = treeFlatten(args);
    const axes = resolveInAxes(inAxes, def as TreeDef & { kind: 'array' }, leaves.map((t) => t.shape));
    const size = batchSize(leaves, axes);
    const examples = leaves.map((leaf, i) => firstExample(leaf, axes[i].axis, size));
    const trace = new Trace(examples, 'vmap');
    const out = withTrace(trace, () => f(...treeUnflatten<Args>(def, examples)));
    const [outLeaves, outDef] = treeFlatten(out);
    const placements = resolveOutAxes(outAxes, outDef, outLeaves.map((t) => t.shape));
    const values = new Map<number, Batched>();
    examples.forEach((example, i) => values.set(example.id, { value: leaves[i], axis: axes[i].axis }));
    for (const step of liveSteps(trace, outLeaves)) values.set(step.output.id, runStep(step, values, size));
    return treeUnflatten<Out>(outDef, outLeaves.map((leaf, i) => place(values.get(leaf.id) ?? { value: leaf, axis: null }, placements[i], size)));
  };
}

function batchSize(leaves: readonly Tensor[], axes: readonly LeafAxis[]): number {
  const batched = axes.flatMap((a, i) => (a.axis === null ? [] : [{ ...a, axis: a.axis, size: leaves[i].shape[a.axis] }]));
  if (batched.length === 0) throw new TransformError('vmap: no argument has a batch axis (every inAxes is null); give at least one argument a batch axis');
  const other = batched.find((b) => b.size !== batched[0].size);
  if (other) {
    const describe = (b: (typeof batched)[number]) => `${b.place} has ${b.size} along axis ${b.axis}`;
    throw new TransformError(`vmap: the batch axes differ in size: ${describe(batched[0])} but ${describe(other)}; every batched argument needs the same number of examples`);
  }
  return batched[0].size;
}

/** What `f` is traced on: a fresh tensor (so no tape or outer trace takes it for the argument) holding one example. */
function firstExample(leaf: Tensor, axis: number | null, size: number): Tensor {
  if (axis === null) return new Tensor(leaf.storage);
  const shape = leaf.shape.filter((_, i) => i !== axis);
  if (size === 0) return fromData(allocate(leaf.dtype, shape.reduce((a, b) => a * b, 1)), shape);
  return new Tensor(leaf.storage.pick(...leaf.shape.map((_, i) => (i === axis ? 0 : null))));
}

/** The traced events that depend on the arguments and lead to an output, in order. */
function liveSteps(trace: Trace, outputs: readonly Tensor[]): TraceEvent[] {
  const needed = new Set(outputs.map((t) => t.id));
  const steps: TraceEvent[] = [];
  for (let e = trace.events.length - 1; e >= 0; e--) {
    const step = trace.events[e];
    if (!trace.traced.has(step.output.id) || !needed.has(step.output.id)) continue;
    steps.push(step);
    step.inputs.forEach((t) => needed.add(t.id));
  }
  return steps.reverse();
}

function runStep(step: TraceEvent, values: ReadonlyMap<number, Batched>, size: number): Batched {
  // an input not computed from the arguments is a constant of the trace, which keeps its tensor
  const valueOf = (t: TraceValue): Batched => values.get(t.id) ?? { value: t.constant!, axis: null };
  const inputs = step.inputs.map(valueOf);
  if (inputs.every((input) => input.axis === null)) return { value: apply(step.op, inputs.map((input) => input.value), step.attrs), axis: null };
  const result = batchRules[step.op.name as OpName]({ op: step.op, inputs, attrs: step.attrs, size });
  checkRule(step.op.name, result, step.output, size);
  return result;
}

/** A rule must give every example's output, stacked at its batch axis; one that does not is named. */
function checkRule(op: string, { value, axis }: Batched, example: TraceValue, size: number): void {
  const expected = axis === null ? example.shape : insertAt(example.shape, axis, size);
  if (value.dtype !== example.dtype || value.shape.length !== expected.length || value.shape.some((d, i) => d !== expected[i])) {
    throw new TransformError(
      `vmap: the batching rule of ${op} gave ${value.dtype} ${formatShape(value.shape)} with the batch axis at ${axis}, ` +
        `but one example's output is ${example.dtype} ${formatShape(example.shape)} (${size} examples)`,
    );
  }
}

/** Moves an output's batch axis to where `outAxes` puts it; an output the same for every example is repeated there. */
function place(batched: Batched, { axis, place: where }: LeafAxis, size: number): Tensor {
  if (axis === null) {
    if (batched.axis !== null) throw new TransformError(`vmap: outAxes for ${where} is null, but it differs between examples; give it a batch axis`);
    return batched.value;
  }
  return batched.axis === null ? batchAt(batched, axis, size) : moveAxis(batched.value, batched.axis, axis);
}
