/**
 * PNG output for the examples (via pngjs), written atomically, and `imageGrid` to turn a batch of
 * image tensors into one picture (inputs, augmented views, reconstructions).
 */
import pngjs from 'pngjs';
import type { Tensor } from '../../core/index.js';
import { writeFileAtomic } from './atomic-file.js';
import { type Color, type RgbaImage, createImage, fillRect, tileImages } from './raster.js';

const { PNG } = pngjs;

export function encodePng(image: RgbaImage): Buffer {
  const { width, height, rgba } = image;
  if (rgba.length !== width * height * 4) throw new Error(`encodePng: ${rgba.length} bytes do not make a ${width}×${height} RGBA image`);
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png);
}

export function decodePng(bytes: Uint8Array): RgbaImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
}

/** Writes `image` as a PNG through `<path>.tmp-<pid>` and a rename; creates the directory. */
export function writePng(path: string, image: RgbaImage): void {
  writeFileAtomic(path, encodePng(image));
}

export type ImageGridOptions = {
  /** Images per row (default: about square). */
  columns?: number;
  /** Display pixels per image pixel, nearest neighbour (default 2). */
  scale?: number;
  gap?: number;
  /** Values mapped to black and white; others are clamped (default [0, 1]). */
  range?: readonly [number, number];
  background?: Color;
};

/**
 * Tiles a batch of images into one picture.
 * Arguments: `images` [N, H, W] or [N, C, H, W] with C = 1 (grey) or 3 (RGB), any float dtype.
 * Returns: an RGBA image ready for `writePng`.
 */
export function imageGrid(images: Tensor, options: ImageGridOptions = {}): RgbaImage {
  const shape = images.rank === 3 ? [images.shape[0], 1, images.shape[1], images.shape[2]] : [...images.shape];
  const [count, channels, height, width] = shape;
  if (shape.length !== 4 || (channels !== 1 && channels !== 3) || count === 0) {
    throw new Error(`imageGrid: expected images [N, H, W] or [N, 1|3, H, W] with N > 0, got [${images.shape.join(', ')}]`);
  }
  const { columns = Math.ceil(Math.sqrt(count)), scale = 2, gap = 2, range = [0, 1], background = [255, 255, 255] } = options;
  const data = images.dataSync();
  const level = (value: number) => Math.round(Math.min(1, Math.max(0, (value - range[0]) / (range[1] - range[0]))) * 255);
  const planeSize = height * width;
  const tiles = Array.from({ length: count }, (_, index) => {
    const tile = createImage(width * scale, height * scale);
    const start = index * channels * planeSize;
    for (let pixel = 0; pixel < planeSize; pixel++) {
      const channel = (c: number) => level(data[start + (channels === 1 ? 0 : c) * planeSize + pixel]);
      fillRect(tile, (pixel % width) * scale, Math.floor(pixel / width) * scale, scale, scale, [channel(0), channel(1), channel(2)]);
    }
    return tile;
  });
  return tileImages(tiles, { columns, gap, background });
}
