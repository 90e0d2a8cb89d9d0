/** The pool jit's replay recycles dead buffers through: served by dtype and length, trimmed to demand. */
import { describe, expect, it } from 'vitest';
import { BufferPool, outputBuffer, withBufferPool } from '../../core/buffer-pool.js';

describe('BufferPool', () => {
  it('serves a buffer back only for its own dtype and length', () => {
    const pool = new BufferPool();
    const buffer = new Float32Array(8);
    pool.give(buffer);
    expect(pool.take('float32', 4)).toBeUndefined();
    expect(pool.take('float64', 8)).toBeUndefined();
    expect(pool.take('float32', 8)).toBe(buffer);
    expect(pool.take('float32', 8)).toBeUndefined();
  });

  it('trim keeps of each kind only as many buffers as were asked for since the last trim', () => {
    const pool = new BufferPool();
    pool.take('float32', 8);
    pool.take('float32', 8);
    for (let i = 0; i < 5; i++) pool.give(new Float32Array(8));
    for (let i = 0; i < 3; i++) pool.give(new Int32Array(2)); // a kind no kernel asked for
    expect(pool.size()).toBe(8);
    pool.trim();
    expect(pool.size()).toBe(2);
    // nothing asked for since: the next trim empties the pool
    pool.trim();
    expect(pool.size()).toBe(0);
  });

  it('outputBuffer recycles inside withBufferPool and allocates zeroed arrays outside', () => {
    const pool = new BufferPool();
    const used = new Float32Array([1, 2, 3]);
    pool.give(used);
    expect(withBufferPool(pool, () => outputBuffer('float32', 3))).toBe(used);
    const fresh = outputBuffer('float32', 3);
    expect(fresh).not.toBe(used);
    expect(Array.from(fresh)).toEqual([0, 0, 0]);
  });
});
