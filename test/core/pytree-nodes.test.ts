/** What a pytree node may be: tensors, arrays, plain objects and plain values; anything else is refused, not kept as static. */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { TransformError } from '../../core/index.js';

class Lin {
  constructor(readonly w: tg.Tensor) {}
}

describe('pytree nodes', () => {
  it('keeps numbers, strings, booleans, null and undefined as static nodes, and null-prototype objects as objects', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { w: tg.ones([1]) });
    const [leaves, def] = tg.treeFlatten({ a: 1, b: 'x', c: true, d: null, e: undefined, bare });
    expect(leaves).toHaveLength(1);
    expect(tg.treeUnflatten<{ a: number; b: string }>(def, leaves)).toMatchObject({ a: 1, b: 'x', c: true, d: null, e: undefined });
  });

  it('refuses a class instance, a Map, a function and a typed array, naming the leaf', () => {
    const cases: [unknown, string][] = [
      [{ layer: new Lin(tg.ones([1])) }, 'treeFlatten: leaf .layer is a Lin instance, which is not a pytree'],
      [[tg.ones([1]), new Map()], 'treeFlatten: leaf [1] is a Map, which is not a pytree'],
      [{ 'odd key': [() => 1] }, 'treeFlatten: leaf ["odd key"][0] is a function, which is not a pytree'],
      [new Float32Array(2), 'treeFlatten: the tree is a Float32Array, which is not a pytree'],
    ];
    for (const [tree, message] of cases) {
      expect(() => tg.treeFlatten(tree)).toThrow(TransformError);
      expect(() => tg.treeFlatten(tree)).toThrow(message);
    }
  });

  it('treeMap and jit refuse them too, instead of hiding the tensors inside', () => {
    expect(() => tg.treeMap(tg.neg, { layer: new Lin(tg.ones([1])) })).toThrow('treeMap: leaf .layer is a Lin instance');
    const f = tg.jit((p: { layer: Lin }) => tg.neg(p.layer.w));
    expect(() => f({ layer: new Lin(tg.ones([1])) })).toThrow('jit: the arguments, leaf [0].layer is a Lin instance');
  });

  it('stopGradient maps over a pytree and keeps its static nodes', () => {
    const held = tg.stopGradient({ w: tg.ones([2]), step: 3 });
    expect(held.step).toBe(3);
    expect(held.w.toArray()).toEqual([1, 1]);
  });
});
