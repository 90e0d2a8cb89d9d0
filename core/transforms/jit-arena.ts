/**
 * The memory compiled programs run in, one arena for the whole process: a compiled run checks out a
 * buffer for each of its program's planned buffers, and gives them back when it ends. Programs that do
 * not run at the same time (a jitted function's signatures, a training step and an eval forward) so
 * share the same memory, and the process holds about the largest plan instead of every cached
 * program's plan at once. A run that starts while another is going on (a jitted function called from
 * inside a kernel) finds the outer run's buffers checked out and takes others. Results never live
 * here: the plan leaves a result's memory unplanned, since it belongs to the caller after the run.
 *
 * A backend whose kernels read and write WebAssembly memory in place offers that memory for float32
 * buffers (`Backend.arenaMemory`, the gpu.js CPU modes over shared memory); other buffers are
 * ordinary arrays. The two kinds are kept apart, so that a program gets heap buffers where it can.
 */
import type { ArenaMemory } from '../backend/backend.js';
import { type DType, type TypedArray, allocate, dtypeOfArray } from '../dtype.js';
import type { PlannedBuffer } from './jit-program.js';

/** A run's buffers, one per planned buffer (each at least as long), and the memory they lie in (heap buffers share one). */
export interface ArenaLease {
  readonly buffers: readonly TypedArray[];
  readonly all: ReadonlySet<ArrayBufferLike>;
}

/** Which free list a buffer belongs to: its dtype, or float32 in an arena memory. */
type Kind = DType | ArenaMemory;

/** The buffers no run holds now, per kind. */
const free = new Map<Kind, TypedArray[]>();
/** The arena memory that made each of its buffers. */
const memoryOf = new WeakMap<TypedArray, ArenaMemory>();
const kindOf = (buffer: TypedArray): Kind => memoryOf.get(buffer) ?? dtypeOfArray(buffer);

function release(buffer: TypedArray): void {
  memoryOf.get(buffer)?.release(buffer as Float32Array);
  memoryOf.delete(buffer);
}

function newBuffer(dtype: DType, length: number, memory: ArenaMemory | undefined): TypedArray {
  const buffer = memory && dtype === 'float32' ? memory.allocate(length) : null;
  if (!buffer) return allocate(dtype, length);
  memoryOf.set(buffer, memory!);
  return buffer;
}

/**
 * Buffers for `plan`, longest planned buffer first: each gets the shortest free buffer that is long
 * enough, else a new one, which replaces the longest free one that is too short (so the arena keeps
 * about as many buffers as the largest plan has, each as long as the longest it served).
 */
export function checkOut(plan: readonly PlannedBuffer[], memory?: ArenaMemory): ArenaLease {
  const buffers = new Array<TypedArray>(plan.length);
  const order = plan.map((_, i) => i).sort((a, b) => plan[b].length - plan[a].length);
  for (const i of order) {
    const { dtype, length } = plan[i];
    const list = free.get(memory && dtype === 'float32' ? memory : dtype) ?? [];
    let fit = -1;
    for (let k = 0; k < list.length; k++) if (list[k].length >= length && (fit < 0 || list[k].length < list[fit].length)) fit = k;
    if (fit >= 0) {
      buffers[i] = list.splice(fit, 1)[0];
      continue;
    }
    let longest = -1;
    for (let k = 0; k < list.length; k++) if (longest < 0 || list[k].length > list[longest].length) longest = k;
    if (longest >= 0) release(list.splice(longest, 1)[0]);
    buffers[i] = newBuffer(dtype, length, memory);
  }
  return { buffers, all: new Set(buffers.map((buffer) => buffer.buffer)) };
}

/** Whether `array` lies in `buffer`'s memory (a heap buffer is a range of a memory that others share). */
export function holds(buffer: TypedArray, array: TypedArray): boolean {
  const start = array.byteOffset;
  return buffer.buffer === array.buffer && start >= buffer.byteOffset && start + array.byteLength <= buffer.byteOffset + buffer.byteLength;
}

/** Whether `array` lies in any of the lease's buffers. */
export function inLease(lease: ArenaLease, array: TypedArray): boolean {
  return lease.all.has(array.buffer) && lease.buffers.some((buffer) => holds(buffer, array));
}

/** Returns a run's buffers to the arena; nothing may read them afterwards. */
export function giveBack(lease: ArenaLease): void {
  for (const buffer of lease.buffers) {
    const kind = kindOf(buffer);
    const list = free.get(kind);
    if (list) list.push(buffer);
    else free.set(kind, [buffer]);
  }
}

/** What the arena holds while no run has its buffers out: buffer count and bytes, for tests and `printProgram`. */
export function arenaSize(): { readonly buffers: number; readonly bytes: number } {
  let buffers = 0;
  let bytes = 0;
  for (const list of free.values()) for (const buffer of list) (buffers++, (bytes += buffer.byteLength));
  return { buffers, bytes };
}
