/**
 * The last-axis row ops (core/ops/standardize.ts, softmax.ts, scale-shift.ts) in WGSL. Their kernel
 * functions give each output element a thread that recomputes its whole row's statistics, d times the
 * work; here one invocation takes one row: its statistics once, then its d outputs. Sums run in the
 * order of the row, as in the kernel functions. One invocation per row also suits a real GPU at these
 * sizes (thousands of rows of tens of elements): a workgroup per row would sit mostly idle and pay for
 * barriers, which SwiftShader makes slow.
 */
import { type WgslKernel, flatDispatch, flatGroup, floatBits } from './wgsl-kernel.js';

/** Uniforms of a row kernel: rows, row length, the fold width of the dispatch, one op parameter (f32 bits). */
const rowHeader = /* wgsl */ `
struct Rows { rows : u32, d : u32, width : u32, parameter : u32 }
@group(0) @binding(0) var<uniform> p : Rows;
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read_write> y : array<f32>;
@compute @workgroup_size(${flatGroup}, 1, 1)
fn main(@builtin(global_invocation_id) id : vec3<u32>) {
  let row = id.y * p.width + id.x;
  if (row >= p.rows) { return; }
  let d = p.d;
  let start = row * d;
  let end = start + d;`;

function rowKernel(body: string, parameter: (constants: Readonly<Record<string, number>>) => number): WgslKernel {
  return {
    source: () => `${rowHeader}\n${body}\n}`,
    uniforms: (constants, size) => {
      const rows = size / constants.d;
      return [rows, constants.d, flatDispatch(rows).width, floatBits(parameter(constants))];
    },
    workgroups: ({ d }, size) => flatDispatch(size / d).groups,
  };
}

/** (x − mean)/√(var + eps), the biased variance; parameter: eps. */
export const standardize = rowKernel(
  /* wgsl */ `
  var total = 0.0;
  for (var j = start; j < end; j++) { total += x[j]; }
  let mean = total / f32(d);
  var squares = 0.0;
  for (var j = start; j < end; j++) { let centred = x[j] - mean; squares += centred * centred; }
  let sigma = sqrt(squares / f32(d) + bitcast<f32>(p.parameter));
  for (var j = start; j < end; j++) { y[j] = (x[j] - mean) / sigma; }`,
  ({ eps }) => eps,
);

/** The row's max and Σ e^(x − max), shared by softmax and log-softmax. */
const rowExpSum = /* wgsl */ `
  var top = x[start];
  for (var j = start + 1u; j < end; j++) { top = max(top, x[j]); }
  var total = 0.0;
  for (var j = start; j < end; j++) { total += exp(x[j] - top); }`;

export const softmax = rowKernel(`${rowExpSum}\n  for (var j = start; j < end; j++) { y[j] = exp(x[j] - top) / total; }`, () => 0);

export const logSoftmax = rowKernel(`${rowExpSum}\n  let logTotal = log(total);\n  for (var j = start; j < end; j++) { y[j] = x[j] - top - logTotal; }`, () => 0);

/** x·scale + shift (shift optional) with vectors over the last axis: one invocation per element, no recomputation to save, but no gpu.js index arithmetic either. */
export const scaleShift: WgslKernel = {
  source: (_constants, inputs) => /* wgsl */ `
struct Affine { size : u32, d : u32, width : u32, pad : u32 }
@group(0) @binding(0) var<uniform> p : Affine;
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read> scale : array<f32>;
${inputs === 3 ? '@group(0) @binding(3) var<storage, read> shift : array<f32>;' : ''}
@group(0) @binding(${inputs + 1}) var<storage, read_write> y : array<f32>;
@compute @workgroup_size(${flatGroup}, 1, 1)
fn main(@builtin(global_invocation_id) id : vec3<u32>) {
  let i = id.y * p.width + id.x;
  if (i >= p.size) { return; }
  let j = i % p.d;
  y[i] = x[i] * scale[j]${inputs === 3 ? ' + shift[j]' : ''};
}`,
  uniforms: ({ d }, size) => [size, d, flatDispatch(size).width, 0],
  workgroups: (_constants, size) => flatDispatch(size).groups,
};
