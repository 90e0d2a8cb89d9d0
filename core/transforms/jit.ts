import { BufferPool, withBufferPool } from '../buffer-pool.js';
import { withinReplay } from '../debug-nans.js';
import type { TypedArray } from '../dtype.js';
import { OptionError } from '../errors.js';
import { type OpDef, apply } from '../op.js';
import { identity } from '../ops/identity.js';
import { type TreeDef, treeFlatten, treeUnflatten } from '../pytree.js';
import type { Tensor } from '../tensor.js';
import { anyTapeActive } from '../tape.js';
import { Trace, tracing, withTrace } from '../trace.js';

/** Where an instruction reads a tensor: a slot filled during the replay, or a constant of the trace. */
type Ref = { readonly slot: number } | { readonly constant: Tensor };

interface Instruction {
  readonly op: OpDef<any, any>;
  readonly inputs: readonly Ref[];
  readonly attrs: unknown;
  readonly out: number;
}

/**
 * What one trace of a function compiles to: the argument-dependent ops in order, reading numbered
 * slots (the arguments fill the first ones), and for each instruction the slots read for the last
 * time there, which the replay lets go of. The trace's own tensors are not kept: only constants.
 */
interface Program {
  readonly instructions: readonly Instruction[];
  /** Buffers of dead intermediates, reused by later ops of this program and by its next calls. */
  readonly buffers: BufferPool;
  /** The constants' buffers, which the program reads and never recycles. */
  readonly constantBuffers: ReadonlySet<TypedArray>;
  readonly releases: readonly (readonly number[])[];
  readonly slotCount: number;
  readonly outputs: readonly Ref[];
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
 * of its own, and the buffers of dead intermediates recycled into later kernels (`core/buffer-pool.ts`).
 * Results equal eager results exactly (the same kernels run). `f` must not read the value
 * of a tensor computed from its arguments (the error says so); values fixed at trace time (numbers,
 * strings, constants made inside `f`) are baked in, so pass anything that changes between calls as a
 * tensor or as a plain value in the arguments (plain values are part of the signature).
 *
 * The program is a list of ops and nothing else (stopGradient and customVjp are ops too), so it does
 * not depend on whether a tape was watching when it was traced: the replay applies each op through
 * `apply`, which offers it to the tapes active at that call, and gradients of a jitted function come
 * out right under any nesting with grad, vjp, jvp and jit, whichever context traced it first.
 */
export function jit<Args extends unknown[], Out>(f: (...args: Args) => Out, options: JitOptions = {}): (...args: Args) => Out {
  const { cacheSize = 16 } = options;
  if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new OptionError(`jit: cacheSize must be a positive integer, got ${cacheSize}`);
  const programs = new Map<string, Program>();
  return (...args: Args): Out => {
    const [leaves, def] = treeFlatten(args, 'jit', 'the arguments');
    const signature = signatureOf(leaves, def);
    // fresh aliases as inputs, so a tensor passed twice stays two inputs and outer tapes keep the link
    const inputs = leaves.map(identity);
    const cached = programs.get(signature);
    if (cached) return replay(cached, inputs);
    const trace = new Trace(inputs);
    const out = withTrace(trace, () => f(...treeUnflatten<Args>(def, inputs)));
    const [outputs, outputDef] = treeFlatten(out, 'jit', 'the result');
    programs.set(signature, compile(trace, inputs, outputs, outputDef));
    if (programs.size > cacheSize) programs.delete(programs.keys().next().value as string);
    return out;
  };
}

/** Numbers the traced tensors, drops the work that does not depend on the arguments, and plans releases. */
function compile(trace: Trace, inputs: readonly Tensor[], outputs: readonly Tensor[], outputDef: TreeDef): Program {
  const slots = new Map<number, number>();
  inputs.forEach((t, i) => slots.set(t.id, i));
  const constantBuffers = new Set<TypedArray>();
  const refOf = (t: Tensor): Ref => {
    const slot = slots.get(t.id);
    if (slot !== undefined) return { slot };
    constantBuffers.add(t.storage.data);
    return { constant: t };
  };
  const instructions: Instruction[] = [];
  for (const event of trace.events) {
    // work that does not depend on the arguments was done once, at trace time: its results are constants
    if (!trace.traced.has(event.output.id)) continue;
    const out = slots.size;
    instructions.push({ op: event.op, inputs: event.inputs.map(refOf), attrs: event.attrs, out });
    slots.set(event.output.id, out);
  }
  const outputRefs = outputs.map(refOf);
  return {
    instructions,
    buffers: new BufferPool(),
    constantBuffers,
    releases: releasePlan(instructions, outputRefs, slots.size),
    slotCount: slots.size,
    outputs: outputRefs,
    outputDef,
  };
}

/** For each instruction, the slots it reads for the last time; outputs are never released. */
function releasePlan(instructions: readonly Instruction[], outputs: readonly Ref[], slotCount: number): number[][] {
  const lastUse = new Array<number>(slotCount).fill(-1);
  instructions.forEach((instruction, i) => {
    for (const ref of instruction.inputs) if ('slot' in ref) lastUse[ref.slot] = i;
  });
  for (const ref of outputs) if ('slot' in ref) lastUse[ref.slot] = Infinity;
  const releases = instructions.map((): number[] => []);
  lastUse.forEach((i, slot) => {
    if (i >= 0 && i < instructions.length) releases[i].push(slot);
  });
  return releases;
}

/**
 * Runs the compiled ops on new inputs, letting each intermediate go after its last use. Its buffer
 * goes back to the program's pool once no live value shares it (views share their base's buffer),
 * unless it belongs to an input, a constant or an output, or a tape or trace may still hold it.
 */
function replay<Out>(program: Program, inputs: readonly Tensor[]): Out {
  const values = new Array<Tensor | undefined>(program.slotCount);
  inputs.forEach((t, i) => (values[i] = t));
  const resolve = (ref: Ref) => ('slot' in ref ? values[ref.slot]! : ref.constant);
  const recycle = !anyTapeActive() && !tracing();
  // live values per buffer; buffers the program does not own (the inputs', the constants') are never counted
  const owners = new Map<TypedArray, number>();
  const inputBuffers = new Set<TypedArray>(inputs.map((t) => t.storage.data));
  const foreign = (data: TypedArray) => inputBuffers.has(data) || program.constantBuffers.has(data);
  const run = () =>
    program.instructions.forEach((instruction, i) => {
      values[instruction.out] = apply(instruction.op, instruction.inputs.map(resolve), instruction.attrs);
      const data = values[instruction.out]!.storage.data;
      if (!foreign(data)) owners.set(data, (owners.get(data) ?? 0) + 1);
      for (const slot of program.releases[i]) {
        const buffer = values[slot]!.storage.data;
        values[slot] = undefined;
        const left = (owners.get(buffer) ?? 0) - 1;
        if (left > 0) owners.set(buffer, left);
        else if (owners.delete(buffer) && recycle) program.buffers.give(buffer);
      }
    });
  if (recycle) {
    withBufferPool(program.buffers, () => withinReplay(run));
    program.buffers.trim();
  } else {
    withinReplay(run);
  }
  return treeUnflatten<Out>(program.outputDef, program.outputs.map(resolve));
}
