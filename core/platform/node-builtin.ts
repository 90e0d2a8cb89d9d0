/**
 * Node's built-in modules, found at run time where the host is Node and undefined elsewhere.
 *
 * `process.getBuiltinModule` (Node ≥ 20.16) is synchronous and invisible to bundlers, so code that
 * calls it runs unchanged in Node and in a browser bundle that holds no import of `node:*`.
 */
import { PlatformError } from '../errors.js';

type BuiltinModules = {
  'node:fs': typeof import('node:fs');
  'node:fs/promises': typeof import('node:fs/promises');
  'node:path': typeof import('node:path');
  'node:crypto': typeof import('node:crypto');
  'node:os': typeof import('node:os');
  'node:module': typeof import('node:module');
  'node:url': typeof import('node:url');
  'node:worker_threads': typeof import('node:worker_threads');
};

type NodeProcess = { versions?: { node?: string }; getBuiltinModule?: (name: string) => unknown };

const host = (globalThis as { process?: NodeProcess }).process;

/** Whether this is Node (a browser page, or a worker in one, is not). */
export const isNode = typeof host?.versions?.node === 'string';

/** The built-in module `name` in Node, undefined in a browser. */
export function nodeBuiltin<Name extends keyof BuiltinModules>(name: Name): BuiltinModules[Name] | undefined {
  if (!isNode) return undefined;
  if (typeof host?.getBuiltinModule !== 'function') {
    throw new PlatformError(`tapegrad needs Node 20.16 or later (process.getBuiltinModule, for ${name}); this is Node ${host?.versions?.node}`);
  }
  return host.getBuiltinModule(name) as BuiltinModules[Name];
}

/** The built-in module `name`; `caller` names the Node-only function that asked, in a browser's error. */
export function requireNodeBuiltin<Name extends keyof BuiltinModules>(name: Name, caller: string): BuiltinModules[Name] {
  const found = nodeBuiltin(name);
  if (found === undefined) throw new PlatformError(`${caller} works only in Node (it needs ${name}); in a browser use the functions on bytes instead`);
  return found;
}

/** Logical processors this host offers (1 when it does not say). */
export function processorCount(): number {
  const os = nodeBuiltin('node:os');
  if (os) return os.availableParallelism();
  const reported = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof reported === 'number' && reported >= 1 ? reported : 1;
}
