/**
 * Float32 buffers for jit's arena (`core/transforms/jit-arena.ts`) inside the WebAssembly memory that
 * the matmul and elementwise kernels share, so that a kernel inside a compiled program reads an
 * operand where it lies and writes its result straight into its output buffer, with no copy in or out.
 *
 * Only over shared memory: growing a shared memory never detaches the views made before, whereas
 * growing an ordinary one detaches every view (a page without cross-origin isolation has no
 * SharedArrayBuffer), so there the arena keeps ordinary arrays (`heapArena` is undefined).
 *
 * Layout: the pool's control block, then the arena's region [controlBytes, `scratchStart()`), which
 * only grows and whose buffers never move, then each kernel call's scratch, laid out from
 * `scratchStart()` upward at the call. The region grows only between kernel calls (a compiled run
 * checks its buffers out before its first instruction), so no scratch is live when it does.
 *
 * A view of this memory is recognised by its buffer (every SharedArrayBuffer object an arena buffer
 * was made over: after `memory.grow`, `memory.buffer` is a new object over the same memory) and by a
 * byte range inside the region, never by comparing with the current `memory.buffer`.
 */
import type { ArenaMemory } from '../backend.js';
import { controlBytes } from './matmul/pool.js';
import { pageBytes, type WasmMemory } from './webassembly-api.js';

/** Blocks are whole cache lines, so that a kernel's padded last vector stays inside its block. */
const blockAlign = 64;
const aligned = (bytes: number) => Math.ceil(bytes / blockAlign) * blockAlign;

interface Block {
  readonly at: number;
  readonly bytes: number;
}

/** End of the arena's region: each kernel call's scratch starts here (bytes). */
let regionEnd = controlBytes;
/** Free blocks of the region, by address, none touching another or the region's end. */
const freeBlocks: Block[] = [];
/** Byte length of each block handed out, by address. */
const liveBlocks = new Map<number, number>();
/** Every SharedArrayBuffer object an arena buffer was made over. */
const heapBuffers = new Set<ArrayBufferLike>();

/** Byte address where a kernel call's scratch may start: above every arena buffer. */
export function scratchStart(): number {
  return regionEnd;
}

function takeBlock(bytes: number): number {
  let best = -1;
  for (let k = 0; k < freeBlocks.length; k++) if (freeBlocks[k].bytes >= bytes && (best < 0 || freeBlocks[k].bytes < freeBlocks[best].bytes)) best = k;
  if (best < 0) {
    const at = regionEnd;
    regionEnd += bytes;
    return at;
  }
  const block = freeBlocks[best];
  if (block.bytes === bytes) freeBlocks.splice(best, 1);
  else freeBlocks[best] = { at: block.at + bytes, bytes: block.bytes - bytes };
  return block.at;
}

/** Frees a block, merging it with free neighbours; a free block at the region's end shortens the region. */
function freeBlock(at: number, bytes: number): void {
  let index = freeBlocks.findIndex((block) => block.at > at);
  if (index < 0) index = freeBlocks.length;
  let block = { at, bytes };
  const after = freeBlocks[index];
  if (after && block.at + block.bytes === after.at) (block = { at, bytes: bytes + after.bytes }), freeBlocks.splice(index, 1);
  const before = freeBlocks[index - 1];
  if (before && before.at + before.bytes === block.at) (block = { at: before.at, bytes: before.bytes + block.bytes }), freeBlocks.splice(--index, 1);
  if (block.at + block.bytes === regionEnd) regionEnd = block.at;
  else freeBlocks.splice(index, 0, block);
}

/** The arena memory over `memory`, or undefined where it is not shared (there the arena keeps ordinary arrays). */
export function heapArena(memory: WasmMemory): ArenaMemory | undefined {
  if (!(typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer)) return undefined;
  return {
    allocate(length) {
      const bytes = aligned(Math.max(1, length) * 4);
      const at = takeBlock(bytes);
      const current = memory.buffer.byteLength;
      try {
        if (at + bytes > current) memory.grow(Math.ceil((at + bytes - current) / pageBytes));
      } catch {
        freeBlock(at, bytes); // past the memory's maximum: the arena takes an ordinary array
        return null;
      }
      liveBlocks.set(at, bytes);
      const buffer = memory.buffer;
      heapBuffers.add(buffer);
      return new Float32Array(buffer, at, length);
    },
    release(buffer) {
      const bytes = liveBlocks.get(buffer.byteOffset);
      if (!heapBuffers.has(buffer.buffer) || bytes === undefined) throw new Error('heap arena: internal error: released a buffer it did not hand out');
      liveBlocks.delete(buffer.byteOffset);
      freeBlock(buffer.byteOffset, bytes);
    },
  };
}

/** The byte address of `array` when it lies in an arena buffer (a kernel may read it in place), else undefined. */
export function heapAddress(array: Float32Array): number | undefined {
  if (!heapBuffers.has(array.buffer)) return undefined;
  const at = array.byteOffset;
  return at >= controlBytes && at + array.byteLength <= regionEnd ? at : undefined;
}

/**
 * The byte address of `out` when a kernel may write `floats` floats there (at least its length: a
 * padded last vector): `out` starts an arena buffer whose block holds them. Else undefined.
 */
export function heapTarget(out: Float32Array, floats: number): number | undefined {
  const at = heapAddress(out);
  if (at === undefined) return undefined;
  const bytes = liveBlocks.get(at);
  return bytes !== undefined && bytes >= Math.max(floats, out.length) * 4 ? at : undefined;
}
