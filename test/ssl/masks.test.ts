/**
 * Block-wise masks (official MaskingGenerator with fixed_num_masking_patches): exact counts,
 * blocks within the size and aspect rules, determinism per key.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { random } from '../../core/random.js';
import { blockMask, blockMasks, maskIndices, roundHalfEven } from '../../ssl/masks.js';

const optionsArb = fc
  .record({ rows: fc.integer({ min: 2, max: 16 }), cols: fc.integer({ min: 2, max: 16 }), fraction: fc.double({ min: 0, max: 1, noNaN: true }), minPatches: fc.integer({ min: 1, max: 20 }) })
  .map(({ rows, cols, fraction, minPatches }) => ({ grid: [rows, cols] as [number, number], count: Math.round(fraction * rows * cols), minPatches }));

describe('blockMask', () => {
  it('masks exactly 118 of 196 patches at 14×14 with the official defaults (200 keys)', () => {
    const counts = new Set<number>();
    let toppedUp = 0;
    for (let seed = 0; seed < 200; seed++) {
      const { mask, blocks, fromBlocks } = blockMask(random.key(seed));
      counts.add(mask.reduce((a, b) => a + b, 0));
      if (fromBlocks < 118) toppedUp++;
      for (const block of blocks) {
        // each accepted block: h, w < 14, inside the grid, and from an area ≥ 16 drawn with aspect in [0.3, 1/0.3] (rounding may shave a little)
        expect(block.height).toBeLessThan(14);
        expect(block.width).toBeLessThan(14);
        expect(block.top + block.height).toBeLessThanOrEqual(14);
        expect(block.left + block.width).toBeLessThanOrEqual(14);
        expect(block.height * block.width).toBeGreaterThanOrEqual(1);
      }
      // the first block is drawn with area in [16, 118] and aspect in [0.3, 1/0.3]; rounding h and w to
      // integers can shrink it to 12 patches and stretch the aspect to [1/4, 4], never further
      expect(blocks.length).toBeGreaterThan(0);
      const first = blocks[0];
      expect(first.height * first.width).toBeGreaterThanOrEqual(12);
      expect(first.height / first.width).toBeGreaterThanOrEqual(0.25);
      expect(first.height / first.width).toBeLessThanOrEqual(4);
    }
    expect([...counts]).toEqual([118]);
    expect(toppedUp).toBeLessThan(200);
  });

  it('always masks exactly the requested count on any grid (60 runs)', () => {
    fc.assert(
      fc.property(optionsArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (options, seed) => {
        const { mask, fromBlocks } = blockMask(random.key(seed), options);
        expect(mask.length).toBe(options.grid[0] * options.grid[1]);
        expect(mask.reduce((a, b) => a + b, 0)).toBe(options.count);
        expect(fromBlocks).toBeLessThanOrEqual(options.count);
      }),
      { numRuns: 60, seed: 21 },
    );
  });

  it('is deterministic per key and differs across keys (40 runs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 2 }), (seed) => {
        const first = blockMask(random.key(seed)).mask;
        expect(blockMask(random.key(seed)).mask).toEqual(first);
        expect(blockMask(random.key(seed + 1)).mask).not.toEqual(first);
      }),
      { numRuns: 40, seed: 5 },
    );
  });

  it('a batch uses one subkey per row and maskIndices keeps row-major order', () => {
    const key = random.key(9);
    const masks = blockMasks(key, 3, { grid: 6, count: 20, minPatches: 4 });
    expect(masks.shape).toEqual([3, 36]);
    expect(masks.dtype).toBe('int32');
    const rows = masks.toArray() as number[][];
    const keys = random.split(key, 3);
    rows.forEach((row, i) => expect(Uint8Array.from(row)).toEqual(blockMask(keys[i], { grid: 6, count: 20, minPatches: 4 }).mask));
    const { visible, masked } = maskIndices(masks);
    expect(visible.shape).toEqual([3, 16]);
    expect(masked.shape).toEqual([3, 20]);
    (visible.toArray() as number[][]).forEach((indices, i) => {
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
      indices.forEach((t) => expect(rows[i][t]).toBe(0));
    });
  });

  it('rounds halves to even as Python does', () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6, 3.5].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 4]);
  });
});
