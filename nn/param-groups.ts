/**
 * Parameter groups for optimisers: which parameters get weight decay, which get none, and which are
 * frozen (skipped entirely). A rule is a function of the dotted name (PyTorch's, from
 * `flattenNamed`) and the tensor, or a mask tree mirroring the params (a leaf of the mask covers the
 * whole subtree under it). `TrainableRule` says, in the same two forms, which parameters one step
 * may update at all.
 */
import { OptionError, type Tensor, dottedName, treeLeavesWithPath } from '../core/index.js';

export type ParamGroup = 'decay' | 'noDecay' | 'frozen';
export const paramGroups: readonly ParamGroup[] = ['decay', 'noDecay', 'frozen'];

/** A mask tree: `true` = decay, `false` = noDecay, or a group name; nested like the params. */
export type GroupMask = ParamGroup | boolean | readonly GroupMask[] | { readonly [key: string]: GroupMask };
export type GroupRule = ((name: string, param: Tensor) => ParamGroup) | GroupMask;

/** Every tensor of a tree with its dotted name, in `treeFlatten` order. */
export function namedLeaves(tree: unknown): [string, Tensor][] {
  return treeLeavesWithPath(tree, 'namedLeaves').map(([path, leaf]) => [dottedName(path), leaf]);
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

/** The entry of a mask tree that covers parameter `name`: the first non-object node down its dotted path. */
function maskEntry<Entry>(mask: Entry | readonly unknown[] | { readonly [key: string]: unknown }, name: string, what: string): Entry | object {
  let node: unknown = mask;
  for (const part of name.split('.')) {
    if (node === null || typeof node !== 'object') break;
    const child: unknown = Array.isArray(node) ? node[Number(part)] : (node as { readonly [key: string]: unknown })[part];
    if (child === undefined) throw new OptionError(`${what}: the mask has no entry for parameter ${name} (missing at ${JSON.stringify(part)})`);
    node = child;
  }
  return node as Entry | object;
}

/** The group of parameter `name` under `rule` (default: every parameter decays, as one torch group). */
export function groupOf(rule: GroupRule | undefined, name: string, param: Tensor): ParamGroup {
  if (rule === undefined) return 'decay';
  if (typeof rule === 'function') return fromMask(rule(name, param), name);
  return fromMask(maskEntry(rule, name, 'param groups') as GroupMask, name);
}

/**
 * Which parameters a step may update: a predicate of the dotted name and the tensor, or a tree of
 * booleans nested like the params (a `true`/`false` leaf covers the whole subtree under it, so
 * `{backbone: false, head: true}` trains the head only). Unlike the `frozen` group, which is fixed
 * for a run, this is meant to change from step to step (DINO's last layer, frozen for the first epoch).
 */
export type TrainableMask = boolean | readonly TrainableMask[] | { readonly [key: string]: TrainableMask };
export type TrainableRule = ((name: string, param: Tensor) => boolean) | TrainableMask;

/** Whether parameter `name` is trainable under `rule` (default: every parameter is). */
export function isTrainable(rule: TrainableRule | undefined, name: string, param: Tensor): boolean {
  if (rule === undefined) return true;
  const value = typeof rule === 'function' ? rule(name, param) : maskEntry(rule, name, 'trainable');
  if (typeof value !== 'boolean') throw new OptionError(`trainable: the entry for parameter ${name} must be true or false; got ${JSON.stringify(value)}`);
  return value;
}
