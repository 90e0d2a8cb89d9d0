/**
 * Float32 matrix products on the CPU through generated WebAssembly SIMD, on worker threads that share
 * the module's memory (worker_threads in Node, Web Workers in a cross-origin isolated page; one thread
 * where memory cannot be shared). The call is synchronous: the caller computes a share itself and waits
 * until the workers have done theirs (blocking in Atomics.wait, or spinning on a browser's main thread).
 *
 *   const c = wasmMatmul(a, b, m, k, n);                 // C[m×n] = A[m×k]·B[k×n], row-major
 *   wasmMatmul(a, b, m, k, n, batch, { out });           // batch products, written into `out`
 *   wasmMatmul(a, w, m, k, n, batch, { bBatchStride: 0 }); // one B shared by the whole batch
 *   wasmMatmul(at, b, m, k, n, 1, { transposeA: true });  // C = A·B with `at` holding Aᵀ (k × m)
 *
 * Inputs are copied into WebAssembly memory, the product is copied out; both copies are part of every
 * call's cost, except inside a compiled jit program, where an operand in one of the arena's buffers
 * (`heap-arena.ts`) is read where it lies and a product whose output buffer is one is written there. A large B is packed into column panels on the way (kernel.ts); a small one, such as each
 * head's in attention, is read as it lies, and a task takes many batch entries (unpacked-kernel.ts).
 */
import { outputBuffer } from '../../../buffer-pool.js';
import { heapAddress } from '../heap-arena.js';
import { processorCount } from '../../../platform/node-builtin.js';
import { defaultKernelShape, generateMatmulModule, scratchTileBytes, type MatmulExports } from './kernel.js';
import { blockColumns, layout, planJob } from './plan.js';
import { ThreadPool, controlBytes, maximumThreads, scratchBytesPerThread } from './pool.js';
import { FunctionBuilder, emitModule } from '../emitter.js';
import { growHeap, maximumPages, pageBytes, webAssembly, type WasmApi, type WasmMemory } from '../webassembly-api.js';
import { workerHost } from './worker-host.js';

export interface WasmMatmulOptions {
  /** Elements from one B matrix to the next in `b`; 0 shares one B across the batch. Default k·n. */
  readonly bBatchStride?: number;
  /** `a` holds each A transposed (k × m, row-major; batch entries m·k apart). Default false. */
  readonly transposeA?: boolean;
  /** `b` holds each B transposed (n × k, row-major; `bBatchStride` apart). Default false. */
  readonly transposeB?: boolean;
  /** Where to write the batch·m·n products; a new Float32Array when absent. */
  readonly out?: Float32Array;
  /** Threads to use, the calling thread included; capped at the pool's size. Default: all of the pool. */
  readonly threads?: number;
  /** Products with fewer floating-point operations (2·batch·m·k·n) run on the calling thread alone. */
  readonly threadThresholdFlops?: number;
  /** WebAssembly memory one call may use; larger products are split by batch, then by rows. Default 1 GiB. */
  readonly workspaceLimitBytes?: number;
  /** Which kernel runs (for tests and benchmarks): over packed B panels, or over B as it lies. Default: by the size of B. */
  readonly kernel?: 'packed' | 'unpacked';
}

export interface WasmMatmulInfo {
  /** WebAssembly SIMD validates: `wasmMatmul` can run. */
  readonly available: boolean;
  /** Shared WebAssembly memory exists, so worker threads can help. */
  readonly sharedMemory: boolean;
  /** Threads a call may use, the caller included. */
  readonly threads: number;
  /** How workers are started (`worker_threads`, `web workers`), or why there is one thread only. */
  readonly threading: string;
  /** Workers started and ready (at most threads − 1; 0 until a large product starts them). */
  readonly readyWorkers: number;
  /** Threads that computed part of the last call (0 before the first). */
  readonly lastCallThreads: number;
  /** Whether a worker thread computed part of the last call (on a busy machine it may do all of it). */
  readonly lastCallOnWorkers: boolean;
  /** Milliseconds the last call spent in each phase (split calls add up their parts). */
  readonly lastCallPhases: Readonly<WasmMatmulPhases>;
  /** The kernel of the last call (the last part's, for a split call). */
  readonly lastCallKernel: 'packed' | 'unpacked' | 'none';
  /** Which of the last call's A, B and C lay in jit's arena buffers and were read or written in place (the last part's). */
  readonly lastCallInPlace: Readonly<{ a: boolean; b: boolean; c: boolean }>;
  readonly kernel: { readonly rows: number; readonly columns: number; readonly unroll: number };
  /** The kernels accumulate with relaxed SIMD's fused multiply-add (`wasmRelaxedSimdAvailable()`). */
  readonly fusedMultiplyAdd: boolean;
  readonly memoryBytes: number;
  readonly threadThresholdFlops: number;
}

