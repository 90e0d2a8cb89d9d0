/**
 * Pseudo-random numbers from explicit keys, after `jax.random`: no global generator and no hidden
 * state. A key is an int32 tensor of shape [2] holding two 32-bit words (uint32 bit-cast to int32);
 * `split` and `foldIn` derive new keys, and every sampler takes the key it consumes.
 *
 * The generator is counter-based: Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011; the Random123 and JAX construction) hashes counters under
 * the key. Word layout follows JAX's original (non-partitionable, `jax_threefry_partitionable=False`,
 * the default before JAX 0.5): `key`, `split`, `foldIn`, `randomBits` and `uniform` match that JAX
 * bit for bit; `normal` matches it up to the rounding of JAX's float32 `erf_inv`. `bernoulli`,
 * `randint`, `permutation` and `truncatedNormal` use their own constructions, documented on each.
 *
 * Everything runs on the host in plain JavaScript, so a key gives the same numbers whatever backend
 * `setBackend` selected. Every draw is one `randomDraw` op with the key as its input, hashed inside
 * the op: the key's value is read only there, so `jit` can trace code that draws (it replays the draw
 * with the next call's key).
 */
import { type DType, allocate, checkDType } from './dtype.js';
import { apply } from './op.js';
import { type Sampler, randomDrawOp } from './ops/random-draw.js';
import { sliceAxis } from './ops/slice.js';
import { DTypeError, OptionError, ShapeError, formatShape } from './errors.js';
import { checkOptions, option } from './options.js';
import { type Shape, sizeOf } from './shape.js';
import { erfinv, normalCdf, normalQuantile } from './special.js';
import { Tensor, fromData } from './tensor.js';

/** Two uint32 words, bit-cast into an int32 tensor of shape [2]. */
export type Key = Tensor;

export type FloatDType = 'float32' | 'float64';

export function isKey(value: unknown): value is Key {
  return value instanceof Tensor && value.dtype === 'int32' && value.shape.length === 1 && value.shape[0] === 2;
}

// ---------------------------------------------------------------------------------------------
// Threefry-2x32, 20 rounds

const rotations = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
] as const;
const keyScheduleParity = 0x1bd11bda;

function rotateLeft(word: number, bits: number): number {
  return ((word << bits) | (word >>> (32 - bits))) >>> 0;
}

/** Hashes the counter (x0, x1) under the key (k0, k1) and writes the two words to out[i0], out[i1]. */
function threefryBlock(k0: number, k1: number, x0: number, x1: number, out: Uint32Array, i0: number, i1: number): void {
  const schedule = [k0, k1, (k0 ^ k1 ^ keyScheduleParity) >>> 0];
  let a = (x0 + k0) >>> 0;
  let b = (x1 + k1) >>> 0;
  // five groups of four rounds; after each group the key is injected with the group's number
  for (let group = 0; group < 5; group++) {
    const rotation = rotations[group & 1];
    for (let round = 0; round < 4; round++) {
      a = (a + b) >>> 0;
      b = (rotateLeft(b, rotation[round]) ^ a) >>> 0;
    }
    a = (a + schedule[(group + 1) % 3]) >>> 0;
    b = (b + schedule[(group + 2) % 3] + group + 1) >>> 0;
  }
  out[i0] = a;
  out[i1] = b;
}

/** Threefry-2x32-20 of one block: the Random123 `threefry2x32(ctr, key)` with 20 rounds. */
export function threefry2x32(keyWords: readonly [number, number], counter: readonly [number, number]): [number, number] {
  const out = new Uint32Array(2);
  threefryBlock(keyWords[0] >>> 0, keyWords[1] >>> 0, counter[0] >>> 0, counter[1] >>> 0, out, 0, 1);
  return [out[0], out[1]];
}

/**
 * JAX's `threefry_2x32(key, iota(count))`: the counters 0..count−1 (plus a 0 when count is odd) are
 * cut into a first and a second half, block j hashes (first[j], second[j]), and the output is all
 * first words followed by all second words, trimmed to `count`.
 */
