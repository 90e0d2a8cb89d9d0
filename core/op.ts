import ndarray, { type NdArray } from 'ndarray';
import { currentBackend } from './backend/index.js';
import { checkFinite, debugNans } from './debug-nans.js';
import type { DType, TypedArray } from './dtype.js';
import type { KernelFunction, KernelImplementation } from './kernel.js';
import type { OpName } from './ops/names.js';
import { activeOpProfile } from './profile.js';
import { sizeOf } from './shape.js';
import { recordOnActiveTapes } from './tape.js';
import { insideOp, recordOp } from './trace.js';
import { Tensor, contiguousData } from './tensor.js';

export interface OutputType {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** How an op makes its output: by launching a kernel, or as a view over an input's buffer. */
export type Forward =
  | {
      readonly kernel: KernelFunction;
      readonly constants?: Readonly<Record<string, number>>;
      /** The kernel's inputs; defaults to the op's inputs. Views are made contiguous first. */
      readonly args?: readonly NdArray<TypedArray>[];
      readonly helpers?: readonly ((...args: number[]) => number)[];
    }
  | { readonly view: NdArray<TypedArray> }
  /**
   * Values the op computed on the host from its inputs (random draws hash their key there), or a
   * backend's kernel did (a chain jit fused), which `implementation` names for profiles.
   */
  | { readonly values: TypedArray; readonly implementation?: KernelImplementation };

/**
 * One primitive op: its shape rule, its forward (a gpu.js kernel with flat indices, or a view),
 * what its backward needs, and its vjp written with other ops so that it can be differentiated again.
 * An op knows nothing of backends: a backend that has a faster implementation lists it in its kernel
 * table under the op's name (`core/backend/kernel-table.ts`), and `Backend.run` chooses.
 */
export interface OpDef<Attrs, Saved extends object, Name extends OpName = OpName> {
  readonly name: Name;
  /** Argument names, used in errors and printed tapes. */
  readonly args: readonly string[];
  /** Output shape and dtype; throws an error naming the op, the argument and the shapes. */
  infer(inputs: readonly Tensor[], attrs: Attrs): OutputType;
  forward(inputs: readonly Tensor[], attrs: Attrs, out: OutputType): Forward;
  /** Exactly what the vjp reads; a tape keeps this and nothing else. */
  save(inputs: readonly Tensor[], output: Tensor, attrs: Attrs): Saved;
  /** Cotangents of the inputs, in order; `null` for an input that gets no gradient. */
  vjp(cotangent: Tensor, saved: Saved, attrs: Attrs): readonly (Tensor | null)[];
}

/** What `execute` needs of an op: a name (for profiles) and its forward. An `OpDef` is one; so is a kernel `jit` fused from several. */
export interface Executable<Attrs> {
  readonly name: string;
  readonly args: readonly string[];
  forward(inputs: readonly Tensor[], attrs: Attrs, out: OutputType): Forward;
}

/** Runs a primitive eagerly on the current backend and offers it to the active tapes. */
export function apply<Attrs, Saved extends object>(op: OpDef<Attrs, Saved>, inputs: readonly Tensor[], attrs: Attrs): Tensor {
  const output = insideOp(() => execute(op, inputs, attrs, op.infer(inputs, attrs)));
  if (debugNans()) checkFinite(op, inputs, output);
  recordOp(op, inputs, attrs, output);
  recordOnActiveTapes(op, inputs, output, attrs, () => op.save(inputs, output, attrs) as Record<string, unknown>);
  return output;
}

/** What made an output that no kernel call did: a view over an input, or values computed inside the op. */
export type OutputSource = KernelImplementation | 'view' | 'values';

/**
 * Makes an op's output from inputs already checked against its shape rule (`out` is what the rule
 * gave): the one place ops reach the backend, eager or replayed by `jit`, and where `profileOps` times
 * them and notes which implementation ran (`OutputSource`).
 */
export function execute<Attrs>(op: Executable<Attrs>, inputs: readonly Tensor[], attrs: Attrs, out: OutputType): Tensor {
  const profile = activeOpProfile();
  if (profile === null) return dispatch(op, inputs, attrs, out).output;
  const start = performance.now();
  // a dispatch that throws is counted too (as `threw`): a caller may catch it and go on profiling
  let source: OutputSource | 'threw' = 'threw';
  try {
    const dispatched = dispatch(op, inputs, attrs, out);
    source = dispatched.source;
    return dispatched.output;
  } finally {
    profile.record(op.name, performance.now() - start, source);
  }
}

function dispatch<Attrs>(op: Executable<Attrs>, inputs: readonly Tensor[], attrs: Attrs, out: OutputType): { output: Tensor; source: OutputSource } {
  const forward = op.forward(inputs, attrs, out);
  let storage: NdArray<TypedArray>;
  let source: OutputSource;
  if ('view' in forward) {
    storage = forward.view;
    source = 'view';
  } else if ('values' in forward) {
    storage = ndarray(forward.values, [...out.shape]);
    source = forward.implementation ?? 'values';
  } else {
    const backend = currentBackend();
    const args = (forward.args ?? inputs.map((t) => t.storage)).map(contiguousData);
    const { data, implementation } = backend.run({
      op: op.name,
      fn: forward.kernel,
      constants: forward.constants ?? {},
      args,
      size: sizeOf(out.shape),
      dtype: out.dtype,
      helpers: forward.helpers,
    });
    storage = ndarray(data, [...out.shape]);
    source = implementation;
  }
  return { output: new Tensor(storage), source };
}