const defaultThreadThresholdFlops = 4_000_000;
const shape = defaultKernelShape;
if (scratchTileBytes(shape) > scratchBytesPerThread) throw new Error('wasm-matmul: the kernel tile does not fit the scratch area');

export interface WasmMatmulPhases {
  /** Copying A and B into WebAssembly memory (and transposing those given transposed). */
  copyIn: number;
  /** Packing B into column panels. */
  pack: number;
  /** The kernel, on all threads. */
  compute: number;
  /** Copying C out of WebAssembly memory into the result. */
  copyOut: number;
}
const lastCallPhases: WasmMatmulPhases = { copyIn: 0, pack: 0, compute: 0, copyOut: 0 };
let lastCallThreads = 0;
let lastCallOnWorkers = false;
let lastCallKernel: WasmMatmulInfo['lastCallKernel'] = 'none';
const lastCallInPlace = { a: false, b: false, c: false };

interface Runtime {
  readonly memory: WasmMemory;
  readonly exports: MatmulExports;
  readonly pool: ThreadPool | undefined;
  readonly threading: string;
  heap: Float32Array;
}

let runtime: Runtime | undefined;

/** A one-function module that uses v128: it validates only where WebAssembly SIMD is supported. */
function simdProbe(): Uint8Array {
  const f = new FunctionBuilder('probe', []);
  f.i32Const(0).v128Load32Splat().get(f.local('v128')).f32x4Add().drop();
  return emitModule({ memory: { module: 'env', name: 'memory', initialPages: 1, maximumPages: 1, shared: false }, functions: [f.definition()] });
}

/** A one-function module that uses f32x4.relaxed_madd: it validates only where relaxed SIMD is on. */
function relaxedSimdProbe(): Uint8Array {
  const f = new FunctionBuilder('probe', []);
  const v = f.local('v128');
  f.get(v).get(v).get(v).f32x4RelaxedMadd().drop();
  return emitModule({ memory: { module: 'env', name: 'memory', initialPages: 1, maximumPages: 1, shared: false }, functions: [f.definition()] });
}

let relaxedSimd: boolean | undefined;
/**
 * Whether this engine runs relaxed SIMD (Chrome 114+, Node 22+; Node 20 with
 * `--experimental-wasm-relaxed-simd`): then the kernels accumulate with fused multiply-adds.
 */
export function wasmRelaxedSimdAvailable(): boolean {
  relaxedSimd ??= wasmMatmulAvailable() && webAssembly!.validate(relaxedSimdProbe());
  return relaxedSimd;
}

let simd: boolean | undefined;
/** Whether this engine runs WebAssembly SIMD, which `wasmMatmul` needs. */
export function wasmMatmulAvailable(): boolean {
  simd ??= webAssembly !== undefined && webAssembly.validate(simdProbe());
  return simd;
}

function createMemory(api: WasmApi, shared: boolean): WasmMemory {
  return new api.Memory({ initial: controlBytes / pageBytes + 16, maximum: maximumPages, shared });
}

