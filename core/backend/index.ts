import { BackendError, OptionError } from '../errors.js';
import type { Backend, BackendInfo } from './backend.js';
import { GpujsBackend, type GpuMode, gpuModes, modeSupport } from './gpujs.js';
import { ReferenceBackend } from './reference.js';
import { WebgpuBackend } from './webgpu/index.js';

export { swiftShaderManifest } from './webgpu/index.js';
export { startWebgpuDevice } from './webgpu/device.js';

export type { Backend, BackendInfo } from './backend.js';

/** `reference`, `gpujs` (best gpu.js mode), a gpu.js mode by name, or `webgpu` (gpu.js kernels on a WebGPU adapter). */
export type BackendChoice = 'reference' | 'gpujs' | GpuMode | 'webgpu';
export const backendChoices: readonly BackendChoice[] = ['reference', 'gpujs', ...gpuModes, 'webgpu'];

const reference = new ReferenceBackend();
const gpujsByMode = new Map<string, GpujsBackend>();
let webgpu: WebgpuBackend | undefined;
let current: Backend | undefined;

/** Throws a `BackendError` with its reason when no WebGPU adapter answers: never a silent fall back. */
function create(choice: BackendChoice): Backend {
  if (choice === 'reference') return reference;
  if (choice === 'webgpu') return (webgpu ??= new WebgpuBackend());
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
  throw new OptionError(`${source}: unknown backend ${JSON.stringify(value)}; allowed: ${backendChoices.join(', ')}`);
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

/** The backend chosen so far, without choosing one (for code that only asks whether it has a faster path). */
export function chosenBackend(): Backend | undefined {
  return current;
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

/** Why the `webgpu` backend cannot start here (the `BackendError` that `setBackend('webgpu')` would throw), or null when it starts. */
export function webgpuSupport(): string | null {
  try {
    create('webgpu');
    return null;
  } catch (error) {
    if (error instanceof BackendError) return error.message;
    throw error;
  }
}
