/**
 * Where one `wasmMatmul` call puts its operands in WebAssembly memory, and how it splits the work into
 * the chunks that the pool's threads claim, for either kernel: `gemm` over packed B panels (kernel.ts)
 * or `gemmUnpacked` over row-major B (unpacked-kernel.ts).
 */
import { scratchStart } from '../heap-arena.js';
import { packedBytes, type KernelShape } from './kernel.js';
import { maximumChunks, type Chunk, type Job } from './pool.js';
import { unpackedSlackBytes } from './unpacked-kernel.js';

export type KernelKind = 'packed' | 'unpacked';

/** Byte addresses of one call's operands in WebAssembly memory. */
export interface Layout {
  readonly kernel: KernelKind;
  readonly a: number;
  /** Raw B: a staging area for one matrix (packed kernel), or all of them (unpacked), with slack for over-reads. */
  readonly b: number;
  /** Packed panels of each B (packed kernel only). */
  readonly packed: number;
  readonly packedStride: number;
  readonly c: number;
  /** Where an operand given transposed is copied in before it is transposed into place (when one is). */
  readonly staging: number;
  readonly end: number;
}

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * `stagingBytes`: room for the operands given transposed (0 when none is). The call's operands lie
 * above jit's arena buffers (`heap-arena.ts`), which stay where they are.
 */
export function layout(kernel: KernelKind, shape: KernelShape, m: number, k: number, n: number, batch: number, stagingBytes = 0): Layout {
  const a = scratchStart();
  const b = a + align(batch * m * k * 4);
  const withStaging = (place: Omit<Layout, 'staging' | 'end'>, cEnd: number): Layout => ({ ...place, staging: cEnd, end: cEnd + align(stagingBytes) });
  if (kernel === 'unpacked') {
    const c = b + align(batch * k * n * 4 + unpackedSlackBytes);
    return withStaging({ kernel, a, b, packed: c, packedStride: 0, c }, c + align(batch * m * n * 4));
  }
  const packed = b + align(k * n * 4 + shape.columns * 4);
  const packedStride = align(packedBytes(shape, k, n));
  const c = packed + batch * packedStride;
  return withStaging({ kernel, a, b, packed, packedStride, c }, c + align(batch * m * n * 4));
}

/** Packed B panels that one pass over a band of rows reuses: about half of a typical 1 MiB L2. */
const panelBlockBytes = 512 * 1024;
export function blockColumns(shape: KernelShape, k: number): number {
  return Math.max(1, Math.floor(panelBlockBytes / (k * shape.columns * 4))) * shape.columns;
}

/** Work per chunk: small enough that a worker waking late still finds chunks, large against a claim. */
const chunkFlops = 2_000_000;

/** The job for `threads` threads: chunks of whole matrices when the batch is large, else of row bands. */
export function planJob(place: Layout, shape: KernelShape, m: number, k: number, n: number, batch: number, threads: number): Job {
  const wanted = Math.min(Math.max(Math.ceil((2 * batch * m * k * n) / chunkFlops), 4 * threads), maximumChunks >> 1);
  const unpacked = place.kernel === 'unpacked';
  const chunks: Chunk[] = [];
  const matrix = (index: number) => ({
    a: place.a + index * m * k * 4,
    b: unpacked ? place.b + index * k * n * 4 : place.packed + index * place.packedStride,
    c: place.c + index * m * n * 4,
  });
  if (batch >= wanted) {
    const perChunk = Math.ceil(batch / wanted);
    for (let first = 0; first < batch; first += perChunk) {
      const count = Math.min(perChunk, batch - first);
      chunks.push({ ...matrix(first), rowStart: 0, rowEnd: m, count });
    }
  } else {
    const tiles = Math.ceil(m / shape.rows);
    const rowsPerChunk = Math.ceil(tiles / Math.ceil(wanted / batch)) * shape.rows;
    for (let index = 0; index < batch; index++) {
      for (let rowStart = 0; rowStart < m; rowStart += rowsPerChunk) {
        const rowEnd = Math.min(m, rowStart + rowsPerChunk);
        const at = matrix(index);
        // gemmUnpacked takes whole matrices: a band is a matrix of its rows, its A and C rows offset
        chunks.push(unpacked ? { a: at.a + rowStart * k * 4, b: at.b, c: at.c + rowStart * n * 4, rowStart: 0, rowEnd: rowEnd - rowStart, count: 1 } : { ...at, rowStart, rowEnd, count: 1 });
      }
    }
  }
  return { k, n, aStride: m * k * 4, packedStride: place.packedStride, cStride: m * n * 4, blockColumns: blockColumns(shape, k), unpacked, chunks };
}
