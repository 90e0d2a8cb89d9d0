/**
 * The memory compiled programs run in, one arena for the whole process: a compiled run checks out a
 * buffer for each of its program's planned buffers, and gives them back when it ends. Programs that do
 * not run at the same time (a jitted function's signatures, a training step and an eval forward) so
 * share the same memory, and the process holds about the largest plan instead of every cached
 * program's plan at once. A run that starts while another is going on (a jitted function called from
 * inside a kernel) finds the outer run's buffers checked out and takes others. Results never live
 * here: the plan leaves a result's memory unplanned, since it belongs to the caller after the run.
 */
import { type DType, type TypedArray, allocate, dtypeOfArray } from '../dtype.js';
import type { PlannedBuffer } from './jit-program.js';

/** A run's buffers, one per planned buffer (each at least as long), and their memory, for checking outputs against. */
export interface ArenaLease {
  readonly buffers: readonly TypedArray[];
  readonly all: ReadonlySet<ArrayBufferLike>;
}

/** The buffers no run holds now, per dtype. */
const free = new Map<DType, TypedArray[]>();

/**
 * Buffers for `plan`, longest planned buffer first: each gets the shortest free buffer that is long
 * enough, else a new one, which replaces the longest free one that is too short (so the arena keeps
 * about as many buffers as the largest plan has, each as long as the longest it served).
 */
export function checkOut(plan: readonly PlannedBuffer[]): ArenaLease {
  const buffers = new Array<TypedArray>(plan.length);
  const order = plan.map((_, i) => i).sort((a, b) => plan[b].length - plan[a].length);
  for (const i of order) {
    const { dtype, length } = plan[i];
    const list = free.get(dtype) ?? [];
    let fit = -1;
    for (let k = 0; k < list.length; k++) if (list[k].length >= length && (fit < 0 || list[k].length < list[fit].length)) fit = k;
    if (fit >= 0) {
      buffers[i] = list.splice(fit, 1)[0];
      continue;
    }
    let longest = -1;
    for (let k = 0; k < list.length; k++) if (longest < 0 || list[k].length > list[longest].length) longest = k;
    if (longest >= 0) list.splice(longest, 1);
    buffers[i] = allocate(dtype, length);
  }
  return { buffers, all: new Set(buffers.map((buffer) => buffer.buffer)) };
}

/** Returns a run's buffers to the arena; nothing may read them afterwards. */
export function giveBack(lease: ArenaLease): void {
  for (const buffer of lease.buffers) {
    const dtype = dtypeOfArray(buffer);
    const list = free.get(dtype);
    if (list) list.push(buffer);
    else free.set(dtype, [buffer]);
  }
}

/** What the arena holds while no run has its buffers out: buffer count and bytes, for tests and `printProgram`. */
export function arenaSize(): { readonly buffers: number; readonly bytes: number } {
  let buffers = 0;
  let bytes = 0;
  for (const list of free.values()) for (const buffer of list) (buffers++, (bytes += buffer.byteLength));
  return { buffers, bytes };
}
