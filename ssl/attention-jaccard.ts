/**
 * How well attention finds the object, as one number: the Jaccard index |A ∩ B| / |A ∪ B| between
 * the CLS-attention mask that keeps 60 % of the mass (the paper's figure, `thresholdAttention`),
 * upsampled to the image, and the object's mask (for digits: the ink, pixels above a threshold).
 * DINO's paper scores the same masks against segmentation labels (its Table 7 Jaccard similarity).
 */
import { type Tensor, OptionError, ShapeError, mean, reshape } from '../core/index.js';
import { attentionMaps, thresholdAttention } from './eval.js';

export interface AttentionJaccardOptions {
  /** Side of a patch in pixels; the grid times it must be the image side. */
  readonly patchSize: number;
  /** The attention mass the mask keeps (default 0.6). */
  readonly keep?: number;
  /** Pixels above this are the object (default 0.3, digits in [0, 1]). */
  readonly inkThreshold?: number;
}

export interface AttentionJaccardResult {
  /** Per head, the Jaccard index averaged over the images. */
  readonly perHead: number[];
  /** The same for the mask of the head-averaged attention map. */
  readonly mean: number;
}

/** |A ∩ B| / |A ∪ B| of two 0/1 masks (1 when both are empty). */
export function jaccardIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let [intersection, union] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] > 0.5, b[i] > 0.5];
    if (x && y) intersection++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : intersection / union;
}

/** Jaccard of a flat grid mask [g·g], each cell spread over patch × patch pixels, with a pixel mask [side·side]. */
function gridJaccard(grid: ArrayLike<number>, cells: number, patch: number, object: ArrayLike<number>): number {
  const side = cells * patch;
  const upsampled = new Float64Array(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) upsampled[y * side + x] = grid[Math.floor(y / patch) * cells + Math.floor(x / patch)];
  return jaccardIndex(upsampled, object);
}

/**
 * Arguments: `attention` [B, heads, N, N], the last block's attention probabilities (token 0 CLS);
 * `images` [B, 1, H, W] in [0, 1] with H = W = grid · patchSize. Returns the mean Jaccard per head and for the mean map.
 */
export function attentionJaccard(attention: Tensor, images: Tensor, options: AttentionJaccardOptions): AttentionJaccardResult {
  const { patchSize, keep = 0.6, inkThreshold = 0.3 } = options;
  if (images.rank !== 4 || images.shape[1] !== 1 || images.shape[2] !== images.shape[3]) throw new ShapeError(`attentionJaccard: images must be [B, 1, H, H], got [${images.shape}]`);
  const [count, , side] = images.shape;
  const cells = side / patchSize;
  if (!Number.isInteger(cells)) throw new OptionError(`attentionJaccard: patchSize ${patchSize} does not divide the image side ${side}`);
  if (attention.rank !== 4 || attention.shape[0] !== count || attention.shape[2] !== cells * cells + 1) {
    throw new ShapeError(`attentionJaccard: attention must be [${count}, heads, ${cells * cells + 1}, ${cells * cells + 1}], got [${attention.shape}]`);
  }
  const heads = attention.shape[1];
  const maps = attentionMaps(attention); // [B, heads, P]
  const headMasks = thresholdAttention(maps, keep).dataSync();
  const meanMasks = thresholdAttention(reshape(mean(maps, { axis: 1 }), [count, cells * cells]), keep).dataSync();
  const pixels = images.dataSync();
  const plane = side * side;
  const perHead = new Array<number>(heads).fill(0);
  let meanTotal = 0;
  for (let n = 0; n < count; n++) {
    const ink = Array.from(pixels.subarray(n * plane, (n + 1) * plane), (v) => (v > inkThreshold ? 1 : 0));
    const grids = cells * cells;
    for (let h = 0; h < heads; h++) perHead[h] += gridJaccard(headMasks.subarray((n * heads + h) * grids, (n * heads + h + 1) * grids), cells, patchSize, ink);
    meanTotal += gridJaccard(meanMasks.subarray(n * grids, (n + 1) * grids), cells, patchSize, ink);
  }
  return { perHead: perHead.map((total) => total / count), mean: meanTotal / count };
}
