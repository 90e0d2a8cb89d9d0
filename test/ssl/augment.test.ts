/** Multi-crop augmentation: boxes, ranges, determinism from keys, per-crop probabilities, shapes. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { type CropBox, gaussianBlur, gaussianKernel, mnistMultiCrop, multiCrop, sampleCropBox } from '../../ssl/augment.js';

const { random } = tg;

beforeAll(() => tg.setBackend('reference'));

/** Images whose pixels all differ, values in [0, 1]. */
function gradientImages(batch: number, channels: number, height: number, width: number, offset = 0): tg.Tensor {
  const size = batch * channels * height * width;
  const data = Float32Array.from({ length: size }, (_, i) => ((i * 7919 + offset * 104729) % 1000) / 999);
  return tg.tensor(data, { shape: [batch, channels, height, width] });
}

/** Some real (w0, h0) within ±0.5 of the rounded box can have area in scale·HW and w0/h0 in ratio. */
function boxFitsRanges(box: CropBox, height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number]): boolean {
  const area = height * width;
  const { width: w, height: h } = box;
  return (w - 0.5) * (h - 0.5) <= scale[1] * area && (w + 0.5) * (h + 0.5) >= scale[0] * area && (w - 0.5) / (h + 0.5) <= ratio[1] && (w + 0.5) / (h - 0.5) >= ratio[0];
}

const inside = (box: CropBox, height: number, width: number) =>
  box.top >= 0 && box.left >= 0 && box.height >= 1 && box.width >= 1 && box.top + box.height <= height && box.left + box.width <= width;

