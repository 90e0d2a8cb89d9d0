/**
 * Random multi-crop batches on the host: 2 global crops [B, C, 28, 28] and 4 local crops
 * [B, C, 12, 12], standard-normal pixels (the scale of normalised images), each a flat row-major
 * Float32Array.
 */
import { type BenchPreset, benchVitMnist } from './preset.js';
import { seededRandom } from './seeded-random.js';

export interface HostCrop {
  /** [B, C, H, W]. */
  readonly shape: readonly [number, number, number, number];
  readonly data: Float32Array;
}

/** Crops in DINO's order: the global crops first, then the local ones. */
export type HostCrops = readonly HostCrop[];

export function randomCrops(seed: number, preset: BenchPreset = benchVitMnist): HostCrops {
  const random = seededRandom(seed);
  const { batch, inChannels, imageSize, localSize, globalCrops, localCrops } = preset;
  const crop = (size: number): HostCrop => {
    const shape = [batch, inChannels, size, size] as const;
    return { shape, data: Float32Array.from({ length: batch * inChannels * size * size }, random.normal) };
  };
  return [...Array.from({ length: globalCrops }, () => crop(imageSize)), ...Array.from({ length: localCrops }, () => crop(localSize))];
}
