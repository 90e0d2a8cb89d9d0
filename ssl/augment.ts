/**
 * DINO's multi-crop augmentation (`main_dino.py:DataAugmentationDINO`; docs/dino.md §1)
 * on image tensors [B, C, H, W] with values in [0, 1] (what `ToTensor` gives), driven by a PRNG key.
 *
 * Each crop of each image gets its own key, foldIn(foldIn(key, imageId), cropIndex), and draws a
 * fixed budget of uniforms from it, each decision reading fixed slots. So an image's crops depend
 * only on the key, its id and the options, never on the other images of the batch nor on which
 * branches an earlier step took. Pass dataset indices as `imageIds` to make them independent of the
 * batch position as well.
 *
 * Per crop, in the official order: RandomResizedCrop → horizontal flip → colour jitter (p 0.8) →
 * grayscale (p 0.2) → Gaussian blur → solarisation → normalisation. Colour jitter and grayscale only
 * apply to RGB input (C = 3); for C = 1 they are skipped.
 *
 * Differences from the PIL pipeline, all deliberate: values stay in float (no uint8 rounding between
 * steps); resampling follows PIL's separable, antialiased filters (bicubic with a = −0.5, support
 * scaled by the downsampling factor) on the cropped region, clamped to [0, 1]; the blur is an exact,
 * separable Gaussian (sampled at integer offsets, radius ⌈3σ⌉, normalised, edges replicated), whereas
 * PIL's `GaussianBlur(radius=σ)` runs three extended box filters whose combined variance is σ², a
 * piecewise-quadratic kernel with the same variance and a slightly flatter top.
 * This is data preparation: plain typed-array code on the host, never differentiated.
 */
import { type Key, type Tensor, OptionError, ShapeError, random, tensor } from '../core/index.js';

export type Interpolation = 'bilinear' | 'bicubic';

