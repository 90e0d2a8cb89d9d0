/**
 * Fusion of a compiled program's elementwise chains, where the backend offers it (`Backend.fusion`,
 * `core/backend/fusion.ts`). Where float32 unary and binary ops that the offer names feed each other,
 * and each value inside a chain is read by the next op of the chain only (not by another op, not a
 * result), the chain becomes one instruction running one kernel the backend compiled for it (on CPU
 * modes a generated WebAssembly SIMD loop): every input read once, the result written once. Its inputs
 * are the values the chain reads from outside; a broadcast feeding it (a bias row, a number) is read
 * as its repeating window, with no full-size copy. The chain runs where its last op ran; the ops it
 * replaced are kept, and run one by one whenever the program runs op by op.
 */
import type { ElementwiseFusion, FusedBinary, FusedExpression, FusedNode, FusedUnary } from '../backend/fusion.js';
import type { DType } from '../dtype.js';
import type { Executable, Forward, OpDef, OutputType } from '../op.js';
import { sizeOf } from '../shape.js';
import { type Tensor, contiguousData, repeatingWindow } from '../tensor.js';
import type { BufferRequest } from '../trace.js';
import type { Ref } from './jit-program.js';

/** An instruction before buffer planning: an op of the trace, or a fused chain of them. */
export interface OpDraft {
  readonly kind: 'op';
  readonly op: OpDef<any, any>;
  readonly inputs: readonly Ref[];
  readonly attrs: unknown;
  readonly out: number;
  readonly type: OutputType;
  readonly requests: readonly BufferRequest[];
}

export interface FusedDraft extends Omit<OpDraft, 'kind' | 'op'> {
  readonly kind: 'fused';
  readonly op: FusedKernel;
  /** The ops the chain replaced, in order; the last one's output is the chain's. */
  readonly parts: readonly OpDraft[];
}

export type Draft = OpDraft | FusedDraft;

export interface FusedKernel extends Executable<unknown> {
  /** `fused[` the replaced ops' names joined by `+` `]`, as profiles show it. */
  readonly name: string;
  readonly expression: FusedExpression;
}

/** What fusion reads of a program's values: a ref's dtype and whether it is a window, a slot's buffer group. */
export interface ValuesOfRefs {
  dtypeOf(ref: Ref): DType;
  isWindow(ref: Ref): boolean;
  groupOf(slot: number): number;
}

/** Chains longer than this are cut (each value of the chain is a v128 local of the loop). */
const longestChain = 32;

/**
 * Replaces each chain of two or more ops that `fusion` fuses with one fused draft; `results` are the
 * slots the program returns, whose values must exist.
 */
export function fuseElementwise(drafts: readonly OpDraft[], values: ValuesOfRefs, results: ReadonlySet<number>, fusion: ElementwiseFusion): Draft[] {
  const { dtypeOf } = values;
  const isUnary = (name: string): name is FusedUnary => (fusion.unaries as readonly string[]).includes(name);
  const isBinary = (name: string): name is FusedBinary => (fusion.binaries as readonly string[]).includes(name);
  const readers = new Map<number, Set<number>>();
  drafts.forEach((draft, i) => {
    for (const ref of draft.inputs) if ('slot' in ref) (readers.get(ref.slot) ?? readers.set(ref.slot, new Set()).get(ref.slot)!).add(i);
  });
  const fusible = (draft: OpDraft) =>
    (isUnary(draft.op.name) || isBinary(draft.op.name)) && draft.type.dtype === 'float32' && draft.inputs.every((ref) => dtypeOf(ref) === 'float32');
  // the chain each fusible op's output ends, by its slot
  const chainEndingAt = new Map<number, number[]>();
  drafts.forEach((draft, i) => {
    if (!fusible(draft)) return;
    const chain: number[] = [];
    for (const ref of draft.inputs) {
      if (!('slot' in ref)) continue;
      const before = chainEndingAt.get(ref.slot);
      const onlyReader = readers.get(ref.slot)!.size === 1 && !results.has(ref.slot);
      if (before && onlyReader && chain.length + before.length < longestChain && !before.some((k) => chain.includes(k))) {
        chain.push(...before);
        chainEndingAt.delete(ref.slot);
      }
    }
    chain.push(i);
    chainEndingAt.set(draft.out, chain);
  });
  const fusedAt = new Map<number, FusedDraft>();
  const absorbed = new Set<number>();
  for (const chain of chainEndingAt.values()) {
    if (chain.length < 2) continue;
    chain.sort((a, b) => a - b);
    const last = chain[chain.length - 1];
    fusedAt.set(last, fusedDraft(chain.map((i) => drafts[i]), values, fusion));
    for (const i of chain) if (i !== last) absorbed.add(i);
  }
  return drafts.flatMap((draft, i): Draft[] => (absorbed.has(i) ? [] : [fusedAt.get(i) ?? draft]));
}

/** Group numbers for the fused kernels' temporaries: negative, so no traced memory has them. */
let temporaryGroup = -1;

/** One fused draft from a chain in program order: its expression, its outside inputs, and the requests its kernel makes. */
function fusedDraft(parts: readonly OpDraft[], values: ValuesOfRefs, fusion: ElementwiseFusion): FusedDraft {
  const inputs: Ref[] = [];
  const nodes: FusedNode[] = [];
  const nodeOfSlot = new Map<number, number>();
  const inputNode = (ref: Ref): number => {
    if ('slot' in ref && nodeOfSlot.has(ref.slot)) return nodeOfSlot.get(ref.slot)!;
    const seen = inputs.findIndex((other) => ('slot' in ref ? 'slot' in other && other.slot === ref.slot : 'constant' in other && other.constant === ref.constant));
    if (seen >= 0) return nodes.findIndex((node) => 'input' in node && node.input === seen);
    inputs.push(ref);
    nodes.push({ input: inputs.length - 1 });
    return nodes.length - 1;
  };
  for (const part of parts) {
    const [a, b] = part.inputs.map(inputNode);
    const name = part.op.name;
    nodes.push(part.inputs.length === 1 ? { unary: name as FusedUnary, x: a } : { binary: name as FusedBinary, a, b });
    nodeOfSlot.set(part.out, nodes.length - 1);
  }
  const last = parts[parts.length - 1];
  const expression: FusedExpression = { inputCount: inputs.length, nodes };
  const size = sizeOf(last.type.shape);
  return {
    kind: 'fused',
    op: fusedKernel(`fused[${parts.map((part) => part.op.name).join('+')}]`, expression, fusion),
    inputs,
    attrs: {},
    out: last.out,
    type: last.type,
    // the fused kernel asks for a contiguous copy of each input that is not a window, in order (temporaries,
    // in groups of their own), then for its output, which lives where the chain's last value lived
    requests: [
      ...inputs.filter((ref) => !values.isWindow(ref)).map(() => ({ dtype: 'float32' as const, length: size, buffer: temporaryGroup-- })),
      { dtype: 'float32', length: size, buffer: values.groupOf(last.out) },
    ],
    parts,
  };
}

function fusedKernel(name: string, expression: FusedExpression, fusion: ElementwiseFusion): FusedKernel {
  const kernel = fusion.compile(expression);
  return {
    name,
    args: [],
    expression,
    forward: (inputs: readonly Tensor[], _attrs: unknown, out: OutputType): Forward => {
      const windows = inputs.map((t) => (repeatingWindow(t.storage) ?? contiguousData(t.storage)) as Float32Array);
      return { values: kernel(windows, sizeOf(out.shape)), implementation: fusion.implementation };
    },
  };
}
