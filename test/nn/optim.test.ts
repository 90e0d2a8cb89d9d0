/**
 * Optimisers, clipping and schedules: AdamW against a hand-derived two-step example and an
 * independent scalar formula, parameter groups (function and mask), frozen and gradient-less
 * parameters, SGD with momentum, DINO's per-parameter clipping, the global-norm clip, and
 * `schedules.cosine_scheduler` from dino.json.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OptionError, tensor, type Tensor } from '../../core/index.js';
import { adamw, adamwPlan, clipByGlobalNorm, clipGradientsPerParam, cosineScheduler, dinoParamGroups, initAdamw, initSgd, sgd } from '../../nn/index.js';
import { fixtureErrors, loadFixture, record } from '../support/golden.js';

const dino = loadFixture('dino.json');
const t = (values: number[] | number[][]) => tensor(values, { dtype: 'float64' });
const values = (x: Tensor) => Array.from(x.dataSync());

afterAll(() => console.log('largest |error| per fixture group:', Object.fromEntries(fixtureErrors)));

/** Textbook Adam with decoupled decay on one scalar, written independently of nn/optim.ts. */
function scalarAdamw(p: number, grads: number[], { lr, wd, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }: { lr: number; wd: number; beta1?: number; beta2?: number; eps?: number }): number {
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const step = i + 1;
    p -= lr * wd * p;
    m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g * g;
    const mHat = m / (1 - beta1 ** step);
    const vHat = v / (1 - beta2 ** step);
    p -= (lr * mHat) / (Math.sqrt(vHat) + eps);
  });
  return p;
}

