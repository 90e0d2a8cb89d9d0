/** outputBuffer: served by the active source (a compiled jit program's plan), else a new zeroed array. */
import { describe, expect, it } from 'vitest';
import { outputBuffer, withOutputBuffers } from '../../core/buffer-pool.js';
import type { DType } from '../../core/dtype.js';

describe('outputBuffer', () => {
  it('asks the active source inside withOutputBuffers and allocates zeroed arrays outside', () => {
    const used = new Float32Array([1, 2, 3]);
    const asked: [DType, number][] = [];
    const source = { take: (dtype: DType, length: number) => (asked.push([dtype, length]), used) };
    expect(withOutputBuffers(source, () => outputBuffer('float32', 3))).toBe(used);
    expect(asked).toEqual([['float32', 3]]);
    const fresh = outputBuffer('float32', 3);
    expect(fresh).not.toBe(used);
    expect(Array.from(fresh)).toEqual([0, 0, 0]);
  });

  it('restores the outer source after an inner one, also when the inner function throws', () => {
    const outer = { take: () => new Float64Array(2).fill(1) };
    const inner = { take: () => new Float64Array(2).fill(2) };
    withOutputBuffers(outer, () => {
      expect(() => withOutputBuffers(inner, () => { throw new Error('inner'); })).toThrow('inner');
      expect(Array.from(outputBuffer('float64', 2))).toEqual([1, 1]);
    });
  });
});