/** A crop in input pixels: rows top .. top+height−1, columns left .. left+width−1. */
export interface CropBox {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** One crop of the list: its output size, area range and per-crop probabilities. */
export interface CropConfig {
  readonly size: number;
  /** Range of the crop's area as a fraction of the image's. */
  readonly scale: readonly [number, number];
  /** Blur when u ≤ blurProb (the official test uses ≤, so 1 always blurs). */
  readonly blurProb: number;
  /** Solarise when u < solarizeProb. */
  readonly solarizeProb: number;
}

export interface ColorJitterOptions {
  readonly prob?: number;
  readonly brightness?: number;
  readonly contrast?: number;
  readonly saturation?: number;
  readonly hue?: number;
}

export interface MultiCropOptions {
  readonly globalSize?: number;
  readonly localSize?: number;
  /** Number of local crops, so V = 2 + localCrops. */
  readonly localCrops?: number;
  readonly globalScale?: readonly [number, number];
  readonly localScale?: readonly [number, number];
  /** Aspect-ratio range w/h; sampled uniformly in log space. */
  readonly ratio?: readonly [number, number];
  readonly interpolation?: Interpolation;
  /** Probability of a horizontal flip (0 for digits). */
  readonly flipProb?: number;
  readonly colorJitter?: ColorJitterOptions;
  readonly grayscaleProb?: number;
  /** σ range of the Gaussian blur, in output pixels. */
  readonly blurSigma?: readonly [number, number];
  /** Blur probabilities of global crop 1, global crop 2 and the local crops. */
  readonly blurProbs?: readonly [number, number, number];
  /** Solarisation probabilities of global crop 1, global crop 2 and the local crops. */
  readonly solarizeProbs?: readonly [number, number, number];
  /** Per-channel (x − mean)/std after everything else; none by default. */
  readonly normalize?: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** Overrides the crop list built from the options above. */
  readonly crops?: readonly CropConfig[];
  /** Ids folded into the key per image (default 0..B−1); dataset indices make crops batch-independent. */
  readonly imageIds?: readonly number[];
  readonly dtype?: 'float32' | 'float64';
}

export interface CropRecord {
  readonly box: CropBox;
  readonly flipped: boolean;
  /** The jitter applied (order of the four adjustments and their factors), or null. */
  readonly jitter: { readonly order: readonly string[]; readonly brightness: number; readonly contrast: number; readonly saturation: number; readonly hue: number } | null;
  readonly grayscale: boolean;
  /** σ of the blur applied, or null. */
  readonly blurSigma: number | null;
  readonly solarized: boolean;
}

export interface MultiCropResult {
  /** V tensors [B, C, size_v, size_v], crop-major: [global1, global2, local_1 .. local_n]. */
  readonly crops: Tensor[];
  /** boxes[v][b]: the region of image b that crop v resampled. */
  readonly boxes: CropBox[][];
  /** records[v][b]: every random decision taken for crop v of image b. */
  readonly records: CropRecord[][];
}

/** ImageNet-size inputs, as the official code: 224/96, bicubic, ImageNet mean/std. */
export const imagenetMultiCrop: MultiCropOptions = {
  globalSize: 224,
  localSize: 96,
  normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
};

/** 28×28 digits: 28/12 crops, no flip (a mirrored digit is another symbol), MNIST mean/std. */
export const mnistMultiCrop: MultiCropOptions = {
  globalSize: 28,
  localSize: 12,
  flipProb: 0,
  normalize: { mean: [0.1307], std: [0.3081] },
};

/** The crop list [global1, global2, local × n] with the official per-crop probabilities. */
export function dinoCropConfigs(options: MultiCropOptions = {}): CropConfig[] {
  const { globalSize = 224, localSize = 96, localCrops = 8, globalScale = [0.4, 1], localScale = [0.05, 0.4] } = options;
  const [blurGlobal1, blurGlobal2, blurLocal] = options.blurProbs ?? [1, 0.1, 0.5];
  const [solarizeGlobal1, solarizeGlobal2, solarizeLocal] = options.solarizeProbs ?? [0, 0.2, 0];
  if (!Number.isInteger(localCrops) || localCrops < 0) throw new OptionError(`multiCrop: localCrops must be a non-negative integer, got ${localCrops}`);
  return [
    { size: globalSize, scale: globalScale, blurProb: blurGlobal1, solarizeProb: solarizeGlobal1 },
    { size: globalSize, scale: globalScale, blurProb: blurGlobal2, solarizeProb: solarizeGlobal2 },
    ...Array.from({ length: localCrops }, () => ({ size: localSize, scale: localScale, blurProb: blurLocal, solarizeProb: solarizeLocal })),
  ];
}

// fixed slots of each crop's uniforms, so that no decision shifts another's draws
const SLOT = { attempts: 0, top: 20, left: 21, flip: 22, jitter: 23, jitterOrder: 24, jitterFactors: 28, grayscale: 32, blur: 33, sigma: 34, solarize: 35 } as const;
const SLOTS = 36;
const ATTEMPTS = 10;

/**
 * The multi-crop views of a batch. Arguments: `key`, a PRNG key; `images` [B, C, H, W] in [0, 1].
 * Returns V crop tensors [B, C, s, s] (crop-major, global crops first), their boxes and decisions.
 */
export function multiCrop(key: Key, images: Tensor, options: MultiCropOptions = {}): MultiCropResult {
  if (images.rank !== 4) throw new ShapeError(`multiCrop: images must be [B, C, H, W], got [${images.shape}]`);
  const [batch, channels, height, width] = images.shape;
  const crops = options.crops ?? dinoCropConfigs(options);
  const settings = resolveSettings(options, channels);
  const imageIds = options.imageIds ?? Array.from({ length: batch }, (_, b) => b);
  if (imageIds.length !== batch) throw new OptionError(`multiCrop: imageIds must hold B = ${batch} ids, got ${imageIds.length}`);
  crops.forEach((crop, v) => checkCrop(crop, v));
  const pixels = images.dataSync();
  const plane = height * width;
  const imageKeys = imageIds.map((id) => random.foldIn(key, id));
  const boxes: CropBox[][] = [];
  const records: CropRecord[][] = [];
  const outputs = crops.map((crop, v) => {
    const size = crop.size;
    const out = settings.dtype === 'float32' ? new Float32Array(batch * channels * size * size) : new Float64Array(batch * channels * size * size);
    const cropRecords: CropRecord[] = [];
    for (let b = 0; b < batch; b++) {
      const draws = random.uniform(random.foldIn(imageKeys[b], v), [SLOTS], { dtype: 'float64' }).dataSync();
      const image = pixels.subarray(b * channels * plane, (b + 1) * channels * plane);
      const { data, record } = augmentOne(image, channels, height, width, crop, settings, draws);
      out.set(data, b * channels * size * size);
      cropRecords.push(record);
    }
    boxes.push(cropRecords.map((r) => r.box));
    records.push(cropRecords);
    return tensor(out, { shape: [batch, channels, size, size] });
  });
  return { crops: outputs, boxes, records };
}

interface Settings {
  readonly ratio: readonly [number, number];
  readonly interpolation: Interpolation;
  readonly flipProb: number;
  readonly jitter: Required<ColorJitterOptions>;
  readonly grayscaleProb: number;
  readonly blurSigma: readonly [number, number];
  readonly normalize?: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly rgb: boolean;
  readonly dtype: 'float32' | 'float64';
}

function resolveSettings(options: MultiCropOptions, channels: number): Settings {
  const { ratio = [3 / 4, 4 / 3], interpolation = 'bicubic', flipProb = 0.5, grayscaleProb = 0.2, blurSigma = [0.1, 2], normalize, dtype = 'float32' } = options;
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) throw new OptionError(`multiCrop: ratio must be [low, high] with 0 < low ≤ high, got [${ratio}]`);
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') throw new OptionError(`multiCrop: interpolation must be "bilinear" or "bicubic", got ${JSON.stringify(interpolation)}`);
  if (!(blurSigma[0] > 0 && blurSigma[0] <= blurSigma[1])) throw new OptionError(`multiCrop: blurSigma must be [low, high] with 0 < low ≤ high, got [${blurSigma}]`);
  if (channels !== 1 && channels !== 3) throw new ShapeError(`multiCrop: images must have 1 or 3 channels, got ${channels}`);
  if (normalize && (normalize.mean.length !== channels || normalize.std.length !== channels)) {
    throw new OptionError(`multiCrop: normalize.mean and normalize.std need one value per channel (${channels})`);
  }
  const jitter = { prob: 0.8, brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1, ...options.colorJitter };
  return { ratio, interpolation, flipProb, jitter, grayscaleProb, blurSigma, normalize, rgb: channels === 3, dtype };
}