function getRuntime(): Runtime {
  if (runtime) return runtime;
  const api = webAssembly;
  if (!api || !wasmMatmulAvailable()) throw new Error('wasmMatmul: this engine has no WebAssembly SIMD; check wasmMatmulAvailable() first');
  let memory: WasmMemory;
  let shared = typeof SharedArrayBuffer === 'function';
  try {
    memory = createMemory(api, shared);
  } catch {
    shared = false; // no shared memory (e.g. a browser page without cross-origin isolation): one thread
    memory = createMemory(api, false);
  }
  const module = new api.Module(generateMatmulModule({ shape, shared, fusedMultiplyAdd: wasmRelaxedSimdAvailable(), initialPages: 1, maximumPages }));
  const exports = new api.Instance(module, { env: { memory } }).exports as unknown as MatmulExports;
  const host = workerHost();
  const threads = shared && host ? Math.max(1, Math.min(processorCount(), maximumThreads)) : 1;
  const pool = threads > 1 && host ? new ThreadPool(module, memory, exports, threads, host) : undefined;
  const threading = pool && host ? host.name : singleThreadReason(shared, host !== undefined, threads);
  if (!pool && !shared) console.info(`tapegrad: wasmMatmul runs on one thread: ${threading}`); // said once: the runtime is made once
  runtime = { memory, exports, pool, threading, heap: new Float32Array(memory.buffer) };
  return runtime;
}

function singleThreadReason(shared: boolean, hasHost: boolean, threads: number): string {
  if (!shared) return 'no SharedArrayBuffer here: a browser page must be cross-origin isolated (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  if (!hasHost) return 'this host cannot start workers';
  return `the host reports ${threads} processor`;
}

/** Grows the memory to at least `bytes` and returns a Float32Array over all of it. */
function heapOf(run: Runtime, bytes: number): Float32Array {
  run.heap = growHeap(run.memory, run.heap, bytes);
  return run.heap;
}

function bitCount(mask: number): number {
  let count = 0;
  for (let rest = mask; rest !== 0; rest &= rest - 1) count++;
  return count;
}

function checkSizes(a: Float32Array, b: Float32Array, m: number, k: number, n: number, batch: number, bStride: number, out: Float32Array): void {
  for (const [name, array] of Object.entries({ a, b, out })) {
    // a Float64Array would otherwise be converted on the way in and come back rounded to float32
    if (!(array instanceof Float32Array)) throw new TypeError(`wasmMatmul: ${name} must be a Float32Array (float32 only), got ${Object.prototype.toString.call(array).slice(8, -1)}`);
  }
  for (const [name, value] of Object.entries({ m, k, n, batch, bBatchStride: bStride })) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`wasmMatmul: ${name} must be a non-negative integer, got ${value}`);
  }
  if (a.length < batch * m * k) throw new RangeError(`wasmMatmul: a has ${a.length} elements, fewer than batch·m·k = ${batch * m * k}`);
  const bNeeded = batch === 0 ? 0 : (batch - 1) * bStride + k * n;
  if (b.length < bNeeded) throw new RangeError(`wasmMatmul: b has ${b.length} elements, fewer than the ${bNeeded} that batch ${batch}, k·n = ${k * n} and bBatchStride ${bStride} need`);
  if (out.length < batch * m * n) throw new RangeError(`wasmMatmul: out has ${out.length} elements, fewer than batch·m·n = ${batch * m * n}`);
}

/**
 * C = A·B for `batch` row-major float32 matrices: A is batch × m × k, B is k × n per batch entry
 * (`bBatchStride` elements apart; 0 shares one B), C is batch × m × n.
 *
 * Arguments: a (≥ batch·m·k elements), b, the sizes, and options (see `WasmMatmulOptions`).
 * Returns: `options.out` when given, else a new Float32Array of batch·m·n elements.
 * Each element of C is the float32 sum over k in ascending order, so the result does not depend on
 * the number of threads.
 */
export function wasmMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, batch = 1, options: WasmMatmulOptions = {}): Float32Array {
  const bStride = options.bBatchStride ?? k * n;
  const out = options.out ?? (outputBuffer('float32', batch * m * n) as Float32Array);
  checkSizes(a, b, m, k, n, batch, bStride, out);
  Object.assign(lastCallPhases, { copyIn: 0, pack: 0, compute: 0, copyOut: 0 });
  if (batch * m * n === 0) return out;
  if (k === 0) return out.fill(0, 0, batch * m * n);
  // fold a shared B into the rows (the rows of an A given transposed do not follow one another)
  if (bStride === 0 && batch > 1 && !options.transposeA) return multiply(a, b, m * batch, k, n, 1, 0, out, options);
  return multiply(a, b, m, k, n, batch, bStride, out, options);
}

/** B at most this large is read as it lies (`gemmUnpacked`): it stays in L1, so packing it buys nothing. */
const unpackedBBytes = 32 * 1024;