describe('multiCrop', () => {
  it('gives V crops of the configured sizes, crop-major, with boxes inside the image', () => {
    const images = gradientImages(3, 3, 40, 32);
    const { crops, boxes, records } = multiCrop(random.key(0), images, { globalSize: 24, localSize: 10, localCrops: 4 });
    expect(crops.map((c) => c.shape)).toEqual([[3, 3, 24, 24], [3, 3, 24, 24], ...new Array(4).fill([3, 3, 10, 10])]);
    expect(crops[0].dtype).toBe('float32');
    expect(boxes).toHaveLength(6);
    boxes.flat().forEach((box) => expect(inside(box, 40, 32)).toBe(true));
    expect(records[0].every((r) => r.blurSigma !== null && r.blurSigma >= 0.1 && r.blurSigma <= 2)).toBe(true);
    records.flat().forEach((r) => crops.length && expect(Number.isFinite(r.box.top)).toBe(true));
  });

  it('keeps scale and log-ratio within range over many draws (global and local)', () => {
    const [height, width] = [64, 48];
    for (let i = 0; i < 2000; i++) {
      const draws = random.uniform(random.key(i), [36], { dtype: 'float64' }).dataSync();
      for (const scale of [[0.4, 1], [0.05, 0.4]] as const) {
        const box = sampleCropBox(draws, height, width, scale, [3 / 4, 4 / 3]);
        expect(inside(box, height, width)).toBe(true);
        const fallback = box.top === Math.floor((height - box.height) / 2) && box.left === Math.floor((width - box.width) / 2) && box.width === width;
        if (!fallback) expect(boxFitsRanges(box, height, width, scale, [3 / 4, 4 / 3])).toBe(true);
      }
    }
  });

  it('falls back to the centre crop, with the aspect clamped, after 10 failed attempts', () => {
    const draws = new Float64Array(36).fill(0.5);
    expect(sampleCropBox(draws, 30, 30, [1, 1], [2, 3])).toEqual({ top: 7, left: 0, height: 15, width: 30 });
    expect(sampleCropBox(draws, 10, 40, [1, 1], [0.5, 1])).toEqual({ top: 0, left: 15, height: 10, width: 10 });
  });

  it('the same key gives the same crops, another key other crops', () => {
    const images = gradientImages(2, 3, 32, 32);
    const options = { globalSize: 16, localSize: 8, localCrops: 2 };
    const a = multiCrop(random.key(5), images, options);
    const b = multiCrop(random.key(5), images, options);
    const c = multiCrop(random.key(6), images, options);
    a.crops.forEach((crop, v) => expect(Array.from(crop.dataSync())).toEqual(Array.from(b.crops[v].dataSync())));
    expect(a.boxes).toEqual(b.boxes);
    expect(a.boxes).not.toEqual(c.boxes);
    expect(Array.from(a.crops[2].dataSync())).not.toEqual(Array.from(c.crops[2].dataSync()));
  });

  it('an image’s crops do not depend on the rest of the batch (ids folded per image and crop)', () => {
    const images = gradientImages(3, 1, 28, 28);
    const alone = tg.sliceAxis(images, 0, 2, 3);
    const full = multiCrop(random.key(1), images, { ...mnistMultiCrop, localCrops: 3 });
    const single = multiCrop(random.key(1), alone, { ...mnistMultiCrop, localCrops: 3, imageIds: [2] });
    full.crops.forEach((crop, v) => {
      expect(Array.from(tg.sliceAxis(crop, 0, 2, 3).dataSync())).toEqual(Array.from(single.crops[v].dataSync()));
      expect(full.boxes[v][2]).toEqual(single.boxes[v][0]);
    });
  });

  it('digits (C = 1): no flip, jitter nor grayscale; the official blur and solarise probabilities per crop', () => {
    const images = gradientImages(64, 1, 28, 28);
    const { crops, records } = multiCrop(random.key(2), images, { ...mnistMultiCrop, localCrops: 6 });
    expect(crops[0].shape).toEqual([64, 1, 28, 28]);
    expect(crops[2].shape).toEqual([64, 1, 12, 12]);
    records.flat().forEach((r) => {
      expect(r.flipped).toBe(false);
      expect(r.jitter).toBeNull();
      expect(r.grayscale).toBe(false);
    });
    const rate = (v: number, pick: (r: (typeof records)[0][0]) => boolean) => records[v].filter(pick).length / records[v].length;
    expect(rate(0, (r) => r.blurSigma !== null)).toBe(1);
    expect(rate(0, (r) => r.solarized)).toBe(0);
    expect(rate(1, (r) => r.solarized)).toBeGreaterThan(0.05);
    expect(rate(1, (r) => r.solarized)).toBeLessThan(0.45);
    expect(rate(1, (r) => r.blurSigma !== null)).toBeLessThan(0.3);
    const localBlur = records.slice(2).flat().filter((r) => r.blurSigma !== null).length / (6 * 64);
    expect(localBlur).toBeGreaterThan(0.4);
    expect(localBlur).toBeLessThan(0.6);
    records.slice(2).flat().forEach((r) => expect(r.solarized).toBe(false));
  });

  it('RGB: flips, jitters (p 0.8) and grays (p 0.2) at about their rates; a flip mirrors the crop', () => {
    const images = gradientImages(40, 3, 16, 16);
    const { records } = multiCrop(random.key(3), images, { globalSize: 8, localSize: 4, localCrops: 3 });
    const all = records.flat();
    const share = (pick: (r: (typeof all)[0]) => boolean) => all.filter(pick).length / all.length;
    expect(share((r) => r.flipped)).toBeGreaterThan(0.4);
    expect(share((r) => r.flipped)).toBeLessThan(0.6);
    expect(share((r) => r.jitter !== null)).toBeGreaterThan(0.7);
    expect(share((r) => r.jitter !== null)).toBeLessThan(0.9);
    expect(share((r) => r.grayscale)).toBeGreaterThan(0.12);
    expect(share((r) => r.grayscale)).toBeLessThan(0.28);
    all.filter((r) => r.jitter).forEach((r) => expect([...r.jitter!.order].sort()).toEqual(['brightness', 'contrast', 'hue', 'saturation']));

    // whole-image crops, nothing else random: a crop is the image itself, or its mirror
    const plain = {
      crops: [{ size: 16, scale: [1, 1] as const, blurProb: 0, solarizeProb: 0 }],
      ratio: [1, 1] as const,
      colorJitter: { prob: 0 },
      grayscaleProb: 0,
      dtype: 'float64' as const,
    };
    const image = gradientImages(6, 3, 16, 16);
    const out = multiCrop(random.key(4), image, plain);
    const source = image.toArray() as number[][][][];
    const result = out.crops[0].toArray() as number[][][][];
    out.records[0].forEach((r, b) => {
      const expected = r.flipped ? source[b].map((ch) => ch.map((row) => [...row].reverse())) : source[b];
      result[b].flat(2).forEach((x, i) => expect(x).toBeCloseTo(expected.flat(2)[i], 6));
    });
    expect(out.records[0].some((r) => r.flipped) && out.records[0].some((r) => !r.flipped)).toBe(true);
  });

  it('normalises per channel; values stay in [0, 1] before it', () => {
    const images = gradientImages(4, 3, 20, 20);
    const raw = multiCrop(random.key(9), images, { globalSize: 12, localSize: 6, localCrops: 2 });
    raw.crops.forEach((c) => c.dataSync().forEach((x) => expect(x >= 0 && x <= 1).toBe(true)));
    const normalize = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.5] };
    const normed = multiCrop(random.key(9), images, { globalSize: 12, localSize: 6, localCrops: 2, normalize });
    const x = raw.crops[0].toArray() as number[][][][];
    const y = normed.crops[0].toArray() as number[][][][];
    expect(y[1][2][3][4]).toBeCloseTo((x[1][2][3][4] - 0.3) / 0.5, 5);
  });
});

describe('gaussianBlur', () => {
  it('uses a normalised kernel, keeps constants, spreads an impulse symmetrically', () => {
    const kernel = gaussianKernel(1.3);
    expect(kernel.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(kernel.length).toBe(2 * Math.ceil(3.9) + 1);
    const flat = gaussianBlur(new Float64Array(25).fill(0.7), 1, 5, 5, 1.5);
    flat.forEach((v) => expect(v).toBeCloseTo(0.7, 14));
    const impulse = new Float64Array(81);
    impulse[40] = 1;
    const spread = gaussianBlur(impulse, 1, 9, 9, 1);
    expect(spread[40]).toBeCloseTo(kernel1(1) ** 2, 12);
    expect(spread[39]).toBeCloseTo(spread[41], 14);
    expect(spread[31]).toBeCloseTo(spread[39], 14);
  });
});

function kernel1(sigma: number): number {
  const k = gaussianKernel(sigma);
  return k[(k.length - 1) / 2];
}
