import type * as WorkerThreads from 'node:worker_threads';

/** What the adapter says about itself (GPUAdapterInfo), shown by `backendInfo()`. */
export interface AdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

type Reply = { ok: true; value: any } | { ok: false; error: string };

/** How long the main thread waits for one reply before it calls the device stuck (a large matmul on SwiftShader takes minutes). */
const replyTimeoutMs = 600_000;

/**
 * The WebGPU device, run in a worker thread and called synchronously.
 *
 * WebGPU answers every read-back with a promise (`mapAsync`), and gpu.js's webgpu kernels return
 * promises, while tapegrad's eager ops return values. In Node the main thread may block: it posts a
 * request to the device thread and waits on a shared flag (`Atomics.wait`) until the reply is posted,
 * then takes it with `receiveMessageOnPort`. A browser's main thread may not block, so there the
 * synchronous path refuses (see `webgpuSupport`).
 */
export class DeviceThread {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: WorkerThreads.Worker;
  private readonly replies: WorkerThreads.MessagePort;
  private readonly threads: typeof WorkerThreads;
  private closed = false;

  constructor(threads: typeof WorkerThreads) {
    this.threads = threads;
    const { port1, port2 } = new threads.MessageChannel();
    this.replies = port1;
    this.worker = new threads.Worker(new URL('./device-thread.js', import.meta.url), {
      workerData: { flag: this.flag.buffer, replies: port2 },
      transferList: [port2],
      // plain JavaScript over installed packages: the parent's loader flags (tsx, vitest, `-e`) would only get in the way
      execArgv: [],
    });
    // an idle device thread must not keep the process alive, and it lets go of the device before the process ends
    this.worker.unref();
    this.replies.unref();
    process.once('exit', () => this.close());
  }

  /** Sends one request and blocks until its reply; throws the device thread's error text. */
  call(message: Record<string, unknown>, timeoutMs = replyTimeoutMs): any {
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage(message);
    if (Atomics.wait(this.flag, 0, 0, timeoutMs) === 'timed-out') {
      throw new Error(`no reply from the WebGPU device thread within ${timeoutMs / 1000} s`);
    }
    const received = this.threads.receiveMessageOnPort(this.replies);
    if (!received) throw new Error('the WebGPU device thread woke the main thread without a reply');
    const reply = received.message as Reply;
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
    void this.worker.terminate();
  }
}

/** Node's worker_threads, or null in a browser (looked up at run time, so a browser bundle never imports it). */
export function nodeWorkerThreads(): typeof WorkerThreads | null {
  const host = globalThis.process as (NodeJS.Process & { getBuiltinModule?: (id: string) => unknown }) | undefined;
  return (host?.getBuiltinModule?.('node:worker_threads') as typeof WorkerThreads | undefined) ?? null;
}
