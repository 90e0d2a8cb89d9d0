import { TapegradError, TransformError } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * A pytree is a Tensor, or arrays and plain objects of pytrees. Plain values (numbers, strings,
 * booleans, null, undefined) are static nodes: kept in the structure, never leaves. Anything
 * else (a class instance, a Map, a function) is refused, as JAX refuses an unregistered type: silently
 * treating it as static would hide its tensors from every transform.
 */
export type PyTree = Tensor | readonly PyTree[] | { readonly [key: string]: PyTree } | number | string | boolean | null | undefined;

/** The structure of a pytree without its leaves. */
export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'static'; readonly value: unknown }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isStatic(value: unknown): boolean {
  return value === null || ['undefined', 'number', 'string', 'boolean'].includes(typeof value);
}

/** How a value that is not a pytree node is named in errors: `a Map`, `a Lin instance`, `a function`. */
export function describeValue(value: unknown): string {
  if (value instanceof Tensor) return `a ${value.dtype} tensor`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`;
  if (value === null || typeof value !== 'object') return `a ${typeof value} (${String(value)})`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  if (value instanceof Map || value instanceof Set || ArrayBuffer.isView(value)) return `a ${name}`;
  return name ? `a ${name} instance` : 'an object with a custom prototype';
}

/** One step of a leaf's path: an object key or an array index (JAX's `DictKey` / `SequenceKey`). */
export type PathKey = string | number;
/** The keys from the root to a node, as JAX's key paths: `['blocks', 0, 'norm1']`. */
export type KeyPath = readonly PathKey[];

/** A path as JAX's `keystr` spells it: `.w`, `[0]`, `.blocks[0].norm1`; `''` for the root. */
export function keystr(path: KeyPath): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`)).join('');
}

/** A path as PyTorch state dicts name it: `blocks.0.norm1.weight`; `''` for the root. */
export function dottedName(path: KeyPath): string {
  return path.join('.');
}

/**
 * The one walk over a pytree: depth-first (arrays by index, objects by key insertion order), calling
 * `onLeaf` with each tensor and its path, and returning the structure. The path is a shared stack,
 * so `onLeaf` must copy it to keep it. `owner` and `place` name a value that is not a pytree node.
 */
function walkTree(tree: unknown, owner: string, place: string, onLeaf: (leaf: Tensor, path: readonly PathKey[]) => void): TreeDef {
  const path: PathKey[] = [];
  const visit = (node: unknown, key: PathKey): TreeDef => {
    path.push(key);
    const def = walk(node);
    path.pop();
    return def;
  };
  const walk = (node: unknown): TreeDef => {
    if (node instanceof Tensor) {
      onLeaf(node, path);
      return { kind: 'leaf' };
    }
    if (Array.isArray(node)) return { kind: 'array', children: node.map((child, i) => visit(child, i)) };
    if (isPlainObject(node)) {
      const keys = Object.keys(node);
      return { kind: 'object', keys, children: keys.map((k) => visit(node[k], k)) };
    }
    if (isStatic(node)) return { kind: 'static', value: node };
    const where = [place, path.length > 0 && `leaf ${keystr(path)}`].filter(Boolean).join(', ') || 'the tree';
    throw new TransformError(
      `${owner}: ${where} is ${describeValue(node)}, which is not a pytree; ` +
        'a pytree holds tensors, arrays and plain objects of them, and plain values (numbers, strings, booleans, null)',
    );
  };
  return walk(tree);
}

/**
 * Leaves in depth-first order (arrays by index, objects by key insertion order) and the structure.
 * `owner` (the calling function) and `place` (`argument 0`) name a value that is not a pytree node.
 */
export function treeFlatten(tree: unknown, owner = 'treeFlatten', place = ''): [Tensor[], TreeDef] {
  const leaves: Tensor[] = [];
  const def = walkTree(tree, owner, place, (leaf) => leaves.push(leaf));
  return [leaves, def];
}

/** JAX's `tree_leaves_with_path`: every leaf with its key path, in `treeFlatten` order. */
export function treeLeavesWithPath(tree: unknown, owner = 'treeLeavesWithPath'): [KeyPath, Tensor][] {
  const out: [KeyPath, Tensor][] = [];
  walkTree(tree, owner, '', (leaf, path) => out.push([[...path], leaf]));
  return out;
}

/** JAX's `tree_map_with_path`: `fn(path, leaf)` for every leaf, in a tree of the same structure. */
export function treeMapWithPath<T, R = Tensor>(fn: (path: KeyPath, leaf: Tensor) => R, tree: T): TreeMapped<T, R> {
  const mapped: R[] = [];
  const def = walkTree(tree, 'treeMapWithPath', '', (leaf, path) => mapped.push(fn([...path], leaf)));
  return treeUnflatten<TreeMapped<T, R>>(def, mapped);
}

/** Every leaf's path in `treeFlatten` order, and every static node's path with its value, spelled by `keystr`. */
export function treePaths(def: TreeDef): { leaves: string[]; statics: { path: string; value: unknown }[] } {
  const leaves: string[] = [];
  const statics: { path: string; value: unknown }[] = [];
  const walk = (node: TreeDef, path: KeyPath): void => {
    if (node.kind === 'leaf') leaves.push(keystr(path));
    else if (node.kind === 'static') statics.push({ path: keystr(path), value: node.value });
    else if (node.kind === 'array') node.children.forEach((child, i) => walk(child, [...path, i]));
    else node.children.forEach((child, i) => walk(child, [...path, node.keys[i]]));
  };
  walk(def, []);
  return { leaves, statics };
}

