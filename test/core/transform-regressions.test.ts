/**
 * Regression tests named after the rows of issue 15's table that were silently wrong gradients, and
 * the nestings of jit with grad, vjp and jvp around programs holding stopGradient and customVjp.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as tg from '../../core/index.js';
import { TransformError, type Tensor } from '../../core/index.js';
import { Trace, withTrace } from '../../core/trace.js';

const f64 = (values: number[]) => tg.tensor(values, { dtype: 'float64' });

/** sin with a rule that is deliberately not sin's derivative: d = 2·cos(x), so a gradient shows which one ran. */
const sinWithDoubledRule = tg.customVjp((x: Tensor) => tg.sin(x), {
  forward: (x) => [tg.sin(x), x],
  backward: (x: Tensor, ct) => [tg.mul(ct, tg.mul(tg.cos(x), 2))],
});
const loss = (x: Tensor) => tg.sum(sinWithDoubledRule(x));
const doubledCos = (values: number[]) => values.map((v) => 2 * Math.cos(v));
const negDoubledSin = (values: number[]) => values.map((v) => -2 * Math.sin(v));
const inputs = [[0.3, -1.2], [2.0, 0.5], [-0.7, 1.1]];

function expectClose(actual: Tensor, expected: number[]): void {
  (actual.toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
}

describe('issue 15 table: customVjp under jit', () => {
  it('customVjp under jit: calls 2, 3, … of grad(x => jf(x)) keep the custom rule', () => {
    const jf = tg.jit(loss);
    const g = tg.grad((x: Tensor) => jf(x));
    for (const values of inputs) expectClose(g(f64(values)), doubledCos(values));
  });

  it('customVjp under jit: jf first called outside any grad still uses the custom rule', () => {
    const jf = tg.jit(loss);
    jf(f64([0.1, 0.2]));
    const g = tg.grad((x: Tensor) => jf(x));
    for (const values of inputs) expectClose(g(f64(values)), doubledCos(values));
  });
});

describe('issue 15 table: differentiated arguments are checked', () => {
  const square = (x: any) => tg.sum(tg.square(x));

  it('grad(f)(3) (a JS number) names the argument', () => {
    expect(() => tg.grad(square)(3)).toThrow(TransformError);
    expect(() => tg.grad(square)(3)).toThrow(
      'grad: argument 0 is a number (3); a differentiated number must be a float tensor (scalar(3)); pass it in an argument outside argnums',
    );
  });

  it('grad(f)(class instance) is refused, naming the class', () => {
    class Lin {
      constructor(readonly w: Tensor) {}
    }
    const lin = new Lin(f64([1, 2]));
    const f = (p: Lin) => square(p.w);
    expect(() => tg.grad(f)(lin)).toThrow(TransformError);
    expect(() => tg.grad(f)(lin)).toThrow('grad: argument 0 is a Lin instance, which is not a pytree; a pytree holds tensors, arrays and plain objects of them');
    expect(() => tg.grad((p: { layer: Lin }) => f(p.layer))({ layer: lin })).toThrow('grad: argument 0, leaf .layer is a Lin instance');
  });

  it('grad(f)(int32 tensor) names the dtype', () => {
    expect(() => tg.grad(square)(tg.tensor([1, 2], { dtype: 'int32' }))).toThrow(
      'grad: argument 0 is an int32 tensor; only float32 and float64 tensors can be differentiated (cast it); pass it in an argument outside argnums',
    );
  });

  it('names the leaf path and the argument index from argnums', () => {
    const f = (scale: Tensor, p: { layers: { w: Tensor; step: number }[] }) => tg.mul(scale, square(p.layers[0].w));
    const params = { layers: [{ w: f64([1, 2]), step: 3 }] };
    expect(() => tg.grad(f, { argnums: [0, 1] })(f64([2]).reshape([]), params)).toThrow('grad: argument 1, leaf .layers[0].step is a number (3)');
    expect(() => tg.valueAndGrad(f, { argnums: 1 })(f64([2]).reshape([]), params)).toThrow('valueAndGrad: argument 1, leaf .layers[0].step is a number (3)');
    const maps = { table: new Map([['w', f64([1])]]) };
    expect(() => tg.grad((p: typeof maps) => square(p.table.get('w')))(maps)).toThrow('grad: argument 0, leaf .table is a Map, which is not a pytree');
  });

  it('lets arguments outside argnums hold anything, and null leaves in differentiated ones', () => {
    class Config {
      constructor(readonly scale: number) {}
    }
    const f = (p: { w: Tensor; unused: null }, config: Config, lookup: Map<string, number>, step: number) =>
      tg.mul(square(p.w), config.scale * lookup.get('k')! * step);
    const g = tg.grad(f)({ w: f64([1, 2]), unused: null }, new Config(2), new Map([['k', 3]]), 1);
    expect(g.w.toArray()).toEqual([12, 24]);
    expect(g.unused).toBeNull();
  });

  it('vjp, jvp and checkGrads refuse integer and non-tensor leaves too', () => {
    const ints = tg.tensor([1, 2], { dtype: 'int32' });
    const sum2 = (x: Tensor, y: Tensor) => tg.add(tg.sum(x), tg.sum(y));
    expect(() => tg.vjp(sum2, f64([1]), ints)).toThrow('vjp: argument 1 is an int32 tensor; only float32 and float64 tensors can be differentiated (cast it); close over values that are not differentiated instead');
    expect(() => tg.jvp(sum2, [f64([1]), { n: 2 }], [f64([1]), { n: 2 }])).toThrow('jvp: argument 1, leaf .n is a number (2)');
    expect(() => tg.checkGrads(sum2, [f64([1]), ints])).toThrow('checkGrads: argument 1 is an int32 tensor');
    expect(() => tg.checkGrads(sum2, [f64([1]), 'x'])).toThrow('checkGrads: argument 1 is a string ("x"); a differentiated argument holds float tensors only');
  });
});

describe('jit with stopGradient and customVjp under every nesting', () => {
  const xs = inputs.map(f64);

  it('records stopGradient and customVjp as op events in the trace (no other kind)', () => {
    const x = f64([0.5, 1]);
    const trace = new Trace([x]);
    withTrace(trace, () => tg.mul(sinWithDoubledRule(x), tg.stopGradient(x)));
    expect(trace.events.map((e) => `${e.kind}:${e.op.name}`)).toEqual(['op:sin', 'op:customVjp', 'op:stopGradient', 'op:mul']);
  });

  it('grad(jit(f)) traced first inside grad or outside it, on every call', () => {
    for (const warmOutside of [false, true]) {
      const jf = tg.jit(loss);
      if (warmOutside) jf(xs[0]);
      for (const x of xs) expectClose(tg.grad(jf)(x), doubledCos(x.toArray() as number[]));
    }
  });

  it('recomputes residuals computed in the custom forward on every replayed call (a pytree with a plain value)', () => {
    // the residual cos(x) is made inside the forward: a value captured at trace time would repeat call 1's
    const sinWithSavedCos = tg.customVjp((x: Tensor) => tg.sin(x), {
      forward: (x) => [tg.sin(x), { cosine: tg.cos(x), scale: 2 }],
      backward: ({ cosine, scale }: { cosine: Tensor; scale: number }, ct) => [tg.mul(ct, tg.mul(cosine, scale))],
    });
    for (const jitted of [tg.jit(tg.grad((x: Tensor) => tg.sum(sinWithSavedCos(x)))), tg.grad(tg.jit((x: Tensor) => tg.sum(sinWithSavedCos(x))))]) {
      for (const x of xs) expectClose(jitted(x), doubledCos(x.toArray() as number[]));
    }
  });

  it('jit(grad(f)) on every call', () => {
    const jg = tg.jit(tg.grad(loss));
    for (const x of xs) expectClose(jg(x), doubledCos(x.toArray() as number[]));
  });

  it('grad(grad(jit(f))) differentiates the custom rule itself (d 2cos = −2 sin)', () => {
    const jf = tg.jit(loss);
    const second = tg.grad((x: Tensor) => tg.sum(tg.grad(jf)(x)));
    for (const x of xs) expectClose(second(x), negDoubledSin(x.toArray() as number[]));
    const jitOfSecond = tg.jit(second);
    for (const x of xs) expectClose(jitOfSecond(x), negDoubledSin(x.toArray() as number[]));
  });

  it('vjp and jvp of jit(f) use the custom rule', () => {
    const jf = tg.jit((x: Tensor) => sinWithDoubledRule(x));
    jf(xs[0]);
    for (const x of xs) {
      const values = x.toArray() as number[];
      const [, vjpFn] = tg.vjp(jf, x);
      expectClose(vjpFn(tg.onesLike(x))[0] as Tensor, doubledCos(values));
      const [, tangent] = tg.jvp(jf, [x], [tg.onesLike(x)]);
      expectClose(tangent, doubledCos(values));
    }
  });

  it('stopGradient in a jitted function blocks the gradient on every call, traced inside or outside grad', () => {
    for (const warmOutside of [false, true]) {
      const jf = tg.jit((x: Tensor) => tg.sum(tg.mul(x, tg.stopGradient(x))));
      if (warmOutside) jf(xs[0]);
      for (const x of xs) expect(tg.grad(jf)(x).toArray()).toEqual(x.toArray());
    }
  });

  it('a wrong stopGradient rule (passing the cotangent through) is caught by the test above', () => {
    const op = tg.opTable.stopGradient as { vjp: (ct: Tensor, ...rest: unknown[]) => readonly (Tensor | null)[] };
    const original = op.vjp;
    const gradOfHeld = () => tg.grad((x: Tensor) => tg.sum(tg.mul(x, tg.stopGradient(x))))(xs[0]).toArray();
    expect(gradOfHeld()).toEqual(xs[0].toArray());
    op.vjp = (ct) => [ct];
    try {
      expect(gradOfHeld()).not.toEqual(xs[0].toArray());
    } finally {
      op.vjp = original;
    }
  });

  it('printTape shows stopGradient and customVjp records', () => {
    const text = tg.printTape((x: Tensor) => tg.sum(tg.mul(sinWithDoubledRule(x), tg.stopGradient(x))), f64([1, 2]));
    expect(text.split('\n').map((line) => line.split(' = ')[1].split('(')[0])).toEqual(['sin', 'customVjp', 'stopGradient', 'mul', 'sum']);
    expect(text).toContain('t2 = customVjp(x0 [2], t1 [2], x0 [2], name="customVjp", primals=1, residualLeaves=1) → float64 [2]  keeps residuals');
    expect(text).toContain('t3 = stopGradient(x0 [2]) → float64 [2]');
  });
});

describe('gradient types', () => {
  it('grad and valueAndGrad return the argument types (checked by tsc)', () => {
    const params = { w: f64([1, 2]), b: [f64([3])] };
    const f = (p: typeof params, x: Tensor, _label: string) => tg.sum(tg.mul(tg.add(p.w, p.b[0]), x));
    const x = f64([1, 1]);
    expectTypeOf(tg.grad(f)(params, x, 'a')).toEqualTypeOf<typeof params>();
    expectTypeOf(tg.grad(f, { argnums: 1 })(params, x, 'a')).toEqualTypeOf<Tensor>();
    expectTypeOf(tg.grad(f, { argnums: [1, 0] })(params, x, 'a')).toEqualTypeOf<[Tensor, typeof params]>();
    // options only known as GradOptions: any of the arguments, or a tuple of them, not a wrong promise
    const loose: tg.GradOptions = { argnums: 1 };
    expectTypeOf(tg.grad(f, loose)(params, x, 'a')).toEqualTypeOf<typeof params | Tensor | string | (typeof params | Tensor | string)[]>();
    const withAux = (p: typeof params) => [tg.sum(p.w), { note: p.w }] as [Tensor, { note: Tensor }];
    expectTypeOf(tg.valueAndGrad(withAux, { hasAux: true })(params)).toEqualTypeOf<[[Tensor, { note: Tensor }], typeof params]>();
    expectTypeOf(tg.treeMap((leaf) => tg.neg(leaf), params)).toEqualTypeOf<typeof params>();
    expectTypeOf(tg.treeMap((leaf) => leaf.shape, params)).toEqualTypeOf<{ w: readonly number[]; b: (readonly number[])[] }>();
    const [gx, gp] = tg.grad(f, { argnums: [1, 0] })(params, x, 'a');
    expect(gx.toArray()).toEqual([4, 5]);
    expect(gp.b[0].toArray()).toEqual([2]);
  });
});