describe('adamw', () => {
  it('matches a hand-derived two-step example', () => {
    // p = 1, lr 0.1, wd 0.01, betas (0.9, 0.999), eps 1e-8, grads 0.5 then −0.2.
    // step 1: decay p = 1·(1 − 0.1·0.01) = 0.999; m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25, √v̂ = 0.5;
    //         p = 0.999 − 0.1·0.5/(0.5 + 1e-8) = 0.999 − 0.099999998 = 0.899000002
    // step 2: decay p = 0.899000002·0.999 = 0.898101001998; m = 0.045 − 0.02 = 0.025,
    //         v = 0.00024975 + 0.00004 = 0.00028975; m̂ = 0.025/0.19 = 0.1315789474, v̂ = 0.00028975/0.001999
    //         = 0.1449474737, √v̂ = 0.3807196787; p = 0.898101001998 − 0.1·0.1315789474/(0.3807196787 + 1e-8)
    //         = 0.898101001998 − 0.0345605839 = 0.8635404181
    const hparams = { lr: 0.1, weightDecay: 0.01 };
    let params: any = { w: t([1]) };
    let state = initAdamw();
    ({ params, state } = adamw(params, { w: t([0.5]) }, state, hparams));
    expect(values(params.w)[0]).toBeCloseTo(0.899000002, 14);
    ({ params, state } = adamw(params, { w: t([-0.2]) }, state, hparams));
    expect(values(params.w)[0]).toBeCloseTo(0.8635404181, 10);
    expect(state.w.step).toBe(2);
  });

  it('agrees with the independent scalar formula elementwise over several steps and betas', () => {
    const gradients = [[0.3, -1.2, 2], [0.1, 0.4, -0.5], [-0.7, 0.2, 0.05], [1.5, -0.3, 0.9]];
    const start = [0.5, -2, 1.25];
    const hparams = { lr: 0.03, weightDecay: 0.04, betas: [0.9, 0.95] as const };
    let params: any = { w: t(start) };
    let state = initAdamw();
    for (const g of gradients) ({ params, state } = adamw(params, { w: t(g) }, state, hparams));
    start.forEach((p, i) => {
      const expected = scalarAdamw(p, gradients.map((g) => g[i]), { lr: 0.03, wd: 0.04, beta2: 0.95 });
      expect(values(params.w)[i]).toBeCloseTo(expected, 13);
    });
  });

  it("applies DINO's groups: decay for weights (and cls_token), none for biases and 1-D tensors; frozen is untouched", () => {
    const params = {
      cls_token: t([[2]]),
      blocks: [{ norm1: { weight: t([2]), bias: t([2]) }, attn: { qkv: { weight: t([[2]]), bias: t([2]) } } }],
      last_layer: { weight_g: t([[2]]), weight_v: t([[2]]) },
    };
    const zeroGrads = {
      cls_token: t([[0]]),
      blocks: [{ norm1: { weight: t([0]), bias: t([0]) }, attn: { qkv: { weight: t([[0]]), bias: t([0]) } } }],
      last_layer: { weight_g: t([[0]]), weight_v: t([[0]]) },
    };
    const groups = dinoParamGroups(['last_layer.weight_g']);
    const { params: next, state } = adamw(params, zeroGrads, initAdamw(), { lr: 0.5, weightDecay: 0.1, groups }) as any;
    // a zero gradient leaves only the decay: p·(1 − 0.05)
    expect(values(next.cls_token)[0]).toBeCloseTo(1.9, 14);
    expect(values(next.blocks[0].attn.qkv.weight)[0]).toBeCloseTo(1.9, 14);
    expect(values(next.last_layer.weight_v)[0]).toBeCloseTo(1.9, 14);
    expect(values(next.blocks[0].norm1.weight)[0]).toBe(2);
    expect(values(next.blocks[0].attn.qkv.bias)[0]).toBe(2);
    expect(next.last_layer.weight_g).toBe(params.last_layer.weight_g);
    expect(Object.keys(state).sort()).toEqual(['blocks.0.attn.qkv.bias', 'blocks.0.attn.qkv.weight', 'blocks.0.norm1.bias', 'blocks.0.norm1.weight', 'cls_token', 'last_layer.weight_v']);
  });

  it('takes a mask tree (a leaf covers its subtree) and skips parameters whose gradient is null', () => {
    const params = { backbone: { a: t([1]), b: t([1]) }, head: { c: t([1]) } };
    const grads = { backbone: { a: t([0]), b: null }, head: { c: t([0]) } };
    const mask = { backbone: true, head: { c: 'noDecay' } } as const;
    const { params: next, state } = adamw(params as any, grads as any, initAdamw(), { lr: 1, weightDecay: 0.5, groups: mask }) as any;
    expect(values(next.backbone.a)[0]).toBeCloseTo(0.5, 14);
    expect(next.backbone.b).toBe(params.backbone.b);
    expect(values(next.head.c)[0]).toBe(1);
    expect(state['backbone.b']).toBeUndefined();
    expect(() => adamw(params as any, grads as any, initAdamw(), { lr: 1, groups: { backbone: true } as any })).toThrow(/no entry for parameter head.c/);
  });

  it('plans only trainable parameters: a boolean mask tree and a name predicate agree, and a missing entry is an OptionError', () => {
    const params = { backbone: { a: t([1]), b: t([2, 3]) }, head: { last_layer: { w: t([[1]]) } } };
    const hparams = { lr: 0.1, weightDecay: 0.5 };
    const byMask = adamwPlan(params, initAdamw(), { ...hparams, trainable: { backbone: true, head: { last_layer: false } } });
    const byName = adamwPlan(params, initAdamw(), { ...hparams, trainable: (name) => !name.includes('last_layer') });
    expect(Object.keys(byMask)).toEqual(['backbone.a', 'backbone.b']);
    expect(byName).toEqual(byMask);
    // step 1: decayFactor = 1 − lr·wd, stepSize = lr/(1 − 0.9), biasSqrt = √(1 − 0.999)
    expect(byMask['backbone.a'].coefficients.decayFactor).toBeCloseTo(0.95, 15);
    expect(byMask['backbone.a'].coefficients.stepSize).toBeCloseTo(1, 14);
    expect(byMask['backbone.a'].coefficients.biasSqrt).toBeCloseTo(Math.sqrt(0.001), 15);
    expect(Object.keys(adamwPlan(params, initAdamw(), hparams))).toEqual(['backbone.a', 'backbone.b', 'head.last_layer.w']);
    expect(() => adamwPlan(params, initAdamw(), { ...hparams, trainable: { backbone: true } })).toThrow(OptionError);
    expect(() => adamwPlan(params, initAdamw(), { ...hparams, trainable: () => 1 as unknown as boolean })).toThrow(OptionError);
  });

  it('combines trainable with the gradients it is given: a parameter needs both to move', () => {
    const params = { a: t([1]), b: t([1]), c: t([1]) };
    const grads = { a: t([1]), b: t([1]), c: null };
    const { params: next, state } = adamw(params, grads as any, initAdamw(), { lr: 0.1, weightDecay: 0, trainable: { a: true, b: false, c: true } }) as any;
    expect(values(next.a)[0]).toBeCloseTo(scalarAdamw(1, [1], { lr: 0.1, wd: 0 }), 14);
    expect(next.b).toBe(params.b);
    expect(next.c).toBe(params.c);
    expect(Object.keys(state)).toEqual(['a']);
  });

  it('keeps a step count per parameter: one that starts late gets its own bias correction', () => {
    const params = { a: t([1]), b: t([1]) };
    let state = initAdamw();
    let current: any = params;
    ({ params: current, state } = adamw(current, { a: t([0.5]), b: null } as any, state, { lr: 0.1, weightDecay: 0 }));
    ({ params: current, state } = adamw(current, { a: t([0.5]), b: t([0.5]) }, state, { lr: 0.1, weightDecay: 0 }));
    expect(state.a.step).toBe(2);
    expect(state.b.step).toBe(1);
    expect(values(current.b)[0]).toBeCloseTo(scalarAdamw(1, [0.5], { lr: 0.1, wd: 0 }), 14);
  });

  it('rejects bad hyper-parameters and gradients of the wrong shape', () => {
    expect(() => adamw({ w: t([1]) }, { w: t([1]) }, initAdamw(), { lr: 0.1, betas: [1, 0.999] })).toThrow(OptionError);
    expect(() => adamw({ w: t([1]) }, { w: t([1, 2]) }, initAdamw(), { lr: 0.1 })).toThrow(/gradient of w is float64 \[2\] but the parameter is float64 \[1\]/);
  });
});

