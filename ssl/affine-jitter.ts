/**
 * A small random rotation and shift per image before cropping, as torchvision's `RandomAffine`
 * (bilinear, zero fill, about the image centre). Digits are centred by their mass in MNIST, so
 * multi-crop alone never moves a digit by a fraction of a pixel or tilts it; this adds the slant
 * and placement a writer varies. Host code on [B, C, H, W] values, never differentiated.
 *
 * For angle θ (positive turns the image anticlockwise as seen, y pointing down) and shift t, the
 * output pixel p reads the input at c + R(−θ)(p − c − t), c the centre ((W−1)/2, (H−1)/2).
 */
import { type Key, type Tensor, OptionError, ShapeError, random, tensor } from '../core/index.js';

export interface AffineJitterOptions {
  /** θ ~ U(−maxDegrees, maxDegrees). */
  readonly maxDegrees: number;
  /** tx, ty ~ U(−maxShift, maxShift) pixels each. */
  readonly maxShift: number;
  /** One per image; each image's draw depends on the key and its id only (default 0..B−1). */
  readonly imageIds?: ArrayLike<number>;
}

/** One plane [H·W] rotated by `degrees` and shifted by (`shiftX`, `shiftY`) pixels, bilinear with zero outside. */
export function affineWarpPlane(plane: ArrayLike<number>, height: number, width: number, degrees: number, shiftX: number, shiftY: number): Float32Array {
  const out = new Float32Array(height * width);
  const [cos, sin] = [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];
  const [centreX, centreY] = [(width - 1) / 2, (height - 1) / 2];
  const at = (row: number, column: number) => (row < 0 || row >= height || column < 0 || column >= width ? 0 : plane[row * width + column]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = [x - centreX - shiftX, y - centreY - shiftY];
      const sourceX = centreX + cos * u - sin * v;
      const sourceY = centreY + sin * u + cos * v;
      const [left, top] = [Math.floor(sourceX), Math.floor(sourceY)];
      const [fx, fy] = [sourceX - left, sourceY - top];
      out[y * width + x] =
        (1 - fy) * ((1 - fx) * at(top, left) + fx * at(top, left + 1)) + fy * ((1 - fx) * at(top + 1, left) + fx * at(top + 1, left + 1));
    }
  }
  return out;
}

/**
 * Arguments: `images` [B, C, H, W]; `key`. Each image draws its angle and shift from
 * foldIn(key, imageId); all its channels move together. Returns a new float32 tensor of the same shape.
 */
export function affineJitter(images: Tensor, key: Key, options: AffineJitterOptions): Tensor {
  if (images.rank !== 4) throw new ShapeError(`affineJitter: images must be [B, C, H, W], got [${images.shape}]`);
  const { maxDegrees, maxShift } = options;
  if (!(maxDegrees >= 0 && maxShift >= 0)) throw new OptionError(`affineJitter: maxDegrees and maxShift must be ≥ 0, got ${maxDegrees} and ${maxShift}`);
  const [batch, channels, height, width] = images.shape;
  const ids = options.imageIds ?? Array.from({ length: batch }, (_, b) => b);
  if (ids.length !== batch) throw new OptionError(`affineJitter: ${ids.length} imageIds for a batch of ${batch}`);
  const pixels = images.dataSync();
  const out = new Float32Array(pixels.length);
  const plane = height * width;
  for (let b = 0; b < batch; b++) {
    const [angle, shiftX, shiftY] = Array.from(random.uniform(random.foldIn(key, ids[b]), [3], { dtype: 'float64' }).dataSync(), (u) => 2 * u - 1);
    for (let c = 0; c < channels; c++) {
      const start = (b * channels + c) * plane;
      out.set(affineWarpPlane(pixels.subarray(start, start + plane), height, width, angle * maxDegrees, shiftX * maxShift, shiftY * maxShift), start);
    }
  }
  return tensor(out, { shape: images.shape, dtype: 'float32' });
}