function hashCounters(k0: number, k1: number, count: number): Uint32Array {
  const half = Math.ceil(count / 2);
  const out = new Uint32Array(2 * half);
  for (let j = 0; j < half; j++) threefryBlock(k0, k1, j, half + j < count ? half + j : 0, out, j, half + j);
  return count === out.length ? out : out.slice(0, count);
}

// ---------------------------------------------------------------------------------------------
// Keys

function keyFromWords(high: number, low: number): Key {
  return fromData(Int32Array.of(high | 0, low | 0), [2]);
}

/** Checks that `value` is a key (metadata only: its words are read inside the draw). */
function checkKey(fn: string, value: unknown): Key {
  if (!(value instanceof Tensor)) {
    throw new OptionError(`${fn}: key must be a key tensor from random.key, split or foldIn, got ${typeof value}`);
  }
  if (value.dtype !== 'int32') throw new DTypeError(`${fn}: key must be an int32 tensor, got ${value.dtype}`);
  if (value.shape.length !== 1 || value.shape[0] !== 2) throw new ShapeError(`${fn}: key must have shape [2], got ${formatShape(value.shape)}`);
  return value;
}

/** One `randomDraw` op: `sample` gets the key's words when the op runs. */
function draw(sampler: string, key: Key, shape: Shape, dtype: DType, sample: Sampler): Tensor {
  return apply(randomDrawOp, [key], { sampler, shape: [...shape], dtype, sample });
}

/** A key from an integer seed with |seed| ≤ 2^53: [high, low] 32-bit words of its 64-bit two's complement. */
export function key(seed: number): Key {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || Math.abs(seed) > 2 ** 53) {
    throw new OptionError(`key: seed must be an integer with |seed| <= 2^53, got ${String(seed)}`);
  }
  const high = Math.floor(seed / 2 ** 32);
  return keyFromWords(high >>> 0, (seed - high * 2 ** 32) >>> 0);
}

/** `num` new keys: key i is words 2i, 2i+1 of `randomBits(key, 2·num)` (JAX's original split). */
export function split(key: Key, num = 2): Key[] {
  checkKey('split', key);
  checkCount('split', 'num', num);
  // one draw of all 2·num words; each new key is a view of its two
  const words = draw('split', key, [2 * num], 'int32', (k0, k1) => {
    const bits = hashCounters(k0, k1, 2 * num);
    return new Int32Array(bits.buffer, bits.byteOffset, bits.length);
  });
  return Array.from({ length: num }, (_, i) => sliceAxis(words, 0, 2 * i, 2 * i + 2));
}

/** A new key from `key` and an integer in [−2^31, 2^32), taken modulo 2^32: threefry of counter (0, data). */
export function foldIn(key: Key, data: number): Key {
  checkKey('foldIn', key);
  if (typeof data !== 'number' || !Number.isInteger(data) || data < -(2 ** 31) || data >= 2 ** 32) {
    throw new OptionError(`foldIn: data must be an integer in [-2^31, 2^32), got ${String(data)}`);
  }
  return draw('foldIn', key, [2], 'int32', (k0, k1) => {
    const out = new Uint32Array(2);
    threefryBlock(k0, k1, 0, data >>> 0, out, 0, 1);
    return new Int32Array(out.buffer);
  });
}

/** `count` uint32 words from `key` in JAX's layout (see `hashCounters`). Internal; exported for tests. */
export function randomBits(key: Key, count: number): Uint32Array {
  checkKey('randomBits', key);
  checkCount('randomBits', 'count', count);
  const data = key.dataSync();
  return hashCounters(data[0] >>> 0, data[1] >>> 0, count);
}

// ---------------------------------------------------------------------------------------------
// Samplers

export interface UniformOptions {
  readonly dtype?: FloatDType;
  readonly minval?: number;
  readonly maxval?: number;
}

/**
 * Uniform values in [minval, maxval). float32 takes the top 23 bits of one word, float64 the top 52
 * bits of a 64-bit word (high word from the first half of the counters, low word from the second),
 * as JAX does; results are clamped so that rounding never reaches maxval nor falls below minval.
 */
