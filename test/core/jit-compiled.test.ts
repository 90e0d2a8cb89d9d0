/**
 * jit's compiled programs: kernels called directly in planned buffers, elementwise chains fused, equal
 * to eager on random elementwise graphs, op by op under tapes, and a plan that does not fit a call is
 * abandoned, not trusted. (A wrong fused op, e.g. sub emitted as add, fails the property test.)
 */
import fc from 'fast-check';
import ndarray from 'ndarray';
import { describe, expect, it, vi } from 'vitest';
import { copyToOutput } from '../../core/buffer-pool.js';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { type OpDef, apply } from '../../core/op.js';
import { contiguousData } from '../../core/tensor.js';
import { seeded } from '../support/draw.js';

const unaries = [tg.neg, tg.tanh, tg.square, tg.sigmoid, tg.gelu, tg.abs, tg.exp, (v: Tensor) => tg.transpose(tg.transpose(v), undefined)];
const binaries = [tg.add, tg.sub, tg.mul, tg.maximum, tg.div];

type Step = { readonly unary: number; readonly a: number } | { readonly binary: number; readonly a: number; readonly b: number } | { readonly sumRows: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ unary: fc.nat(unaries.length - 1), a: fc.nat(50) }),
  fc.record({ binary: fc.nat(binaries.length - 1), a: fc.nat(50), b: fc.nat(50) }),
  fc.record({ sumRows: fc.nat(50) }),
);

/** A function of x [R, C], y [C], z [R, 1]: each step combines earlier values (broadcasting), and it returns the last two and a sum. */
function graph(steps: readonly Step[]) {
  return (x: Tensor, y: Tensor, z: Tensor) => {
    const values: Tensor[] = [x, y, z];
    const pick = (i: number) => values[i % values.length];
    for (const step of steps) {
      if ('unary' in step) values.push(unaries[step.unary](pick(step.a)));
      // dividing by 1.5 + |b| keeps every value finite
      else if ('binary' in step) values.push(binaries[step.binary](pick(step.a), step.binary === 4 ? tg.add(tg.abs(pick(step.b)), 1.5) : pick(step.b)));
      else values.push(pick(step.sumRows).rank === 2 ? tg.sum(pick(step.sumRows), { axis: 0 }) : tg.tanh(pick(step.sumRows)));
    }
    return { last: values.slice(-2), total: tg.sum(values[values.length - 1]) };
  };
}

const draw = (shape: number[], seed: number) => {
  const random = seeded(seed);
  return tg.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * random() - 1), { shape, dtype: 'float32' });
};