function checkCrop(crop: CropConfig, v: number): void {
  if (!Number.isInteger(crop.size) || crop.size < 1) throw new OptionError(`multiCrop: crop ${v} size must be a positive integer, got ${crop.size}`);
  if (!(crop.scale[0] > 0 && crop.scale[0] <= crop.scale[1])) throw new OptionError(`multiCrop: crop ${v} scale must be [low, high] with 0 < low ≤ high, got [${crop.scale}]`);
}

/** One crop of one image [C, H, W] → [C, s, s], with its record. */
function augmentOne(image: ArrayLike<number>, channels: number, height: number, width: number, crop: CropConfig, settings: Settings, draws: ArrayLike<number>) {
  const size = crop.size;
  const box = sampleCropBox(draws, height, width, crop.scale, settings.ratio);
  let data = resizedCrop(image, channels, height, width, box, size, settings.interpolation);
  const flipped = draws[SLOT.flip] < settings.flipProb;
  if (flipped) flipHorizontal(data, channels, size);
  let jitter: CropRecord['jitter'] = null;
  let grayscale = false;
  if (settings.rgb) {
    if (draws[SLOT.jitter] < settings.jitter.prob) jitter = colorJitter(data, size, settings.jitter, draws);
    grayscale = draws[SLOT.grayscale] < settings.grayscaleProb;
    if (grayscale) toGrayscale(data, size);
  }
  let blurSigma: number | null = null;
  if (crop.blurProb > 0 && draws[SLOT.blur] <= crop.blurProb) {
    const [low, high] = settings.blurSigma;
    blurSigma = low + (high - low) * draws[SLOT.sigma];
    data = gaussianBlur(data, channels, size, size, blurSigma);
  }
  const solarized = draws[SLOT.solarize] < crop.solarizeProb;
  if (solarized) solarize(data);
  if (settings.normalize) {
    const { mean, std } = settings.normalize;
    for (let c = 0; c < channels; c++) for (let i = c * size * size; i < (c + 1) * size * size; i++) data[i] = (data[i] - mean[c]) / std[c];
  }
  return { data, record: { box, flipped, jitter, grayscale, blurSigma, solarized } };
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 attempts of area ~ U(scale)·H·W and
 * log aspect ~ U(log ratio), w = round(√(area·aspect)), h = round(√(area/aspect)); the first that
 * fits gets a uniform position. Otherwise the centre crop, with the aspect ratio clamped to `ratio`.
 */
export function sampleCropBox(draws: ArrayLike<number>, height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number]): CropBox {
  const area = height * width;
  const logLow = Math.log(ratio[0]);
  const logHigh = Math.log(ratio[1]);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const targetArea = area * (scale[0] + (scale[1] - scale[0]) * draws[SLOT.attempts + 2 * attempt]);
    const aspect = Math.exp(logLow + (logHigh - logLow) * draws[SLOT.attempts + 2 * attempt + 1]);
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = Math.floor(draws[SLOT.top] * (height - h + 1));
      const left = Math.floor(draws[SLOT.left] * (width - w + 1));
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = roundHalfEven(w / ratio[0]);
  else if (inRatio > ratio[1]) w = roundHalfEven(h * ratio[1]);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

type Filter = { readonly support: number; readonly weight: (x: number) => number };

const filters: Record<Interpolation, Filter> = {
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  // PIL's bicubic, a = −0.5 (PyTorch's tensor resize uses −0.75)
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

/** PIL's `precompute_coeffs`: for each output index, the first input index and normalised weights. */
function resampleCoefficients(inSize: number, outSize: number, filter: Filter): { first: Int32Array; taps: number; weights: Float64Array } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const low = Math.max(Math.trunc(center - support + 0.5), 0);
    const high = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    for (let x = low; x < high; x++) {
      const w = filter.weight((x - center + 0.5) / filterScale);
      weights[o * taps + x - low] = w;
      total += w;
    }
    if (total !== 0) for (let t = 0; t < high - low; t++) weights[o * taps + t] /= total;
    first[o] = low;
  }
  return { first, taps, weights };
}