export function uniform(key: Key, shape: Shape, options?: UniformOptions): Tensor {
  checkKey('uniform', key);
  const checked = checkOptions('uniform', options, { dtype: option.string, minval: option.number, maxval: option.number });
  const size = checkShapeArgument('uniform', shape);
  const dtype = floatDType('uniform', checked.dtype ?? 'float32');
  const minval = finite('uniform', 'minval', checked.minval ?? 0);
  const maxval = finite('uniform', 'maxval', checked.maxval ?? 1);
  if (!(minval < maxval)) throw new OptionError(`uniform: minval must be less than maxval, got minval ${minval}, maxval ${maxval}`);
  const sample = uniformSampler('uniform', size, dtype, minval, maxval);
  return draw('uniform', key, shape, dtype, sample);
}

/** Checks the bounds now, and returns the sampler the draw will run. */
function uniformSampler(fn: string, size: number, dtype: FloatDType, minval: number, maxval: number): (k0: number, k1: number) => Float32Array | Float64Array {
  const lowest = nearestInside(minval, dtype, 'above', false);
  const highest = nearestInside(maxval, dtype, 'below', true);
  if (!(lowest <= highest)) throw new OptionError(`${fn}: no ${dtype} value lies in [minval, maxval) = [${minval}, ${maxval})`);
  const low = roundTo(dtype, minval);
  const span = roundTo(dtype, roundTo(dtype, maxval) - low);
  if (!Number.isFinite(span)) throw new OptionError(`${fn}: maxval - minval must be finite in ${dtype}, got ${maxval} - ${minval}`);
  return (k0, k1) => uniformValues(k0, k1, size, dtype, low, span, lowest, highest);
}

function uniformValues(k0: number, k1: number, size: number, dtype: FloatDType, low: number, span: number, lowest: number, highest: number): Float32Array | Float64Array {
  const out = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
  const bits = hashCounters(k0, k1, dtype === 'float32' ? size : 2 * size);
  for (let i = 0; i < size; i++) {
    // JAX's arithmetic in the output dtype: unit · (maxval − minval) + minval
    const value =
      dtype === 'float32'
        ? Math.fround(Math.fround((bits[i] >>> 9) * 2 ** -23 * span) + low)
        : (bits[i] * 2 ** 20 + (bits[size + i] >>> 12)) * 2 ** -52 * span + low;
    out[i] = Math.min(Math.max(value, lowest), highest);
  }
  return out;
}

export interface NormalOptions {
  readonly dtype?: FloatDType;
  readonly mean?: number;
  readonly std?: number;
}

/**
 * Normal values by inverse CDF, as JAX does: u uniform in (−1, 1) (its lower end is the dtype's
 * successor of −1), then mean + std · √2 · erfinv(u), with erfinv evaluated in float64.
 */
export function normal(key: Key, shape: Shape, options?: NormalOptions): Tensor {
  checkKey('normal', key);
  const checked = checkOptions('normal', options, { dtype: option.string, mean: option.number, std: option.number });
  const size = checkShapeArgument('normal', shape);
  const dtype = floatDType('normal', checked.dtype ?? 'float32');
  const mean = finite('normal', 'mean', checked.mean ?? 0);
  const std = finite('normal', 'std', checked.std ?? 1);
  if (std < 0) throw new OptionError(`normal: std must be >= 0, got ${std}`);
  const unitSampler = uniformSampler('normal', size, dtype, adjacentFloat(-1, 'above', dtype), 1);
  return draw('normal', key, shape, dtype, (k0, k1) => {
    const unit = unitSampler(k0, k1);
    const out = allocate(dtype, size);
    for (let i = 0; i < size; i++) out[i] = mean + std * Math.SQRT2 * erfinv(unit[i]);
    return out;
  });
}

export interface TruncatedNormalOptions {
  readonly dtype?: FloatDType;
  readonly lower?: number;
  readonly upper?: number;
}

/**
 * Standard normal values truncated to (lower, upper), the bounds in standard deviations (JAX
 * semantics; either bound may be infinite). Inverse CDF in float64 for every dtype: p uniform
 * between Φ(lower) and Φ(upper) from 52-bit midpoints (k + ½)/2^52, then Φ⁻¹(p). An interval on the
 * right of 0 is sampled as its mirror image and negated, so that Φ is evaluated where it is small
 * and keeps its relative precision. Results are clamped strictly inside the bounds.
 */
