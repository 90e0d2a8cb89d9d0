// How the device thread hears requests and answers them, per host (plain JavaScript, loaded with no
// TypeScript loader). In Node (worker_threads) a reply is posted on a port that the blocked caller
// reads with receiveMessageOnPort; a browser has no such call, so there (a Web Worker) the reply is
// written into shared memory (shared-reply.js). Either way the caller then wakes on a shared flag.
import { writeReply } from './shared-reply.js';

/** { reply(message, transfer), onRequest(handler), onFailure(handler) } for this host. */
export async function deviceChannel() {
  const threads = globalThis.process?.getBuiltinModule?.('node:worker_threads');
  return threads ? nodeChannel(threads) : webWorkerChannel();
}

function nodeChannel({ parentPort, workerData }) {
  const signal = new Int32Array(workerData.flag);
  return {
    /** Posts the reply first, then wakes the caller, which reads it with receiveMessageOnPort. */
    reply(message, transfer = []) {
      workerData.replies.postMessage(message, transfer);
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    },
    onRequest: (handler) => parentPort.on('message', handler),
    onFailure(handler) {
      process.on('uncaughtException', handler);
      process.on('unhandledRejection', handler);
    },
  };
}

/** The first message brings the shared control words and reply buffer; requests follow. */
async function webWorkerChannel() {
  const early = [];
  let handle = (request) => early.push(request);
  const { control, data } = await new Promise((resolve) => {
    let connected = false;
    self.addEventListener('message', (event) => {
      if (connected) handle(event.data);
      else {
        connected = true;
        resolve(event.data);
      }
    });
  });
  const signal = new Int32Array(control.buffer ?? control);
  return {
    reply: (message) => writeReply(signal, data, message),
    onRequest(handler) {
      handle = handler;
      for (const request of early.splice(0)) handler(request);
    },
    onFailure(handler) {
      self.addEventListener('error', (event) => handler(event.error ?? event.message));
      self.addEventListener('unhandledrejection', (event) => handler(event.reason));
    },
  };
}
