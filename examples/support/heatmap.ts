/**
 * Grids of small heatmaps for attention maps: one row per input (the image, one map per head, a
 * mask), each cell normalised on its own, coloured, and enlarged with nearest-neighbour sampling.
 */
import { drawText, glyphHeight, textHeight, textWidth } from './bitmap-font.js';
import { type Color, type RgbaImage, blendPixel, createImage, fillRect } from './raster.js';

export type ColormapName = 'viridis' | 'grey';

/** viridis sampled at nine evenly spaced points (matplotlib's values); we interpolate between them. */
const viridisStops: readonly Color[] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** The colour of t ∈ [0, 1] (clamped; NaN is drawn magenta so that it stands out). */
export function colormap(t: number, name: ColormapName = 'viridis'): Color {
  if (Number.isNaN(t)) return [255, 0, 255];
  const clamped = Math.min(1, Math.max(0, t));
  if (name === 'grey') {
    const level = Math.round(clamped * 255);
    return [level, level, level];
  }
  const position = clamped * (viridisStops.length - 1);
  const index = Math.min(viridisStops.length - 2, Math.floor(position));
  const fraction = position - index;
  const [low, high] = [viridisStops[index], viridisStops[index + 1]];
  const mix = (channel: number) => Math.round(low[channel] + (high[channel] - low[channel]) * fraction);
  return [mix(0), mix(1), mix(2)];
}

/**
 * A cell: h×w values in row-major order, in any range. A bare array uses the row's size and
 * viridis; the object form can give its own size (a 7×7 patch map in a row of 28×28 images is
 * stretched to the same box), a colour map, and a fixed range instead of the cell's min and max.
 */
export type HeatmapCell = Float32Array | { values: Float32Array; size?: readonly [number, number]; colormap?: ColormapName; range?: readonly [number, number] };

export type HeatmapRow = { label?: string; cells: readonly HeatmapCell[]; size: readonly [number, number] };

/** Outlines the region where `mask` > 0.5 on top of cell (row, column), e.g. a mass mask over the input. */
export type HeatmapOverlay = { row: number; column: number; mask: Float32Array; size?: readonly [number, number]; color?: Color };

export type HeatmapGridOptions = {
  rows: readonly HeatmapRow[];
  /** Display pixels per value of the row's size (default 3: 28×28 becomes 84×84). */
  scale?: number;
  columnLabels?: readonly string[];
  title?: string;
  overlays?: readonly HeatmapOverlay[];
  gap?: number;
};

const margin = 6;

export function heatmapGrid(options: HeatmapGridOptions): RgbaImage {
  const { rows, scale = 3, columnLabels = [], title, overlays = [], gap = 4 } = options;
  if (rows.length === 0) throw new Error('heatmapGrid: needs at least one row');
  const cellWidth = Math.max(...rows.map((row) => row.size[1] * scale));
  const rowHeights = rows.map((row) => row.size[0] * scale);
  const columns = Math.max(...rows.map((row) => row.cells.length), columnLabels.length);
  const labelWidth = Math.max(0, ...rows.map((row) => textWidth(row.label ?? '')));
  const left = margin + (labelWidth > 0 ? labelWidth + 6 : 0);
  const titleHeight = title ? glyphHeight * 2 + 8 : 0;
  const top = margin + titleHeight + (columnLabels.length > 0 ? textHeight() + 3 : 0);
  const widestColumnLabel = Math.max(0, ...columnLabels.map((label) => textWidth(label)));
  const columnWidth = Math.max(cellWidth, widestColumnLabel) + gap;
  const width = Math.max(left + columns * columnWidth - gap + margin, title ? textWidth(title, 2) + 2 * margin : 0);
  const height = top + rowHeights.reduce((sum, rowHeight) => sum + rowHeight + gap, 0) - gap + margin;
  const image = createImage(width, height, [255, 255, 255]);

  if (title) drawText(image, title, Math.round(width / 2), margin, { scale: 2, align: 'center' });
  columnLabels.forEach((label, column) => drawText(image, label, left + column * columnWidth + Math.round((columnWidth - gap) / 2), top - textHeight() - 3, { align: 'center' }));
  let y = top;
  rows.forEach((row, rowIndex) => {
    const rowHeight = rowHeights[rowIndex];
    if (row.label) drawText(image, row.label, left - 6, y + Math.round((rowHeight - glyphHeight) / 2), { align: 'right' });
    row.cells.forEach((cell, column) => {
      const x = left + column * columnWidth + Math.round((columnWidth - gap - cellWidth) / 2);
      drawCell(image, cell, row.size, x, y, [rowHeight, row.size[1] * scale]);
      for (const overlay of overlays) {
        if (overlay.row === rowIndex && overlay.column === column) drawOutline(image, overlay, row.size, x, y, [rowHeight, row.size[1] * scale]);
      }
    });
    y += rowHeight + gap;
  });
  return image;
}

function drawCell(image: RgbaImage, cell: HeatmapCell, rowSize: readonly [number, number], x: number, y: number, box: readonly [number, number]): void {
  const { values, size = rowSize, colormap: map = 'viridis', range } = cell instanceof Float32Array ? { values: cell } : cell;
  const [cellHeight, cellWidth] = size;
  if (values.length !== cellHeight * cellWidth) throw new Error(`heatmapGrid: a cell has ${values.length} values, expected ${cellHeight}×${cellWidth}`);
  const [low, high] = range ?? finiteExtent(values);
  const span = high - low;
  for (let row = 0; row < box[0]; row++) {
    const sourceRow = Math.floor((row * cellHeight) / box[0]);
    for (let column = 0; column < box[1]; column++) {
      const value = values[sourceRow * cellWidth + Math.floor((column * cellWidth) / box[1])];
      fillRect(image, x + column, y + row, 1, 1, colormap(span > 0 ? (value - low) / span : Number.isNaN(value) ? NaN : 0.5, map));
    }
  }
}

function finiteExtent(values: Float32Array): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  return low <= high ? [low, high] : [0, 0];
}

/** Marks display pixels inside the mask whose 4-neighbour lies outside it. */
function drawOutline(image: RgbaImage, overlay: HeatmapOverlay, rowSize: readonly [number, number], x: number, y: number, box: readonly [number, number]): void {
  const [maskHeight, maskWidth] = overlay.size ?? rowSize;
  if (overlay.mask.length !== maskHeight * maskWidth) throw new Error(`heatmapGrid: an overlay mask has ${overlay.mask.length} values, expected ${maskHeight}×${maskWidth}`);
  const inside = (row: number, column: number) =>
    row >= 0 && column >= 0 && row < box[0] && column < box[1] && overlay.mask[Math.floor((row * maskHeight) / box[0]) * maskWidth + Math.floor((column * maskWidth) / box[1])] > 0.5;
  const color = overlay.color ?? [255, 64, 64];
  for (let row = 0; row < box[0]; row++) {
    for (let column = 0; column < box[1]; column++) {
      if (!inside(row, column)) continue;
      if (!inside(row - 1, column) || !inside(row + 1, column) || !inside(row, column - 1) || !inside(row, column + 1)) blendPixel(image, x + column, y + row, color);
    }
  }
}
