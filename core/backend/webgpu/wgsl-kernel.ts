/**
 * An op's kernel written directly in WGSL, for the ops whose gpu.js kernel function is far too slow on
 * WebGPU (gpu.js gives every output element its own thread and re-reads its inputs from storage).
 * Bindings: 0 a uniform block of `uniforms` u32s, then the op's inputs in order, then the output.
 */
export interface WgslKernel {
  /** The shader for these constants and this many inputs (an op with an optional input has two). */
  source(constants: Readonly<Record<string, number>>, inputs: number): string;
  uniforms(constants: Readonly<Record<string, number>>, size: number): readonly number[];
  workgroups(constants: Readonly<Record<string, number>>, size: number): readonly [number, number, number];
}

/** Threads per workgroup of the one-dimensional kernels. */
export const flatGroup = 64;
/** The most workgroups along one dispatch dimension (WebGPU's default limit). */
const maxGroupsX = 65535;

/**
 * `threads` invocations of `flatGroup` as a dispatch: folded onto y past the per-dimension limit, with
 * `width` the invocations per row of the fold (the shader's index is id.y * width + id.x).
 */
export function flatDispatch(threads: number): { groups: [number, number, number]; width: number } {
  const groups = Math.max(1, Math.ceil(threads / flatGroup));
  const rows = Math.ceil(groups / maxGroupsX);
  const columns = Math.ceil(groups / rows);
  return { groups: [columns, rows, 1], width: columns * flatGroup };
}

/** A float32 as the u32 with its bits, for a uniform block of u32s that the shader bitcasts back. */
export function floatBits(value: number): number {
  return new Uint32Array(new Float32Array([value]).buffer)[0];
}
