/**
 * Where the elementwise kernels run: instantiated over the matmul's WebAssembly memory (one heap, one
 * copy in of each operand) and registered with its worker pool, so that a large kernel is called over
 * ranges of its vectors or whole rows on every thread. Each range computes its elements exactly as one
 * call over everything would (the same per-element arithmetic; row kernels split only between rows),
 * so results do not depend on the number of threads.
 *
 * Inside a compiled jit program over shared memory, operands and results lie in the arena's buffers
 * in this memory (`heap-arena.ts`): a call reads such an operand in place and writes its result into
 * such an output buffer (`CallMemory`); the rest is copied into scratch above the arena, and out.
 */
import type { ThreadPool } from '../matmul/pool.js';
import { wasmMatmulAvailable, wasmThreads } from '../matmul/index.js';
import { type ModuleDefinition, emitModule } from '../emitter.js';
import type { ArenaMemory } from '../../backend.js';
import { heapAddress, heapArena, heapTarget, scratchStart } from '../heap-arena.js';
import { type WasmMemory, growHeap, maximumPages, webAssembly } from '../webassembly-api.js';
import type { BinaryExports } from './binary-kernels.js';
import { type ElementwiseExports, elementwiseModule } from './kernels.js';
import type { RowExports } from './row-kernels.js';
import type { StridedCopyExport } from './strided-copy-kernel.js';
import type { SumExports } from './sum-kernels.js';

type Exports = ElementwiseExports & BinaryExports & SumExports & RowExports & { readonly stridedCopy: StridedCopyExport; readonly stridedCopyVectors: StridedCopyExport };

/** A kernel that ranges of a call may run on any thread: its function here, and its place in the pool. */
export interface Kernel {
  readonly run: (...args: number[]) => void;
  /** The pool's id of its module; undefined where it runs on this thread only. */
  readonly module: number | undefined;
  readonly exportIndex: number;
}

export interface Runtime {
  readonly memory: WasmMemory;
  readonly shared: boolean;
  readonly pool: ThreadPool | undefined;
  readonly kernels: Readonly<Record<keyof Exports, Kernel>>;
  /** Where jit's arena keeps float32 buffers; undefined where memory is not shared. */
  readonly arena: ArenaMemory | undefined;
  /** A Float32Array over all of memory; refreshed by `CallMemory.place`. */
  heap: Float32Array;
}

let runtime: Runtime | undefined;

/** Compiles `definition` over the runtime's memory and registers it with the pool (when there is one). */
export function instantiate(memory: WasmMemory, pool: ThreadPool | undefined, definition: ModuleDefinition): Record<string, Kernel> {
  const code = emitModule(definition);
  const exports = new webAssembly!.Instance(new webAssembly!.Module(code), { env: { memory } }).exports;
  const module = pool?.register(code, exports);
  return Object.fromEntries(Object.keys(exports).map((name, exportIndex) => [name, { run: exports[name] as Kernel['run'], module, exportIndex }]));
}

export function getRuntime(): Runtime | undefined {
  if (runtime) return runtime;
  // the SIMD probe of the matmul answers for every v128 instruction used here
  const threads = webAssembly && wasmMatmulAvailable() ? wasmThreads() : undefined;
  if (!threads) return undefined;
  const { memory, pool } = threads;
  const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  const kernels = instantiate(memory, pool, elementwiseModule({ initialPages: 1, maximumPages, shared })) as Runtime['kernels'];
  runtime = { memory, shared, pool, kernels, arena: heapArena(memory), heap: new Float32Array(memory.buffer) };
  return runtime;
}

/** `length` floats rounded up to whole four-lane vectors. */
export function wholeVectors(length: number): number {
  return Math.ceil(length / 4) * 4;
}

/** Operands and results of the calls so far, by whether they were copied or lay in the heap already. */
export interface HeapTraffic {
  /** Operands copied into scratch (a repeating window shorter than the result is not counted). */
  copiedIn: number;
  readInPlace: number;
  /** Results copied out of scratch into their output buffer. */
  copiedOut: number;
  writtenInPlace: number;
}
const traffic: HeapTraffic = { copiedIn: 0, readInPlace: 0, copiedOut: 0, writtenInPlace: 0 };

/** For tests: the counts since the last reset. */
export function wasmHeapTraffic(reset = false): HeapTraffic {
  const counts = { ...traffic };
  if (reset) Object.assign(traffic, { copiedIn: 0, readInPlace: 0, copiedOut: 0, writtenInPlace: 0 });
  return counts;
}

/**
 * One call's memory, by byte address: operands where they lie when that is an arena buffer, else
 * copied into this call's scratch, which starts above the arena (`scratchStart`) and is laid out as
 * the call asks. Use: place operands, results and scratch; `place()`; run the kernels; `finish`.
 */
