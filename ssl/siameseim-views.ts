/**
 * SiameseIM's two views (official `main_pretrain.py: DataAugmentationForSIM`, spatial part): each
 * view flips the WHOLE image with probability ½, then takes an independent RandomResizedCrop of the
 * (possibly flipped) image, and the pixel box is recorded in that flipped frame. Colour transforms
 * come after the crop and do not change geometry; they are not applied here.
 *
 * Every random choice is drawn from a PRNG key. The crop box comes from `augment.ts`'s
 * `sampleCropBox`, torchvision's `RandomResizedCrop.get_params` (10 attempts, then a centre crop).
 */
import { OptionError, ShapeError, type Tensor, tensor } from '../core/index.js';
import { random } from '../core/random.js';
import { sampleCropBox } from './augment.js';
import { type RelativePosition, type ViewGeometry, relativePosition } from './relative-position.js';

export interface CropOptions {
  /** Area fraction range (released config: crop_min 0.08, so [0.08, 1]). */
  readonly scale?: readonly [number, number];
  /** Aspect ratio w/h range, log-uniform (default [3/4, 4/3]). */
  readonly ratio?: readonly [number, number];
}

/** Uniforms per view: augment's crop slots (20 for the attempts, top, left), then the flip. */
const CROP_DRAWS = 22;
const FLIP_SLOT = 22;

export interface ViewPairOptions extends CropOptions {
  /** Probability of flipping each view (default 0.5). */
  readonly flipProbability?: number;
  /** View b = view a, the same crop and flip (the MIM baseline). */
  readonly sameView?: boolean;
}

export interface ViewPair {
  readonly a: ViewGeometry;
  readonly b: ViewGeometry;
  /** View b relative to view a (the official 6-tuple). */
  readonly relative: RelativePosition;
}

/** Draws the geometry of both views of one H×W image from `key`. */
export function sampleViewPair(key: Tensor, height: number, width: number, options: ViewPairOptions = {}): ViewPair {
  const { flipProbability = 0.5, sameView = false, scale = [0.08, 1], ratio = [3 / 4, 4 / 3] } = options;
  const draw = (index: number): ViewGeometry => {
    const draws = random.uniform(random.foldIn(key, index), [CROP_DRAWS + 1], { dtype: 'float64' }).dataSync();
    return { flip: draws[FLIP_SLOT] < flipProbability, box: sampleCropBox(draws, height, width, scale, ratio) };
  };
  const a = draw(0);
  const b = sameView ? a : draw(1);
  return { a, b, relative: relativePosition(a, b, width) };
}

/**
 * The pixels of one view: flip the whole image (if the view says so), crop the box (given in the
 * flipped frame), resize to size×size with bilinear interpolation (half-pixel centres, edges
 * clamped to the crop, no antialiasing; the official pipeline uses PIL bicubic).
 * Arguments: image [C, H, W]. Returns [C, size, size] of the image's dtype.
 */
export function cropView(image: Tensor, view: ViewGeometry, size: number): Tensor {
  if (image.rank !== 3) throw new ShapeError(`cropView: image must be [C, H, W], got shape [${image.shape.join(', ')}]`);
  if (!Number.isInteger(size) || size < 1) throw new OptionError(`cropView: size must be a positive integer, got ${size}`);
  const [channels, height, width] = image.shape;
  const { top, left, height: h, width: w } = view.box;
  if (top < 0 || left < 0 || top + h > height || left + w > width || h < 1 || w < 1) {
    throw new ShapeError(`cropView: box ${JSON.stringify(view.box)} does not fit the ${height}×${width} image`);
  }
  const source = image.dataSync();
  const out = new Float64Array(channels * size * size);
  const taps = (count: number, length: number) =>
    Array.from({ length: count }, (_, o) => {
      const x = Math.min(Math.max((o + 0.5) * (length / count) - 0.5, 0), length - 1);
      const low = Math.floor(x);
      return { low, high: Math.min(low + 1, length - 1), weight: x - low };
    });
  const rows = taps(size, h);
  const cols = taps(size, w);
  // column c of the flipped frame is column W − 1 − c of the image
  const column = (c: number) => (view.flip ? width - 1 - (left + c) : left + c);
  for (let ch = 0; ch < channels; ch++) {
    const plane = ch * height * width;
    rows.forEach((r, y) => {
      const upper = plane + (top + r.low) * width;
      const lower = plane + (top + r.high) * width;
      cols.forEach((c, x) => {
        const [c0, c1] = [column(c.low), column(c.high)];
        const above = source[upper + c0] * (1 - c.weight) + source[upper + c1] * c.weight;
        const below = source[lower + c0] * (1 - c.weight) + source[lower + c1] * c.weight;
        out[(ch * size + y) * size + x] = above * (1 - r.weight) + below * r.weight;
      });
    });
  }
  return tensor(out, { shape: [channels, size, size], dtype: image.dtype });
}

export interface TwoViews {
  /** [N, C, size, size]. */
  readonly viewA: Tensor;
  readonly viewB: Tensor;
  readonly pairs: readonly ViewPair[];
}

/**
 * Both views of every image, one `random.split` subkey per image.
 * Arguments: images [N, C, H, W]. Returns the two stacks of views and each pair's geometry.
 */
export function siameseimViews(key: Tensor, images: Tensor, size: number, options: ViewPairOptions = {}): TwoViews {
  if (images.rank !== 4) throw new ShapeError(`siameseimViews: images must be [N, C, H, W], got shape [${images.shape.join(', ')}]`);
  const [n, channels, height, width] = images.shape;
  const keys = random.split(key, n);
  const pairs = keys.map((k) => sampleViewPair(k, height, width, options));
  const data = images.dataSync();
  const plane = channels * height * width;
  const a = new Float64Array(n * channels * size * size);
  const b = new Float64Array(n * channels * size * size);
  pairs.forEach((pair, i) => {
    const image = tensor(data.slice(i * plane, (i + 1) * plane), { shape: [channels, height, width] });
    a.set(cropView(image, pair.a, size).dataSync(), i * channels * size * size);
    b.set(pair.b === pair.a ? a.subarray(i * channels * size * size, (i + 1) * channels * size * size) : cropView(image, pair.b, size).dataSync(), i * channels * size * size);
  });
  const shape = [n, channels, size, size];
  return { viewA: tensor(a, { shape, dtype: images.dtype }), viewB: tensor(b, { shape, dtype: images.dtype }), pairs };
}
