import { OptionError } from '../errors.js';
import type { Backend, BackendInfo } from './backend.js';
import { GpujsBackend, type GpuMode, gpuModes, modeSupport } from './gpujs.js';
import { ReferenceBackend } from './reference.js';

export type { Backend, BackendInfo } from './backend.js';

/** `reference`, `gpujs` (best gpu.js mode), or a gpu.js mode by name. */
export type BackendChoice = 'reference' | 'gpujs' | GpuMode;
export const backendChoices: readonly BackendChoice[] = ['reference', 'gpujs', ...gpuModes];

const reference = new ReferenceBackend();
const gpujsByMode = new Map<string, GpujsBackend>();
let current: Backend | undefined;

function create(choice: BackendChoice): Backend {
  if (choice === 'reference') return reference;
  const mode = choice === 'gpujs' ? 'auto' : choice;
  let backend = gpujsByMode.get(mode);
  if (!backend) {
    backend = new GpujsBackend(mode);
    gpujsByMode.set(mode, backend);
  }
  return backend;
}

function checkChoice(source: string, value: string): BackendChoice {
  if ((backendChoices as readonly string[]).includes(value)) return value as BackendChoice;
  // asked for by name often enough to deserve its own answer
  const note = value === 'webgpu' ? ' (WebGPU is not wired in yet: gpu.js runs it asynchronously and tapegrad\'s ops are synchronous; see the README, Backends)' : '';
  throw new OptionError(`${source}: unknown backend ${JSON.stringify(value)}${note}; allowed: ${backendChoices.join(', ')}`);
}

/** The backend ops run on: `setBackend`'s choice, else `TAPEGRAD_BACKEND`, else `gpujs`. */
export function currentBackend(): Backend {
  current ??= create(checkChoice('TAPEGRAD_BACKEND', environmentChoice() ?? 'gpujs'));
  return current;
}

/** `TAPEGRAD_BACKEND` in Node; a browser has no environment (nor `process`). */
function environmentChoice(): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TAPEGRAD_BACKEND;
}

export function setBackend(choice: BackendChoice): void {
  current = create(checkChoice('setBackend', choice));
}

export function backendInfo(): BackendInfo {
  return currentBackend().info();
}

/** Runs `fn` on another backend and restores the previous one afterwards. */
export function withBackend<T>(choice: BackendChoice, fn: () => T): T {
  const previous = currentBackend();
  current = create(checkChoice('withBackend', choice));
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** The gpu.js modes this machine can run, best first; asking costs nothing and warns about nothing. */
export function availableGpuModes(): GpuMode[] {
  return gpuModes.filter((mode) => modeSupport(mode) === null);
}
