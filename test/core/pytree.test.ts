/** Pytree utilities: flatten/unflatten round trips, treeMap structure checks, dotted names. */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';

describe('pytrees', () => {
  const tree = { w: tg.ones([2]), blocks: [{ norm1: { weight: tg.zeros([3]) } }, { norm1: { weight: tg.ones([3]) } }], name: 'vit', depth: 2 };

  it('flatten and unflatten round-trip, keeping static nodes', () => {
    const [leaves, def] = tg.treeFlatten(tree);
    expect(leaves).toHaveLength(3);
    const rebuilt = tg.treeUnflatten<typeof tree>(def, leaves);
    expect(rebuilt.name).toBe('vit');
    expect(rebuilt.blocks[1].norm1.weight).toBe(tree.blocks[1].norm1.weight);
  });

  it('treeMap names both structures when they differ', () => {
    expect(() => tg.treeMap((a, b) => tg.add(a, b), { a: tg.ones([1]) }, { b: tg.ones([1]) })).toThrow('treeMap: tree 1 has structure {b: *} but the first has {a: *}');
  });

  it('dotted names follow PyTorch state dicts and come back as the same tree', () => {
    const named = tg.flattenNamed(tree);
    expect(Object.keys(named)).toEqual(['w', 'blocks.0.norm1.weight', 'blocks.1.norm1.weight']);
    const back = tg.unflattenNamed(named) as { blocks: unknown[] };
    expect(Array.isArray(back.blocks)).toBe(true);
    expect(tg.flattenNamed(back)).toEqual(named);
  });

  it('treeLeavesWithPath gives every leaf its key path in treeFlatten order, spelled by keystr and dottedName', () => {
    const withPaths = tg.treeLeavesWithPath(tree);
    expect(withPaths.map(([path]) => path)).toEqual([['w'], ['blocks', 0, 'norm1', 'weight'], ['blocks', 1, 'norm1', 'weight']]);
    expect(withPaths.map(([, leaf]) => leaf)).toEqual(tg.treeFlatten(tree)[0]);
    expect(withPaths.map(([path]) => tg.keystr(path))).toEqual(['.w', '.blocks[0].norm1.weight', '.blocks[1].norm1.weight']);
    expect(tg.keystr(['a-b', 2])).toBe('["a-b"][2]');
    expect(tg.dottedName(['blocks', 0, 'norm1'])).toBe('blocks.0.norm1');
    expect(tg.treeLeavesWithPath(tg.ones([1]))[0][0]).toEqual([]);
  });

  it('treeMapWithPath maps each leaf by its path and keeps static nodes; a non-pytree node is a TransformError', () => {
    const mapped = tg.treeMapWithPath((path, leaf) => (tg.dottedName(path).startsWith('blocks.1') ? null : leaf), tree);
    expect(mapped.w).toBe(tree.w);
    expect(mapped.blocks[0].norm1.weight).toBe(tree.blocks[0].norm1.weight);
    expect(mapped.blocks[1].norm1.weight).toBeNull();
    expect(mapped.name).toBe('vit');
    expect(() => tg.treeLeavesWithPath({ a: [tg.ones([1]), new Map()] })).toThrow(tg.TransformError);
  });

  it('regression: unflattenNamed of "__proto__.x" does not pollute Object.prototype', () => {
    const tree = tg.unflattenNamed({ '__proto__.polluted': tg.ones([1]), 'constructor.prototype.alsoPolluted': tg.ones([1]) });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).alsoPolluted).toBeUndefined();
    expect(Object.keys(tree as object)).toEqual(['__proto__', 'constructor']);
  });
});
