/**
 * Block-wise (BEiT-style) masks as SiameseIM uses them (official `util/masking_generator.py:
 * MaskingGenerator` with `fixed_num_masking_patches=True`): rectangles of at least `minPatches`
 * area and a bounded aspect ratio are added until the target count is reached or no block fits,
 * then random unmasked patches top the mask up to exactly `count`. Every choice comes from a key.
 */
import { type Tensor, tensor } from '../core/index.js';
import { OptionError } from '../core/index.js';
import { random } from '../core/random.js';

export interface BlockMaskOptions {
  /** Patches per side; a number for a square grid or [rows, cols] (default 14). */
  readonly grid?: number | readonly [number, number];
  /** Exactly this many patches are masked (default 118 of 196). */
  readonly count?: number;
  /** Smallest block area drawn (default 16). */
  readonly minPatches?: number;
  /** Largest block area drawn (default: count). */
  readonly maxPatches?: number;
  /** Aspect ratios h/w are log-uniform in [minAspect, maxAspect] (defaults 0.3 and 1/0.3). */
  readonly minAspect?: number;
  readonly maxAspect?: number;
}

/** A rectangle of patches: rows top … top+height−1, columns left … left+width−1. */
export interface MaskBlock {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

export interface BlockMask {
  /** 1 = masked (dropped from view a), row-major, length rows·cols. */
  readonly mask: Uint8Array;
  /** The accepted blocks, in order. */
  readonly blocks: readonly MaskBlock[];
  /** How many patches the blocks covered before the top-up. */
  readonly fromBlocks: number;
}

/** Draws uniforms in [0, 1) from a key, in chunks; the n-th number depends only on the key and n. */
export function uniformStream(key: Tensor, chunk = 256): () => number {
  let buffer: Float64Array = new Float64Array(0);
  let next = 0;
  let chunkIndex = 0;
  return () => {
    if (next >= buffer.length) {
      buffer = Float64Array.from(random.uniform(random.foldIn(key, chunkIndex++), [chunk], { dtype: 'float64' }).dataSync());
      next = 0;
    }
    return buffer[next++];
  };
}

/** Python's round (half to even), which the official code uses through `int(round(x))`. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** An integer uniform on [low, high], both included (Python's random.randint). */
const randint = (uniform: () => number, low: number, high: number) => low + Math.min(high - low, Math.floor(uniform() * (high - low + 1)));

interface Resolved {
  readonly rows: number;
  readonly cols: number;
  readonly count: number;
  readonly minPatches: number;
  readonly maxPatches: number;
  readonly logAspect: readonly [number, number];
}

function resolve(options: BlockMaskOptions): Resolved {
  const grid = options.grid ?? 14;
  const [rows, cols] = typeof grid === 'number' ? [grid, grid] : grid;
  const { count = 118, minPatches = 16, maxPatches = count, minAspect = 0.3 } = options;
  const maxAspect = options.maxAspect ?? 1 / minAspect;
  if (![rows, cols].every((n) => Number.isInteger(n) && n > 0)) throw new OptionError(`blockMask: grid must be positive integers, got ${JSON.stringify(grid)}`);
  if (!Number.isInteger(count) || count < 0 || count > rows * cols) throw new OptionError(`blockMask: count must be an integer in [0, ${rows * cols}], got ${count}`);
  if (!(minPatches > 0 && maxPatches >= 0)) throw new OptionError(`blockMask: need minPatches > 0 and maxPatches ≥ 0, got ${minPatches} and ${maxPatches}`);
  if (!(minAspect > 0 && maxAspect >= minAspect)) throw new OptionError(`blockMask: need 0 < minAspect ≤ maxAspect, got ${minAspect} and ${maxAspect}`);
  return { rows, cols, count, minPatches, maxPatches, logAspect: [Math.log(minAspect), Math.log(maxAspect)] };
}

/** One official `_mask` call: up to 10 attempts to add a block with 0 < new patches ≤ budget. */
function addBlock(mask: Uint8Array, budget: number, settings: Resolved, uniform: () => number): { added: number; block?: MaskBlock } {
  const { rows, cols, minPatches, logAspect } = settings;
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = minPatches + (budget - minPatches) * uniform();
    const aspect = Math.exp(logAspect[0] + (logAspect[1] - logAspect[0]) * uniform());
    const height = roundHalfEven(Math.sqrt(area * aspect));
    const width = roundHalfEven(Math.sqrt(area / aspect));
    if (!(width < cols && height < rows)) continue;
    const top = randint(uniform, 0, rows - height);
    const left = randint(uniform, 0, cols - width);
    let fresh = 0;
    for (let r = top; r < top + height; r++) for (let c = left; c < left + width; c++) fresh += 1 - mask[r * cols + c];
    if (fresh > 0 && fresh <= budget) {
      for (let r = top; r < top + height; r++) for (let c = left; c < left + width; c++) mask[r * cols + c] = 1;
      return { added: fresh, block: { top, left, height, width } };
    }
  }
  return { added: 0 };
}

