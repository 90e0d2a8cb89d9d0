/** profileOps: every op dispatched while it runs is counted under its name, eager or replayed by jit. */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { type OpDef, apply } from '../../core/op.js';

const calls = (profile: readonly tg.OpProfileEntry[]) => Object.fromEntries(profile.map((entry) => [entry.op, entry.calls]));
const f = (x: Tensor) => tg.sum(tg.mul(tg.exp(x), tg.exp(tg.neg(x))));

describe('profileOps', () => {
  it('counts each op class of an eager function and returns its result', () => {
    const x = tg.tensor([0.5, -1, 2]);
    const { result, profile } = tg.profileOps(() => f(x));
    expect(result.item()).toBeCloseTo(3, 5);
    expect(calls(profile)).toEqual({ exp: 2, neg: 1, mul: 1, sum: 1 });
    expect(profile.every((entry) => entry.ms >= 0)).toBe(true);
    // slowest first
    expect(profile.map((entry) => entry.ms)).toEqual([...profile.map((entry) => entry.ms)].sort((a, b) => b - a));
  });

  it('counts the ops of a jit replay (a fused chain as one), and nothing outside profileOps', () => {
    const x = tg.tensor([0.5, -1, 2]);
    tg.withBackend('reference', () => {
      const jf = tg.jit(f);
      jf(x);
      expect(calls(tg.profileOps(() => jf(x)).profile)).toEqual({ identity: 1, exp: 2, neg: 1, mul: 1, sum: 1 });
    });
    tg.withBackend('webasm', () => {
      const jf = tg.jit(f);
      jf(x);
      const { profile } = tg.profileOps(() => jf(x));
      // named by the ops it replaced, in program order, and run by the backend's fusion
      expect(calls(profile)).toEqual({ identity: 1, 'fused[exp+neg+exp+mul]': 1, sum: 1 });
      expect(profile.find((entry) => entry.op.startsWith('fused'))!.implementations).toEqual({ wasm: 1 });
    });
    const outer = tg.profileOps(() => {
      tg.neg(x);
      tg.profileOps(() => tg.exp(x));
      return tg.neg(x);
    });
    // the inner profile took exp; the outer one sees only its own ops
    expect(calls(outer.profile)).toEqual({ neg: 2 });
  });

  it('counts an op whose dispatch throws, so a caller that catches it and goes on sees its time', () => {
    const failing: OpDef<{}, {}> = {
      name: 'identity',
      args: ['x'],
      infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
      forward: () => {
        throw new tg.OptionError('this kernel cannot run');
      },
      save: () => ({}),
      vjp: (ct) => [ct],
    };
    const x = tg.tensor([1, 2]);
    const { result, profile } = tg.profileOps(() => {
      let caught: unknown;
      try {
        apply(failing, [x], {});
      } catch (error) {
        caught = error;
      }
      return caught;
    });
    expect(result).toBeInstanceOf(tg.OptionError);
    expect(profile).toHaveLength(1);
    expect(profile[0]).toMatchObject({ op: 'identity', calls: 1, implementations: { threw: 1 } });
  });

  it('prints one line per op class and the total', () => {
    const { profile } = tg.profileOps(() => f(tg.tensor([1, 2])));
    const text = tg.formatOpProfile(profile, 1000);
    const lines = text.split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['op', 'ms', 'share', 'calls', 'µs/call']);
    expect(lines.slice(1, -1).map((line) => line.split(/\s+/)[0]).sort()).toEqual(['exp', 'mul', 'neg', 'sum']);
    expect(lines[lines.length - 1]).toMatch(/^5 op calls, [\d.]+ ms in ops of 1000\.0 ms/);
  });
});
