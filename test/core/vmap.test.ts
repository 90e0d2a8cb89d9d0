/**
 * vmap over pytrees and its composition with grad, jvp, jit and itself; per-example gradients of a
 * small MLP against a loop; and the errors for axes that do not fit. Float64 on the reference backend.
 */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import type { BatchRule } from '../../core/batching/rule.js';
import { batchRules } from '../../core/batching/rules.js';
import { randomTensor } from '../support/draw.js';

const onReference = <T>(fn: () => T) => () => tg.withBackend('reference', fn);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Example b of x along axis. */
const exampleOf = (x: Tensor, b: number, axis = 0) => tg.squeeze(tg.sliceAxis(x, axis, b, b + 1), axis);
const close = (actual: Tensor, expected: Tensor, tolerance = 1e-12) => {
  expect(actual.shape).toEqual(expected.shape);
  const e = expected.dataSync();
  actual.dataSync().forEach((value, i) => expect(Math.abs(value - e[i])).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e[i]))));
};

type Mlp = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
const initMlp = (seed: number, inputs: number, hidden: number, classes: number): Mlp => ({
  w1: randomTensor([inputs, hidden], seed, { min: -0.5, max: 0.5 }),
  b1: randomTensor([hidden], seed + 1, { min: -0.1, max: 0.1 }),
  w2: randomTensor([hidden, classes], seed + 2, { min: -0.5, max: 0.5 }),
  b2: randomTensor([classes], seed + 3, { min: -0.1, max: 0.1 }),
});
/** One example's loss: x [inputs], target [classes] one-hot. */
const mlpLoss = (p: Mlp, x: Tensor, target: Tensor) => {
  const hidden = tg.relu(tg.add(tg.matmul(tg.reshape(x, [1, -1]), p.w1), p.b1));
  const logits = tg.add(tg.matmul(hidden, p.w2), p.b2);
  return tg.crossEntropy(logits, tg.reshape(target, [1, -1]));
};
const oneHot = (labels: number[], classes: number) => tg.tensor(labels.map((l) => range(classes).map((c) => (c === l ? 1 : 0))), { dtype: 'float64' });

