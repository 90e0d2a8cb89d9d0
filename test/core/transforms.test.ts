/** The transforms' contracts: argnums, hasAux, pytrees, jvp against vjp, stopGradient, repeated arguments. */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';

const f64 = (values: tg.NestedArray) => tg.tensor(values, { dtype: 'float64' });

describe('grad and valueAndGrad', () => {
  it('differentiate several arguments with argnums and keep pytree structure', () => {
    const loss = (p: { w: Tensor; b: Tensor[] }, x: Tensor, scale: number) => tg.sum(tg.mul(tg.add(tg.mul(p.w, x), tg.add(p.b[0], p.b[1])), scale));
    const params = { w: f64([1, 2]), b: [f64([0.5, 0.5]), f64([1, -1])] };
    const x = f64([3, 4]);
    const [gp, gx] = tg.grad(loss, { argnums: [0, 1] })(params, x, 2) as [typeof params, Tensor];
    expect(gp.w.toArray()).toEqual([6, 8]);
    expect(gp.b.map((t) => t.toArray())).toEqual([[2, 2], [2, 2]]);
    expect(gx.toArray()).toEqual([2, 4]);
  });

  it('pass aux through with hasAux', () => {
    const [[value, aux], g] = tg.valueAndGrad((x: Tensor) => [tg.sum(tg.square(x)), { norm: 'l2' }], { hasAux: true })(f64([1, 2])) as [[Tensor, unknown], Tensor];
    expect(value.item()).toBe(5);
    expect(aux).toEqual({ norm: 'l2' });
    expect(g.toArray()).toEqual([2, 4]);
  });

  it('give the same tensor passed twice two separate gradients', () => {
    const x = f64([3]);
    const [ga, gb] = tg.grad((a: Tensor, b: Tensor) => tg.sum(tg.mul(tg.square(a), b)), { argnums: [0, 1] })(x, x) as Tensor[];
    expect(ga.item()).toBe(18);
    expect(gb.item()).toBe(9);
  });

  it('return zeros for an argument the output does not depend on', () => {
    expect(tg.grad((_x: Tensor, y: Tensor) => tg.sum(y), { argnums: 0 })(f64([1, 2]), f64([3])).toArray()).toEqual([0, 0]);
  });

  it('stopGradient blocks the gradient but keeps the value', () => {
    const g = tg.grad((x: Tensor) => tg.sum(tg.mul(x, tg.stopGradient(x))))(f64([2, 3]));
    expect(g.toArray()).toEqual([2, 3]);
  });
});

describe('vjp and jvp', () => {
  const f = (x: Tensor, y: Tensor) => ({ s: tg.sin(tg.mul(x, y)), t: tg.matmul(tg.reshape(x, [1, 3]), tg.reshape(y, [3, 1])) });
  const x = f64([0.1, 0.2, 0.3]);
  const y = f64([1.5, -0.5, 2.0]);

  it('agree through ⟨u, J v⟩ = ⟨Jᵀ u, v⟩ on pytree outputs', () => {
    const v = [f64([1, -2, 0.5]), f64([0.3, 0.1, -1])];
    const u = { s: f64([0.7, -0.2, 1.1]), t: f64([[2]]) };
    const [, jv] = tg.jvp(f, [x, y], v);
    const [, vjpFn] = tg.vjp(f, x, y);
    const jtu = vjpFn(u) as Tensor[];
    const dot = (a: Tensor, b: Tensor) => tg.sum(tg.mul(a, b)).item();
    const left = dot(u.s, jv.s) + dot(u.t, jv.t);
    const right = dot(jtu[0], v[0]) + dot(jtu[1], v[1]);
    expect(left).toBeCloseTo(right, 12);
  });

  it('jvp reports tangents that do not match their primals', () => {
    expect(() => tg.jvp(tg.exp, [x], [f64([1, 2])])).toThrow('jvp: tangent 0 is float64 [2] but its primal is float64 [3]');
  });

  it('vjp reports a cotangent of the wrong structure', () => {
    const [, vjpFn] = tg.vjp(f, x, y);
    expect(() => vjpFn({ s: f64([1, 1, 1]) } as never)).toThrow('vjp: the cotangent has structure {s: *} but the output has {s: *, t: *}');
  });
});

describe('tensors', () => {
  it('layout ops return views and never write into their input', () => {
    const x = tg.tensor([[1, 2, 3], [4, 5, 6]]);
    const t = tg.transpose(x);
    expect(t.storage.data).toBe(x.storage.data);
    expect(t.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(tg.slice(x, [null, { start: 1, step: 1 }]).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(tg.flip(x, 1).toArray()).toEqual([[3, 2, 1], [6, 5, 4]]);
    expect(x.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('constructors make what they say', () => {
    expect(tg.arange(3).toArray()).toEqual([0, 1, 2]);
    expect(tg.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(tg.eye(2).toArray()).toEqual([[1, 0], [0, 1]]);
    expect(tg.full([2], 7, 'int32').toArray()).toEqual([7, 7]);
    expect(tg.tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] }).dtype).toBe('float64');
    expect(() => tg.tensor([[1, 2], [3]])).toThrow('tensor: ragged nested array at [1]; expected 2 entries');
  });

  it('round-trips through ndarray', () => {
    const x = tg.tensor([[1, 2], [3, 4]]);
    const copy = tg.fromNdarray(x.toNdarray());
    expect(copy.toArray()).toEqual(x.toArray());
    expect(copy.storage.data).not.toBe(x.storage.data);
  });

  it('method sugar calls the same ops', () => {
    const x = tg.tensor([1, 2, 3]);
    expect(x.mul(2).add(1).sum().item()).toBe(15);
  });
});
