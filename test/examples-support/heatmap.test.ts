import { describe, expect, it } from 'vitest';
import { colormap, heatmapGrid } from '../../examples/support/heatmap.js';

describe('colormap', () => {
  it('runs from viridis purple to yellow and clamps', () => {
    expect(colormap(0)).toEqual([68, 1, 84]);
    expect(colormap(1)).toEqual([253, 231, 37]);
    expect(colormap(2)).toEqual(colormap(1));
    expect(colormap(0.5, 'grey')).toEqual([128, 128, 128]);
  });
});

describe('heatmapGrid', () => {
  it('normalises each cell on its own and stretches small maps to the row size', () => {
    const ramp = new Float32Array([0, 1, 2, 3]);
    const scaled = new Float32Array([0, 100, 200, 300]);
    const image = heatmapGrid({ rows: [{ size: [4, 4], cells: [{ values: ramp, size: [2, 2] }, { values: scaled, size: [2, 2] }] }], scale: 2, gap: 2 });
    expect([image.width, image.height]).toEqual([6 + 8 + 2 + 8 + 6, 6 + 8 + 6]);
    const at = (x: number, y: number) => Array.from(image.rgba.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3));
    // first cell starts at (6, 6); its top-left quarter (4×4 display pixels) is the minimum
    expect(at(6, 6)).toEqual([68, 1, 84]);
    expect(at(9, 9)).toEqual([68, 1, 84]);
    expect(at(13, 13)).toEqual([253, 231, 37]);
    // the second cell looks the same although its values are 100× larger
    expect(at(6 + 10, 6)).toEqual(at(6, 6));
    expect(at(13 + 10, 13)).toEqual(at(13, 13));
  });

  it('draws row and column labels, and outlines overlay masks', () => {
    const mask = new Float32Array(16).fill(0);
    mask[5] = mask[6] = mask[9] = mask[10] = 1;
    const plain = heatmapGrid({ rows: [{ label: 'digit 3', size: [4, 4], cells: [new Float32Array(16)] }], columnLabels: ['input'], scale: 4 });
    const outlined = heatmapGrid({ rows: [{ label: 'digit 3', size: [4, 4], cells: [new Float32Array(16)] }], columnLabels: ['input'], scale: 4, overlays: [{ row: 0, column: 0, mask }] });
    expect(plain.width).toBeGreaterThan(16 + 40);
    let changed = 0;
    for (let index = 0; index < plain.rgba.length; index += 4) if (plain.rgba[index] !== outlined.rgba[index]) changed++;
    expect(changed).toBe(4 * 8 - 4);
  });

  it('says which cell has the wrong number of values', () => {
    expect(() => heatmapGrid({ rows: [{ size: [3, 3], cells: [new Float32Array(8)] }] })).toThrow(/8 values, expected 3×3/);
  });
});
