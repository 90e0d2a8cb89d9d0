/**
 * How the matmul pool starts a worker on this host: Node's worker_threads, or a browser's Web
 * Workers. Each adapter runs the same worker source, which defines `serve(module, memory, id)`, and
 * differs only in how the worker receives its module, shared memory and id. Neither adapter imports
 * anything at load time, so a browser bundle holds no `node:worker_threads`.
 */
import { isNode, requireNodeBuiltin } from '../../../platform/node-builtin.js';
import type { WasmMemory, WasmModule } from '../webassembly-api.js';

export interface WorkerData {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly id: number;
}

export interface WorkerHost {
  readonly name: 'worker_threads' | 'web workers';
  /** Starts a worker running `source` on `data`; `onGone` runs if it fails or exits. */
  start(source: string, data: WorkerData, onGone: () => void): void;
}

const nodeHost: WorkerHost = {
  name: 'worker_threads',
  start(source, data, onGone) {
    const { Worker } = requireNodeBuiltin('node:worker_threads', 'wasmMatmul worker threads');
    const worker = new Worker(`'use strict';\n${source}\nconst { workerData } = require('node:worker_threads');\nserve(workerData.module, workerData.memory, workerData.id);\n`, {
      eval: true,
      workerData: data,
      execArgv: [], // no loaders (tsx, vitest) in the workers: they run plain JavaScript
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on('error', onGone);
    worker.on('exit', onGone);
  },
};

type WebWorker = { postMessage(message: unknown): void; addEventListener(type: 'error', listener: () => void): void };
type WebGlobals = {
  Worker: new (url: string) => WebWorker;
  Blob: new (parts: string[], options: { type: string }) => unknown;
  URL: { createObjectURL(blob: unknown): string };
};

const webHost: WorkerHost = {
  name: 'web workers',
  start(source, data, onGone) {
    const { Worker, Blob, URL } = globalThis as unknown as WebGlobals;
    // the module and the shared memory travel by postMessage, which needs a cross-origin isolated page
    const text = `'use strict';\n${source}\nself.onmessage = (event) => { self.onmessage = null; serve(event.data.module, event.data.memory, event.data.id); };\n`;
    const worker = new Worker(URL.createObjectURL(new Blob([text], { type: 'text/javascript' })));
    worker.addEventListener('error', onGone);
    worker.postMessage(data);
  },
};

/** The host's way of starting workers, or undefined where it has none. */
export function workerHost(): WorkerHost | undefined {
  if (isNode) return nodeHost;
  return typeof (globalThis as { Worker?: unknown }).Worker === 'function' ? webHost : undefined;
}

let blocking: boolean | undefined;
/**
 * Whether this thread may block in Atomics.wait: Node's threads and Web Workers may, a browser's
 * main thread may not (the call throws there), so the pool waits for its workers by spinning.
 */
export function threadMayBlock(): boolean {
  if (blocking === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // 'not-equal' at once where allowed
      blocking = true;
    } catch {
      blocking = false;
    }
  }
  return blocking;
}
