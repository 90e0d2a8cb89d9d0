/** affineJitter: hand-worked warps of small planes, and the per-image draw. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { affineJitter, affineWarpPlane } from '../../ssl/affine-jitter.js';

beforeAll(() => tg.setBackend('reference'));

// a 3×3 plane with one inked pixel at row 2, column 1 (bottom middle)
const bottomMiddle = [0, 0, 0, 0, 0, 0, 0, 1, 0];

describe('affineWarpPlane', () => {
  it('90° anticlockwise moves the bottom middle pixel to the middle right', () => {
    expect(Array.from(affineWarpPlane(bottomMiddle, 3, 3, 90, 0, 0), (v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0]);
  });

  it('a shift of one pixel right moves the ink one column; what enters from the edge is zero', () => {
    expect(Array.from(affineWarpPlane(bottomMiddle, 3, 3, 0, 1, 0))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(affineWarpPlane([1, 1, 1, 1], 2, 2, 0, -1, 0))).toEqual([1, 0, 1, 0]);
  });

  it('half a pixel down splits the ink between two rows (bilinear)', () => {
    expect(Array.from(affineWarpPlane([0, 1, 0, 0, 0, 0, 0, 0, 0], 3, 3, 0, 0, 0.5))).toEqual([0, 0.5, 0, 0, 0.5, 0, 0, 0, 0]);
  });
});

describe('affineJitter', () => {
  const images = tg.random.uniform(tg.random.key(1), [3, 1, 8, 8]);
  it('zero ranges leave the images as they are', () => {
    expect(Array.from(affineJitter(images, tg.random.key(2), { maxDegrees: 0, maxShift: 0 }).dataSync())).toEqual(Array.from(images.dataSync()));
  });

  it("an image's warp depends on its id, not on its place in the batch", () => {
    const key = tg.random.key(3);
    const options = { maxDegrees: 15, maxShift: 2.5 };
    const forward = affineJitter(images, key, { ...options, imageIds: [10, 11, 12] }).dataSync();
    const reversed = affineJitter(tg.flip(images, 0), key, { ...options, imageIds: [12, 11, 10] }).dataSync();
    expect(Array.from(reversed.subarray(0, 64))).toEqual(Array.from(forward.subarray(128, 192)));
    expect(Array.from(forward.subarray(0, 64))).not.toEqual(Array.from(images.dataSync().subarray(0, 64)));
  });

  it('refuses negative ranges and a wrong number of ids', () => {
    expect(() => affineJitter(images, tg.random.key(0), { maxDegrees: -1, maxShift: 0 })).toThrow(tg.OptionError);
    expect(() => affineJitter(images, tg.random.key(0), { maxDegrees: 1, maxShift: 0, imageIds: [1] })).toThrow(tg.OptionError);
  });
});
