/**
 * Worker threads over one shared WebAssembly.Memory, driven synchronously from the calling thread.
 *
 * A job is a set of chunks that the threads claim one by one. Two kinds exist: a matmul job, whose
 * table of chunks (row bands of one or more matrices, for the packed or the unpacked kernel) is
 * written into the control block at the bottom of the shared memory; and a range call, one export of
 * a registered module called over consecutive ranges of [0, total) (vectors of an elementwise kernel,
 * whole rows of a row kernel), each argument a base plus the range's start times a scale and one
 * argument the range's length. The caller publishes a job by bumping a generation word and notifying;
 * then every participant (the caller and each awake worker) claims chunks until none are left, and the
 * caller blocks in Atomics.wait until all are done. Claiming balances the load and lets a job finish
 * on the caller alone while workers are still starting or waking, so workers are started lazily and
 * the caller never waits for one that has not claimed anything.
 *
 * The claim word holds the job's generation (high 16 bits) and the next chunk (low 16 bits), and a
 * chunk is claimed by compare-and-swap of the whole word. A worker that wakes late, after its job
 * ended and the next was published, therefore cannot claim with a stale view: its swap fails and it
 * rereads. Once a claim succeeds, the job cannot end (nor its table change) until that chunk is
 * counted done, so the worker reads the chunk's parameters after claiming.
 *
 * Modules for range calls are registered once: their bytes go into the code region of the control
 * block and stay there, under an id whose directory entry never changes, so a worker compiles a
 * module the first time a job names it (before claiming, so that the caller never waits on a compile).
 *
 * Workers are started by a `WorkerHost` (worker_threads in Node, Web Workers in a browser). A browser's
 * main thread may not block in Atomics.wait; there the caller spins on the done count instead. It
 * spins only for chunks that workers have already claimed (it drains every unclaimed chunk itself), so
 * the wait is at most one chunk's work, and a worker that has not started yet never holds it up.
 */
import type { WasmMemory, WasmModule } from '../webassembly-api.js';
import type { MatmulExports } from './kernel.js';
import { type WorkerHost, threadMayBlock } from './worker-host.js';

/** Int32 word indices in the control block. */
const word = {
  generation: 0,
  claim: 1,
  done: 2,
  total: 3,
  participants: 4,
  k: 5,
  n: 6,
  aStride: 7,
  packedStride: 8,
  cStride: 9,
  blockColumns: 10,
  /** 1: chunks go to `gemmUnpacked` (row-major B, one call per chunk); 0: to `gemm` over packed B. */
  unpacked: 11,
  failed: 12,
  /** Bit `id` is set by each thread that computed at least one chunk of the last job. */
  participated: 13,
  /** 0: a matmul job (the chunk table); 1: a range call. */
  kind: 14,
  callModule: 15,
  callExport: 16,
  callArguments: 17,
  callCountArgument: 18,
  rangeTotal: 19,
  rangeChunk: 20,
  ready: 48,
  /** Per argument of a range call: what the range's start is multiplied by. */
  scales: 64,
  /** Per registered module: the byte address and length of its code. */
  directory: 192,
} as const;

export const maximumThreads = 16;
/** Each thread's scratch tile for edge tiles of C; holds tiles up to 256 floats. */
export const scratchBytesPerThread = 1024;
/** Float64 bases of a range call's arguments (words 128 … 191). */
const basesByte = 512;
export const maximumArguments = 32;
export const maximumModules = 256;
const scratchByte = 4096;
const tableByte = scratchByte + maximumThreads * scratchBytesPerThread;
const chunkWords = 6;
const codeByte = 65536;
const codeBytes = 65536;
/** Bytes at the bottom of memory that the pool owns; operands go above. */
export const controlBytes = codeByte + codeBytes;
/** Table capacity; below 0xffff, the claim word's closed value. */
export const maximumChunks = Math.floor((codeByte - tableByte) / 4 / chunkWords);

