/**
 * Runs the SIMD kernels of kernels.ts on the calling thread: the input is copied into WebAssembly
 * memory, mapped four lanes at a time, and copied out. Where gpu.js's WebAssembly and V8's
 * `Math.exp` spend 20–40 ns an element on gelu, this spends about 8, copies included
 * (`npx tsx bench/ops.ts`: gelu over 2¹⁹ floats).
 *
 *   const y = wasmElementwise('gelu', x);   // null where the engine has no WebAssembly SIMD
 */
import { wasmMatmulAvailable } from '../wasm-matmul/index.js';
import { emitModule } from '../wasm-matmul/wasm-emitter.js';
import { type WasmMemory, growHeap, maximumPages, webAssembly } from '../wasm-matmul/webassembly-api.js';
import { type ElementwiseExports, type ElementwiseKernelName, elementwiseModule } from './kernels.js';

export { type ElementwiseKernelName, elementwiseKernelNames } from './kernels.js';

interface Runtime {
  readonly memory: WasmMemory;
  readonly exports: ElementwiseExports;
  heap: Float32Array;
}

let runtime: Runtime | undefined;

function getRuntime(): Runtime | undefined {
  if (runtime) return runtime;
  // the SIMD probe of wasm-matmul answers for every v128 instruction used here
  if (!webAssembly || !wasmMatmulAvailable()) return undefined;
  const memory = new webAssembly.Memory({ initial: 1, maximum: maximumPages });
  const module = new webAssembly.Module(emitModule(elementwiseModule({ initialPages: 1, maximumPages })));
  const exports = new webAssembly.Instance(module, { env: { memory } }).exports as unknown as ElementwiseExports;
  runtime = { memory, exports, heap: new Float32Array(memory.buffer) };
  return runtime;
}

/** e^x, gelu(x) or gelu′(x) of every element of `x`, in float32; null where WebAssembly SIMD is missing. */
export function wasmElementwise(name: ElementwiseKernelName, x: Float32Array): Float32Array | null {
  const run = getRuntime();
  if (!run) return null;
  // whole vectors: the input is padded to a multiple of 4 lanes, the padding's results are dropped
  const vectors = Math.ceil(x.length / 4);
  const target = vectors * 16;
  run.heap = growHeap(run.memory, run.heap, 2 * target);
  run.heap.set(x, 0);
  run.exports[name](0, target, vectors);
  return run.heap.slice(target / 4, target / 4 + x.length);
}
