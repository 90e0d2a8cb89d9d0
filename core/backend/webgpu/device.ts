import type * as WorkerThreads from 'node:worker_threads';
import { BackendError } from '../../errors.js';
import { threadMayBlock } from '../wasm/matmul/worker-host.js';
import { readReply } from './shared-reply.js';

/** What the adapter says about itself (GPUAdapterInfo), shown by `backendInfo()`. */
export interface AdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

type Reply = { ok: true; value: any } | { ok: false; error: string };

/** How long the caller waits for one reply before it calls the device stuck (a large matmul on SwiftShader takes minutes). */
const replyTimeoutMs = 600_000;

/**
 * How a request reaches the device thread and its reply comes back. Both hosts post the request and
 * block on a shared flag (`Atomics.wait`) that the device thread raises once the reply is in place;
 * they differ in where the reply waits: a message port read with `receiveMessageOnPort` (Node), or
 * shared memory (a browser's workers, which have no `receiveMessageOnPort`; see shared-reply.js).
 */
interface Transport {
  /** Posts `message` and blocks until its reply, or returns undefined after `timeoutMs`. */
  exchange(message: Record<string, unknown>, timeoutMs: number): Reply | undefined;
  terminate(): void;
}

/** How long a raised flag's reply may take to show on the port. */
const portGraceMs = 1000;

class NodeTransport implements Transport {
  /** [0] the reply flag; [1] never set, waited on to pause. */
  private readonly flag = new Int32Array(new SharedArrayBuffer(8));
  private readonly worker: WorkerThreads.Worker;
  private readonly replies: WorkerThreads.MessagePort;

  constructor(private readonly threads: typeof WorkerThreads) {
    const { port1, port2 } = new threads.MessageChannel();
    this.replies = port1;
    this.worker = new threads.Worker(new URL('./device-thread.js', import.meta.url), {
      workerData: { flag: this.flag.buffer, replies: port2 },
      transferList: [port2],
      // plain JavaScript over installed packages: the parent's loader flags (tsx, vitest, `-e`) would only get in the way
      execArgv: [],
    });
    // an idle device thread must not keep the process alive
    this.worker.unref();
    this.replies.unref();
  }

  exchange(message: Record<string, unknown>, timeoutMs: number): Reply | undefined {
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage(message);
    if (Atomics.wait(this.flag, 0, 0, timeoutMs) === 'timed-out') return undefined;
    let received = this.threads.receiveMessageOnPort(this.replies);
    // seen once under load (a training step's op, 4 other processes on 2 cores): the flag was up and the
    // port still empty, so the reply is given a moment to arrive before the call fails
    for (let pause = 0; !received && pause < portGraceMs; pause++) {
      Atomics.wait(this.flag, 1, 0, 1);
      received = this.threads.receiveMessageOnPort(this.replies);
    }
    if (!received) throw new Error('the WebGPU device thread woke the caller without a reply');
    return received.message as Reply;
  }

  terminate(): void {
    void this.worker.terminate();
  }
}

type WebWorker = { postMessage(message: unknown): void; terminate(): void; addEventListener(type: 'error', listener: (event: { message?: string }) => void): void };
type WebGlobals = { Worker: new (url: URL, options: { type: 'module' }) => WebWorker };
type AsyncWait = (array: Int32Array, index: number, value: number, timeout: number) => { async: boolean; value: Promise<string> | string };

/** Largest reply the shared buffer may grow to (a reply is one kernel's output). */
const maximumReplyBytes = 1 << 30;

class WebWorkerTransport implements Transport {
  /** [0] the flag, [1] the reply's byte length (shared-reply.js). */
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly data = new (SharedArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => SharedArrayBuffer)(1 << 20, { maxByteLength: maximumReplyBytes });
  private readonly worker: WebWorker;
  private readonly loadFailure: Promise<Reply>;

  constructor() {
    const { Worker } = globalThis as unknown as WebGlobals;
    this.worker = new Worker(new URL('./device-thread.js', import.meta.url), { type: 'module' });
    // a device worker whose script fails to load never answers: say so instead of waiting out the timeout
    this.loadFailure = new Promise((resolve) => this.worker.addEventListener('error', (event) => resolve({ ok: false, error: `the WebGPU device worker failed: ${event.message ?? 'its script did not load'}` })));
    this.worker.postMessage({ kind: 'connect', control: this.control, data: this.data });
  }

  exchange(message: Record<string, unknown>, timeoutMs: number): Reply | undefined {
    Atomics.store(this.control, 0, 0);
    this.worker.postMessage(message);
    if (Atomics.wait(this.control, 0, 0, timeoutMs) === 'timed-out') return undefined;
    return readReply(this.control, this.data) as Reply;
  }

