/**
 * The allocator of jit's arena buffers in shared WebAssembly memory (`core/backend/wasm/heap-arena.ts`),
 * over a memory of its own (this file's modules are its own): buffers never overlap or move, scratch
 * starts above them, and a buffer is recognised as lying in the heap after the memory grew (when
 * `memory.buffer` is a new SharedArrayBuffer object), never an ordinary array or scratch.
 */
import { describe, expect, it } from 'vitest';
import { heapAddress, heapArena, heapTarget, scratchStart } from '../../core/backend/wasm/heap-arena.js';
import { controlBytes } from '../../core/backend/wasm/matmul/pool.js';
import { type WasmMemory, maximumPages, pageBytes, webAssembly } from '../../core/backend/wasm/webassembly-api.js';

const newMemory = (shared: boolean): WasmMemory => new webAssembly!.Memory({ initial: controlBytes / pageBytes + 1, maximum: maximumPages, shared });

describe.runIf(webAssembly !== undefined && typeof SharedArrayBuffer === 'function')('heap arena', () => {
  it('hands out whole cache lines above the control block that never overlap, reuses freed ones and keeps scratch above them all', () => {
    const memory = newMemory(true);
    const arena = heapArena(memory)!;
    expect(scratchStart()).toBe(controlBytes);
    const [a, b, c] = [arena.allocate(10)!, arena.allocate(100)!, arena.allocate(5)!];
    expect([a.byteOffset, b.byteOffset, c.byteOffset]).toEqual([controlBytes, controlBytes + 64, controlBytes + 64 + 448]);
    expect(scratchStart()).toBe(controlBytes + 64 + 448 + 64);
    arena.release(b);
    // the shortest free block that fits, split at its start
    expect(arena.allocate(16)!.byteOffset).toBe(controlBytes + 64);
    arena.release(c);
    // a free block that reaches the region's end gives the room back to scratch
    expect(scratchStart()).toBe(controlBytes + 128);
    expect(() => arena.release(new Float32Array(4))).toThrow();
  });

  it('recognises its buffers after the memory grew, and nothing else', () => {
    const memory = newMemory(true);
    const arena = heapArena(memory)!;
    const before = arena.allocate(64)!;
    const oldBuffer = memory.buffer;
    const large = arena.allocate(4 * pageBytes)!; // grows the memory
    expect(memory.buffer).not.toBe(oldBuffer);
    expect(before.buffer).toBe(oldBuffer);
    before.fill(7);
    expect(new Float32Array(memory.buffer, before.byteOffset, 64).every((v) => v === 7)).toBe(true);
    expect(heapAddress(before)).toBe(before.byteOffset);
    expect(heapAddress(large.subarray(8, 16))).toBe(large.byteOffset + 32);
    // views over the memory's current buffer that an allocation never made are recognised by range alone
    expect(heapAddress(new Float32Array(memory.buffer, before.byteOffset, 4))).toBe(before.byteOffset);
    expect(heapAddress(new Float32Array(64))).toBeUndefined();
    expect(heapAddress(new Float32Array(memory.buffer, 0, 16))).toBeUndefined(); // the control block
    expect(heapAddress(new Float32Array(memory.buffer, scratchStart(), 16))).toBeUndefined(); // scratch
    // a kernel writes a padded result only into the start of a buffer whose block holds it
    expect(heapTarget(before.subarray(0, 61), 64)).toBe(before.byteOffset);
    expect(heapTarget(before.subarray(4, 20), 16)).toBeUndefined();
    expect(heapTarget(before, 68)).toBeUndefined();
  });

  it('offers nothing over memory that is not shared: growing it would detach every view', () => {
    expect(heapArena(newMemory(false))).toBeUndefined();
  });
});