export function truncatedNormal(key: Key, shape: Shape, options?: TruncatedNormalOptions): Tensor {
  checkKey('truncatedNormal', key);
  const checked = checkOptions('truncatedNormal', options, { dtype: option.string, lower: option.number, upper: option.number });
  const size = checkShapeArgument('truncatedNormal', shape);
  const dtype = floatDType('truncatedNormal', checked.dtype ?? 'float32');
  const lower = checked.lower ?? -2;
  const upper = checked.upper ?? 2;
  if (typeof lower !== 'number' || typeof upper !== 'number' || !(lower < upper) || lower === Infinity || upper === -Infinity) {
    throw new OptionError(`truncatedNormal: lower must be less than upper (numbers, lower < Infinity, upper > -Infinity), got lower ${String(lower)}, upper ${String(upper)}`);
  }
  const lowest = nearestInside(lower, dtype, 'above', true);
  const highest = nearestInside(upper, dtype, 'below', true);
  if (!(lowest <= highest)) throw new OptionError(`truncatedNormal: no ${dtype} value lies strictly between lower ${lower} and upper ${upper}`);
  const mirrored = lower + upper > 0;
  const cdfFrom = normalCdf(mirrored ? -upper : lower);
  const cdfTo = normalCdf(mirrored ? -lower : upper);
  if (!(cdfTo > cdfFrom)) {
    throw new OptionError(`truncatedNormal: the interval [lower, upper] = [${lower}, ${upper}] is too narrow or too far in the tail to sample in float64`);
  }
  return draw('truncatedNormal', key, shape, dtype, (k0, k1) => {
    const bits = hashCounters(k0, k1, 2 * size);
    const out = allocate(dtype, size);
    for (let i = 0; i < size; i++) {
      const unit = (bits[i] * 2 ** 20 + (bits[size + i] >>> 12) + 0.5) * 2 ** -52;
      const z = normalQuantile(cdfFrom + (cdfTo - cdfFrom) * unit);
      out[i] = Math.min(Math.max(roundTo(dtype, mirrored ? -z : z), lowest), highest);
    }
    return out;
  });
}

export interface BernoulliOptions {
  readonly dtype?: DType;
}

/** 1 with probability p, else 0: word i gives 1 when it is below p · 2^32 (so P(1) is p within 2^−32). */
export function bernoulli(key: Key, p: number, shape: Shape, options?: BernoulliOptions): Tensor {
  checkKey('bernoulli', key);
  const checked = checkOptions('bernoulli', options, { dtype: option.string });
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new OptionError(`bernoulli: p must be a number in [0, 1], got ${String(p)}`);
  const size = checkShapeArgument('bernoulli', shape);
  const dtype = checkDType('bernoulli: dtype', checked.dtype ?? 'float32');
  const threshold = p * 2 ** 32;
  return draw('bernoulli', key, shape, dtype, (k0, k1) => {
    const bits = hashCounters(k0, k1, size);
    const out = allocate(dtype, size);
    for (let i = 0; i < size; i++) out[i] = bits[i] < threshold ? 1 : 0;
    return out;
  });
}

/**
 * int32 values in [minval, maxval). As in JAX the key is split in two and each half gives one word
 * per value; the 64-bit number high · 2^32 + low is reduced exactly modulo maxval − minval, so the
 * bias is below (maxval − minval)/2^64.
 */
export function randint(key: Key, shape: Shape, minval: number, maxval: number): Tensor {
  checkKey('randint', key);
  const size = checkShapeArgument('randint', shape);
  if (!Number.isInteger(minval) || minval < -(2 ** 31) || minval >= 2 ** 31) {
    throw new OptionError(`randint: minval must be an int32 integer in [-2^31, 2^31), got ${String(minval)}`);
  }
  if (!Number.isInteger(maxval) || maxval <= minval || maxval > 2 ** 31) {
    throw new OptionError(`randint: maxval must be an integer with minval < maxval <= 2^31, got minval ${minval}, maxval ${String(maxval)}`);
  }
  const span = maxval - minval;
  return draw('randint', key, shape, 'int32', (k0, k1) => {
    const halves = hashCounters(k0, k1, 4);
    const high = hashCounters(halves[0], halves[1], size);
    const low = hashCounters(halves[2], halves[3], size);
    const out = new Int32Array(size);
    for (let i = 0; i < size; i++) out[i] = minval + reduceWords(high[i], low[i], span);
    return out;
  });
}

