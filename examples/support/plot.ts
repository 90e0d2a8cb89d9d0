/**
 * Line charts rasterised into RGBA buffers, for the training curves of the examples (loss, teacher
 * entropy, KL, k-NN accuracy). Text comes from the built-in 5×7 font; no charting library.
 * Write the result with `writePng` from `png.ts`.
 */
import { type Axis, formatTick, niceAxis } from './axis-ticks.js';
import { drawText, glyphHeight, textWidth } from './bitmap-font.js';
import { type ClipBox, type Color, type RgbaImage, createImage, drawLine, fillRect, strokeRect, tileImages, white } from './raster.js';

export { heatmapGrid, type HeatmapCell, type HeatmapGridOptions, type HeatmapOverlay, type HeatmapRow } from './heatmap.js';

/** Colours for series without their own, after matplotlib's tab10. */
export const palette: readonly Color[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

export type Series = {
  name: string;
  /** [x, y] pairs in drawing order; a non-finite y breaks the line. */
  points: readonly (readonly [number, number])[];
  color?: Color;
};

export type LineChartOptions = {
  title: string;
  xLabel?: string;
  yLabel?: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** Fixed axis ranges; by default each covers its data, widened to whole tick steps. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
};

const padding = 8;
const tickLength = 4;
const gridColor: Color = [232, 232, 232];
const axisColor: Color = [70, 70, 70];
const textColor: Color = [30, 30, 30];

/** The picture, and where its plot area lies (inclusive pixel bounds of the frame). */
export type LineChart = RgbaImage & { plotArea: ClipBox };

/** A line chart with title, legend, axes, grid lines and numeric tick labels. */
export function lineChart(options: LineChartOptions): LineChart {
  const { title, xLabel, yLabel, series, width = 480, height = 300 } = options;
  const image = createImage(width, height, white);
  const heading = fitText(title, width - 2 * padding);
  drawText(image, heading.text, Math.round(width / 2), padding, { scale: heading.scale, align: 'center', color: textColor });
  const legendTop = padding + glyphHeight * heading.scale + 6;
  const legendBottom = drawLegend(image, series, legendTop);

  const finite = series.flatMap((entry) => entry.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const xAxis = axisFor(options.xRange, finite.map(([x]) => x), Math.max(2, Math.floor(width / 90)));
  const plotTop = legendBottom + 8;
  const plotBottom = height - padding - (xLabel ? glyphHeight + 6 : 0) - glyphHeight - 3 - tickLength;
  const yAxis = axisFor(options.yRange, finite.map(([, y]) => y), Math.max(2, Math.floor((plotBottom - plotTop) / 40)));
  const yLabels = yAxis.ticks.map((tick) => formatTick(tick, yAxis.step));
  const plotLeft = padding + (yLabel ? glyphHeight + 6 : 0) + Math.max(...yLabels.map((label) => textWidth(label))) + 3 + tickLength;
  const lastXLabel = formatTick(xAxis.ticks[xAxis.ticks.length - 1], xAxis.step);
  const plotRight = width - 1 - Math.max(padding, Math.ceil(textWidth(lastXLabel) / 2) + 2);
  if (plotRight - plotLeft < 20 || plotBottom - plotTop < 20) throw new Error(`lineChart: ${width}×${height} is too small for "${title}"`);
  const box: ClipBox = { left: plotLeft, top: plotTop, right: plotRight, bottom: plotBottom };
  const toPixelX = (x: number) => plotLeft + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * (plotRight - plotLeft);
  const toPixelY = (y: number) => plotBottom - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * (plotBottom - plotTop);

  xAxis.ticks.forEach((tick) => {
    const x = Math.round(toPixelX(tick));
    fillRect(image, x, plotTop, 1, plotBottom - plotTop, gridColor);
    fillRect(image, x, plotBottom + 1, 1, tickLength, axisColor);
    drawText(image, formatTick(tick, xAxis.step), x, plotBottom + tickLength + 3, { align: 'center', color: textColor });
  });
  yAxis.ticks.forEach((tick, index) => {
    const y = Math.round(toPixelY(tick));
    fillRect(image, plotLeft, y, plotRight - plotLeft, 1, gridColor);
    fillRect(image, plotLeft - tickLength, y, tickLength, 1, axisColor);
    drawText(image, yLabels[index], plotLeft - tickLength - 3, y - 3, { align: 'right', color: textColor });
  });
  strokeRect(image, plotLeft, plotTop, plotRight - plotLeft + 1, plotBottom - plotTop + 1, axisColor);
  if (xLabel) drawText(image, xLabel, Math.round((plotLeft + plotRight) / 2), height - padding - glyphHeight, { align: 'center', color: textColor });
  if (yLabel) drawText(image, yLabel, padding, Math.round((plotTop + plotBottom) / 2), { align: 'center', rotate: true, color: textColor });

  series.forEach((entry, index) => drawSeries(image, entry, colorOf(entry, index), toPixelX, toPixelY, box));
  if (finite.length === 0) drawText(image, 'no data', Math.round((plotLeft + plotRight) / 2), Math.round((plotTop + plotBottom) / 2) - 3, { align: 'center', color: axisColor });
  return { ...image, plotArea: box };
}

export type ChartGridOptions = { gap?: number; background?: Color };

/** Tiles charts (or any images) into one picture, `columns` per row. */
export function chartGrid(charts: readonly RgbaImage[], columns: number, options: ChartGridOptions = {}): RgbaImage {
  return tileImages(charts, { columns, gap: options.gap ?? 8, background: options.background ?? [245, 245, 245] });
}

/** The title at double size if it fits, else at single size, else cut short with '..'. */
function fitText(text: string, room: number): { text: string; scale: number } {
  if (textWidth(text, 2) <= room) return { text, scale: 2 };
  let fitted = text;
  while (fitted.length > 0 && textWidth(fitted === text ? fitted : `${fitted}..`) > room) fitted = fitted.slice(0, -1);
  return { text: fitted === text ? text : `${fitted}..`, scale: 1 };
}

function colorOf(entry: Series, index: number): Color {
  return entry.color ?? palette[index % palette.length];
}

function axisFor(range: readonly [number, number] | undefined, values: number[], targetCount: number): Axis {
  if (range) {
    const axis = niceAxis(range[0], range[1], targetCount);
    return { ...axis, min: range[0], max: range[1], ticks: axis.ticks.filter((tick) => tick >= range[0] && tick <= range[1]) };
  }
  if (values.length === 0) return niceAxis(0, 1, targetCount);
  return niceAxis(Math.min(...values), Math.max(...values), targetCount);
}

/** Legend entries in rows under the title, wrapped to the chart width; returns the bottom edge. */
function drawLegend(image: RgbaImage, series: readonly Series[], top: number): number {
  if (series.length === 0) return top;
  const swatch = 14;
  const entries = series.map((entry, index) => ({ entry, color: colorOf(entry, index), width: swatch + 4 + textWidth(entry.name) }));
  const rows: (typeof entries)[] = [[]];
  let rowWidth = 0;
  for (const item of entries) {
    const row = rows[rows.length - 1];
    if (row.length > 0 && rowWidth + 14 + item.width > image.width - 2 * padding) {
      rows.push([item]);
      rowWidth = item.width;
    } else {
      rowWidth += (row.length > 0 ? 14 : 0) + item.width;
      row.push(item);
    }
  }
  rows.forEach((row, rowIndex) => {
    const total = row.reduce((sum, item) => sum + item.width, 0) + 14 * (row.length - 1);
    let x = Math.round((image.width - total) / 2);
    const y = top + rowIndex * (glyphHeight + 5);
    for (const item of row) {
      drawLine(image, x, y + 3, x + swatch - 1, y + 3, item.color, { thickness: 2.5 });
      drawText(image, item.entry.name, x + swatch + 4, y, { color: textColor });
      x += item.width + 14;
    }
  });
  return top + rows.length * (glyphHeight + 5) - 5;
}

function drawSeries(image: RgbaImage, entry: Series, color: Color, toPixelX: (x: number) => number, toPixelY: (y: number) => number, clip: ClipBox): void {
  let previous: [number, number] | undefined;
  for (const [x, y] of entry.points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      previous = undefined;
      continue;
    }
    const point: [number, number] = [toPixelX(x), toPixelY(y)];
    const from = previous ?? point;
    drawLine(image, from[0], from[1], point[0], point[1], color, { thickness: entry.points.length === 1 ? 4 : 1.6, clip });
    previous = point;
  }
}
