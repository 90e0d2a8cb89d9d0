import { currentBackend } from '../backend/index.js';
import { type OutputBufferSource, withOutputBuffers } from '../buffer-pool.js';
import { checkFinite, debugNans, withinReplay } from '../debug-nans.js';
import { allocate } from '../dtype.js';
import { OptionError } from '../errors.js';
import { apply, execute } from '../op.js';
import { identity } from '../ops/identity.js';
import { type TreeDef, treeFlatten, treeUnflatten } from '../pytree.js';
import { type Tensor, isContiguous } from '../tensor.js';
import { anyTapeActive } from '../tape.js';
import { Trace, tracing, withTrace } from '../trace.js';
import { type ArenaLease, checkOut, giveBack, holds, inLease } from './jit-arena.js';
import { type Instruction, type Program, type Ref, compileTrace } from './jit-program.js';

export interface JitOptions {
  /** Programs kept, one per argument signature (shapes, dtypes, structure, static values); default 16. */
  readonly cacheSize?: number;
}

/**
 * The key a program is cached under: the arguments' structure, static values, shapes and dtypes, and
 * the layout of any argument that is a view (a view's layout decides which ops copy, so the plan).
 */
function signatureOf(leaves: readonly Tensor[], def: TreeDef): string {
  const layout = (t: Tensor) => (isContiguous(t.storage) ? '' : ` strides ${t.storage.stride.join(',')}`);
  return JSON.stringify(def) + '|' + leaves.map((t) => `${t.dtype}[${t.shape.join(',')}]${layout(t)}`).join(';');
}

/** Each jitted function's programs, for `printProgram`. */
const programsOf = new WeakMap<Function, (args: unknown[]) => Program>();

/** The program `jitted` (a function `jit` returned) runs for these arguments, tracing it if it has not yet. */
export function programFor(jitted: Function, args: unknown[]): Program | undefined {
  return programsOf.get(jitted)?.(args);
}

/**
 * Compiles `f` per argument signature: the first call with new shapes runs `f` once while recording
 * every op it applies (forward, backward and optimiser update alike), and compiles the record into a
 * program (`jit-program.ts`): the ops that depend on the arguments, each with its output type, and a
 * buffer plan made once. Later calls run the program on the new arguments without re-running `f`'s
 * JavaScript: each op's kernel is called directly (no shape rule, no tape, no trace record), chains of
 * float32 elementwise ops run as one kernel each where the backend offers fusion (`jit-fusion.ts`), every
 * intermediate lives in its planned buffer (memory all programs share while not running at once:
 * `jit-arena.ts`), and values are let go of after their last use.
 * Results equal eager results exactly (the same kernels run, and fused loops compute each lane as
 * the kernels they replace do). `f` must not read the value
 * of a tensor computed from its arguments (the error says so); values fixed at trace time (numbers,
 * strings, constants made inside `f`) are baked in, so pass anything that changes between calls as a
 * tensor or as a plain value in the arguments (plain values are part of the signature).
 *
 * The program is a list of ops and nothing else (stopGradient and customVjp are ops too), so it does
 * not depend on whether a tape was watching when it was traced. While a tape or an outer trace is
 * active, the program runs op by op through `apply`, which offers each op to the tapes active at that
 * call, with no planned buffers (a tape may keep any value): gradients of a jitted function come out
 * right under any nesting with grad, vjp, jvp and jit, whichever context traced it first.
 */
export function jit<Args extends unknown[], Out>(f: (...args: Args) => Out, options: JitOptions = {}): (...args: Args) => Out {
  const { cacheSize = 16 } = options;
  if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new OptionError(`jit: cacheSize must be a positive integer, got ${cacheSize}`);
  const programs = new Map<string, Program>();
  const call = (args: Args, wanted: 'result' | 'program'): Out | Program => {
    const [leaves, def] = treeFlatten(args, 'jit', 'the arguments');
    const signature = signatureOf(leaves, def);
    const cached = programs.get(signature);
    if (cached && wanted === 'program') return cached;
    // fresh aliases as inputs, so a tensor passed twice stays two inputs and outer tapes keep the link
    const inputs = leaves.map(identity);
    if (cached) return run(cached, inputs);
    const trace = new Trace(inputs);
    const out = withTrace(trace, () => f(...treeUnflatten<Args>(def, inputs)));
    const [outputs, outputDef] = treeFlatten(out, 'jit', 'the result');
    const program = compileTrace(trace, outputs.map((t) => trace.describe(t, true)), outputDef, currentBackend().fusion);
    programs.set(signature, program);
    if (programs.size > cacheSize) programs.delete(programs.keys().next().value as string);
    return wanted === 'program' ? program : out;
  };
  const jitted = (...args: Args): Out => call(args, 'result') as Out;
  programsOf.set(jitted, (args) => call(args as Args, 'program') as Program);
  return jitted;
}