describe('jit compiled programs', () => {
  it('equal eager results exactly on random elementwise graphs with broadcasts, call after call (fused chains, planned buffers)', () =>
    // a CPU mode: chains fuse into generated SIMD loops, which must give the unfused kernels' float32 values
    tg.withBackend('webasm', () =>
      fc.assert(
        fc.property(fc.array(stepArb, { minLength: 1, maxLength: 14 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), (steps, rows, columns) => {
          const f = graph(steps);
          const compiled = tg.jit(f);
          const kept: { eager: ReturnType<typeof f>; jitted: ReturnType<typeof f> }[] = [];
          for (let seed = 1; seed <= 3; seed++) {
            const args = [draw([rows, columns], seed), draw([columns], seed + 10), draw([rows, 1], seed + 20)] as const;
            kept.push({ eager: f(...args), jitted: compiled(...args) });
          }
          // compared after all calls: a later call must not have written into an earlier call's results
          for (const { eager, jitted } of kept) {
            expect(jitted.last.map((t) => t.toArray())).toEqual(eager.last.map((t) => t.toArray()));
            expect(jitted.total.item()).toBe(eager.total.item());
          }
        }),
        { numRuns: 40 },
      ),
    ));

  it('runs kernels without shape rules when nothing records, and through apply under a tape', () => {
    let inferCalls = 0;
    const countingOp: OpDef<{}, {}> = {
      name: 'identity',
      args: ['x'],
      infer: ([x]) => (inferCalls++, { shape: x.shape, dtype: x.dtype }),
      forward: ([x]) => ({ view: x.storage }),
      save: () => ({}),
      vjp: (ct) => [ct],
    };
    const jf = tg.jit((x: Tensor) => tg.sum(tg.exp(apply(countingOp, [x], {}))));
    const x = tg.tensor([0.5, -1, 2]);
    jf(x);
    expect(inferCalls).toBe(1);
    expect(jf(x).item()).toBeCloseTo(Math.exp(0.5) + Math.exp(-1) + Math.exp(2), 5);
    expect(inferCalls).toBe(1);
    expect(tg.grad(jf)(x).toArray()).toEqual(tg.exp(x).toArray());
    expect(inferCalls).toBe(2);
  });

  it('printProgram shows the planned buffers, reused once values are dead', () =>
    // a CPU mode, whose host kernels (matmul here) write into planned buffers
    tg.withBackend('webasm', () => {
      const jf = tg.jit((x: Tensor) => tg.sum(tg.matmul(tg.matmul(tg.matmul(tg.matmul(x, x), x), x), x)));
      const x = draw([64, 64], 1);
      const lines = tg.printProgram(jf, x).split('\n');
      expect(lines[0]).toMatch(/^jit program: 1 arguments, 5 instructions; \d+ planned buffers/);
      expect(lines.at(-1)).toMatch(/^results: %\d+$/);
      const buffers = lines.slice(1, -1).flatMap((line) => [...line.matchAll(/\bin (b\d+)/g)].map((m) => m[1]));
      // four products, never more than two alive at once
      expect(buffers).toHaveLength(4);
      expect(new Set(buffers).size).toBe(2);
      expect(() => tg.printProgram((y: Tensor) => y, x)).toThrow(tg.TransformError);
    }));

  it('fuses elementwise chains on a CPU mode, and printProgram names the ops of each', () =>
    tg.withBackend('webasm', () => {
      const f = (x: Tensor) => tg.sum(tg.mul(tg.exp(tg.mul(x, 2)), tg.tanh(tg.exp(tg.neg(x)))));
      const jf = tg.jit(f);
      const x = draw([64, 64], 2);
      const lines = tg.printProgram(jf, x).split('\n');
      expect(lines[0]).toContain('(2 fused chains of 5 ops)');
      const fused = lines.flatMap((line) => [...line.matchAll(/fused\[([^\]]+)\]/g)].map((m) => m[1]));
      // tanh has no SIMD kernel, so it stays apart and the chain around it is cut there
      expect(fused).toEqual(['neg → exp', 'mul → exp → mul']);
      expect(jf(x).item()).toBe(f(x).item());
      // on another backend the program runs its ops one by one, with that backend's kernels
      expect(tg.withBackend('reference', () => jf(x).item())).toBe(tg.withBackend('reference', () => f(x).item()));
      // a backend that offers no fusion (Backend.fusion) gets programs without fused chains
      expect(tg.withBackend('reference', () => tg.printProgram(tg.jit(f), x)).split('\n')[0]).not.toContain('fused');
    }));

  it('runs op by op on another backend than the one it was traced on, keeping its plan for that one', () => {
    const f = (x: Tensor) => tg.sum(tg.mul(tg.exp(tg.matmul(x, x)), 0.5));
    const jf = tg.jit(f);
    const x = draw([64, 64], 3);
    const warn = vi.spyOn(console, 'warn');
    tg.withBackend('webasm', () => jf(x));
    expect(tg.withBackend('reference', () => jf(x).item())).toBe(tg.withBackend('reference', () => f(x).item()));
    expect(tg.withBackend('webasm', () => jf(x).item())).toBe(tg.withBackend('webasm', () => f(x).item()));
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect(tg.withBackend('webasm', () => tg.printProgram(jf, x)).split('\n')[0]).not.toContain('abandoned');
  });

  it('abandons a plan that a call does not fit (an op copied at trace time and makes a view now) and stays right', () =>
    tg.withBackend('gpujs', () => {
      // copies into an output buffer when the first element is positive, else is a view of its input
      const dataDependentOp: OpDef<{}, {}> = {
        name: 'identity',
        args: ['x'],
        infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
        forward: ([x]) => ({ view: x.storage.data[0] > 0 ? ndarray(copyToOutput(contiguousData(x.storage) as Float32Array), [...x.shape]) : x.storage }),
        save: () => ({}),
        vjp: (ct) => [ct],
      };
      const f = (x: Tensor) => tg.mul(tg.exp(apply(dataDependentOp, [tg.mul(x, 1)], {})), 3);
      const jf = tg.jit(f);
      const positive = tg.tensor([1, 2, 3, 4], { dtype: 'float32' });
      const negative = tg.tensor([-1, 2, -3, 4], { dtype: 'float32' });
      jf(positive);
      expect(jf(positive).toArray()).toEqual(f(positive).toArray());
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      expect(jf(negative).toArray()).toEqual(f(negative).toArray());
      expect(warn.mock.calls[0][0]).toContain("jit's buffer plan does not fit this call");
      warn.mockRestore();
      expect(jf(positive).toArray()).toEqual(f(positive).toArray());
      expect(tg.printProgram(jf, positive).split('\n')[0]).toContain('plan abandoned at');
    }));
});
