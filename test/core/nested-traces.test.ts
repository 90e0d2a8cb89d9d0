/**
 * Traces nest like tapes: while an inner `jit` (or `vmap`) traces, the outer traces record the same
 * ops, so a function traced for the first time inside another trace is part of the outer program.
 */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';

describe('nested traces', () => {
  it('jitOfJitTracedInsideReplaysWithNewArguments: an inner jit first traced inside an outer jit is not baked in as a constant', () => {
    const inner = tg.jit((x: Tensor) => tg.exp(x));
    const outer = tg.jit((x: Tensor) => inner(x));
    const x0 = tg.tensor([0, 1]);
    const x1 = tg.tensor([2, 3]);
    expect(outer(x0).toArray()).toEqual(tg.exp(x0).toArray());
    // before traces nested, the outer program held the first call's result and returned it again
    expect(outer(x1).toArray()).toEqual(tg.exp(x1).toArray());
  });

  it('names the tracing transform when a traced value is read', () => {
    const reads = (x: Tensor) => (tg.sum(x).item() > 0 ? x : tg.neg(x));
    expect(() => tg.jit(reads)(tg.ones([2]))).toThrow(/^jit: the traced function reads the value/);
    expect(() => tg.vmap(reads)(tg.ones([3, 2]))).toThrow(tg.TransformError);
    expect(() => tg.vmap(reads)(tg.ones([3, 2]))).toThrow(
      'vmap: the traced function reads the value of a tensor computed from its arguments (float32 []); vmap runs the function once to record its ops, so values cannot steer it: read values outside vmap, or pass them as plain numbers',
    );
  });
});
