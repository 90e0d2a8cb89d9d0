/**
 * The arena compiled programs share (`core/transforms/jit-arena.ts`): programs that run one after the
 * other borrow the same memory, a program run from inside another's run gets other buffers, and no
 * result lives in arena memory.
 */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { type OpDef, apply } from '../../core/op.js';
import { sizeOf } from '../../core/shape.js';
import { tracing } from '../../core/trace.js';
import { arenaSize } from '../../core/transforms/jit-arena.js';
import { programFor } from '../../core/transforms/jit.js';
import { seeded } from '../support/draw.js';

const draw = (shape: number[], seed: number) => {
  const random = seeded(seed);
  return tg.tensor(Array.from({ length: sizeOf(shape) }, () => 2 * random() - 1), { shape, dtype: 'float32' });
};

/** x⁵ by four products: two planned buffers, each as long as x. */
const power = (x: Tensor) => tg.sum(tg.matmul(tg.matmul(tg.matmul(tg.matmul(x, x), x), x), x), { axis: 0 });

const plannedBytes = (jitted: Function, ...args: unknown[]) =>
  programFor(jitted, args)!.plannedBuffers.reduce((total, { dtype, length }) => total + length * (dtype === 'float64' ? 8 : 4), 0);

describe('the jit arena', () => {
  it('lets programs that run one after another share memory: it grows to the larger plan, not the sum', () =>
    // a CPU mode, whose host kernels (matmul) write into planned buffers
    tg.withBackend('webasm', () => {
      const first = tg.jit(power);
      const second = tg.jit((x: Tensor) => tg.exp(power(x)));
      const large = draw([64, 64], 1);
      const small = draw([40, 40], 2);
      const before = arenaSize().bytes;
      // traced, then run compiled: two signatures of one function and another function
      for (const [f, x] of [[first, large], [first, small], [second, large]] as const) f(x), f(x);
      const grown = arenaSize().bytes - before;
      const plans = [plannedBytes(first, large), plannedBytes(first, small), plannedBytes(second, large)];
      expect(Math.min(...plans)).toBeGreaterThan(0);
      // the largest plan has buffers as long as any other's, so the arena holds just that one's
      expect(grown).toBe(Math.max(...plans));
      // and later runs find what they need in it
      const results = [first(large), first(small), second(large), first(large)];
      expect(arenaSize().bytes - before).toBe(grown);
      // no result lives in the arena: later runs did not write into earlier results
      expect(results.map((t) => t.toArray())).toEqual([power(large), power(small), tg.exp(power(large)), power(large)].map((t) => t.toArray()));
    }));

  it('gives a program run from inside another run other buffers than the outer run holds', () =>
    tg.withBackend('webasm', () => {
      const inner = tg.jit(power);
      // an op whose kernel runs a compiled program (at trace time its value is not read, so zeros do)
      const runsInner: OpDef<{}, {}> = {
        name: 'identity',
        args: ['x'],
        infer: ([x]) => ({ shape: [x.shape[1]], dtype: x.dtype }),
        forward: ([x], _attrs, out) => ({ values: tracing() ? new Float32Array(sizeOf(out.shape)) : (inner(x).dataSync() as Float32Array) }),
        save: () => ({}),
        vjp: () => [null],
      };
      // the outer product is alive across the inner run, in the outer run's planned memory
      const f = (x: Tensor) => {
        const product = tg.matmul(tg.matmul(x, x), x);
        return tg.add(tg.sum(tg.matmul(product, x), { axis: 0 }), tg.add(apply(runsInner, [x], {}), tg.sum(product, { axis: 0 })));
      };
      const outer = tg.jit(f);
      const x = draw([64, 64], 3);
      const y = draw([64, 64], 4);
      inner(x), inner(x), outer(x);
      for (const input of [x, y, x]) expect(outer(input).toArray()).toEqual(f(input).toArray());
    }));
});
