/**
 * The SIMD kernels behind float32 exp, gelu and gelu′ on gpu.js's CPU modes, against float64
 * formulas: the series erf of core/ops/erf.ts and V8's Math.exp; and the binary kernels (add, sub,
 * mul, div over repeating windows) against float64 arithmetic rounded to float32, which is exact;
 * the strided copy against a plain walk over the view; the sums against float32 sums in the order
 * their header states, which they must match bit for bit; row softmax against float64 formulas; row
 * standardisation against float64 row statistics rounded once, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { binaryKernelNames, elementwiseKernelNames, wasmBinary, wasmElementwise, wasmRowSoftmax, wasmRowStandardize, wasmStridedCopy, wasmSum } from '../../core/backend/wasm/elementwise/index.js';
import { wasmMatmulAvailable } from '../../core/backend/wasm/matmul/index.js';
import { erfSeries } from '../../core/ops/erf.js';

const exact = {
  exp: (x: number) => Math.exp(x),
  gelu: (x: number) => 0.5 * x * (1 + erfSeries(x * Math.SQRT1_2)),
  geluDerivative: (x: number) => 0.5 * (1 + erfSeries(x * Math.SQRT1_2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
};

/** Every step of `step` from `from` to `to`, as float32; an odd count exercises the padded last vector. */
function grid(from: number, to: number, step: number): Float32Array {
  return Float32Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
}

