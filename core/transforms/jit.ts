import { OptionError } from '../errors.js';
import { apply } from '../op.js';
import { identity } from '../ops/identity.js';
import { type TreeDef, treeFlatten, treeUnflatten } from '../pytree.js';
import { Tensor } from '../tensor.js';
import { Trace, recordAlias, withTrace } from '../trace.js';

/** What one trace of a function compiles to: the ops to replay and where the outputs come from. */
interface Program {
  readonly trace: Trace;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly outputDef: TreeDef;
}

export interface JitOptions {
  /** Programs kept, one per argument signature (shapes, dtypes, structure, static values); default 16. */
  readonly cacheSize?: number;
}

/** The key a program is cached under: the arguments' structure, static values, shapes and dtypes. */
function signatureOf(leaves: readonly Tensor[], def: TreeDef): string {
  return JSON.stringify(def) + '|' + leaves.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(';');
}

/**
 * Compiles `f` per argument signature: the first call with new shapes runs `f` once while recording
 * every op it applies (forward, backward and optimiser update alike), and later calls replay those ops
 * on the new arguments without re-running `f`'s JavaScript: no pytree walks, no transforms, no tapes
 * of its own. Results equal eager results exactly (the same kernels run). `f` must not read the value
 * of a tensor computed from its arguments (the error says so); values fixed at trace time (numbers,
 * strings, constants made inside `f`) are baked in, so pass anything that changes between calls as a
 * tensor or as a plain value in the arguments (plain values are part of the signature).
 */
export function jit<Args extends unknown[], Out>(f: (...args: Args) => Out, options: JitOptions = {}): (...args: Args) => Out {
  const { cacheSize = 16 } = options;
  if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new OptionError(`jit: cacheSize must be a positive integer, got ${cacheSize}`);
  const programs = new Map<string, Program>();
  return (...args: Args): Out => {
    const [leaves, def] = treeFlatten(args);
    const signature = signatureOf(leaves, def);
    // fresh aliases as inputs, so a tensor passed twice stays two inputs and outer tapes keep the link
    const inputs = leaves.map(identity);
    const cached = programs.get(signature);
    if (cached) return replay(cached, inputs);
    const trace = new Trace(inputs);
    const out = withTrace(trace, () => f(...treeUnflatten<Args>(def, inputs)));
    const [outputs, outputDef] = treeFlatten(out);
    programs.set(signature, { trace, inputs, outputs, outputDef });
    if (programs.size > cacheSize) programs.delete(programs.keys().next().value as string);
    return out;
  };
}

/** Runs the recorded ops again on new inputs; tensors the trace never computed are constants. */
function replay<Out>(program: Program, inputs: readonly Tensor[]): Out {
  const values = new Map<number, Tensor>();
  program.inputs.forEach((traced, i) => values.set(traced.id, inputs[i]));
  const resolve = (t: Tensor) => values.get(t.id) ?? t;
  for (const event of program.trace.events) {
    // work that does not depend on the arguments was done once, at trace time
    if (!program.trace.traced.has(event.kind === 'op' ? event.output.id : event.to.id)) continue;
    if (event.kind === 'op') {
      values.set(event.output.id, apply(event.op, event.inputs.map(resolve), event.attrs));
    } else {
      const from = resolve(event.from);
      const to = new Tensor(from.storage);
      recordAlias(from, to);
      values.set(event.to.id, to);
    }
  }
  return treeUnflatten<Out>(program.outputDef, program.outputs.map(resolve));
}