/** Cuts `box` from each channel of [C, H, W] and resamples it to [C, size, size], clamped to [0, 1]. */
function resizedCrop(image: ArrayLike<number>, channels: number, height: number, width: number, box: CropBox, size: number, interpolation: Interpolation): Float64Array {
  const filter = filters[interpolation];
  const across = resampleCoefficients(box.width, size, filter);
  const down = resampleCoefficients(box.height, size, filter);
  const rows = new Float64Array(box.height * size);
  const out = new Float64Array(channels * size * size);
  for (let c = 0; c < channels; c++) {
    const base = c * height * width;
    for (let y = 0; y < box.height; y++) {
      const row = base + (box.top + y) * width + box.left;
      for (let o = 0; o < size; o++) {
        let acc = 0;
        const start = across.first[o];
        for (let t = 0; t < across.taps && start + t < box.width; t++) acc += across.weights[o * across.taps + t] * image[row + start + t];
        rows[y * size + o] = acc;
      }
    }
    for (let o = 0; o < size; o++) {
      const start = down.first[o];
      for (let x = 0; x < size; x++) {
        let acc = 0;
        for (let t = 0; t < down.taps && start + t < box.height; t++) acc += down.weights[o * down.taps + t] * rows[(start + t) * size + x];
        out[c * size * size + o * size + x] = Math.min(1, Math.max(0, acc));
      }
    }
  }
  return out;
}

function flipHorizontal(data: Float64Array, channels: number, size: number): void {
  for (let r = 0; r < channels * size; r++) data.subarray(r * size, (r + 1) * size).reverse();
}

const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * torchvision's `ColorJitter` on an RGB [3, s, s] image, in place: the four adjustments in a random
 * order (argsort of four uniforms, a uniform permutation), factors brightness, contrast ∈ [1 − x, 1 + x]
 * (floored at 0), saturation likewise, hue ∈ [−hue, hue].
 */
