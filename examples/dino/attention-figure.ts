/**
 * The last block's CLS attention of the teacher (DINO's `visualize_attention.py`, docs/dino.md §8) on eight
 * test digits, one of each class 0–7: per digit a row holding the digit, one map per head with its
 * 60 %-mass mask outlined, and the digit again with the mask of the head-averaged map outlined on it.
 */
import { type Tensor, mean, reshape, sliceAxis, stopGradient } from '../../core/index.js';
import { type VitConfig, type VitParams, vit } from '../../nn/index.js';
import { attentionMaps, thresholdAttention } from '../../ssl/index.js';
import { type HeatmapCell, type HeatmapOverlay, type HeatmapRow, heatmapGrid } from '../support/plot.js';
import { writePng } from '../support/png.js';
import type { MnistSplit } from '../support/mnist.js';
import { normalisePixels } from './data.js';

export { figureDigits } from './figure-digits.js';

/** The share of attention mass the masks keep (the paper's 0.6). */
export const attentionMass = 0.6;
export function writeAttentionFigure(path: string, backbone: VitParams, config: VitConfig, digits: MnistSplit, title: string): void {
  const { attention } = vit(stopGradient(backbone), normalisePixels(digits.images), { config: { ...config, dropPathRate: 0 }, returnAttention: true });
  const [count, heads] = attention!.shape;
  const side = digits.images.shape[2];
  const grid = Math.floor(side / config.patchSize);
  const maps = attentionMaps(attention!, { grid: [grid, grid] }); // [n, heads, g, g]
  const flatMaps = reshape(maps, [count, heads, grid * grid]);
  const masks = thresholdAttention(flatMaps, attentionMass).dataSync();
  const averaged = thresholdAttention(mean(flatMaps, { axis: 1 }), attentionMass).dataSync();
  const mapValues = flatMaps.dataSync();
  const labels = digits.labels.dataSync();
  const cells = grid * grid;
  const rows: HeatmapRow[] = [];
  const overlays: HeatmapOverlay[] = [];
  for (let n = 0; n < count; n++) {
    const digit = pixels(sliceAxis(digits.images, 0, n, n + 1));
    const row: HeatmapCell[] = [{ values: digit, colormap: 'grey', range: [0, 1] }];
    for (let h = 0; h < heads; h++) {
      const start = (n * heads + h) * cells;
      row.push({ values: Float32Array.from(mapValues.subarray(start, start + cells)), size: [grid, grid] });
      overlays.push({ row: n, column: 1 + h, mask: Float32Array.from(masks.subarray(start, start + cells)), size: [grid, grid] });
    }
    row.push({ values: digit, colormap: 'grey', range: [0, 1] });
    overlays.push({ row: n, column: 1 + heads, mask: Float32Array.from(averaged.subarray(n * cells, (n + 1) * cells)), size: [grid, grid] });
    rows.push({ label: `digit ${labels[n]}`, cells: row, size: [side, side] });
  }
  const columnLabels = ['input', ...Array.from({ length: heads }, (_, h) => `head ${h + 1}`), 'mean mask'];
  writePng(path, heatmapGrid({ rows, columnLabels, overlays, scale: 3, title }));
}

function pixels(image: Tensor): Float32Array {
  return Float32Array.from(image.dataSync());
}
