/**
 * Parameter groups for optimisers: which parameters get weight decay, which get none, and which are
 * frozen (skipped entirely). A rule is a function of the dotted name (PyTorch's, from
 * `flattenNamed`) and the tensor, or a mask tree mirroring the params (a leaf of the mask covers the
 * whole subtree under it).
 */
import { OptionError, type Tensor, isTensor } from '../core/index.js';

export type ParamGroup = 'decay' | 'noDecay' | 'frozen';
export const paramGroups: readonly ParamGroup[] = ['decay', 'noDecay', 'frozen'];

/** A mask tree: `true` = decay, `false` = noDecay, or a group name; nested like the params. */
export type GroupMask = ParamGroup | boolean | readonly GroupMask[] | { readonly [key: string]: GroupMask };
export type GroupRule = ((name: string, param: Tensor) => ParamGroup) | GroupMask;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/** Every tensor of a tree with its dotted name, in `treeFlatten` order. */
export function namedLeaves(tree: unknown): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const walk = (node: unknown, name: string) => {
    if (isTensor(node)) out.push([name, node]);
    else if (Array.isArray(node)) node.forEach((child, i) => walk(child, name ? `${name}.${i}` : `${i}`));
    else if (isPlainObject(node)) for (const key of Object.keys(node)) walk(node[key], name ? `${name}.${key}` : key);
  };
  walk(tree, '');
  return out;
}

/**
 * DINO's `get_params_groups`: no decay for names ending in `.bias` and for tensors of rank ≤ 1
 * (LayerNorm γ/β); decay for everything else, `cls_token` and `pos_embed` included.
 * Names listed in `frozen` (e.g. a frozen `head.last_layer.weight_g`) are skipped.
 */
export function dinoParamGroups(frozen: readonly string[] = []): (name: string, param: Tensor) => ParamGroup {
  return (name, param) => {
    if (frozen.includes(name)) return 'frozen';
    return name.endsWith('.bias') || name === 'bias' || param.rank <= 1 ? 'noDecay' : 'decay';
  };
}

function fromMask(value: GroupMask, name: string): ParamGroup {
  if (value === true) return 'decay';
  if (value === false) return 'noDecay';
  if (typeof value === 'string' && (paramGroups as readonly string[]).includes(value)) return value as ParamGroup;
  throw new OptionError(`param groups: the mask entry for ${name} must be true, false or one of ${paramGroups.join(', ')}; got ${JSON.stringify(value)}`);
}

/** The group of parameter `name` under `rule` (default: every parameter decays, as one torch group). */
export function groupOf(rule: GroupRule | undefined, name: string, param: Tensor): ParamGroup {
  if (rule === undefined) return 'decay';
  if (typeof rule === 'function') return fromMask(rule(name, param), name);
  let node: GroupMask = rule;
  for (const part of name.split('.')) {
    if (typeof node !== 'object') break;
    const child: GroupMask | undefined = Array.isArray(node) ? node[Number(part)] : (node as { readonly [key: string]: GroupMask })[part];
    if (child === undefined) throw new OptionError(`param groups: the mask has no entry for parameter ${name} (missing at ${JSON.stringify(part)})`);
    node = child;
  }
  return fromMask(node, name);
}
