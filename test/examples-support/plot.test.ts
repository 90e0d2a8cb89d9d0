import { describe, expect, it } from 'vitest';
import { formatTick, niceAxis } from '../../examples/support/axis-ticks.js';
import { drawText, glyphPicture, hasGlyph, textWidth } from '../../examples/support/bitmap-font.js';
import { chartGrid, lineChart, palette } from '../../examples/support/plot.js';
import { type RgbaImage, createImage } from '../../examples/support/raster.js';

const pixelAt = (image: RgbaImage, x: number, y: number) => Array.from(image.rgba.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3));
const isColor = (image: RgbaImage, x: number, y: number, color: readonly number[]) => pixelAt(image, x, y).every((value, channel) => value === color[channel]);

describe('bitmap font', () => {
  it('draws the 1 glyph from its bitmap', () => {
    expect(glyphPicture('1')).toEqual(['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.']);
    const image = createImage(5, 7);
    drawText(image, '1', 0, 0);
    const drawn = Array.from({ length: 7 }, (_, y) => Array.from({ length: 5 }, (_, x) => (isColor(image, x, y, [0, 0, 0]) ? '#' : '.')).join(''));
    expect(drawn).toEqual(glyphPicture('1'));
  });

  it('has a glyph for every character the charts need', () => {
    const needed = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-%:/() ';
    expect([...needed].filter((character) => !hasGlyph(character))).toEqual([]);
    expect(textWidth('ab', 2)).toBe(22);
  });

  it('rotates text to read bottom to top', () => {
    const image = createImage(7, 5);
    drawText(image, '1', 0, 0, { rotate: true });
    // the 1's bottom serif (row 6, columns 1–3) becomes the rightmost column, rows 1–3 from the bottom
    expect([1, 2, 3].every((y) => isColor(image, 6, y, [0, 0, 0]))).toBe(true);
    expect(isColor(image, 6, 0, [0, 0, 0]) || isColor(image, 6, 4, [0, 0, 0])).toBe(false);
  });
});

describe('axis ticks', () => {
  it('picks 1-2-5 steps over whole-step ranges', () => {
    expect(niceAxis(0, 3000, 6).ticks).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000]);
    expect(niceAxis(2.1, 11.3, 5)).toMatchObject({ min: 2, max: 12, step: 2 });
    expect(niceAxis(0.1, 0.3, 4).ticks).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(niceAxis(5, 5).ticks.length).toBeGreaterThan(1);
  });

  it('labels ticks with the decimals the step needs, or a short exponent', () => {
    expect(formatTick(0.25, 0.05)).toBe('0.25');
    expect(formatTick(1500, 500)).toBe('1500');
    expect(formatTick(0.0004, 0.0001)).toBe('4e-4');
    expect(formatTick(1.5e6, 5e5)).toBe('1.5e6');
  });
});

describe('lineChart', () => {
  const chart = lineChart({ title: 'loss', xLabel: 'step', series: [{ name: 'y = x', points: Array.from({ length: 11 }, (_, x) => [x, x] as [number, number]) }], width: 320, height: 220 });

  it('draws the series inside the axes, through the middle for y = x', () => {
    const { left, top, right, bottom } = chart.plotArea;
    expect(right - left).toBeGreaterThan(200);
    expect(bottom - top).toBeGreaterThan(100);
    const series = palette[0];
    const inside: [number, number][] = [];
    for (let y = 0; y < chart.height; y++) {
      for (let x = 0; x < chart.width; x++) if (isColor(chart, x, y, series)) inside.push([x, y]);
    }
    const inPlot = inside.filter(([x, y]) => x >= left && x <= right && y >= top && y <= bottom);
    expect(inPlot.length).toBeGreaterThan(100);
    // everything else in the series colour is the legend swatch, above the plot
    expect(inside.filter(([, y]) => y > bottom).length).toBe(0);
    const middle = [Math.round((left + right) / 2), Math.round((top + bottom) / 2)];
    expect(inPlot.some(([x, y]) => Math.abs(x - middle[0]) <= 1 && Math.abs(y - middle[1]) <= 1)).toBe(true);
    // y = x rises to the right: the series is near the bottom-left and top-right corners, not the others
    const near = (cx: number, cy: number) => inPlot.some(([x, y]) => Math.abs(x - cx) <= 3 && Math.abs(y - cy) <= 3);
    expect([near(left, bottom), near(right, top), near(left, top), near(right, bottom)]).toEqual([true, true, false, false]);
  });

  it('draws dark text (ticks, labels, title) outside the plot area', () => {
    let darkOutside = 0;
    const { left, top, right, bottom } = chart.plotArea;
    for (let y = 0; y < chart.height; y++) {
      for (let x = 0; x < chart.width; x++) {
        const outside = x < left || x > right || y < top || y > bottom;
        if (outside && pixelAt(chart, x, y).every((value) => value < 60)) darkOutside++;
      }
    }
    expect(darkOutside).toBeGreaterThan(200);
  });

  it('survives no data, one point, NaN gaps and flat series', () => {
    expect(() => lineChart({ title: 'empty', series: [] })).not.toThrow();
    expect(() => lineChart({ title: 'one', series: [{ name: 'a', points: [[3, 0.5]] }] })).not.toThrow();
    expect(() => lineChart({ title: 'gaps', series: [{ name: 'a', points: [[0, 1], [1, NaN], [2, Infinity], [3, 2]] }] })).not.toThrow();
    expect(() => lineChart({ title: 'flat', series: [{ name: 'a', points: [[0, 7], [1, 7]] }] })).not.toThrow();
    expect(() => lineChart({ title: 'tiny', series: [], width: 40, height: 40 })).toThrow(/too small/);
  });

  it('shrinks, then shortens, a title too wide for the chart instead of clipping it', () => {
    const long = lineChart({ title: 'A title far too long to fit at double size in this chart', series: [], width: 200, height: 150 });
    const darkInEdges = Array.from({ length: 30 }, (_, y) => [0, 1, 2, 197, 198, 199].filter((x) => pixelAt(long, x, y).every((value) => value < 60)).length);
    expect(darkInEdges.every((count) => count === 0)).toBe(true);
    const titleColumns = Array.from({ length: 200 }, (_, x) => x).filter((x) => Array.from({ length: 20 }, (_, y) => pixelAt(long, x, y).every((value) => value < 60)).some(Boolean));
    expect(titleColumns[titleColumns.length - 1] - titleColumns[0]).toBeGreaterThan(170);
  });

  it('tiles charts in a grid', () => {
    const grid = chartGrid([chart, chart, chart], 2, { gap: 4 });
    expect([grid.width, grid.height]).toEqual([2 * 320 + 3 * 4, 2 * 220 + 3 * 4]);
  });
});