/** A uniformly random permutation of 0..n−1 (int32, shape [n]): Fisher–Yates, step k drawing j from words 2k and 2k+1. */
export function permutation(key: Key, n: number): Tensor {
  checkKey('permutation', key);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) throw new OptionError(`permutation: n must be an integer in [0, 2^31 - 1], got ${String(n)}`);
  return draw('permutation', key, [n], 'int32', (k0, k1) => {
    const out = Int32Array.from({ length: n }, (_, i) => i);
    const bits = hashCounters(k0, k1, 2 * Math.max(n - 1, 0));
    for (let i = n - 1, step = 0; i > 0; i--, step++) {
      const j = reduceWords(bits[2 * step], bits[2 * step + 1], i + 1);
      const held = out[i];
      out[i] = out[j];
      out[j] = held;
    }
    return out;
  });
}

/** (high · 2^32 + low) mod m, exactly, for m ≤ 2^32. */
function reduceWords(high: number, low: number, m: number): number {
  return (multiplyModulo(high % m, 2 ** 32 % m, m) + (low % m)) % m;
}

/** a · b mod m without leaving the exact range of doubles (a, b < m ≤ 2^32): split a into 16-bit halves. */
function multiplyModulo(a: number, b: number, m: number): number {
  const aHigh = Math.floor(a / 2 ** 16);
  const aLow = a - aHigh * 2 ** 16;
  return (((aHigh * b) % m) * 2 ** 16 + aLow * b) % m;
}

// ---------------------------------------------------------------------------------------------
// Floats and options

function roundTo(dtype: FloatDType, x: number): number {
  return dtype === 'float32' ? Math.fround(x) : x;
}

const scratch = new DataView(new ArrayBuffer(8));

/** The next `dtype` value above or below x, which must be a `dtype` value (±Infinity included). */
function adjacentFloat(x: number, direction: 'above' | 'below', dtype: FloatDType): number {
  const up = direction === 'above';
  if (x === 0) return (up ? 1 : -1) * (dtype === 'float32' ? 2 ** -149 : Number.MIN_VALUE);
  // sign and magnitude: adding 1 to the bits moves away from zero
  const step = x > 0 === up ? 1 : -1;
  if (dtype === 'float32') {
    scratch.setFloat32(0, x);
    scratch.setUint32(0, scratch.getUint32(0) + step);
    return scratch.getFloat32(0);
  }
  scratch.setFloat64(0, x);
  scratch.setBigUint64(0, scratch.getBigUint64(0) + BigInt(step));
  return scratch.getFloat64(0);
}

/** The `dtype` value nearest to `bound` on the given side of it, equal to it only when not `strict`. */
function nearestInside(bound: number, dtype: FloatDType, side: 'above' | 'below', strict: boolean): number {
  const rounded = roundTo(dtype, bound);
  const inside = side === 'above' ? rounded > bound : rounded < bound;
  return inside || (rounded === bound && !strict) ? rounded : adjacentFloat(rounded, side, dtype);
}

function checkShapeArgument(fn: string, shape: Shape): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    const shown = Array.isArray(shape) ? formatShape(shape) : String(shape);
    throw new ShapeError(`${fn}: shape must be an array of non-negative integers, got ${shown}`);
  }
  return sizeOf(shape);
}

function checkCount(fn: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 31) {
    throw new OptionError(`${fn}: ${name} must be an integer in [0, 2^31], got ${String(value)}`);
  }
}

function floatDType(fn: string, dtype: unknown): FloatDType {
  if (dtype === 'float32' || dtype === 'float64') return dtype;
  throw new OptionError(`${fn}: dtype must be one of float32, float64, got ${JSON.stringify(dtype)}`);
}

function finite(fn: string, name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new OptionError(`${fn}: ${name} must be a finite number, got ${String(value)}`);
}

export const random = { key, split, foldIn, uniform, normal, truncatedNormal, bernoulli, randint, permutation };