function colorJitter(data: Float64Array, size: number, options: Required<ColorJitterOptions>, draws: ArrayLike<number>): NonNullable<CropRecord['jitter']> {
  const factor = (spread: number, u: number) => Math.max(0, 1 - spread) + (1 + spread - Math.max(0, 1 - spread)) * u;
  const f = SLOT.jitterFactors;
  const brightness = factor(options.brightness, draws[f]);
  const contrast = factor(options.contrast, draws[f + 1]);
  const saturation = factor(options.saturation, draws[f + 2]);
  const hue = -options.hue + 2 * options.hue * draws[f + 3];
  const names = ['brightness', 'contrast', 'saturation', 'hue'];
  const order = [0, 1, 2, 3].sort((a, b) => draws[SLOT.jitterOrder + a] - draws[SLOT.jitterOrder + b]).map((i) => names[i]);
  const plane = size * size;
  for (const step of order) {
    if (step === 'brightness' && options.brightness > 0) for (let i = 0; i < data.length; i++) data[i] = clamp01(data[i] * brightness);
    if (step === 'contrast' && options.contrast > 0) {
      let total = 0;
      for (let i = 0; i < plane; i++) total += luma(data[i], data[plane + i], data[2 * plane + i]);
      const mean = total / plane;
      for (let i = 0; i < data.length; i++) data[i] = clamp01(contrast * data[i] + (1 - contrast) * mean);
    }
    if (step === 'saturation' && options.saturation > 0) {
      for (let i = 0; i < plane; i++) {
        const gray = luma(data[i], data[plane + i], data[2 * plane + i]);
        for (let c = 0; c < 3; c++) data[c * plane + i] = clamp01(saturation * data[c * plane + i] + (1 - saturation) * gray);
      }
    }
    if (step === 'hue' && options.hue > 0) for (let i = 0; i < plane; i++) shiftHue(data, i, plane, hue);
  }
  return { order, brightness, contrast, saturation, hue };
}

/** RGB → HSV, h ← (h + shift) mod 1, → RGB, for pixel i of a planar RGB image. */
function shiftHue(data: Float64Array, i: number, plane: number, shift: number): void {
  const r = data[i];
  const g = data[plane + i];
  const b = data[2 * plane + i];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const chroma = max - min;
  if (chroma === 0) return;
  let h = max === r ? (g - b) / chroma : max === g ? 2 + (b - r) / chroma : 4 + (r - g) / chroma;
  h = (((h / 6 + shift) % 1) + 1) % 1;
  const s = chroma / max;
  const sector = h * 6;
  const k = Math.floor(sector) % 6;
  const fraction = sector - Math.floor(sector);
  const p = max * (1 - s);
  const q = max * (1 - s * fraction);
  const t = max * (1 - s * (1 - fraction));
  const rgb = [
    [max, t, p],
    [q, max, p],
    [p, max, t],
    [p, q, max],
    [t, p, max],
    [max, p, q],
  ][k];
  data[i] = rgb[0];
  data[plane + i] = rgb[1];
  data[2 * plane + i] = rgb[2];
}

/** L = 0.299R + 0.587G + 0.114B copied to all three channels. */
function toGrayscale(data: Float64Array, size: number): void {
  const plane = size * size;
  for (let i = 0; i < plane; i++) {
    const gray = luma(data[i], data[plane + i], data[2 * plane + i]);
    data[i] = data[plane + i] = data[2 * plane + i] = gray;
  }
}

/** The normalised Gaussian kernel exp(−x²/2σ²) at x = −r..r, r = ⌈3σ⌉. */
export function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Float64Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  return kernel.map((w) => w / total);
}

/** Separable Gaussian blur of [C, h, w] with replicated edges; returns a new array. */
export function gaussianBlur(data: Float64Array, channels: number, height: number, width: number, sigma: number): Float64Array {
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const temp = new Float64Array(data.length);
  const out = new Float64Array(data.length);
  const plane = height * width;
  for (let c = 0; c < channels; c++) {
    const base = c * plane;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let t = -radius; t <= radius; t++) acc += kernel[t + radius] * data[base + y * width + Math.min(width - 1, Math.max(0, x + t))];
        temp[base + y * width + x] = acc;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let t = -radius; t <= radius; t++) acc += kernel[t + radius] * temp[base + Math.min(height - 1, Math.max(0, y + t)) * width + x];
        out[base + y * width + x] = acc;
      }
    }
  }
  return out;
}

/** PIL's `solarize(threshold=128)` on [0, 1] values: v ≥ 128/255 becomes 1 − v. */
function solarize(data: Float64Array): void {
  const threshold = 128 / 255;
  for (let i = 0; i < data.length; i++) if (data[i] >= threshold) data[i] = 1 - data[i];
}
