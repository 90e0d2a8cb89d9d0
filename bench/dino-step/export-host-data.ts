/**
 * Writes the benchmark's host parameters and crops for a process that cannot import TypeScript (the
 * PyTorch benchmark): `npx tsx bench/dino-step/export-host-data.ts DIR` writes DIR/host-data.bin,
 * every array as little-endian float32 one after another, and DIR/host-data.json, which names each
 * array with its shape and its offset (in floats) into the .bin. Crops are listed per seed, in the
 * order the harness uses them: seed 1 is the sanity batch, seeds 2–4 the timed batches.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initHostParams } from './host-params.js';
import { benchVitMnist, initialLossWindow } from './preset.js';
import { randomCrops } from './random-crops.js';

export interface HostArrayEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
}

const directory = process.argv[2];
if (!directory) throw new Error('usage: npx tsx bench/dino-step/export-host-data.ts OUTPUT_DIRECTORY');

const arrays: { name: string; shape: readonly number[]; data: Float32Array }[] = [];
for (const [name, { shape, data }] of initHostParams(0)) arrays.push({ name: `param:${name}`, shape, data });
for (const seed of [1, 2, 3, 4]) randomCrops(seed).forEach((crop, i) => arrays.push({ name: `crops:${seed}:${i}`, shape: crop.shape, data: crop.data }));

let offset = 0;
const entries: HostArrayEntry[] = arrays.map(({ name, shape, data }) => {
  const entry = { name, shape, offset };
  offset += data.length;
  return entry;
});
const buffer = new Float32Array(offset);
arrays.forEach(({ data }, i) => buffer.set(data, entries[i].offset));

mkdirSync(directory, { recursive: true });
writeFileSync(path.join(directory, 'host-data.bin'), new Uint8Array(buffer.buffer));
writeFileSync(path.join(directory, 'host-data.json'), JSON.stringify({ preset: benchVitMnist, initialLossWindow: initialLossWindow(), arrays: entries }, null, 1));
process.stderr.write(`wrote ${arrays.length} arrays (${offset} floats) to ${directory}\n`);