export class CallMemory {
  /** Float index where this call's scratch starts, and the floats it has laid out. */
  private readonly base = scratchStart() / 4;
  private floats = 0;
  private readonly copies: { readonly source: Float32Array; readonly at: number; readonly floats: number }[] = [];
  private readonly results: { readonly out: Float32Array; readonly at: number }[] = [];
  heap: Float32Array;

  constructor(private readonly run: Runtime) {
    this.heap = run.heap;
  }

  /** `floats` floats of scratch, in whole vectors. */
  scratch(floats: number): number {
    const at = (this.base + this.floats) * 4;
    this.floats += wholeVectors(floats);
    return at;
  }

  /** Where the kernel reads `x` (and up to a vector past it): in place in an arena buffer, else its copy. */
  operand(x: Float32Array): number {
    const at = heapAddress(x);
    if (at !== undefined) return traffic.readInPlace++, at;
    traffic.copiedIn++;
    return this.window(x, x.length);
  }

  /** `window` repeated until it fills `floats` floats of scratch (a bias row along a matrix). */
  window(window: Float32Array, floats: number): number {
    const at = this.scratch(floats);
    if (window.length > 0) this.copies.push({ source: window, at, floats });
    return at;
  }

  /** Where the kernel writes `out` (`floats` floats, padding included): into `out` when it is an arena buffer with room, else scratch. */
  result(out: Float32Array, floats: number): number {
    const at = heapTarget(out, floats);
    if (at !== undefined) return traffic.writtenInPlace++, at;
    traffic.copiedOut++;
    const scratchAt = this.scratch(floats);
    this.results.push({ out, at: scratchAt });
    return scratchAt;
  }

  /** Grows memory to hold the scratch and copies the operands in; returns the heap view. */
  place(): Float32Array {
    this.run.heap = this.heap = growHeap(this.run.memory, this.run.heap, (this.base + this.floats) * 4);
    for (const { source, at, floats } of this.copies) {
      for (let offset = 0; offset < floats; offset += source.length) this.heap.set(source.subarray(0, Math.min(source.length, floats - offset)), at / 4 + offset);
    }
    return this.heap;
  }

  /** Copies the results written to scratch into their output buffers; returns the first. */
  finish(out: Float32Array): Float32Array {
    for (const { out: target, at } of this.results) target.set(this.heap.subarray(at / 4, at / 4 + target.length));
    return out;
  }
}

/** An argument that moves with the range: `at` + first · `step`. */
export interface Moving {
  readonly at: number;
  readonly step: number;
}
/** The argument that is the range's length. */
export const rangeLength = 'length';
export type Argument = number | Moving | typeof rangeLength;

/**
 * Calls below this many elements of work stay on the calling thread, where waking a worker and sharing
 * out the ranges would cost about what the kernel saves (an estimate: tens of microseconds a wake-up
 * against a few nanoseconds an element; not yet swept by size).
 */
export const defaultThreadThreshold = 1 << 15;
let threadThreshold = defaultThreadThreshold;
/** Threads a call may use (tests set 1 to compare with the single-threaded path). */
let threadLimit = Infinity;

/** For tests and benchmarks: the work below which calls run on the calling thread, and the most threads. */
export function setElementwiseThreading(options: { readonly threshold?: number; readonly threads?: number }): void {
  threadThreshold = options.threshold ?? defaultThreadThreshold;
  threadLimit = options.threads ?? Infinity;
}

/** Ranges each thread gets about, so that a worker that wakes late is covered by the caller's claims. */
const rangesPerThread = 4;

/**
 * The `work` of a pass that only moves memory (add, mul, sums, row shifts and scales): never split. Its
 * operands are copied in and out on the calling thread anyway, and splitting it made the DINO step's
 * mul, add, sum and scaleShift rows slower, not faster; passes with exp or gelu in them got faster.
 */
export const memoryBound = 0;

/**
 * Runs `kernel` over `total` units (vectors or rows): with `args` at range [0, total) on this thread,
 * or split into ranges across the pool's threads when `work` (elements computed with a transcendental
 * function; `memoryBound` for none) reaches the threshold.
 */
export function callOverRange(run: Runtime, kernel: Kernel, args: readonly Argument[], total: number, work: number): void {
  const threads = Math.min(threadLimit, run.pool?.threads ?? 1);
  if (run.pool && kernel.module !== undefined && threads > 1 && total > 1 && work >= threadThreshold) {
    run.pool.start();
    run.pool.runCall(
      {
        module: kernel.module,
        exportIndex: kernel.exportIndex,
        bases: args.map((arg) => (arg === rangeLength ? 0 : typeof arg === 'number' ? arg : arg.at)),
        scales: args.map((arg) => (typeof arg === 'object' ? arg.step : 0)),
        countArgument: args.indexOf(rangeLength),
        total,
        chunk: Math.ceil(total / (threads * rangesPerThread)),
      },
      threads,
    );
  } else {
    kernel.run(...args.map((arg) => (arg === rangeLength ? total : typeof arg === 'number' ? arg : arg.at)));
  }
}