  /** The same exchange without blocking: a new worker starts only once this thread yields, so the first call must not block. */
  async exchangeAsync(message: Record<string, unknown>, timeoutMs: number): Promise<Reply | undefined> {
    Atomics.store(this.control, 0, 0);
    this.worker.postMessage(message);
    const waited = (Atomics as unknown as { waitAsync: AsyncWait }).waitAsync(this.control, 0, 0, timeoutMs);
    const outcome = await Promise.race([Promise.resolve(waited.value), this.loadFailure]);
    if (typeof outcome !== 'string') return outcome;
    if (outcome === 'timed-out') return undefined;
    return readReply(this.control, this.data) as Reply;
  }

  terminate(): void {
    this.worker.terminate();
  }
}

/**
 * The WebGPU device, run in a worker and called synchronously.
 *
 * WebGPU answers every read-back with a promise (`mapAsync`), and gpu.js's webgpu kernels return
 * promises, while tapegrad's eager ops return values. So the caller blocks on each request until the
 * device worker has the reply (`Transport`). In Node that is any thread; in a browser, a Web Worker
 * of a cross-origin isolated page (a page's main thread may not block): there the device worker must
 * first be started with `await startWebgpuDevice()`.
 */
export class DeviceThread {
  private closed = false;

  /** `started`: the reply to `start` where it came asynchronously (a browser), else it is asked on `start()`. */
  constructor(private readonly transport: Transport, private readonly started?: Reply) {}

  /** Starts the device (once): the adapter's description, or throws why there is none. */
  start(): AdapterInfo {
    if (this.started === undefined) return this.call({ kind: 'start' });
    if (!this.started.ok) throw new Error(this.started.error);
    return this.started.value;
  }

  /** Sends one request and blocks until its reply; throws the device thread's error text. */
  call(message: Record<string, unknown>, timeoutMs = replyTimeoutMs): any {
    if (this.closed && message.kind !== 'close') throw new Error('the WebGPU device thread is closed');
    const reply = this.transport.exchange(message, timeoutMs);
    if (reply === undefined) throw new Error(`no reply from the WebGPU device thread within ${timeoutMs / 1000} s`);
    if (!reply.ok) throw new Error(reply.error);
    return reply.value;
  }

  /** Destroys the device (Dawn aborts the process if its thread ends while a device lives), then ends the thread. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.call({ kind: 'close' }, 5_000);
    } catch {
      // a device thread that cannot answer has nothing left to destroy
    }
    this.transport.terminate();
  }
}

/** Node's worker_threads, or null in a browser (looked up at run time, so a browser bundle never imports it). */
function nodeWorkerThreads(): typeof WorkerThreads | null {
  const host = globalThis.process as (NodeJS.Process & { getBuiltinModule?: (id: string) => unknown }) | undefined;
  return (host?.getBuiltinModule?.('node:worker_threads') as typeof WorkerThreads | undefined) ?? null;
}

/** The browser's device worker: starting (`startWebgpuDevice`), then started. */
let startingBrowserDevice: Promise<DeviceThread> | undefined;
let browserDevice: DeviceThread | undefined;

/** Why this browser thread cannot call a device synchronously, or null when it can. */
function browserRefusal(): string | null {
  if (typeof SharedArrayBuffer === 'undefined' || !(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
    return 'webgpu: in a browser the device answers through SharedArrayBuffer, which needs a cross-origin isolated page (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (!threadMayBlock()) {
    return "webgpu: tapegrad's eager ops wait for each kernel's result, and a browser page's main thread may not wait (Atomics.wait); run tapegrad in a Web Worker and `await startWebgpuDevice()` there";
  }
  if (typeof (globalThis as { Worker?: unknown }).Worker !== 'function') return 'webgpu: this browser thread cannot start a Web Worker for the device';
  return null;
}

/**
 * In a browser's Web Worker, starts the WebGPU device worker and waits for its adapter (a new worker
 * starts only while this thread yields, so this must be awaited before `setBackend('webgpu')`). Never
 * throws: where the device cannot start, `webgpuSupport()` says why afterwards. In Node it does nothing
 * (the device thread starts on first use).
 */
export async function startWebgpuDevice(): Promise<void> {
  if (nodeWorkerThreads() || browserRefusal() !== null) return;
  startingBrowserDevice ??= (async () => {
    const transport = new WebWorkerTransport();
    const started = (await transport.exchangeAsync({ kind: 'start' }, replyTimeoutMs)) ?? { ok: false, error: `no reply from the WebGPU device worker within ${replyTimeoutMs / 1000} s` };
    return new DeviceThread(transport, started);
  })();
  browserDevice = await startingBrowserDevice;
}

/** A device thread for this host; throws a `BackendError` where this host cannot call one synchronously. */
export function openDeviceThread(): DeviceThread {
  const threads = nodeWorkerThreads();
  if (threads) {
    const device = new DeviceThread(new NodeTransport(threads));
    // it lets go of the device before the process ends
    process.once('exit', () => device.close());
    return device;
  }
  const refusal = browserRefusal();
  if (refusal !== null) throw new BackendError(refusal);
  if (!browserDevice) throw new BackendError('webgpu: in a browser the device worker starts asynchronously: `await startWebgpuDevice()` before choosing webgpu');
  return browserDevice;
}
