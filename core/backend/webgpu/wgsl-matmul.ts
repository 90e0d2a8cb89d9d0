/**
 * The batched matrix product in WGSL: C = A·B per batch entry, A m×k and B k×n, each stored row-major
 * as it is or transposed (`transposeA`: a holds Aᵀ, k×m; `transposeB`: b holds Bᵀ, n×k), so a backward
 * pass needs no transposing copies. Each output is the float32 sum over k in ascending order.
 *
 * One invocation computes an R×C block of one batch entry's output, and the invocations run flat over
 * batch × row blocks × column blocks: a tiny batched product (the attention's 17×16×17 or 5×16×5 per
 * head) gets as many invocations as it has blocks, where a 2-D tile per batch entry left most of them
 * idle. Shapes are baked into the shader as constants (the source is per shape anyway), and an
 * operand whose contiguous run (a row of B, a column of A, or k) is a multiple of 4 is read as vec4s.
 * Blocks past the matrix's edge compute on whatever in-bounds storage they read (WebGPU clamps or
 * zeroes out-of-bounds reads) and write nothing. No workgroup memory: SwiftShader's barriers are slow.
 */
import { type WgslKernel, flatDispatch, flatGroup } from './wgsl-kernel.js';

interface MatmulShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/** How one invocation reads its operands and how large its block is. */
export interface MatmulBlocking {
  readonly rows: number;
  readonly cols: number;
  /** 'rows': one vec4 holds A's 4 block rows at one p (Aᵀ stored, m % 4 = 0); 'depth': A's row at p…p+3 (A stored, k % 4 = 0). */
  readonly vectorA: 'none' | 'rows' | 'depth';
  /** 'cols': one vec4 holds B's 4 block columns at one p (B stored, n % 4 = 0); 'depth': B's column at p…p+3 (Bᵀ stored, k % 4 = 0). */
  readonly vectorB: 'none' | 'cols' | 'depth';
}

function shapeOf(constants: Readonly<Record<string, number>>, size?: number): MatmulShape & { batch: number } {
  const { m, k, n } = constants;
  return { m, k, n, transposeA: constants.transposeA === 1, transposeB: constants.transposeB === 1, batch: size === undefined ? 1 : size / (m * n) };
}

/**
 * The block each invocation computes, at most wantRows × wantCols (smaller where the matrix is). 8×8 (64
 * products per 16 values read) measured fastest on SwiftShader (bench/wgsl-matmul.ts; docs/webgpu.md).
 */