export function treeUnflatten<T = PyTree>(def: TreeDef, leaves: readonly unknown[]): T {
  let next = 0;
  const build = (node: TreeDef): unknown => {
    switch (node.kind) {
      case 'leaf':
        if (next >= leaves.length) throw new TapegradError(`treeUnflatten: the structure needs more than ${leaves.length} leaves`);
        return leaves[next++];
      case 'static':
        return node.value;
      case 'array':
        return node.children.map(build);
      case 'object':
        return Object.fromEntries(node.keys.map((k, i) => [k, build(node.children[i])]));
    }
  };
  const tree = build(def);
  if (next !== leaves.length) throw new TapegradError(`treeUnflatten: the structure takes ${next} leaves, got ${leaves.length}`);
  return tree as T;
}

export function treeLeaves(tree: unknown): Tensor[] {
  return treeFlatten(tree)[0];
}

/** Describes a structure in one line, for errors: `{w: *, b: [*, *]}`. */
export function describeTree(def: TreeDef): string {
  switch (def.kind) {
    case 'leaf':
      return '*';
    case 'static':
      return JSON.stringify(def.value) ?? 'undefined';
    case 'array':
      return `[${def.children.map(describeTree).join(', ')}]`;
    case 'object':
      return `{${def.keys.map((k, i) => `${k}: ${describeTree(def.children[i])}`).join(', ')}}`;
  }
}

export function sameStructure(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'leaf' || a.kind === 'static') return true;
  if (a.kind === 'array' && b.kind === 'array') return a.children.length === b.children.length && a.children.every((c, i) => sameStructure(c, b.children[i]));
  if (a.kind === 'object' && b.kind === 'object') {
    return a.keys.length === b.keys.length && a.keys.every((k, i) => b.keys[i] === k && sameStructure(a.children[i], b.children[i]));
  }
  return false;
}

/** `T` with each tensor leaf replaced by `R`. */
export type MapLeaves<T, R> = T extends Tensor
  ? R
  : T extends readonly unknown[]
    ? { -readonly [K in keyof T]: MapLeaves<T[K], R> }
    : T extends object
      ? { [K in keyof T]: MapLeaves<T[K], R> }
      : T;

/** What `treeMap` returns: the input's own type when `fn` returns tensors, else the leaves replaced. */
export type TreeMapped<T, R> = [R] extends [Tensor] ? T : MapLeaves<T, R>;

/**
 * Applies `fn` to corresponding leaves of trees that share one structure; the error names the
 * operation and both structures when they differ. The result has the first tree's type.
 */
export function treeMap<T, R = Tensor>(fn: (...leaves: Tensor[]) => R, tree: T, ...rest: readonly unknown[]): TreeMapped<T, R> {
  const [leaves, def] = treeFlatten(tree, 'treeMap');
  const others = rest.map((other, i) => {
    const [otherLeaves, otherDef] = treeFlatten(other, 'treeMap');
    if (!sameStructure(def, otherDef)) {
      throw new TapegradError(`treeMap: tree ${i + 1} has structure ${describeTree(otherDef)} but the first has ${describeTree(def)}`);
    }
    return otherLeaves;
  });
  return treeUnflatten<TreeMapped<T, R>>(def, leaves.map((leaf, i) => fn(leaf, ...others.map((o) => o[i]))));
}

/**
 * Dotted names for every leaf, as PyTorch state dicts spell them: `{blocks: [{norm1: {weight}}]}`
 * becomes `blocks.0.norm1.weight` (with `prefix`, `prefix.blocks.0…`).
 */
export function flattenNamed(tree: unknown, prefix = ''): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [path, leaf] of treeLeavesWithPath(tree, 'flattenNamed')) out[dottedName(prefix ? [prefix, ...path] : path)] = leaf;
  return out;
}

/**
 * The inverse of `flattenNamed`: rebuilds nested objects from dotted names. A level whose keys are
 * exactly 0, 1, …, n−1 becomes an array.
 */
export function unflattenNamed(named: Readonly<Record<string, Tensor>>): PyTree {
  // prototype-free nodes: a name like `__proto__.x` from an untrusted file stays an ordinary key
  const root: Record<string, unknown> = Object.create(null);
  for (const [name, tensor] of Object.entries(named)) {
    const parts = name.split('.');
    let node = root;
    parts.slice(0, -1).forEach((part) => {
      const child = node[part];
      if (child instanceof Tensor) throw new TapegradError(`unflattenNamed: ${name} is nested under a tensor`);
      node = (child as Record<string, unknown>) ?? (node[part] = Object.create(null));
    });
    const last = parts[parts.length - 1];
    if (Object.hasOwn(node, last)) throw new TapegradError(`unflattenNamed: ${name} is given twice or also names a subtree`);
    node[last] = tensor;
  }
  const arrays = (node: unknown): unknown => {
    if (node instanceof Tensor || !isPlainObject(node)) return node;
    const keys = Object.keys(node);
    const converted = Object.fromEntries(keys.map((k) => [k, arrays(node[k])]));
    const isIndexList = keys.length > 0 && [...keys].sort((a, b) => Number(a) - Number(b)).every((k, i) => k === String(i));
    return isIndexList ? keys.map((_, i) => converted[String(i)]) : converted;
  };
  return arrays(root) as PyTree;
}