describe('sgd', () => {
  it('follows torch: buffer = g on the first step, then μ·buf + g; coupled weight decay', () => {
    // p = 1, lr 0.1, μ 0.9, wd 0.1: d₁ = 0.5 + 0.1 = 0.6, buf = 0.6, p = 1 − 0.06 = 0.94
    // d₂ = −0.2 + 0.094 = −0.106, buf = 0.54 − 0.106 = 0.434, p = 0.94 − 0.0434 = 0.8966
    let params: any = { w: t([1]) };
    let state = initSgd();
    const hparams = { lr: 0.1, momentum: 0.9, weightDecay: 0.1 };
    ({ params, state } = sgd(params, { w: t([0.5]) }, state, hparams));
    expect(values(params.w)[0]).toBeCloseTo(0.94, 14);
    ({ params, state } = sgd(params, { w: t([-0.2]) }, state, hparams));
    expect(values(params.w)[0]).toBeCloseTo(0.8966, 14);
    expect(values(state.w.momentumBuffer)[0]).toBeCloseTo(0.434, 14);
  });
});

describe('clipping', () => {
  it("clipGradientsPerParam: each tensor by its own norm, coef = max/(norm + 1e-6) when below 1 (DINO's rule)", () => {
    const grads = { a: t([3, 4]), b: t([0.6, 0.8]), none: null };
    const { grads: clipped, norms } = clipGradientsPerParam(grads as any, 3) as any;
    expect(norms.map((n: Tensor) => n.item())).toEqual([5, 1]);
    const coef = 3 / (5 + 1e-6);
    expect(values(clipped.a)).toEqual([3 * coef, 4 * coef]);
    expect(values(clipped.b)).toEqual(values(grads.b));
    expect(clipped.none).toBeNull();
  });

  it('clipByGlobalNorm: all tensors by the norm of the norms', () => {
    const grads = { a: t([3, 4]), b: t([1]) };
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1) as any;
    expect(norm.item()).toBeCloseTo(Math.sqrt(26), 14);
    const coef = 1 / (Math.sqrt(26) + 1e-6);
    expect(values(clipped.a)[1]).toBeCloseTo(4 * coef, 15);
    expect(values(clipped.b)[0]).toBeCloseTo(coef, 15);
    expect(clipByGlobalNorm({ none: null }, 1).norm.item()).toBe(0);
    const unclipped = clipByGlobalNorm(grads, 10).grads as typeof grads;
    expect([values(unclipped.a), values(unclipped.b)]).toEqual([values(grads.a), values(grads.b)]);
  });
});

describe('schedules.cosine_scheduler (dino.json)', () => {
  for (const c of dino.schedules.cosine_scheduler) {
    it(c.note, () => {
      const a = c.args;
      const ours = cosineScheduler({
        baseValue: a.base_value, finalValue: a.final_value, epochs: a.epochs, niterPerEp: a.niter_per_ep,
        warmupEpochs: a.warmup_epochs, startWarmupValue: a.start_warmup_value,
      });
      expect(ours).toHaveLength(c.values.length);
      const error = ours.reduce((worst, v, i) => Math.max(worst, Math.abs(v - c.values[i])), 0);
      expect(record('schedules.cosine_scheduler', error)).toBeLessThan(1e-9);
    });
  }

  it('starts at the warmup start, repeats the base value, never reaches the final value', () => {
    const lr = cosineScheduler({ baseValue: 1, finalValue: 0, epochs: 4, niterPerEp: 2, warmupEpochs: 1 });
    expect(lr[0]).toBe(0);
    expect(lr[1]).toBe(1);
    expect(lr[2]).toBe(1);
    expect(Math.min(...lr.slice(1))).toBeGreaterThan(0);
  });
});