/** One band of rows (rowStart … rowEnd − 1) of `count` consecutive matrices, by byte address. */
export interface Chunk {
  readonly a: number;
  /** The first B: packed panels for `gemm`, row-major for `gemmUnpacked`. */
  readonly b: number;
  readonly c: number;
  readonly rowStart: number;
  readonly rowEnd: number;
  readonly count: number;
}

export interface Job {
  readonly k: number;
  readonly n: number;
  /** Bytes between consecutive matrices of A, packed B and C within a chunk. */
  readonly aStride: number;
  readonly packedStride: number;
  readonly cStride: number;
  /** Columns per block of packed panels (see the kernel's `gemm`). */
  readonly blockColumns: number;
  /** Run the chunks with `gemmUnpacked` (A, B and C of a chunk's matrices back to back; the strides unused). */
  readonly unpacked: boolean;
  readonly chunks: readonly Chunk[];
}

export type Kernels = Pick<MatmulExports, 'gemm' | 'gemmUnpacked'>;

/**
 * One export of a registered module called over ranges of [0, total): a range [first, first + length)
 * calls it with argument i = bases[i] + first · scales[i], except argument `countArgument`, which is
 * `length`. Ranges hold `chunk` units (the last one fewer).
 */
export interface RangeCall {
  readonly module: number;
  readonly exportIndex: number;
  readonly bases: readonly number[];
  readonly scales: readonly number[];
  readonly countArgument: number;
  readonly total: number;
  readonly chunk: number;
}

/**
 * The claiming loop, as source text so that the caller and the workers run the very same code.
 * `kernels` are the matmul module's exports; `scratch` this thread's scratch tile; `id` its bit in
 * `participated`; `bases` the Float64 view of the call arguments' bases; `functionsOf(module)` the
 * exports (in the module's order) of a registered module, compiled on this thread if need be.
 */
const drainSource = `function drain(control, kernels, scratch, id, bases, functionsOf) {
  for (;;) {
    const claim = Atomics.load(control, ${word.claim});
    const chunk = claim & 0xffff;
    if (chunk >= Atomics.load(control, ${word.total}) || id >= Atomics.load(control, ${word.participants})) return;
    if (Atomics.load(control, ${word.kind}) === 1) {
      try {
        functionsOf(Atomics.load(control, ${word.callModule})); // compile before claiming, not while the caller waits
      } catch (error) {
        return; // the caller does the chunks
      }
    }
    if (Atomics.compareExchange(control, ${word.claim}, claim, claim + 1) !== claim) continue;
    const total = Atomics.load(control, ${word.total});
    try {
      if (control[${word.kind}] === 1) {
        const step = control[${word.rangeChunk}], first = chunk * step, length = Math.min(step, control[${word.rangeTotal}] - first);
        const count = control[${word.callArguments}], countArgument = control[${word.callCountArgument}];
        const args = new Array(count);
        for (let i = 0; i < count; i++) args[i] = i === countArgument ? length : bases[i] + first * control[${word.scales} + i];
        functionsOf(control[${word.callModule}])[control[${word.callExport}]](...args);
      } else {
        const k = control[${word.k}], n = control[${word.n}];
        const aStride = control[${word.aStride}], packedStride = control[${word.packedStride}], cStride = control[${word.cStride}];
        const blockColumns = control[${word.blockColumns}], unpacked = control[${word.unpacked}];
        const entry = ${tableByte / 4} + chunk * ${chunkWords};
        let a = control[entry], packed = control[entry + 1], c = control[entry + 2];
        const rowStart = control[entry + 3], rowEnd = control[entry + 4], count = control[entry + 5];
        if (unpacked === 1) kernels.gemmUnpacked(a, packed, c, count, rowEnd - rowStart, k, n);
        else for (let i = 0; i < count; i++, a += aStride, packed += packedStride, c += cStride) kernels.gemm(a, packed, c, rowStart, rowEnd, k, n, blockColumns, scratch);
      }
    } catch (error) {
      Atomics.store(control, ${word.failed}, 1);
    }
    Atomics.or(control, ${word.participated}, 1 << id);
    if (Atomics.add(control, ${word.done}, 1) + 1 === total) Atomics.notify(control, ${word.done});
  }
}`;

