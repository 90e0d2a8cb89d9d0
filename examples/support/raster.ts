/**
 * A minimal RGBA canvas for the example pictures: rectangles, anti-aliased lines, copies and tiling.
 * Pixels are row-major, 4 bytes each, non-premultiplied; coordinates outside the image are clipped.
 */

export type RgbaImage = { width: number; height: number; rgba: Uint8Array };

/** [red, green, blue] or [red, green, blue, alpha], each 0…255. */
export type Color = readonly [number, number, number] | readonly [number, number, number, number];

export const white: Color = [255, 255, 255];
export const black: Color = [0, 0, 0];

export function createImage(width: number, height: number, background: Color = white): RgbaImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`createImage: width and height must be positive integers, got ${width}×${height}`);
  }
  const image = { width, height, rgba: new Uint8Array(width * height * 4) };
  fillRect(image, 0, 0, width, height, background);
  return image;
}

/** Blends `color` over pixel (x, y) with its alpha times `coverage` (0…1). */
export function blendPixel(image: RgbaImage, x: number, y: number, color: Color, coverage = 1): void {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  const alpha = ((color[3] ?? 255) / 255) * Math.min(1, Math.max(0, coverage));
  if (alpha <= 0) return;
  const offset = (y * image.width + x) * 4;
  const pixels = image.rgba;
  for (let channel = 0; channel < 3; channel++) {
    pixels[offset + channel] = Math.round(pixels[offset + channel] * (1 - alpha) + color[channel] * alpha);
  }
  pixels[offset + 3] = Math.round(pixels[offset + 3] * (1 - alpha) + 255 * alpha);
}

/** Fills the rectangle [x, x + width) × [y, y + height), replacing what is there. */
export function fillRect(image: RgbaImage, x: number, y: number, width: number, height: number, color: Color): void {
  const left = Math.max(0, Math.floor(x));
  const top = Math.max(0, Math.floor(y));
  const right = Math.min(image.width, Math.floor(x + width));
  const bottom = Math.min(image.height, Math.floor(y + height));
  const alpha = color[3] ?? 255;
  for (let row = top; row < bottom; row++) {
    for (let column = left; column < right; column++) {
      const offset = (row * image.width + column) * 4;
      image.rgba[offset] = color[0];
      image.rgba[offset + 1] = color[1];
      image.rgba[offset + 2] = color[2];
      image.rgba[offset + 3] = alpha;
    }
  }
}

/** A one-pixel rectangle outline whose outer edge is the given rectangle. */
export function strokeRect(image: RgbaImage, x: number, y: number, width: number, height: number, color: Color): void {
  fillRect(image, x, y, width, 1, color);
  fillRect(image, x, y + height - 1, width, 1, color);
  fillRect(image, x, y, 1, height, color);
  fillRect(image, x + width - 1, y, 1, height, color);
}

/** Inclusive pixel bounds that drawing stays inside. */
export type ClipBox = { left: number; top: number; right: number; bottom: number };

export type LineOptions = { thickness?: number; clip?: ClipBox };

/**
 * An anti-aliased segment from (x0, y0) to (x1, y1) in pixel-centre coordinates: each pixel is
 * covered by how far its centre lies inside a capsule of the given thickness (default 1.5).
 */
export function drawLine(image: RgbaImage, x0: number, y0: number, x1: number, y1: number, color: Color, options: LineOptions = {}): void {
  const { thickness = 1.5, clip = { left: 0, top: 0, right: image.width - 1, bottom: image.height - 1 } } = options;
  const reach = thickness / 2 + 1;
  const left = Math.max(0, clip.left, Math.floor(Math.min(x0, x1) - reach));
  const right = Math.min(image.width - 1, clip.right, Math.ceil(Math.max(x0, x1) + reach));
  const top = Math.max(0, clip.top, Math.floor(Math.min(y0, y1) - reach));
  const bottom = Math.min(image.height - 1, clip.bottom, Math.ceil(Math.max(y0, y1) + reach));
  const dx = x1 - x0;
  const dy = y1 - y0;
  const lengthSquared = dx * dx + dy * dy;
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const along = lengthSquared === 0 ? 0 : Math.min(1, Math.max(0, ((x - x0) * dx + (y - y0) * dy) / lengthSquared));
      const distance = Math.hypot(x - (x0 + along * dx), y - (y0 + along * dy));
      blendPixel(image, x, y, color, thickness / 2 + 0.5 - distance);
    }
  }
}

/** Copies `source` into `target` with its top-left corner at (x, y), clipping at the edges. */
export function blit(target: RgbaImage, source: RgbaImage, x: number, y: number): void {
  for (let row = 0; row < source.height; row++) {
    const targetRow = y + row;
    if (targetRow < 0 || targetRow >= target.height) continue;
    const firstColumn = Math.max(0, -x);
    const lastColumn = Math.min(source.width, target.width - x);
    if (lastColumn <= firstColumn) continue;
    const from = (row * source.width + firstColumn) * 4;
    target.rgba.set(source.rgba.subarray(from, from + (lastColumn - firstColumn) * 4), (targetRow * target.width + x + firstColumn) * 4);
  }
}

export type TileOptions = { columns: number; gap?: number; background?: Color };

/** Tiles images left to right, top to bottom; each grid cell is as large as the largest image. */
export function tileImages(images: readonly RgbaImage[], options: TileOptions): RgbaImage {
  const { gap = 8, background = white } = options;
  if (images.length === 0) throw new Error('tileImages: needs at least one image');
  const columns = Math.max(1, Math.min(Math.floor(options.columns), images.length));
  const rows = Math.ceil(images.length / columns);
  const cellWidth = Math.max(...images.map((image) => image.width));
  const cellHeight = Math.max(...images.map((image) => image.height));
  const canvas = createImage(columns * cellWidth + (columns + 1) * gap, rows * cellHeight + (rows + 1) * gap, background);
  images.forEach((image, index) => {
    const column = index % columns;
    const row = Math.floor(index / columns);
    blit(canvas, image, gap + column * (cellWidth + gap), gap + row * (cellHeight + gap));
  });
  return canvas;
}
