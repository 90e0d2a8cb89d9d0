/** Tapes nest, and backward passes are made of ops: gradients of gradients. */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';

const f64 = (values: tg.NestedArray) => tg.tensor(values, { dtype: 'float64' });
const points = [-1.7, -0.4, 0.2, 1.3];

describe('second derivatives', () => {
  const secondDerivative = (f: (x: Tensor) => Tensor) => tg.grad((x: Tensor) => tg.sum(tg.grad((y: Tensor) => tg.sum(f(y)))(x)));

  it('of tanh: −2 tanh(x)(1 − tanh²(x))', () => {
    const got = secondDerivative(tg.tanh)(f64(points)).toArray() as number[];
    points.forEach((x, i) => expect(got[i]).toBeCloseTo(-2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2), 13));
  });

  it('of exp: exp(x)', () => {
    const got = secondDerivative(tg.exp)(f64(points)).toArray() as number[];
    points.forEach((x, i) => expect(got[i]).toBeCloseTo(Math.exp(x), 13));
  });

  it('of sigmoid: σ(x)(1 − σ(x))(1 − 2σ(x))', () => {
    const sigma = (x: number) => 1 / (1 + Math.exp(-x));
    const got = secondDerivative(tg.sigmoid)(f64(points)).toArray() as number[];
    points.forEach((x, i) => expect(got[i]).toBeCloseTo(sigma(x) * (1 - sigma(x)) * (1 - 2 * sigma(x)), 13));
  });

  it('a third derivative of sin is −cos', () => {
    const d = (f: (x: Tensor) => Tensor) => (x: Tensor) => tg.grad((y: Tensor) => tg.sum(f(y)))(x);
    const got = d(d(d(tg.sin)))(f64(points)).toArray() as number[];
    points.forEach((x, i) => expect(got[i]).toBeCloseTo(-Math.cos(x), 12));
  });

  it('a Hessian-vector product of an MLP loss matches finite differences of its gradient', () => {
    const params = {
      w1: f64([[0.3, -0.2, 0.5], [0.1, 0.4, -0.3]]),
      b1: f64([0.05, -0.1, 0.2]),
      w2: f64([[0.7], [-0.5], [0.2]]),
    };
    const x = f64([[1.0, -2.0], [0.5, 0.3], [-1.2, 0.8]]);
    const y = f64([[0.5], [-0.2], [0.1]]);
    const loss = (p: typeof params) => tg.mean(tg.square(tg.sub(tg.matmul(tg.tanh(tg.add(tg.matmul(x, p.w1), p.b1)), p.w2), y)));
    const gradient = tg.grad(loss);
    const direction = { w1: f64([[1, 0.5, -1], [0.2, -0.3, 0.7]]), b1: f64([0.3, -0.6, 0.1]), w2: f64([[-0.4], [0.9], [0.5]]) };
    // Hv = d/dε ∇L(p + εv) at ε = 0, by forward mode over the gradient
    const [, hvp] = tg.jvp(gradient, [params], [direction]);
    // and by reverse mode: ∇ₚ ⟨∇L(p), v⟩
    const hvpReverse = tg.grad((p: typeof params) => {
      const g = gradient(p) as typeof params;
      return tg.add(tg.add(tg.sum(tg.mul(g.w1, direction.w1)), tg.sum(tg.mul(g.b1, direction.b1))), tg.sum(tg.mul(g.w2, direction.w2)));
    })(params) as typeof params;
    const eps = 1e-5;
    const shifted = (sign: number) => gradient(tg.treeMap((p, v) => tg.add(p, tg.mul(v, sign * eps)), params, direction)) as typeof params;
    const plus = shifted(1);
    const minus = shifted(-1);
    for (const key of ['w1', 'b1', 'w2'] as const) {
      const expected = Array.from(tg.div(tg.sub(plus[key], minus[key]), 2 * eps).dataSync());
      Array.from((hvp as typeof params)[key].dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 8));
      Array.from(hvpReverse[key].dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 8));
    }
  });
});