/** What every worker runs: instantiate the kernel over the shared memory, then drain each job published. */
const workerSource = `${drainSource}
function serve(module, memory, id) {
  const control = new Int32Array(memory.buffer, 0, ${controlBytes / 4});
  const bases = new Float64Array(memory.buffer, ${basesByte}, ${maximumArguments});
  const scratch = ${scratchByte} + id * ${scratchBytesPerThread};
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports; // if this throws, the worker never marks itself ready
  const modules = new Map();
  const functionsOf = (index) => {
    let functions = modules.get(index);
    if (functions === undefined) {
      const at = Atomics.load(control, ${word.directory} + 2 * index), length = Atomics.load(control, ${word.directory} + 2 * index + 1);
      const code = new Uint8Array(memory.buffer, at, length).slice();
      functions = Object.values(new WebAssembly.Instance(new WebAssembly.Module(code), { env: { memory } }).exports);
      modules.set(index, functions);
    }
    return functions;
  };
  let seen = Atomics.load(control, ${word.generation});
  Atomics.store(control, ${word.ready} + id, 1);
  for (;;) {
    Atomics.wait(control, ${word.generation}, seen);
    seen = Atomics.load(control, ${word.generation});
    drain(control, kernels, scratch, id, bases, functionsOf);
  }
}`;

type Functions = readonly ((...args: number[]) => void)[];
type Drain = (control: Int32Array, kernels: Kernels, scratch: number, id: number, bases: Float64Array, functionsOf: (module: number) => Functions) => void;

const drain = new Function(`${drainSource}\nreturn drain;`)() as Drain;

export class ThreadPool {
  private readonly control: Int32Array;
  private readonly bases: Float64Array;
  private started = 0;
  /** The caller's exports of each registered module, by id. */
  private readonly modules: Functions[] = [];
  private codeEnd = codeByte;
  private readonly functionsOf = (module: number): Functions => this.modules[module];

  /** `threads` counts the calling thread: a pool of n threads starts n − 1 workers. */
  constructor(
    private readonly module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly kernels: Kernels,
    readonly threads: number,
    private readonly host: WorkerHost,
  ) {
    this.control = new Int32Array(memory.buffer, 0, controlBytes / 4);
    this.bases = new Float64Array(memory.buffer, basesByte, maximumArguments);
  }

  /**
   * Registers a module for range calls: `code` its bytes, `exports` its instance's exports on this
   * thread, over the pool's memory. Returns its id, or undefined once the code region or the
   * directory is full (its calls then run on the calling thread).
   */
  register(code: Uint8Array, exports: Readonly<Record<string, unknown>>): number | undefined {
    const id = this.modules.length;
    if (id >= maximumModules || this.codeEnd + code.length > codeByte + codeBytes) return undefined;
    new Uint8Array(this.memory.buffer, this.codeEnd, code.length).set(code);
    Atomics.store(this.control, word.directory + 2 * id, this.codeEnd);
    Atomics.store(this.control, word.directory + 2 * id + 1, code.length);
    this.codeEnd += code.length;
    this.modules.push(Object.values(exports) as unknown as Functions);
    return id;
  }

  /** Scratch tile address of thread `id` (0 is the caller). */
  static scratch(id: number): number {
    return scratchByte + id * scratchBytesPerThread;
  }

  /** Starts the workers if they are not started; returns at once (they become ready on their own). */
  start(): void {
    if (this.started > 0 || this.threads < 2) return;
    for (let id = 1; id < this.threads; id++) {
      this.host.start(workerSource, { module: this.module, memory: this.memory, id }, () => Atomics.store(this.control, word.ready + id, 0));
      this.started++;
    }
  }

  /** Workers that have instantiated the module and wait for jobs. */
  readyWorkers(): number {
    let ready = 0;
    for (let id = 1; id < this.threads; id++) ready += Atomics.load(this.control, word.ready + id);
    return ready;
  }

  /** Bit `id` set for each thread that computed part of the last job (bit 0: the caller). */
  lastParticipants(): number {
    return Atomics.load(this.control, word.participated);
  }

