/**
 * DINO's `interpolate_pos_encoding` for the peers, as one constant matrix: PyTorch's bicubic
 * `F.interpolate` (A = −0.75, align_corners false, scale factor (n + 0.1)/g, taps clamped) resizes
 * the g×g table of patch positions to an n×n grid, and because it is separable and linear,
 *   resized[i·n + j, :] = Σ_{a,b} R[i, a] R[j, b] table[a·g + b, :],  i.e. resized = (R ⊗ R) · table,
 * a [n², g²] matrix that any library applies with one matmul. tapegrad's `nn/pos-embed.ts` builds the
 * same R; the tapegrad benchmark checks that the two agree.
 */

const cubicA = -0.75;
const cubicNear = (x: number) => ((cubicA + 2) * x - (cubicA + 3)) * x * x + 1; // |x| ≤ 1
const cubicFar = (x: number) => ((cubicA * x - 5 * cubicA) * x + 8 * cubicA) * x - 4 * cubicA; // 1 < |x| < 2

/** R, [outSize, inSize]: row i holds the four clamped tap weights of output position i. */
export function bicubicRows(inSize: number, outSize: number): Float64Array {
  const step = inSize / (outSize + 0.1);
  const rows = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const source = step * (i + 0.5) - 0.5;
    const base = Math.floor(source);
    const t = source - base;
    [cubicFar(t + 1), cubicNear(t), cubicNear(1 - t), cubicFar(2 - t)].forEach((weight, tap) => {
      rows[i * inSize + Math.min(Math.max(base - 1 + tap, 0), inSize - 1)] += weight;
    });
  }
  return rows;
}

/** R ⊗ R, [outSize², inSize²] row-major, in float32. */
export function posEmbedResampleMatrix(inSize: number, outSize: number): Float32Array {
  const rows = bicubicRows(inSize, outSize);
  const matrix = new Float32Array(outSize * outSize * inSize * inSize);
  for (let i = 0; i < outSize; i++) {
    for (let j = 0; j < outSize; j++) {
      for (let a = 0; a < inSize; a++) {
        for (let b = 0; b < inSize; b++) matrix[(i * outSize + j) * inSize * inSize + a * inSize + b] = rows[i * inSize + a] * rows[j * inSize + b];
      }
    }
  }
  return matrix;
}