describe('vmap', () => {
  it(
    'maps over pytrees with per-leaf inAxes and outAxes',
    onReference(() => {
      const params = { w: randomTensor([3], 1), b: randomTensor([4, 3], 2) };
      const pair = [randomTensor([3, 4], 3), randomTensor([4], 4)];
      const f = (p: { w: Tensor; b: Tensor }, [x, y]: Tensor[]) => ({ out: tg.add(tg.mul(p.w, x), p.b), scale: tg.mul(tg.sum(p.w), y), shared: tg.exp(p.w) });
      const got = tg.vmap(f, { inAxes: [{ w: null, b: 0 }, [1, 0]], outAxes: { out: 1, scale: 0, shared: null } })(params, pair);
      const loop = range(4).map((b) => f({ w: params.w, b: exampleOf(params.b, b) }, [exampleOf(pair[0], b, 1), exampleOf(pair[1], b)]));
      close(got.out, tg.stack(loop.map((r) => r.out), 1));
      close(got.scale, tg.stack(loop.map((r) => r.scale)));
      close(got.shared, tg.exp(params.w));
    }),
  );

  it(
    'repeats an output that does not depend on the batch along its out-axis, and leaves plain values alone',
    onReference(() => {
      const c = randomTensor([2], 5);
      const got = tg.vmap((x: Tensor, scale: number) => [c, tg.mul(x, scale)], { inAxes: [0, null], outAxes: [1, 0] })(randomTensor([3, 2], 6), 2);
      close(got[0], tg.stack([c, c, c], 1));
      expect(got[1].shape).toEqual([3, 2]);
    }),
  );

  it(
    'maps over an empty batch',
    onReference(() => {
      const got = tg.vmap((x: Tensor) => tg.sum(tg.exp(x)))(tg.zeros([0, 3], 'float64'));
      expect(got.shape).toEqual([0]);
    }),
  );

  it(
    'perExampleGradientsOfAnMlpEqualALoop: vmap(grad(loss), {inAxes: [null, 0, 0]})',
    onReference(() => {
      const params = initMlp(11, 6, 5, 3);
      const xs = randomTensor([4, 6], 12);
      const targets = oneHot([0, 2, 1, 2], 3);
      const batched = tg.vmap(tg.grad(mlpLoss), { inAxes: [null, 0, 0] })(params, xs, targets) as Mlp;
      const loop = range(4).map((b) => tg.grad(mlpLoss)(params, exampleOf(xs, b), exampleOf(targets, b)) as Mlp);
      for (const key of ['w1', 'b1', 'w2', 'b2'] as const) close(batched[key], tg.stack(loop.map((g) => g[key])));
    }),
  );

  it(
    'runs per-example gradients as batched kernels: the matmul launches do not grow with the batch',
    onReference(() => {
      const params = initMlp(13, 6, 5, 3);
      const matmul = tg.opTable.matmul as { forward: (...args: any[]) => unknown };
      const original = matmul.forward;
      let launches = 0;
      matmul.forward = (...args) => (launches++, original(...args));
      try {
        const count = (batch: number) => {
          const xs = randomTensor([batch, 6], 14);
          const targets = oneHot(range(batch).map((b) => b % 3), 3);
          const before = launches;
          tg.vmap(tg.grad(mlpLoss), { inAxes: [null, 0, 0] })(params, xs, targets);
          return launches - before;
        };
        expect(count(2)).toBe(count(16));
        // the trace on one example and the batched run: a few matmuls each, not one per example
        expect(count(16)).toBeLessThan(16);
      } finally {
        matmul.forward = original;
      }
    }),
  );

  it(
    'composes under grad: grad of a sum of per-example losses equals the gradient of the loop',
    onReference(() => {
      const params = initMlp(21, 4, 3, 2);
      const xs = randomTensor([3, 4], 22);
      const targets = oneHot([1, 0, 1], 2);
      const viaVmap = tg.grad((p: Mlp) => tg.sum(tg.vmap(mlpLoss, { inAxes: [null, 0, 0] })(p, xs, targets)))(params) as Mlp;
      const viaLoop = tg.grad((p: Mlp) => range(3).map((b) => mlpLoss(p, exampleOf(xs, b), exampleOf(targets, b))).reduce((a, l) => tg.add(a, l)))(params) as Mlp;
      for (const key of ['w1', 'b1', 'w2', 'b2'] as const) close(viaVmap[key], viaLoop[key]);
    }),
  );

  it('passes checkGrads (jvp and vjp of vmap against finite differences, orders 1 and 2)', () => {
    const f = tg.vmap((x: Tensor, w: Tensor) => tg.sum(tg.tanh(tg.matmul(tg.reshape(x, [1, 3]), w))), { inAxes: [1, null] });
    tg.checkGrads(f, [randomTensor([3, 4], 31), randomTensor([3, 2], 32)], { order: 2 });
  });

  it(
    'composes with jvp in both orders',
    onReference(() => {
      const f = (x: Tensor) => tg.mul(tg.sin(x), tg.sum(tg.square(x)));
      const xs = randomTensor([3, 4], 41);
      const ts = randomTensor([3, 4], 42);
      const [out, tangent] = tg.jvp(tg.vmap(f), [xs], [ts]);
      const loop = range(3).map((b) => tg.jvp(f, [exampleOf(xs, b)], [exampleOf(ts, b)]));
      close(out, tg.stack(loop.map(([o]) => o)));
      close(tangent, tg.stack(loop.map(([, t]) => t)));
      close(tg.vmap((x: Tensor, t: Tensor) => tg.jvp(f, [x], [t])[1])(xs, ts), tangent);
    }),
  );

  it(
    'composes with jit in both orders, replaying with new arguments',
    onReference(() => {
      const f = (x: Tensor, w: Tensor) => tg.softmax(tg.matmul(tg.reshape(x, [1, 3]), w));
      const w = randomTensor([3, 2], 51);
      const jitted = tg.jit(tg.vmap(f, { inAxes: [0, null] }));
      const inner = tg.vmap(tg.jit(f), { inAxes: [0, null] });
      for (const seed of [52, 53]) {
        const xs = randomTensor([4, 3], seed);
        const eager = tg.stack(range(4).map((b) => f(exampleOf(xs, b), w)));
        close(jitted(xs, w), eager);
        close(inner(xs, w), eager);
      }
    }),
  );

  it(
    'sees through closures: work on a closed-over tensor, done once while tracing, stays linked for grad and jit',
    onReference(() => {
      const xs = randomTensor([2, 3], 55);
      const mapped = (p: Tensor) => tg.vmap((x: Tensor) => tg.sum(tg.tanh(tg.mul(tg.exp(p), x))))(xs);
      const loop = (p: Tensor) => tg.stack(range(2).map((b) => tg.sum(tg.tanh(tg.mul(tg.exp(p), exampleOf(xs, b))))));
      const w = randomTensor([3], 56);
      close(tg.grad((p: Tensor) => tg.sum(mapped(p)))(w), tg.grad((p: Tensor) => tg.sum(loop(p)))(w));
      // exp(p) does not depend on the examples: vmap computes it once while tracing, and jit must still see it
      const jitted = tg.jit(mapped);
      jitted(w);
      close(jitted(tg.mul(w, 2)), loop(tg.mul(w, 2)));
    }),
  );

  it(
    'composes with itself: vmap(vmap(f)) equals a double loop',
    onReference(() => {
      const f = (x: Tensor, y: Tensor) => tg.sum(tg.mul(x, y), { axis: -1 });
      const xs = randomTensor([2, 3, 4], 61);
      const ys = randomTensor([4, 3], 62);
      // outer over xs axis 0 with ys shared; inner over the rows of x and the columns of ys
      const got = tg.vmap((x: Tensor) => tg.vmap(f, { inAxes: [0, 1] })(x, ys), { inAxes: 0, outAxes: 1 })(xs);
      const loop = range(2).map((a) => tg.stack(range(3).map((b) => f(exampleOf(exampleOf(xs, a), b), exampleOf(ys, b, 1)))));
      close(got, tg.stack(loop, 1));
    }),
  );

  it(
    'draws per key: vmap over a stack of keys equals drawing with each key',
    onReference(() => {
      const keys = tg.random.split(tg.random.key(3), 4);
      const dropout = (key: Tensor, x: Tensor) => tg.mul(x, tg.random.bernoulli(key, 0.5, x.shape, { dtype: 'float64' }));
      const x = randomTensor([6], 71);
      const got = tg.vmap(dropout, { inAxes: [0, null] })(tg.stack(keys), x);
      close(got, tg.stack(keys.map((k) => dropout(k, x))));
    }),
  );

  it(
    'keeps stopGradient: under grad, gradients do not flow through a stopped value inside vmap',
    onReference(() => {
      const xs = randomTensor([3, 2], 81);
      const g = tg.grad((x: Tensor) => tg.sum(tg.vmap((v: Tensor) => tg.mul(tg.stopGradient(v), v))(x)))(xs);
      close(g, xs);
    }),
  );
});