describe.runIf(wasmMatmulAvailable())('wasm SIMD elementwise kernels', () => {
  it('exp is within 2e-7 relative of e^x wherever e^x is a normal float32', () => {
    const x = grid(-87.3, 88.7, 0.00123);
    expect(x.length % 4).not.toBe(0);
    const y = wasmElementwise('exp', x)!;
    expect(y.length).toBe(x.length);
    let worst = 0;
    x.forEach((v, i) => (worst = Math.max(worst, Math.abs(y[i] - exact.exp(v)) / exact.exp(v))));
    expect(worst).toBeLessThan(2e-7);
  });

  it('exp rounds to 0 below the float32 range, to Infinity above, keeps NaN and is exact at 0', () => {
    const y = wasmElementwise('exp', Float32Array.from([0, -104, -1e9, -Infinity, 88.8, 1e9, Infinity, NaN, -100]))!;
    expect([...y.slice(0, 7)]).toEqual([1, 0, 0, 0, Infinity, Infinity, Infinity]);
    expect(y[7]).toBeNaN();
    // e^−100 is a float32 subnormal: right to within a subnormal step of 2^−149
    expect(Math.abs(y[8] - Math.exp(-100))).toBeLessThanOrEqual(2 ** -149);
  });

  it('gelu and gelu′ stay within 1e-6 of the float64 formulas on [−10, 10]', () => {
    const x = grid(-10, 10, 0.00037);
    for (const name of ['gelu', 'geluDerivative'] as const) {
      const y = wasmElementwise(name, x)!;
      let worst = 0;
      x.forEach((v, i) => (worst = Math.max(worst, Math.abs(y[i] - exact[name](v)) / Math.max(1, Math.abs(exact[name](v))))));
      expect(worst, name).toBeLessThan(1e-6);
    }
  });

  it('every kernel maps an empty input and each length 1…9 (partial vectors) element by element', () => {
    for (const name of elementwiseKernelNames) {
      expect(wasmElementwise(name, new Float32Array(0))!.length).toBe(0);
      for (let n = 1; n <= 9; n++) {
        const x = Float32Array.from({ length: n }, (_, i) => i / 3 - 1);
        const y = wasmElementwise(name, x)!;
        expect(y.length).toBe(n);
        x.forEach((v, i) => expect(Math.abs(y[i] - exact[name](v))).toBeLessThan(1e-6));
      }
    }
  });

  it('binary kernels give the correctly rounded float32 result for every pair of periods that divide the size', () => {
    const apply = { add: (p: number, q: number) => p + q, sub: (p: number, q: number) => p - q, mul: (p: number, q: number) => p * q, div: (p: number, q: number) => p / q };
    const window = (length: number, seed: number) => Float32Array.from({ length }, (_, i) => Math.sin(seed + 1.7 * i) * 3 + (i % 2 ? 0.5 : -0.25));
    // sizes with and without whole vectors; periods from a number (1) up to the whole size
    for (const size of [1, 3, 12, 30, 37, 64, 210]) {
      const periods = Array.from({ length: size }, (_, i) => i + 1).filter((p) => size % p === 0);
      for (const name of binaryKernelNames) {
        for (const periodA of periods) {
          for (const periodB of periods) {
            const a = window(periodA, 1);
            const b = window(periodB, 2);
            const y = wasmBinary(name, a, b, size)!;
            expect(y.length).toBe(size);
            for (let i = 0; i < size; i++) {
              const expected = Math.fround(apply[name](a[i % periodA], b[i % periodB]));
              if (y[i] !== expected) expect.fail(`${name} size ${size}, periods ${periodA}/${periodB}: element ${i} is ${y[i]}, expected ${expected}`);
            }
          }
        }
      }
    }
    expect(wasmBinary('add', new Float32Array(0), new Float32Array(0), 0)!.length).toBe(0);
  });

  it('the strided copy equals a walk over the view for transposes, broadcasts, flips and slices of rank 1–6', () => {
    /** The view's elements in row-major order, one index at a time. */
    const walk = (data: Float32Array, shape: number[], stride: number[], offset: number) => {
      const out: number[] = [];
      const visit = (axis: number, at: number): void => {
        if (axis === shape.length) return void out.push(data[at]);
        for (let i = 0; i < shape[axis]; i++) visit(axis + 1, at + i * stride[axis]);
      };
      visit(0, offset);
      return out;
    };
    let random = 7;
    const next = (n: number) => ((random = (random * 1103515245 + 12345) % 2 ** 31), random % n);
    let copied = 0;
    for (let trial = 0; trial < 300; trial++) {
      const rank = 1 + next(6);
      const base = Array.from({ length: rank }, () => 1 + next([0, 9000, 150, 30, 14, 9, 7][rank]));
      const size = base.reduce((p, q) => p * q, 1);
      // a row-major array of `base`, then a permutation, stride-0 axes, flipped axes and a sliced start
      const contiguous = base.map((_, axis) => base.slice(axis + 1).reduce((p, q) => p * q, 1));
      const order = base.map((_, axis) => axis).sort(() => next(3) - 1);
      const shape = order.map((axis) => base[axis]);
      const stride = order.map((axis) => (next(6) === 0 ? 0 : contiguous[axis]));
      let offset = 0;
      stride.forEach((s, axis) => {
        if (s !== 0 && next(4) === 0) {
          offset += (shape[axis] - 1) * s;
          stride[axis] = -s;
        }
      });
      const data = Float32Array.from({ length: size + 3 }, (_, i) => i * 0.5 - 7);
      const result = wasmStridedCopy(data, shape, stride, offset);
      if (result === null) continue;
      copied++;
      const expected = walk(data, shape, stride, offset);
      expect(result.length).toBe(expected.length);
      result.forEach((v, i) => v !== expected[i] && expect.fail(`trial ${trial}, shape [${shape}], stride [${stride}]: element ${i} is ${v}, expected ${expected[i]}`));
    }
    // most trials must reach the kernel (the rest are under its size threshold or touch too wide a span)
    expect(copied).toBeGreaterThan(100);
    // attention's permutes keep a contiguous innermost axis of whole vectors (the kernel's four-float steps)
    const permuted = (base: number[], order: number[], flip = -1) => {
      const contiguous = base.map((_, axis) => base.slice(axis + 1).reduce((p, q) => p * q, 1));
      const shape = order.map((axis) => base[axis]);
      const stride = order.map((axis) => contiguous[axis]);
      const offset = flip < 0 ? 0 : (shape[flip] - 1) * stride[flip];
      if (flip >= 0) stride[flip] = -stride[flip];
      return { shape, stride, offset, size: base.reduce((p, q) => p * q, 1) };
    };
    for (const { shape, stride, offset, size } of [permuted([6, 50, 3, 4, 16], [2, 0, 3, 1, 4]), permuted([6, 4, 50, 16], [0, 2, 1, 3]), permuted([9, 40, 2, 8], [1, 0, 2, 3], 0), permuted([300, 20], [0, 1], 0)]) {
      const data = Float32Array.from({ length: size }, (_, i) => i * 0.25 - 3);
      const result = wasmStridedCopy(data, shape, stride, offset);
      expect(result, `shape [${shape}]`).not.toBeNull();
      expect(Array.from(result!), `shape [${shape}], stride [${stride}]`).toEqual(Array.from(walk(data, shape, stride, offset)));
    }
  });

  it('sums over rows and within rows equal float32 sums taken in the documented order, bit for bit', () => {
    const f = Math.fround;
    for (const [outer, length, inner] of [[1, 1, 1], [3, 7, 1], [2, 4, 1], [5, 50, 1], [1, 1024, 1], [1, 3, 4], [4, 9, 8], [1, 3200, 192], [7, 1, 64]]) {
      const x = Float32Array.from({ length: outer * length * inner }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 13)));
      const y = wasmSum(x, length, inner)!;
      expect(y.length).toBe(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < inner; j++) {
          let expected = 0;
          if (inner === 1) {
            // four lane partials over whole vectors, the lanes in order, then the remaining elements
            const lanes = [0, 0, 0, 0];
            const whole = length - (length % 4);
            for (let r = 0; r < whole; r++) lanes[r % 4] = f(lanes[r % 4] + x[o * length + r]);
            expected = f(f(f(lanes[0] + lanes[1]) + lanes[2]) + lanes[3]);
            for (let r = whole; r < length; r++) expected = f(expected + x[o * length + r]);
          } else {
            for (let r = 0; r < length; r++) expected = f(expected + x[(o * length + r) * inner + j]);
          }
          const actual = y[o * inner + j];
          if (actual !== expected) expect.fail(`[${outer}, ${length}, ${inner}]: output (${o}, ${j}) is ${actual}, expected ${expected}`);
        }
      }
    }
    // inner sizes the kernels do not cover are left to the caller
    expect(wasmSum(new Float32Array(12), 2, 3)).toBeNull();
  });

  it('row softmax and log-softmax stay within float32 rounding of the float64 formulas, for row widths 1–13 and 50', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (const d of [...Array.from({ length: 13 }, (_, i) => i + 1), 50]) {
      const rows = 7;
      // values up to ±40 plus an offset of 60 on the third row: e^x would overflow without the shift
      const x = Float32Array.from({ length: rows * d }, (_, i) => 40 * next() + (Math.floor(i / d) === 2 ? 60 : 0));
      const probabilities = wasmRowSoftmax(x, d, false)!;
      const logProbabilities = wasmRowSoftmax(x, d, true)!;
      for (let r = 0; r < rows; r++) {
        const row = Array.from(x.subarray(r * d, (r + 1) * d));
        const max = Math.max(...row);
        const logTotal = Math.log(row.reduce((total, v) => total + Math.exp(v - max), 0));
        row.forEach((v, j) => {
          const expectedLog = v - max - logTotal;
          const p = probabilities[r * d + j];
          // x − max is rounded to float32 (|x − max|·2⁻²⁴ at most), which e^(·) turns into that relative error
          const relative = 2e-6 + Math.abs(v - max) * 2 ** -24;
          expect(Math.abs(p - Math.exp(expectedLog))).toBeLessThanOrEqual(relative * Math.exp(expectedLog) + 1e-45);
          expect(Math.abs(logProbabilities[r * d + j] - expectedLog)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expectedLog)));
        });
      }
    }
  });

  it('row standardisation equals (x − mean)·(1/√(var + eps)) from float64 row sums, rounded once to float32, bit for bit', () => {
    let seed = 11;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (const d of [1, 2, 3, 5, 8, 50, 64]) {
      const rows = 5;
      const x = Float32Array.from({ length: rows * d }, (_, i) => 3 * next() + (i % d === 0 ? 1000 : 0));
      const y = wasmRowStandardize(x, d, 1e-6)!;
      const expected = new Float32Array(rows * d);
      for (let start = 0; start < x.length; start += d) {
        const row = Array.from(x.subarray(start, start + d));
        const mean = row.reduce((total, v) => total + v, 0) / d;
        const variance = row.reduce((total, v) => total + (v - mean) * (v - mean), 0) / d;
        const rstd = 1 / Math.sqrt(variance + 1e-6);
        row.forEach((v, j) => (expected[start + j] = (v - mean) * rstd));
      }
      expect(Array.from(y)).toEqual(Array.from(expected));
    }
  });
});
