import ndarray, { type NdArray } from 'ndarray';
import { ShapeError, formatShape } from '../errors.js';
import type { TypedArray } from '../dtype.js';
import { sameDType } from '../dtype.js';
import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { checkNoOptions, checkTensor } from '../options.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { broadcastTo } from './broadcast.js';
import { reshape } from './reshape.js';
import { matrixTranspose } from './transpose.js';

type Saved = { a: Tensor; b: Tensor };

/** Batched matrix product (…, m, k) × (…, k, n) → (…, m, n); batch axes already equal. */
export const matmulOp: OpDef<{}, Saved, 'matmul'> = {
  name: 'matmul',
  args: ['a', 'b'],
  infer: ([a, b]) => {
    const dtype = sameDType('matmul', [a.dtype, b.dtype], ['a', 'b']);
    const m = a.shape[a.rank - 2];
    const n = b.shape[b.rank - 1];
    return { shape: [...a.shape.slice(0, -2), m, n], dtype };
  },
  forward: ([a, b]) => {
    const left = operandLayout(a.storage);
    const right = operandLayout(b.storage);
    return {
      kernel: function (this: KernelThis, a: Float32Array, b: Float32Array) {
        const m = this.constants.m;
        const k = this.constants.k;
        const n = this.constants.n;
        const column = this.thread.x % n;
        const row = Math.floor(this.thread.x / n);
        const batch = Math.floor(row / m);
        // a transposed operand is read from its untransposed matrix: A[i][p] = Aᵀ[p][i]
        const aStep = this.constants.transposeA > 0 ? m : 1;
        const aStart = this.constants.transposeA > 0 ? batch * m * k + (row - batch * m) : row * k;
        const bStep = this.constants.transposeB > 0 ? 1 : n;
        const bStart = this.constants.transposeB > 0 ? batch * k * n + column * k : batch * k * n + column;
        let total = 0.0;
        for (let p = 0; p < k; p++) {
          total += a[aStart + p * aStep] * b[bStart + p * bStep];
        }
        return total;
      },
      args: [left.matrix, right.matrix],
      constants: { m: a.shape[a.rank - 2], k: a.shape[a.rank - 1], n: b.shape[b.rank - 1], transposeA: left.transposed, transposeB: right.transposed },
    };
  },
  save: ([a, b]) => ({ a, b }),
  // d(AB) = dA B + A dB, so Ā = C̄ Bᵀ and B̄ = Aᵀ C̄
  vjp: (ct, { a, b }) => [matmul(ct, matrixTranspose(b)), matmul(matrixTranspose(a), ct)],
};

/**
 * What the kernel reads for one operand. A matrix transpose of a row-major matrix (the vjp's Bᵀ and
 * Aᵀ, attention's Kᵀ) is passed as the matrix it views, with `transposed` 1, so that no backend copies
 * it into row-major order first: every matmul kernel (the kernel function above, the WebAssembly and
 * WGSL ones) reads both layouts. Anything else is read as it lies, copied row-major where it must be.
 */
function operandLayout(view: NdArray<TypedArray>): { matrix: NdArray<TypedArray>; transposed: 0 | 1 } {
  const rank = view.shape.length;
  const [rows, columns] = view.shape.slice(-2);
  const [rowStride, columnStride] = view.stride.slice(-2);
  if (rows <= 1 || columns <= 1 || rowStride !== 1 || columnStride !== rows) return { matrix: view, transposed: 0 };
  const batch = view.shape.slice(0, rank - 2);
  const matrix = ndarray(view.data, [...batch, columns, rows], [...view.stride.slice(0, rank - 2), rows, 1], view.offset);
  return { matrix, transposed: 1 };
}

/** Matrix product with NumPy batch broadcasting; both operands need rank ≥ 2. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  checkNoOptions('matmul', arguments, ['a', 'b']);
  if (a.rank < 2 || b.rank < 2) {
    throw new ShapeError(`matmul: a and b need rank ≥ 2, got a ${formatShape(a.shape)} and b ${formatShape(b.shape)}; use reshape to add an axis`);
  }
  const k = a.shape[a.rank - 1];
  if (b.shape[b.rank - 2] !== k) {
    throw new ShapeError(`matmul: a ${formatShape(a.shape)} has ${k} columns but b ${formatShape(b.shape)} has ${b.shape[b.rank - 2]} rows`);
  }
  if (b.rank === 2 && a.rank > 2) {
    // a stack of rows times one matrix: fold the batch into the rows instead of repeating b per batch
    const product = apply(matmulOp, [reshape(a, [-1, k]), b], {});
    return reshape(product, [...a.shape.slice(0, -1), b.shape[1]]);
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2), ['a (batch axes)', 'b (batch axes)']);
  const a2 = broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
  const b2 = broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
  return apply(matmulOp, [a2, b2], {});
}
