/**
 * add, sub, mul and div (core/ops/binary.ts) in WGSL: out[i] = a[i mod periodA] ∘ b[i mod periodB],
 * the kernel functions' own rule for an operand passed unbroadcast. gpu.js's shader for the same
 * function is measured several times slower on SwiftShader. pow, max and min keep their kernel
 * functions: WGSL's pow is undefined for a negative base and its max/min for NaN, where Math's are not.
 */
import { type WgslKernel, flatDispatch, flatGroup } from './wgsl-kernel.js';

function binaryKernel(expression: string): WgslKernel {
  return {
    source: () => /* wgsl */ `
struct Binary { size : u32, width : u32, periodA : u32, periodB : u32 }
@group(0) @binding(0) var<uniform> p : Binary;
@group(0) @binding(1) var<storage, read> a : array<f32>;
@group(0) @binding(2) var<storage, read> b : array<f32>;
@group(0) @binding(3) var<storage, read_write> out : array<f32>;
@compute @workgroup_size(${flatGroup}, 1, 1)
fn main(@builtin(global_invocation_id) id : vec3<u32>) {
  let i = id.y * p.width + id.x;
  if (i >= p.size) { return; }
  let left = a[select(i % p.periodA, i, p.periodA == p.size)];
  let right = b[select(i % p.periodB, i, p.periodB == p.size)];
  out[i] = ${expression};
}`,
    uniforms: ({ periodA, periodB }, size) => [size, flatDispatch(size).width, periodA, periodB],
    workgroups: (_constants, size) => flatDispatch(size).groups,
  };
}

export const add = binaryKernel('left + right');
export const sub = binaryKernel('left - right');
export const mul = binaryKernel('left * right');
export const div = binaryKernel('left / right');
