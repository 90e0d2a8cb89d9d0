/**
 * Resizing the learned position table to another patch grid exactly as DINO's
 * `VisionTransformer.interpolate_pos_encoding` does it with PyTorch's bicubic `F.interpolate`
 * (docs/dino.md §2.3): scale factor (n + 0.1)/g per axis, which also moves the sample positions
 * src = (dst + ½)·g/(n + 0.1) − ½, Keys cubic convolution with A = −0.75 on taps
 * floor(src)−1 … floor(src)+2, taps clamped to [0, g−1], positions themselves not clamped.
 *
 * The resampling is linear in the table, so it is built on the host as two small matrices (rows,
 * columns) and applied with matmul: gradients flow back to the table.
 */
import { OptionError, ShapeError, type DType, type Tensor, add, concat, matmul, reshape, sliceAxis, tensor } from '../core/index.js';

const cubicA = -0.75;

// Keys' cubic convolution kernel, its two pieces as PyTorch writes them
const cubicNear = (x: number) => ((cubicA + 2) * x - (cubicA + 3)) * x * x + 1; // |x| ≤ 1
const cubicFar = (x: number) => ((cubicA * x - 5 * cubicA) * x + 8 * cubicA) * x - 4 * cubicA; // 1 < |x| < 2

/**
 * The [outSize, inSize] matrix of PyTorch's 1-D bicubic resampling (align_corners false) with an
 * explicit `scaleFactor` (output/input), so row i holds the four clamped tap weights of output i.
 */
export function bicubicMatrix(inSize: number, outSize: number, scaleFactor: number, dtype: DType = 'float64'): Tensor {
  const step = 1 / scaleFactor; // PyTorch's compute_scales_value with a given scale: 1/scale
  const data = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const source = step * (i + 0.5) - 0.5;
    const base = Math.floor(source);
    const t = source - base;
    const weights = [cubicFar(t + 1), cubicNear(t), cubicNear(1 - t), cubicFar(1 - t + 1)];
    weights.forEach((w, tap) => {
      const column = Math.min(Math.max(base - 1 + tap, 0), inSize - 1);
      data[i * inSize + column] += w;
    });
  }
  return tensor(data, { shape: [outSize, inSize], dtype });
}

export interface InterpolateOptions {
  /** Image height and width in pixels. */
  readonly height: number;
  readonly width: number;
  readonly patchSize: number;
}

/** The patch grid of an image: (H // p, W // p), as the conv with stride p gives. */
export function patchGrid(height: number, width: number, patchSize: number): [number, number] {
  return [Math.floor(height / patchSize), Math.floor(width / patchSize)];
}

/**
 * The position table for an H×W input. Arguments: `posEmbed` [1, 1 + g², D] (CLS entry first).
 * Returns [1, 1 + gh·gw, D]: the table itself when gh·gw = g² and H = W (DINO's condition, so a
 * non-square image with the same token count IS interpolated), else the CLS entry followed by the
 * bicubically resampled patch entries in row-major grid order.
 */
export function interpolatePosEmbed(posEmbed: Tensor, options: InterpolateOptions): Tensor {
  const { height, width, patchSize } = options;
  if (posEmbed.rank !== 3 || posEmbed.shape[0] !== 1) {
    throw new ShapeError(`interpolatePosEmbed: argument posEmbed must be [1, 1 + N, D], got shape [${posEmbed.shape.join(', ')}]`);
  }
  const tableTokens = posEmbed.shape[1] - 1;
  const dim = posEmbed.shape[2];
  const grid = Math.round(Math.sqrt(tableTokens));
  if (grid * grid !== tableTokens) throw new ShapeError(`interpolatePosEmbed: the table's ${tableTokens} patch entries do not form a square grid`);
  const [rows, columns] = patchGrid(height, width, patchSize);
  if (rows < 1 || columns < 1) throw new OptionError(`interpolatePosEmbed: a ${height}×${width} image has no ${patchSize}×${patchSize} patch`);
  if (rows * columns === tableTokens && height === width) return posEmbed;
  const scaleRows = (rows + 0.1) / grid;
  const scaleColumns = (columns + 0.1) / grid;
  // F.interpolate's output size, floor(g · scale); the +0.1 keeps it from rounding below n
  if (Math.floor(grid * scaleRows) !== rows || Math.floor(grid * scaleColumns) !== columns) {
    throw new OptionError(`interpolatePosEmbed: the bicubic output size does not round to the ${rows}×${columns} grid`);
  }
  const clsEntry = sliceAxis(posEmbed, 1, 0, 1);
  const table = reshape(sliceAxis(posEmbed, 1, 1), [grid, grid * dim]);
  // rows: [gh, g] × [g, g·D]; then columns: [gw, g] × [gh, g, D] (broadcast over gh)
  const alongRows = reshape(matmul(bicubicMatrix(grid, rows, scaleRows, posEmbed.dtype), table), [rows, grid, dim]);
  const resampled = matmul(bicubicMatrix(grid, columns, scaleColumns, posEmbed.dtype), alongRows);
  return concat([clsEntry, reshape(resampled, [1, rows * columns, dim])], 1);
}

/** Adds the (interpolated) table to tokens [B, 1 + gh·gw, D] of an H×W image. */
export function addPosEmbed(tokens: Tensor, posEmbed: Tensor, options: InterpolateOptions): Tensor {
  return add(tokens, interpolatePosEmbed(posEmbed, options));
}