/**
 * Runs the compiled program, or op by op: while tapes or a trace watch, on another backend than the
 * one it was traced on (whose kernels ask for other buffers), or once its plan was abandoned.
 */
function run<Out>(program: Program, inputs: readonly Tensor[]): Out {
  const compiled = !anyTapeActive() && !tracing() && !program.abandoned && program.tracedOn === currentBackend();
  const outputs = (compiled ? (program.tracedOn.runProgram?.(program, inputs) ?? runCompiled(program, inputs)) : null) ?? runApplied(program, inputs);
  return treeUnflatten<Out>(program.outputDef, outputs);
}

/**
 * Calls each instruction's kernel directly, serving its output requests from the plan in memory
 * checked out of the shared arena (`jit-arena.ts`) for this run. After each
 * instruction it checks that the memory went where the plan says; if not (an argument's layout made an
 * op copy where the trace's did not), it abandons the plan, returns null and the call runs op by op:
 * no planned buffer has been handed out wrongly by then, and the arguments were never written.
 */
function runCompiled(program: Program, inputs: readonly Tensor[]): Tensor[] | null {
  const memory = checkOut(program.plannedBuffers, program.tracedOn.arenaMemory);
  try {
    return runInMemory(program, inputs, memory);
  } finally {
    giveBack(memory);
  }
}

function runInMemory(program: Program, inputs: readonly Tensor[], memory: ArenaLease): Tensor[] | null {
  const values = new Array<Tensor | undefined>(program.slotCount);
  inputs.forEach((t, i) => (values[i] = t));
  const resolve = (ref: Ref) => ('slot' in ref ? values[ref.slot]! : ref.constant);
  let current: Instruction = program.instructions[0];
  let served = 0;
  const source: OutputBufferSource = {
    take: (dtype, length) => {
      const planned = current.requests[served++];
      if (!planned || planned.buffer === null || planned.dtype !== dtype || planned.length !== length) return allocate(dtype, length);
      const buffer = memory.buffers[planned.buffer];
      return buffer.length === length ? buffer : buffer.subarray(0, length);
    },
  };
  const checkNans = debugNans();
  const completed = withinReplay(() =>
    withOutputBuffers(source, () => {
      for (let i = 0; i < program.instructions.length; i++) {
        current = program.instructions[i];
        served = 0;
        const args = current.inputs.map(resolve);
        const output = execute(current.op, args, current.attrs, current.type);
        if (served !== current.requests.length || !inPlannedMemory(memory, current, output)) {
          program.abandoned = { instruction: i, op: current.op.name };
          console.warn(`tapegrad: jit's buffer plan does not fit this call at %${current.out} (${current.op.name}): its memory differs from the trace's, so this program runs op by op from now on`);
          return false;
        }
        if (checkNans) checkFinite(current.op, args, output);
        values[current.out] = output;
        for (const slot of program.releases[i]) values[slot] = undefined;
      }
      return true;
    }),
  );
  return completed ? program.outputs.map(resolve) : null;
}

function inPlannedMemory(memory: ArenaLease, instruction: Instruction, output: Tensor): boolean {
  const data = output.storage.data;
  return instruction.outputBuffer !== null ? holds(memory.buffers[instruction.outputBuffer], data) : !inLease(memory, data);
}

/** Applies each op through `apply` (tapes and traces see them), in new memory, letting each value go after its last use. */
function runApplied(program: Program, inputs: readonly Tensor[]): Tensor[] {
  const values = new Array<Tensor | undefined>(program.slotCount);
  inputs.forEach((t, i) => (values[i] = t));
  const resolve = (ref: Ref) => ('slot' in ref ? values[ref.slot]! : ref.constant);
  withinReplay(() =>
    program.instructions.forEach((instruction, i) => {
      if (instruction.kind === 'fused') {
        for (const part of instruction.parts) values[part.out] = apply(part.op, part.inputs.map(resolve), part.attrs);
        // the chain's inner values are read by the chain only
        for (const part of instruction.parts) if (part.out !== instruction.out) values[part.out] = undefined;
      } else {
        values[instruction.out] = apply(instruction.op, instruction.inputs.map(resolve), instruction.attrs);
      }
      for (const slot of program.releases[i]) values[slot] = undefined;
    }),
  );
  return program.outputs.map(resolve);
}
