import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tensor } from '../../core/index.js';
import { imageGrid, writePng } from '../../examples/support/png.js';
import { createImage, fillRect } from '../../examples/support/raster.js';

describe('writePng', () => {
  it('writes a PNG that pngjs reads back with the same size and pixels, leaving no temporary file', () => {
    const directory = mkdtempSync(join(tmpdir(), 'tapegrad-png-'));
    onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
    const image = createImage(7, 5, [10, 20, 30]);
    fillRect(image, 2, 1, 3, 2, [200, 100, 50, 128]);
    const path = join(directory, 'nested', 'picture.png');
    writePng(path, image);
    const read = pngjs.PNG.sync.read(readFileSync(path));
    expect([read.width, read.height]).toEqual([7, 5]);
    expect(new Uint8Array(read.data)).toEqual(image.rgba);
    expect(Array.from(read.data.subarray((1 * 7 + 2) * 4, (1 * 7 + 2) * 4 + 4))).toEqual([200, 100, 50, 128]);
    expect(readdirSync(join(directory, 'nested'))).toEqual(['picture.png']);
  });

  it('rejects a buffer of the wrong length', () => {
    expect(() => writePng(join(tmpdir(), 'never.png'), { width: 2, height: 2, rgba: new Uint8Array(15) })).toThrow(/2×2/);
  });
});

describe('imageGrid', () => {
  it('tiles [N, 1, H, W] images, scaled, with grey levels from [0, 1]', () => {
    const images = tensor(new Float32Array([0, 1, 0.5, 0, /* second */ 1, 1, 1, 1, /* third */ 0, 0, 0, 0]), { shape: [3, 1, 2, 2] });
    const grid = imageGrid(images, { columns: 2, scale: 2, gap: 1 });
    expect([grid.width, grid.height]).toEqual([2 * 4 + 3, 2 * 4 + 3]);
    const pixel = (x: number, y: number) => Array.from(grid.rgba.subarray((y * grid.width + x) * 4, (y * grid.width + x) * 4 + 4));
    expect(pixel(1, 1)).toEqual([0, 0, 0, 255]);
    expect(pixel(3, 1)).toEqual([255, 255, 255, 255]);
    expect(pixel(1, 3)).toEqual([128, 128, 128, 255]);
  });

  it('names the expected shapes when given another', () => {
    expect(() => imageGrid(tensor(new Float32Array(8), { shape: [2, 2, 2] }).reshape([1, 2, 2, 2]))).toThrow(/\[N, 1\|3, H, W\]/);
  });
});