/**
 * One block-wise mask with exactly `count` masked patches, every random choice drawn from `key`.
 * Arguments: key, an int32 PRNG key [2]. Returns the mask (row-major), its blocks and their coverage.
 */
export function blockMask(key: Tensor, options: BlockMaskOptions = {}): BlockMask {
  const settings = resolve(options);
  const { rows, cols, count, maxPatches } = settings;
  const uniform = uniformStream(key);
  const mask = new Uint8Array(rows * cols);
  const blocks: MaskBlock[] = [];
  let masked = 0;
  while (masked < count) {
    const { added, block } = addBlock(mask, Math.min(count - masked, maxPatches), settings, uniform);
    if (added === 0) break;
    masked += added;
    blocks.push(block!);
  }
  const fromBlocks = masked;
  // top up with a uniformly random choice of the still-visible patches (partial Fisher–Yates)
  const visible = Array.from(mask.keys()).filter((i) => mask[i] === 0);
  for (let k = 0; masked < count; k++, masked++) {
    const pick = k + Math.min(visible.length - k - 1, Math.floor(uniform() * (visible.length - k)));
    [visible[k], visible[pick]] = [visible[pick], visible[k]];
    mask[visible[k]] = 1;
  }
  return { mask, blocks, fromBlocks };
}

/**
 * A batch of block masks, one per `random.split(key, n)` subkey.
 * Returns: int32 [n, rows·cols], 1 = masked; every row has exactly `count` ones.
 */
export function blockMasks(key: Tensor, n: number, options: BlockMaskOptions = {}): Tensor {
  const { rows, cols } = resolve(options);
  const keys = random.split(key, n);
  const out = new Int32Array(n * rows * cols);
  for (let i = 0; i < n; i++) out.set(blockMask(keys[i], options).mask, i * rows * cols);
  return tensor(out, { shape: [n, rows * cols] });
}

/**
 * Indices of visible and masked patches per row of a mask with equal counts per row, each in
 * increasing order (as `x[~mask]` keeps them). Returns two int32 tensors [N, L − K] and [N, K].
 */
export function maskIndices(mask: Tensor): { visible: Tensor; masked: Tensor } {
  const [n, length] = mask.shape;
  const data = mask.dataSync();
  const visible: number[] = [];
  const masked: number[] = [];
  for (let i = 0; i < n; i++) for (let t = 0; t < length; t++) (data[i * length + t] ? masked : visible).push(t);
  if (masked.length % Math.max(1, n) !== 0) throw new OptionError('maskIndices: every row must mask the same number of patches');
  const k = n === 0 ? 0 : masked.length / n;
  return {
    visible: tensor(Int32Array.from(visible), { shape: [n, length - k] }),
    masked: tensor(Int32Array.from(masked), { shape: [n, k] }),
  };
}
