/**
 * Elementwise fusion, as a backend offers it to jit's compiled programs (`core/transforms/jit-fusion.ts`):
 * a chain of float32 unary and binary ops written as an expression, which the backend compiles into
 * one kernel that reads each input once and writes the result once. A backend offers it
 * (`Backend.fusion`) only where the fused kernel computes each op's lanes as that backend's own
 * kernels for the ops do, so fusing a chain never changes a value.
 */
import type { KernelImplementation } from '../kernel.js';

/** The ops an expression may hold; a backend's offer says which of them it fuses. */
export type FusedUnary = 'neg' | 'abs' | 'square' | 'sqrt' | 'exp' | 'gelu' | 'geluDerivative';
export type FusedBinary = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';

/** A node reads input k, or applies an op to earlier nodes (by index); the last node is the result. */
export type FusedNode =
  | { readonly input: number }
  | { readonly unary: FusedUnary; readonly x: number }
  | { readonly binary: FusedBinary; readonly a: number; readonly b: number };

export interface FusedExpression {
  readonly inputCount: number;
  readonly nodes: readonly FusedNode[];
}

/**
 * A compiled chain. Each input is a window that repeats along the result of `size` elements (an
 * operand of the result's size, a bias row, a number): element i reads input[i mod its length].
 * Returns the result's elements, in an output buffer (`outputBuffer`).
 */
export type FusedElementwiseKernel = (inputs: readonly Float32Array[], size: number) => Float32Array;

export interface ElementwiseFusion {
  /** The implementation a profile names for the fused kernels (`wasm`, `wgsl`). */
  readonly implementation: KernelImplementation;
  readonly unaries: readonly FusedUnary[];
  readonly binaries: readonly FusedBinary[];
  compile(expression: FusedExpression): FusedElementwiseKernel;
}
