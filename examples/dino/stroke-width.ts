/**
 * A change of pen for digits: each image's strokes get thicker or thinner by a random amount, the
 * one-channel counterpart of the colour jitter DINO applies to photographs (which `multiCrop` skips
 * for C = 1). Without it, the cheapest property two crops of a digit share is how bold the writer's
 * pen was, and DINO's prototypes sort digits by ink rather than by shape (see the log in presets.ts).
 *
 * For t ~ U(−amount, amount): t > 0 blends the image towards its grey-level dilation, t < 0 towards
 * its erosion, both over the pixel and its four neighbours (outside the image counts as background 0),
 *   out = x + |t| · (max₄(x) − x)  or  x + |t| · (min₄(x) − x).
 * Host code on [B, 1, H, W] values in [0, 1]; never differentiated.
 */
import { type Key, type Tensor, ShapeError, random, tensor } from '../../core/index.js';

const neighbours = [
  [0, 1],
  [0, -1],
  [1, 0],
  [-1, 0],
] as const;

/**
 * Arguments: `images` [B, 1, H, W]; `key`; `imageIds` (one per image: each image's draw depends on
 * the key and its id only); `amount` ≤ 1. Returns a new tensor of the same shape.
 */
export function jitterStrokeWidth(images: Tensor, key: Key, imageIds: ArrayLike<number>, amount: number): Tensor {
  if (images.rank !== 4 || images.shape[1] !== 1) throw new ShapeError(`jitterStrokeWidth: images must be [B, 1, H, W], got [${images.shape}]`);
  const [batch, , height, width] = images.shape;
  const pixels = images.dataSync();
  const out = new Float32Array(pixels.length);
  const plane = height * width;
  for (let b = 0; b < batch; b++) {
    const t = amount * (2 * random.uniform(random.foldIn(key, imageIds[b]), [1], { dtype: 'float64' }).item() - 1);
    const base = b * plane;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const value = pixels[base + y * width + x];
        let extreme = value;
        for (const [dy, dx] of neighbours) {
          const row = y + dy;
          const column = x + dx;
          const other = row < 0 || row >= height || column < 0 || column >= width ? 0 : pixels[base + row * width + column];
          extreme = t >= 0 ? Math.max(extreme, other) : Math.min(extreme, other);
        }
        out[base + y * width + x] = value + Math.abs(t) * (extreme - value);
      }
    }
  }
  return tensor(out, { shape: images.shape, dtype: 'float32' });
}
