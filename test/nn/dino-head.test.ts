/**
 * DINOHead: golden vectors (`dino_head_cases`: output and the gradient of sum(out · probe_R) w.r.t.
 * x and every parameter) at 1e-9, gradient checks with trainable and frozen g, official names, init.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkGrads, flattenNamed, grad, mul, sum, type Tensor } from '../../core/index.js';
import { random } from '../../core/random.js';
import { dinoHead, initDinoHead, type DinoHeadParams } from '../../nn/index.js';
import { randomTensor, seedArb } from '../support/draw.js';
import { f64, fixtureErrors, loadFixture, maxAbsDiff, paramsFromNamed, record } from '../support/golden.js';
import { gradCheckOptions, randomizeParams } from './draw-params.js';

const dino = loadFixture('dino.json');
const tolerance = 1e-9;

afterAll(() => console.log('largest |error| per fixture group:', Object.fromEntries(fixtureErrors)));

describe('dino_head_cases (dino.json)', () => {
  for (const c of dino.dino_head_cases) {
    const params = paramsFromNamed(c.params) as DinoHeadParams;
    const x = f64(c.x);
    const probe = f64(c.probe_R);
    // the fixture's scalar: objective = sum(out · probe_R)
    const objective = (normLastLayer: boolean) => (p: DinoHeadParams, input: Tensor) => sum(mul(dinoHead(p, input, { normLastLayer }), probe));

    it(`${c.name}: output and every gradient (g trainable)`, () => {
      expect(record('dino_head_cases out', maxAbsDiff(dinoHead(params, x, { normLastLayer: false }), c.out))).toBeLessThan(tolerance);
      const [paramGrads, inputGrad] = grad(objective(false), { argnums: [0, 1] })(params, x);
      expect(record('dino_head_cases grads', maxAbsDiff(inputGrad, c.grads.x))).toBeLessThan(tolerance);
      const named = flattenNamed(paramGrads);
      expect(Object.keys(named).sort()).toEqual(Object.keys(c.grads).filter((k) => k !== 'x').sort());
      for (const [name, expected] of Object.entries(c.grads)) {
        if (name !== 'x') expect(record('dino_head_cases grads', maxAbsDiff(named[name], expected as any))).toBeLessThan(tolerance);
      }
    });

    it(`${c.name}: with normLastLayer the output is the same and g gets no gradient`, () => {
      expect(maxAbsDiff(dinoHead(params, x), c.out)).toBeLessThan(tolerance);
      const named = flattenNamed(grad(objective(true))(params, x));
      expect(Array.from(named['last_layer.weight_g'].dataSync()).every((v) => v === 0)).toBe(true);
      expect(maxAbsDiff(named['last_layer.weight_v'], c.grads['last_layer.weight_v'])).toBeLessThan(tolerance);
    });
  }
});

describe('dinoHead gradients', () => {
  const drawn = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 4 }), seedArb);

  it('are correct with a trainable g (numRuns 10)', () => {
    fc.assert(
      fc.property(drawn, ([nlayers, batch, width, outDim, seed]) => {
        const config = { inDim: width, outDim, nlayers, hiddenDim: width + 1, bottleneckDim: width, normLastLayer: false, dtype: 'float64' as const };
        const params = randomizeParams(initDinoHead(random.key(seed), config), seed);
        const x = randomTensor([batch, width], seed + 1);
        checkGrads((p: DinoHeadParams, input: Tensor) => dinoHead(p, input, { normLastLayer: false }), [params, x], gradCheckOptions);
      }),
      { numRuns: 10 },
    );
  });

  it('are correct with a frozen g, which gets exactly zero (numRuns 10)', () => {
    fc.assert(
      fc.property(drawn, ([nlayers, batch, width, outDim, seed]) => {
        const config = { inDim: width, outDim, nlayers, hiddenDim: width + 1, bottleneckDim: width, dtype: 'float64' as const };
        const { last_layer, mlp } = randomizeParams(initDinoHead(random.key(seed), config), seed);
        const g = last_layer.weight_g;
        const x = randomTensor([batch, width], seed + 1);
        // g is held fixed: finite differences must not move it
        const head = (m: DinoHeadParams['mlp'], v: Tensor, input: Tensor) => dinoHead({ mlp: m, last_layer: { weight_g: g, weight_v: v } }, input);
        checkGrads(head, [mlp, last_layer.weight_v, x], gradCheckOptions);
        const gGrad: Tensor = grad((p: DinoHeadParams) => sum(dinoHead(p, x)))({ mlp, last_layer }).last_layer.weight_g;
        expect(Array.from(gGrad.dataSync()).every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 10 },
    );
  });
});

describe('dinoHead structure and init', () => {
  it('names Sequential entries as PyTorch: mlp.0/2/4, mlp.* for one layer, BatchNorm at odd indices', () => {
    const names = (config: object) => Object.keys(flattenNamed(initDinoHead(random.key(0), { inDim: 3, outDim: 5, hiddenDim: 4, bottleneckDim: 2, ...config })));
    expect(names({})).toEqual(['mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias', 'mlp.4.weight', 'mlp.4.bias', 'last_layer.weight_g', 'last_layer.weight_v']);
    expect(names({ nlayers: 1 })).toEqual(['mlp.weight', 'mlp.bias', 'last_layer.weight_g', 'last_layer.weight_v']);
    expect(names({ nlayers: 2, useBn: true })).toEqual(['mlp.0.weight', 'mlp.0.bias', 'mlp.1.weight', 'mlp.1.bias', 'mlp.3.weight', 'mlp.3.bias', 'last_layer.weight_g', 'last_layer.weight_v']);
  });

  it('initialises g = 1 [K, 1] and v with the default Linear init U(±1/√bottleneck); logits are cosines', () => {
    const params = initDinoHead(random.key(4), { inDim: 8, outDim: 300, hiddenDim: 16, bottleneckDim: 64, dtype: 'float64' });
    expect(params.last_layer.weight_g.shape).toEqual([300, 1]);
    expect(Array.from(params.last_layer.weight_g.dataSync()).every((g) => g === 1)).toBe(true);
    const v = Array.from(params.last_layer.weight_v.dataSync());
    const largest = v.reduce((m, a) => Math.max(m, Math.abs(a)), 0);
    expect(largest).toBeLessThanOrEqual(1 / 8);
    expect(largest).toBeGreaterThan(0.12); // 19200 uniform draws come close to the bound
    const out = Array.from(dinoHead(params, randomTensor([5, 8], 5, { min: -3, max: 3 })).dataSync());
    expect(out.every((logit) => Math.abs(logit) <= 1 + 1e-12)).toBe(true);
  });
});