function multiply(a: Float32Array, b: Float32Array, m: number, k: number, n: number, batch: number, bStride: number, out: Float32Array, options: WasmMatmulOptions): Float32Array {
  const limit = Math.min(options.workspaceLimitBytes ?? Infinity, maximumPages * pageBytes);
  const kernel = options.kernel ?? (k * n * 4 <= unpackedBBytes ? 'unpacked' : 'packed');
  const transposeA = options.transposeA ?? false;
  const transposeB = options.transposeB ?? false;
  // operands given transposed go through the staging area: all of A's matrices, all of B's for the unpacked kernel, one for the packed
  const stagingFloats = Math.max(transposeA ? batch * m * k : 0, transposeB ? (kernel === 'unpacked' ? batch : 1) * k * n : 0);
  const place = layout(kernel, shape, m, k, n, batch, stagingFloats * 4);
  if (place.end > limit) {
    if (batch > 1) {
      const half = batch >> 1;
      multiply(a, b, m, k, n, half, bStride, out, options);
      multiply(a.subarray(half * m * k), b.subarray(half * bStride), m, k, n, batch - half, bStride, out.subarray(half * m * n), options);
    } else if (m > 1 && transposeA) {
      // the rows of an A given transposed are its columns: split a row-major copy instead
      return multiply(transposed(a, k, m), b, m, k, n, 1, bStride, out, { ...options, transposeA: false });
    } else if (m > 1) {
      const half = Math.ceil(m / 2);
      multiply(a, b, half, k, n, 1, bStride, out, options);
      multiply(a.subarray(half * k), b, m - half, k, n, 1, bStride, out.subarray(half * n), options);
    } else {
      throw new RangeError(`wasmMatmul: one row of A with B (${k} × ${n}) needs ${place.end} bytes of WebAssembly memory, over the limit of ${limit}`);
    }
    return out;
  }
  const run = getRuntime();
  let time = performance.now();
  const lap = (phase: keyof WasmMatmulPhases) => {
    const now = performance.now();
    lastCallPhases[phase] += now - time;
    time = now;
  };
  const heap = heapOf(run, place.end);
  /**
   * Where the kernels read `count` row-major rows × columns matrices, `stride` elements apart in
   * `source`: where they lie, when they lie back to back in an arena buffer and not transposed; else
   * at `at`, where they are copied (or transposed, straight from the arena buffer they lie in).
   */
  const copyIn = (source: Float32Array, stride: number, count: number, at: number, rows: number, columns: number, isTransposed: boolean) => {
    const lies = stride === rows * columns || count === 1 ? heapAddress(source.subarray(0, count * rows * columns)) : undefined;
    if (lies !== undefined && !isTransposed) return { at: lies, inPlace: true };
    const staged = lies ?? (isTransposed ? place.staging : at);
    if (lies === undefined && stride === rows * columns) heap.set(source.subarray(0, count * stride), staged / 4);
    else if (lies === undefined) for (let index = 0; index < count; index++) heap.set(source.subarray(index * stride, index * stride + rows * columns), staged / 4 + index * rows * columns);
    if (isTransposed) run.exports.transpose(staged, at, columns, rows, count);
    return { at, inPlace: lies !== undefined };
  };
  const aIn = copyIn(a, m * k, batch, place.a, m, k, transposeA);
  const bIn = kernel === 'unpacked' ? copyIn(b, bStride, batch, place.b, k, n, transposeB) : { at: place.b, inPlace: false };
  lap('copyIn');
  for (let index = 0; kernel === 'packed' && index < batch; index++) {
    const panel = copyIn(b.subarray(index * bStride), k * n, 1, place.b, k, n, transposeB);
    bIn.inPlace = panel.inPlace;
    lap('copyIn');
    run.exports.packB(panel.at, place.packed + index * place.packedStride, k, n);
    lap('pack');
  }
  // C straight into `out` when it is an arena buffer that no operand read in place overlaps
  const cBytes = batch * m * n * 4;
  const outAt = heapAddress(out.subarray(0, batch * m * n));
  const overlaps = (at: number, bytes: number) => outAt! < at + bytes && at < outAt! + cBytes;
  const cInPlace = outAt !== undefined && !overlaps(aIn.at, batch * m * k * 4) && !(kernel === 'unpacked' && overlaps(bIn.at, batch * k * n * 4));
  Object.assign(lastCallInPlace, { a: aIn.inPlace, b: bIn.inPlace, c: cInPlace });
  const at = { ...place, a: aIn.at, b: bIn.at, c: cInPlace ? outAt : place.c };
  const flops = 2 * batch * m * k * n;
  const threads = Math.min(options.threads ?? Infinity, run.pool?.threads ?? 1);
  lastCallKernel = kernel;
  if (run.pool && threads > 1 && flops >= (options.threadThresholdFlops ?? defaultThreadThresholdFlops)) {
    run.pool.start();
    run.pool.run(planJob(at, shape, m, k, n, batch, threads), threads);
    const participants = run.pool.lastParticipants();
    lastCallThreads = bitCount(participants);
    lastCallOnWorkers = (participants & ~1) !== 0;
  } else {
    lastCallThreads = 1;
    lastCallOnWorkers = false;
    if (kernel === 'unpacked') run.exports.gemmUnpacked(at.a, at.b, at.c, batch, m, k, n);
    const scratch = ThreadPool.scratch(0);
    for (let index = 0; kernel === 'packed' && index < batch; index++) {
      run.exports.gemm(at.a + index * m * k * 4, place.packed + index * place.packedStride, at.c + index * m * n * 4, 0, m, k, n, blockColumns(shape, k), scratch);
    }
  }
  lap('compute');
  if (!cInPlace) out.set(heap.subarray(place.c / 4, place.c / 4 + batch * m * n));
  lap('copyOut');
  return out;
}

