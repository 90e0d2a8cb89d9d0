/**
 * A handful of ops run on a backend and on the reference backend, on the same drawn inputs, for the
 * browser test to compare (it holds the tolerances; this file only computes).
 */
import { type BackendChoice, type Tensor, add, exp, matmul, mul, random, softmax, sum, tanh, transpose, withBackend } from '../../core/index.js';

export interface KernelCase {
  readonly op: string;
  readonly actual: number[];
  readonly expected: number[];
}

const draw = (seed: number, shape: number[]) => withBackend('reference', () => random.normal(random.key(seed), shape));

/** Each op on inputs drawn once, on the reference backend, so both runs see the very same values. */
function cases(): Record<string, () => Tensor> {
  const [a, b, c, d, e, f, g, h, i, j, k] = [
    draw(1, [17, 33]), draw(2, [1, 33]), draw(3, [5, 7, 9]), draw(4, [5, 7, 9]), draw(5, [300]), draw(6, [300]),
    draw(7, [3, 37, 29]), draw(8, [3, 29, 41]), draw(9, [13, 50, 3]), draw(10, [11, 40]), draw(11, [4, 6, 5]),
  ];
  return {
    'add (broadcast)': () => add(a, b),
    mul: () => mul(c, d),
    exp: () => exp(e),
    tanh: () => tanh(f),
    matmul: () => matmul(g, h),
    'sum (axis 1)': () => sum(i, { axis: 1 }),
    softmax: () => softmax(j, -1),
    transpose: () => transpose(k, [2, 0, 1]),
  };
}

export function kernelCases(backend: BackendChoice): KernelCase[] {
  return Object.entries(cases()).map(([op, run]) => ({
    op,
    actual: Array.from(withBackend(backend, run).dataSync()),
    expected: Array.from(withBackend('reference', run).dataSync()),
  }));
}