export function matmulBlocking({ m, k, n, transposeA, transposeB }: MatmulShape, wantRows = 8, wantCols = 8): MatmulBlocking {
  const rows = Math.min(wantRows, m);
  const cols = Math.min(wantCols, n);
  const vectorA = transposeA ? (rows % 4 === 0 && m % 4 === 0 ? 'rows' : 'none') : k % 4 === 0 ? 'depth' : 'none';
  const vectorB = transposeB ? (k % 4 === 0 ? 'depth' : 'none') : cols % 4 === 0 && n % 4 === 0 ? 'cols' : 'none';
  return { rows, cols, vectorA, vectorB };
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

export function matmulSource(shape: MatmulShape, blocking: MatmulBlocking): string {
  const { m, k, n, transposeA, transposeB } = shape;
  const { rows, cols, vectorA, vectorB } = blocking;
  const depthStep = vectorA === 'depth' || vectorB === 'depth' ? 4 : 1;
  const lines: string[] = [];
  // vec4s along k are loaded once a step of p (p…p+depthStep−1); then each p in order: its loads, its products
  if (vectorA === 'depth') for (const r of range(rows)) lines.push(`    let aRow${r} = a[(aRowStart${r} + p) / 4u];`);
  if (vectorB === 'depth') for (const c of range(cols)) lines.push(`    let bCol${c} = b[(bColStart${c} + p) / 4u];`);
  for (const q of range(depthStep)) {
    const at = q === 0 ? 'p' : `p + ${q}u`;
    if (vectorA === 'rows') for (const v of range(rows / 4)) lines.push(`    let aRows${v}_${q} = a[(aColumn + (${at}) * M) / 4u + ${v}u];`);
    if (vectorB === 'cols') for (const v of range(cols / 4)) lines.push(`    let bCols${v}_${q} = b[(bRow + (${at}) * N) / 4u + ${v}u];`);
    const aValue = (r: number) => {
      if (vectorA === 'rows') return `aRows${r >> 2}_${q}[${r & 3}]`;
      if (vectorA === 'depth') return `aRow${r}[${q}]`;
      return transposeA ? `a[aColumn + (${at}) * M + ${r}u]` : `a[aRowStart${r} + ${at}]`;
    };
    const bValue = (c: number) => {
      if (vectorB === 'cols') return `bCols${c >> 2}_${q}[${c & 3}]`;
      if (vectorB === 'depth') return `bCol${c}[${q}]`;
      return transposeB ? `b[bColStart${c} + ${at}]` : `b[bRow + (${at}) * N + ${c}u]`;
    };
    for (const r of range(rows)) lines.push(`    let a${r}_${q} = ${aValue(r)};`);
    for (const c of range(cols)) lines.push(`    let b${c}_${q} = ${bValue(c)};`);
    for (const r of range(rows)) lines.push(`   ${range(cols).map((c) => ` t${r}_${c} += a${r}_${q} * b${c}_${q};`).join('')}`);
  }
  const starts: string[] = [];
  if (!transposeA) for (const r of range(rows)) starts.push(`  let aRowStart${r} = aBase + (row0 + ${r}u) * K;`);
  else starts.push('  let aColumn = aBase + row0;');
  if (transposeB) for (const c of range(cols)) starts.push(`  let bColStart${c} = bBase + (col0 + ${c}u) * K;`);
  else starts.push('  let bRow = bBase + col0;');
  const element = (vector: boolean) => (vector ? 'vec4<f32>' : 'f32');
  return /* wgsl */ `
struct Dims { blocks : u32, width : u32, pad0 : u32, pad1 : u32 }
@group(0) @binding(0) var<uniform> dims : Dims;
@group(0) @binding(1) var<storage, read> a : array<${element(vectorA !== 'none')}>;
@group(0) @binding(2) var<storage, read> b : array<${element(vectorB !== 'none')}>;
@group(0) @binding(3) var<storage, read_write> c : array<f32>;
const M : u32 = ${m}u;
const K : u32 = ${k}u;
const N : u32 = ${n}u;
const ROW_BLOCKS : u32 = ${Math.ceil(m / rows)}u;
const COL_BLOCKS : u32 = ${Math.ceil(n / cols)}u;

@compute @workgroup_size(${flatGroup}, 1, 1)
fn main(@builtin(global_invocation_id) id : vec3<u32>) {
  let block = id.y * dims.width + id.x;
  if (block >= dims.blocks) { return; }
  let batch = block / (ROW_BLOCKS * COL_BLOCKS);
  let inBatch = block - batch * (ROW_BLOCKS * COL_BLOCKS);
  let rowBlock = inBatch / COL_BLOCKS;
  let row0 = rowBlock * ${rows}u;
  let col0 = (inBatch - rowBlock * COL_BLOCKS) * ${cols}u;
  let aBase = batch * M * K;
  let bBase = batch * K * N;
${starts.join('\n')}
${range(rows).map((r) => `  var ${range(cols).map((c) => `t${r}_${c}`).join(' = 0.0;\n  var ')} = 0.0;`).join('\n')}
  for (var p = 0u; p < K; p += ${depthStep}u) {
${lines.join('\n')}
  }
  let cBase = batch * M * N;
${range(rows)
  .flatMap((r) => range(cols).map((c) => `  if (row0 + ${r}u < M && col0 + ${c}u < N) { c[cBase + (row0 + ${r}u) * N + col0 + ${c}u] = t${r}_${c}; }`))
  .join('\n')}
}`;
}

/** The kernel with blocks of up to wantRows × wantCols outputs. */
export function matmulKernel(wantRows = 8, wantCols = 8): WgslKernel {
  const blocksOf = (constants: Readonly<Record<string, number>>, size: number) => {
    const shape = shapeOf(constants, size);
    const { rows, cols } = matmulBlocking(shape, wantRows, wantCols);
    return shape.batch * Math.ceil(shape.m / rows) * Math.ceil(shape.n / cols);
  };
  return {
    source: (constants) => {
      const shape = shapeOf(constants);
      return matmulSource(shape, matmulBlocking(shape, wantRows, wantCols));
    },
    uniforms: (constants, size) => {
      const blocks = blocksOf(constants, size);
      return [blocks, flatDispatch(blocks).width, 0, 0];
    },
    workgroups: (constants, size) => flatDispatch(blocksOf(constants, size)).groups,
  };
}

export const matmul = matmulKernel();
