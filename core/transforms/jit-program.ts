/**
 * What `jit` compiles a trace into: the ops that depend on the arguments, in order, reading numbered
 * slots (the arguments fill the first ones) or constants of the trace, each with the output type its
 * shape rule gave at trace time, and a buffer plan made once.
 *
 * The plan. While traced, every op's requests for output buffers (`outputBuffer`) were noted with the
 * memory each got, so the compiler knows which request became which value, which values share memory
 * (a view and its base form one group), and when each group is read for the last time. It assigns
 * each group, and each request that only lived during its op (a contiguous copy of an argument), one
 * buffer, reusing a buffer once its group is dead (the shortest free one that fits, else a free one
 * lengthened): a program needs about as much memory as its values ever live at once, which each
 * compiled run checks out of the arena all programs share (`jit-arena.ts`). Groups that
 * hold an argument, a constant or a result are never planned (results belong to the caller), nor is
 * memory a kernel made itself (gpu.js outputs, random draws): those are left to the garbage collector.
 */
import type { ElementwiseFusion } from '../backend/fusion.js';
import { type Backend, currentBackend } from '../backend/index.js';
import type { DType } from '../dtype.js';
import type { OpDef, OutputType } from '../op.js';
import { type Draft, type FusedKernel, type OpDraft, fuseElementwise } from './jit-fusion.js';
import type { TreeDef } from '../pytree.js';
import { type Tensor, repeatingWindow } from '../tensor.js';
import type { Trace, TraceValue } from '../trace.js';

/** Where an instruction reads a tensor: a slot filled while the program runs, or a constant of the trace. */
export type Ref = { readonly slot: number } | { readonly constant: Tensor };

/** One output buffer request of an instruction, and the planned buffer that serves it (an index into the plan; null: a new array). */
export interface PlannedRequest {
  readonly dtype: DType;
  readonly length: number;
  readonly buffer: number | null;
}

/** A planned buffer's dtype and length (the longest request it serves); a compiled run gets its memory from the arena. */
export interface PlannedBuffer {
  readonly dtype: DType;
  length: number;
}

interface InstructionBase {
  readonly inputs: readonly Ref[];
  readonly attrs: unknown;
  readonly out: number;
  /** The shape rule's answer at trace time; a compiled run does not ask again. */
  readonly type: OutputType;
  readonly requests: readonly PlannedRequest[];
  /** The planned buffer the output must live in, or null when its memory is not planned. */
  readonly outputBuffer: number | null;
}

export interface OpInstruction extends InstructionBase {
  readonly kind: 'op';
  readonly op: OpDef<any, any>;
}

/** A fused elementwise chain (`jit-fusion.ts`), with the ops it replaced for running op by op. */
export interface FusedInstruction extends InstructionBase {
  readonly kind: 'fused';
  readonly op: FusedKernel;
  readonly parts: readonly OpInstruction[];
}

export type Instruction = OpInstruction | FusedInstruction;

export interface Program {
  readonly instructions: readonly Instruction[];
  /** For each instruction, the slots read for the last time there, which the run lets go of. */
  readonly releases: readonly (readonly number[])[];
  readonly slotCount: number;
  readonly inputCount: number;
  readonly outputs: readonly Ref[];
  readonly outputDef: TreeDef;
  readonly plannedBuffers: readonly PlannedBuffer[];
  /** The backend it was traced on: its kernels made the requests the plan serves, and the fused chains reproduce them. */
  readonly tracedOn: Backend;
  /** Set when a run's requests differed from the trace's: the program then runs op by op through `apply`. */
  abandoned: { readonly instruction: number; readonly op: string } | null;
}

/**
 * Numbers the traced values, drops the work that does not depend on the arguments, fuses elementwise
 * chains where the backend offers `fusion`, and plans buffers.
 */
export function compileTrace(trace: Trace, outputs: readonly TraceValue[], outputDef: TreeDef, fusion: ElementwiseFusion | undefined): Program {
  const slots = new Map<number, number>();
  trace.inputs.forEach((value, i) => slots.set(value.id, i));
  const groupOfSlot: number[] = trace.inputs.map((value) => value.buffer);
  const unplannable = new Set<number>(groupOfSlot);
  const refOf = (value: TraceValue): Ref => {
    const slot = slots.get(value.id);
    if (slot !== undefined) return { slot };
    if (!value.constant) throw new Error(`jit: internal error: value ${value.id} is neither traced nor kept as a constant`);
    unplannable.add(value.buffer);
    return { constant: value.constant };
  };
  const dtypeOfSlot: DType[] = trace.inputs.map((value) => value.dtype);
  const events = trace.events.filter((event) => trace.traced.has(event.output.id));
  const opDrafts = events.map((event): OpDraft => {
    // work that does not depend on the arguments was done once, at trace time: its results are constants
    const inputs = event.inputs.map(refOf);
    const out = slots.size;
    slots.set(event.output.id, out);
    groupOfSlot[out] = event.output.buffer;
    dtypeOfSlot[out] = event.output.dtype;
    return { kind: 'op', op: event.op, inputs, attrs: event.attrs, out, type: { shape: event.output.shape, dtype: event.output.dtype }, requests: event.requests };
  });
  const outputRefs = outputs.map(refOf);
  const results = new Set<number>();
  for (const ref of outputRefs) if ('slot' in ref) unplannable.add(groupOfSlot[ref.slot]), results.add(ref.slot);
  const dtypeOf = (ref: Ref) => ('slot' in ref ? dtypeOfSlot[ref.slot] : ref.constant.dtype);
  const windowOfSlot: boolean[] = trace.inputs.map((value) => value.window);
  for (const event of events) windowOfSlot[slots.get(event.output.id)!] = event.output.window;
  const isWindow = (ref: Ref) => ('slot' in ref ? windowOfSlot[ref.slot] : repeatingWindow(ref.constant.storage) !== null);
  const drafts: Draft[] = fusion ? fuseElementwise(opDrafts, { dtypeOf, isWindow, groupOf: (slot) => groupOfSlot[slot] }, results, fusion) : opDrafts;
  const lastUse = lastUses(drafts, outputRefs, slots.size);
  const plan = planBuffers(drafts, groupOfSlot, lastUse, unplannable);
  const unplanned = (draft: OpDraft): OpInstruction => ({ ...draft, requests: [], outputBuffer: null });
  const instructions = drafts.map((draft, i): Instruction => {
    const planned = { requests: plan.requests[i], outputBuffer: plan.bufferOfGroup.get(groupOfSlot[draft.out]) ?? null };
    return draft.kind === 'fused' ? { ...draft, ...planned, parts: draft.parts.map(unplanned) } : { ...draft, ...planned };
  });
  return {
    instructions,
    releases: releasePlan(lastUse, instructions.length),
    slotCount: slots.size,
    inputCount: trace.inputs.length,
    outputs: outputRefs,
    outputDef,
    plannedBuffers: plan.buffers,
    tracedOn: currentBackend(),
    abandoned: null,
  };
}