/** The row-major columns × rows transpose of a row-major rows × columns matrix, on the host. */
function transposed(source: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out[j * rows + i] = source[i * columns + j];
  return out;
}

/**
 * The WebAssembly memory and worker pool of the matmul, which the elementwise kernels share (one heap,
 * one set of workers): shared memory where it exists, the pool where workers can be started.
 * Undefined without WebAssembly SIMD. A call's operands go above jit's arena buffers (`heap-arena.ts` `scratchStart`).
 */
export function wasmThreads(): { readonly memory: WasmMemory; readonly pool: ThreadPool | undefined } | undefined {
  if (!wasmMatmulAvailable()) return undefined;
  const { memory, pool } = getRuntime();
  return { memory, pool };
}

/** What the engine supports, how many threads a call may use, and what the last threaded call used. */
export function wasmMatmulInfo(): WasmMatmulInfo {
  const available = wasmMatmulAvailable();
  const run = available ? getRuntime() : undefined;
  return {
    available,
    sharedMemory: typeof SharedArrayBuffer === 'function' && run?.memory.buffer instanceof SharedArrayBuffer,
    threads: run?.pool?.threads ?? (available ? 1 : 0),
    threading: run?.threading ?? 'none: no WebAssembly SIMD',
    readyWorkers: run?.pool?.readyWorkers() ?? 0,
    lastCallThreads,
    lastCallOnWorkers,
    lastCallPhases: { ...lastCallPhases },
    lastCallKernel,
    lastCallInPlace: { ...lastCallInPlace },
    kernel: { ...shape },
    fusedMultiplyAdd: available && wasmRelaxedSimdAvailable(),
    memoryBytes: run?.memory.buffer.byteLength ?? 0,
    threadThresholdFlops: defaultThreadThresholdFlops,
  };
}

/**
 * Starts the worker threads and resolves once they are ready (or after `timeoutMs`), and runs the
 * kernel a few times so that the engine has optimised it. Optional: calls work without it, on fewer
 * threads and a slower first kernel until both happen by themselves.
 */
export async function wasmMatmulWarmup(timeoutMs = 5000): Promise<WasmMatmulInfo> {
  if (!wasmMatmulAvailable()) return wasmMatmulInfo();
  const run = getRuntime();
  run.pool?.start();
  const size = 64;
  const ones = new Float32Array(size * size).fill(1);
  for (let repeat = 0; repeat < 4; repeat++) wasmMatmul(ones, ones, size, size, size, 1, { threads: 1 });
  const deadline = Date.now() + timeoutMs;
  while (run.pool && run.pool.readyWorkers() < run.pool.threads - 1 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return wasmMatmulInfo();
}