describe('vmap refuses what it cannot batch', () => {
  const customSin = tg.customVjp((x: Tensor) => tg.sin(x), { forward: (x) => [tg.sin(x), x], backward: (x: Tensor, ct) => [tg.mul(ct, tg.cos(x))] });

  it('names the op whose batching rule gives the wrong shape', () => {
    const rules = batchRules as Record<string, BatchRule>;
    const original = rules.exp;
    rules.exp = (args) => ({ ...original(args), axis: null });
    try {
      const call = () => tg.vmap(tg.exp)(tg.zeros([3, 2]));
      expect(call).toThrow(tg.TransformError);
      expect(call).toThrow("vmap: the batching rule of exp gave float32 [3, 2] with the batch axis at null, but one example's output is float32 [2] (3 examples)");
    } finally {
      rules.exp = original;
    }
  });

  it('batches the backward of a customVjp function under vmap(grad(f)) (the user rule runs on the trace as ordinary ops)', () => {
    const xs = tg.tensor([[0.1, 0.2], [0.3, 0.4]], { dtype: 'float64' });
    close(tg.vmap(tg.grad((x: Tensor) => tg.sum(customSin(x))))(xs), tg.cos(xs));
  });

  it('customVjpUnderGradOfVmapIsRefusedNotZero: grad(vmap(f)) through a customVjp function refuses instead of giving zeros', () => {
    const xs = tg.tensor([[0.1, 0.2], [0.3, 0.4]], { dtype: 'float64' });
    expect(() => tg.grad((x: Tensor) => tg.sum(tg.vmap(customSin)(x)))(xs)).toThrow('vmap: customVjp');
  });

  it('customVjpUnderJitOfVmapIsRefused: a jit trace could replay it under grad, so the user rule must not be dropped', () => {
    const xs = tg.tensor([[0.1, 0.2], [0.3, 0.4]], { dtype: 'float64' });
    expect(() => tg.jit(tg.vmap(customSin))(xs)).toThrow('vmap: customVjp');
  });

  it('vmap of a customVjp function alone batches its forward', () => {
    const xs = tg.tensor([[0.1, 0.2], [0.3, 0.4]], { dtype: 'float64' });
    close(tg.vmap(customSin)(xs), tg.sin(xs));
  });
});