/** The last instruction reading each slot (−1: never read; Infinity: a result). */
function lastUses(drafts: readonly { inputs: readonly Ref[] }[], outputs: readonly Ref[], slotCount: number): number[] {
  const lastUse = new Array<number>(slotCount).fill(-1);
  drafts.forEach(({ inputs }, i) => {
    for (const ref of inputs) if ('slot' in ref) lastUse[ref.slot] = i;
  });
  for (const ref of outputs) if ('slot' in ref) lastUse[ref.slot] = Infinity;
  return lastUse;
}

function releasePlan(lastUse: readonly number[], instructionCount: number): number[][] {
  const releases = Array.from({ length: instructionCount }, (): number[] => []);
  lastUse.forEach((i, slot) => {
    if (i >= 0 && i < instructionCount) releases[i].push(slot);
  });
  return releases;
}

interface PlanStep {
  readonly requests: readonly { readonly dtype: DType; readonly length: number; readonly buffer: number }[];
  readonly out: number;
}

/**
 * Gives each plannable request a buffer. A request is plannable when its memory became the output of
 * its own instruction (and of nothing earlier) or of no value at all (a temporary), and its group is
 * not an argument's, a constant's or a result's. Its buffer is busy from its instruction to the last
 * read of any value in its group, and free for the instructions after that.
 */
function planBuffers(steps: readonly PlanStep[], groupOfSlot: readonly number[], lastUse: readonly number[], unplannable: ReadonlySet<number>) {
  const slotsOfGroup = new Map<number, number[]>();
  groupOfSlot.forEach((group, slot) => {
    const list = slotsOfGroup.get(group);
    if (list) list.push(slot);
    else slotsOfGroup.set(group, [slot]);
  });
  const free = new Map<DType, number[]>();
  const freedAfter = steps.map((): number[] => []);
  const bufferOfGroup = new Map<number, number>();
  const buffers: PlannedBuffer[] = [];
  const requests = steps.map(({ requests: asked, out }, i) => {
    const planned = asked.map(({ dtype, length, buffer: group }): PlannedRequest => {
      const members = slotsOfGroup.get(group) ?? [];
      const ownOutput = members.length === 0 || members[0] === out;
      if (!ownOutput || unplannable.has(group) || bufferOfGroup.has(group)) return { dtype, length, buffer: null };
      const buffer = takeFree(free, buffers, dtype, length);
      bufferOfGroup.set(group, buffer);
      const death = Math.max(i, ...members.map((slot) => lastUse[slot]));
      freedAfter[Math.min(death, steps.length - 1)].push(buffer);
      return { dtype, length, buffer };
    });
    for (const buffer of freedAfter[i]) {
      const list = free.get(buffers[buffer].dtype);
      if (list) list.push(buffer);
      else free.set(buffers[buffer].dtype, [buffer]);
    }
    return planned;
  });
  return { requests, bufferOfGroup, buffers };
}

/**
 * A free buffer for `length` elements: the shortest free one that is long enough (a request shorter
 * than its buffer gets a view of its start), else the longest free one, lengthened, else a new one.
 */
function takeFree(free: Map<DType, number[]>, buffers: PlannedBuffer[], dtype: DType, length: number): number {
  const list = free.get(dtype) ?? [];
  if (list.length === 0) return buffers.push({ dtype, length }) - 1;
  const lengthOf = (k: number) => buffers[list[k]].length;
  let best = 0;
  for (let k = 1; k < list.length; k++) {
    const fits = lengthOf(k) >= length;
    const bestFits = lengthOf(best) >= length;
    if (fits ? !bestFits || lengthOf(k) < lengthOf(best) : !bestFits && lengthOf(k) > lengthOf(best)) best = k;
  }
  const [buffer] = list.splice(best, 1);
  buffers[buffer].length = Math.max(buffers[buffer].length, length);
  return buffer;
}
