/**
 * `vmap`'s `inAxes` and `outAxes`: a pytree prefix of the arguments (or of the output) whose nodes
 * are axes. A number or null covers the whole subtree below it; arrays and objects must match the tree.
 */
import { OptionError, formatShape } from '../errors.js';
import { type TreeDef, describeTree, isPlainObject } from '../pytree.js';

export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

/** One leaf's batch axis (non-negative, or null) and where the leaf sits, for errors (`argument 0, leaf .w`). */
export interface LeafAxis {
  readonly axis: number | null;
  readonly place: string;
}

/** Where a node sits: the argument (or output) and the steps inside it. */
const placeOf = (root: string, steps: string) => (steps === '' ? root : `${root}, leaf ${steps}`);

/**
 * The batch axis of every leaf of `def` (one argument, or the output), in `treeFlatten` order.
 * `shapes` are the shapes the axes index: the batched arguments, or one output example with the
 * batch axis still to come (so `extraAxis` is 1 there).
 */
function resolveTree(name: 'inAxes' | 'outAxes', spec: AxisSpec, def: TreeDef, shapes: readonly (readonly number[])[], root: string, extraAxis: number, found: LeafAxis[]): void {
  const assign = (node: TreeDef, axis: number | null, steps: string): void => {
    if (node.kind === 'leaf') {
      const shape = shapes[found.length];
      found.push({ axis: axis === null ? null : checkAxis(name, axis, shape, shape.length + extraAxis, placeOf(root, steps)), place: placeOf(root, steps) });
    } else if (node.kind === 'array') {
      node.children.forEach((child, i) => assign(child, axis, `${steps}[${i}]`));
    } else if (node.kind === 'object') {
      node.children.forEach((child, i) => assign(child, axis, `${steps}.${node.keys[i]}`));
    } else if (axis !== null && steps === '' && node.value !== undefined && node.value !== null) {
      // a value passed straight under an axis is not an array vmap can map over
      throw new OptionError(`vmap: ${name} for ${root} is ${axis}, but ${root} is ${describeSpec(node.value)}, not a tensor; give it ${name} null`);
    }
  };
  const walk = (node: TreeDef, at: AxisSpec, steps: string): void => {
    if (at === null || typeof at === 'number') return assign(node, at, steps);
    const fits = Array.isArray(at)
      ? node.kind === 'array' && node.children.length === at.length
      : isPlainObject(at) && node.kind === 'object' && Object.keys(at).length === node.keys.length && node.keys.every((k) => k in at);
    if (!fits) {
      if (!Array.isArray(at) && !isPlainObject(at)) {
        throw new OptionError(`vmap: ${name} for ${placeOf(root, steps)} is ${describeSpec(at)}; allowed: an integer axis, null, or arrays and objects of them shaped like the tree`);
      }
      throw new OptionError(`vmap: ${name} for ${placeOf(root, steps)} is ${describeSpec(at)} but that node is ${describeTree(node)}; give an axis (or null) for the whole node, or match its structure`);
    }
    if (node.kind === 'array') node.children.forEach((child, i) => walk(child, (at as readonly AxisSpec[])[i], `${steps}[${i}]`));
    if (node.kind === 'object') node.children.forEach((child, i) => walk(child, (at as Record<string, AxisSpec>)[node.keys[i]], `${steps}.${node.keys[i]}`));
  };
  walk(def, spec, '');
}

/** Axes of every argument leaf: `inAxes` is one axis for all arguments or one entry per argument. */
export function resolveInAxes(spec: AxisSpec, argsDef: TreeDef & { kind: 'array' }, shapes: readonly (readonly number[])[]): LeafAxis[] {
  const count = argsDef.children.length;
  if (Array.isArray(spec) && spec.length !== count) {
    throw new OptionError(`vmap: inAxes has ${spec.length} entries but f got ${count} arguments; give one entry per argument, or one axis for all`);
  }
  if (spec !== null && typeof spec !== 'number' && !Array.isArray(spec)) {
    throw new OptionError(`vmap: inAxes must be an axis, null, or an array with one entry per argument, got ${describeSpec(spec)}`);
  }
  const found: LeafAxis[] = [];
  argsDef.children.forEach((child, i) => {
    const entry = Array.isArray(spec) ? (spec as readonly AxisSpec[])[i] : (spec as number | null);
    resolveTree('inAxes', entry, child, shapes, `argument ${i}`, 0, found);
  });
  return found;
}

/** Axes of every output leaf; `shapes` are one example's output shapes. */
export function resolveOutAxes(spec: AxisSpec, outDef: TreeDef, shapes: readonly (readonly number[])[]): LeafAxis[] {
  const found: LeafAxis[] = [];
  resolveTree('outAxes', spec, outDef, shapes, 'the output', 1, found);
  return found;
}

function checkAxis(name: string, axis: number, shape: readonly number[], rank: number, place: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const what = name === 'inAxes' ? `that leaf has shape ${formatShape(shape)}` : `one example of it has shape ${formatShape(shape)}`;
    throw new OptionError(`vmap: ${name} for ${place} is ${axis}, but ${what} (allowed: ${-rank}..${rank - 1}, or null)`);
  }
  return axis < 0 ? axis + rank : axis;
}

function describeSpec(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