describe('vmap refuses axes that do not fit', () => {
  const x = tg.zeros([3, 2]);
  const cases: [string, () => unknown, typeof tg.TapegradError, string][] = [
    ['inAxes of the wrong length', () => tg.vmap((a: Tensor, b: Tensor) => tg.add(a, b), { inAxes: [0] })(x, x), tg.OptionError, 'vmap: inAxes has 1 entries but f got 2 arguments; give one entry per argument, or one axis for all'],
    ['inAxes of the wrong structure', () => tg.vmap((p: { w: Tensor }) => p.w, { inAxes: [{ v: 0 }] })({ w: x }), tg.OptionError, 'vmap: inAxes for argument 0 is {"v":0} but that node is {w: *}; give an axis (or null) for the whole node, or match its structure'],
    ['an in-axis out of range', () => tg.vmap((p: { w: Tensor }) => p.w, { inAxes: [{ w: 2 }] })({ w: x }), tg.OptionError, 'vmap: inAxes for argument 0, leaf .w is 2, but that leaf has shape [3, 2] (allowed: -2..1, or null)'],
    ['batch sizes that differ', () => tg.vmap((a: Tensor, b: Tensor[]) => tg.add(a, b[0]), { inAxes: [0, 1] })(x, [x]), tg.TransformError, 'vmap: the batch axes differ in size: argument 0 has 3 along axis 0 but argument 1, leaf [0] has 2 along axis 1; every batched argument needs the same number of examples'],
    ['no batched argument', () => tg.vmap((a: Tensor) => a, { inAxes: null })(x), tg.TransformError, 'vmap: no argument has a batch axis (every inAxes is null); give at least one argument a batch axis'],
    ['an out-axis out of range', () => tg.vmap((a: Tensor) => a, { outAxes: 2 })(x), tg.OptionError, 'vmap: outAxes for the output is 2, but one example of it has shape [2] (allowed: -2..1, or null)'],
    ['outAxes null for a batched output', () => tg.vmap((a: Tensor) => [a, a], { outAxes: [0, null] })(x), tg.TransformError, 'vmap: outAxes for the output, leaf [1] is null, but it differs between examples; give it a batch axis'],
    ['an axis for a plain number', () => tg.vmap((a: Tensor, s: number) => tg.mul(a, s))(x, 2), tg.OptionError, 'vmap: inAxes for argument 1 is 0, but argument 1 is 2, not a tensor; give it inAxes null'],
    ['an unknown option', () => tg.vmap((a: Tensor) => a, { inAxis: 0 } as never), tg.OptionError, 'vmap: unknown option "inAxis"; allowed: inAxes, outAxes'],
  ];
  for (const [what, call, errorClass, message] of cases) {
    it(`refuses ${what} (${errorClass.name})`, () => {
      expect(call).toThrow(errorClass);
      expect(call).toThrow(message);
    });
  }
});