  /** Runs the job on up to `threads` threads (the caller included) and returns when all of it is done. */
  run(job: Job, threads: number): void {
    if (job.chunks.length > maximumChunks) throw new RangeError(`ThreadPool: ${job.chunks.length} chunks exceed the table's ${maximumChunks}`);
    this.publish(threads, job.chunks.length, (control) => {
      control[word.kind] = 0;
      control[word.k] = job.k;
      control[word.n] = job.n;
      control[word.aStride] = job.aStride;
      control[word.packedStride] = job.packedStride;
      control[word.cStride] = job.cStride;
      control[word.blockColumns] = job.blockColumns;
      control[word.unpacked] = job.unpacked ? 1 : 0;
      job.chunks.forEach((chunk, index) => {
        const entry = tableByte / 4 + index * chunkWords;
        control[entry] = chunk.a;
        control[entry + 1] = chunk.b;
        control[entry + 2] = chunk.c;
        control[entry + 3] = chunk.rowStart;
        control[entry + 4] = chunk.rowEnd;
        control[entry + 5] = chunk.count;
      });
    });
    if (Atomics.load(this.control, word.failed) !== 0) throw new Error('wasmMatmul: the kernel trapped on one of the threads (an address outside WebAssembly memory?)');
  }

  /** Runs a range call on up to `threads` threads (the caller included) and returns when it is done. */
  runCall(call: RangeCall, threads: number): void {
    const chunks = Math.ceil(call.total / call.chunk);
    if (chunks > maximumChunks) throw new RangeError(`ThreadPool: ${chunks} chunks exceed the claim word's ${maximumChunks}`);
    if (call.bases.length > maximumArguments || call.scales.length !== call.bases.length) throw new RangeError(`ThreadPool: a range call takes at most ${maximumArguments} arguments, each with a scale`);
    if (this.modules[call.module]?.[call.exportIndex] === undefined) throw new RangeError(`ThreadPool: module ${call.module} has no export ${call.exportIndex}`);
    this.publish(threads, chunks, (control) => {
      control[word.kind] = 1;
      Atomics.store(control, word.callModule, call.module);
      control[word.callExport] = call.exportIndex;
      control[word.callArguments] = call.bases.length;
      control[word.callCountArgument] = call.countArgument;
      control[word.rangeTotal] = call.total;
      control[word.rangeChunk] = call.chunk;
      call.bases.forEach((base, i) => {
        this.bases[i] = base;
        control[word.scales + i] = call.scales[i];
      });
    });
    if (Atomics.load(this.control, word.failed) !== 0) throw new Error('ThreadPool: a kernel trapped on one of the threads (an address outside WebAssembly memory?)');
  }

  /** Writes a job of `total` chunks (`fill` sets its words), opens it, drains it here and waits for the rest. */
  private publish(threads: number, total: number, fill: (control: Int32Array) => void): void {
    const control = this.control;
    // Close claims under the new generation's tag before touching the job's words: a late worker still
    // holding the previous claim word now fails its swap, and no chunk can be claimed until we reopen.
    const generation = (Atomics.load(control, word.generation) + 1) | 0;
    const tag = (generation & 0xffff) << 16;
    Atomics.store(control, word.claim, tag | 0xffff);
    fill(control);
    Atomics.store(control, word.total, total);
    Atomics.store(control, word.done, 0);
    Atomics.store(control, word.failed, 0);
    Atomics.store(control, word.participated, 0);
    Atomics.store(control, word.participants, Math.min(threads, this.threads));
    Atomics.store(control, word.claim, tag); // chunk 0 of this generation: open
    Atomics.store(control, word.generation, generation);
    if (threads > 1 && this.started > 0) Atomics.notify(control, word.generation);
    drain(control, this.kernels, ThreadPool.scratch(0), 0, this.bases, this.functionsOf);
    const block = threadMayBlock();
    for (let done = Atomics.load(control, word.done); done < total; done = Atomics.load(control, word.done)) {
      if (block) Atomics.wait(control, word.done, done);
    }
  }
}
