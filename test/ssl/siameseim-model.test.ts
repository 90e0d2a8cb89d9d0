/**
 * The SiameseIM model and training step on a tiny configuration: shapes, what carries gradients,
 * float64 gradient checks of the p_b path and of the whole online branch, a smoke test of
 * `siameseimStep` for the three variants, and its refusal of a non-finite loss.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { random } from '../../core/random.js';
import { blockMasks, maskIndices } from '../../ssl/masks.js';
import { relativePosition, relativePositionFeaturesBatch } from '../../ssl/relative-position.js';
import {
  type SiameseimParams,
  encodeOnline,
  encodeTarget,
  gatherTokens,
  initSiameseim,
  relativePositionEmbedding,
  siameseimConfig,
  siameseimForward,
  targetParamsOf,
} from '../../ssl/siameseim.js';
import { siameseimLoss } from '../../ssl/siameseim-loss.js';
import { type SiameseimTrainConfig, initSiameseimState, jitSiameseimStep, siameseimParamGroups, siameseimStep } from '../../ssl/siameseim-step.js';
import { siameseimMomentum } from '../../ssl/siameseim-schedules.js';
import { cropView, sampleViewPair, siameseimViews } from '../../ssl/siameseim-views.js';
import { NonFiniteLossError } from '../../ssl/errors.js';

const tiny = (dtype: 'float32' | 'float64', norm: 'batchNorm' | 'layerNorm' = 'batchNorm') =>
  siameseimConfig({
    imgSize: 8, patchSize: 2, inChans: 1, embedDim: 8, depth: 1, numHeads: 2, mlpRatio: 2,
    decoderEmbedDim: 8, projectorDepth: 1, predictorDepth: 1, decoderNumHeads: 2,
    projectorNorm: norm, predictorNorm: norm, dtype,
  });

const images = (seed: number, n: number, size: number, dtype: 'float32' | 'float64' = 'float64') => random.normal(random.key(seed), [n, 1, size, size], { dtype });

/** Inputs for the tiny model: N views of 8×8, masks of 10 of 16 patches, relative features of width 2·8. */
function tinyInputs(seed: number, n = 2) {
  const [viewKey, maskKey] = random.split(random.key(seed), 2);
  const { viewA, viewB, pairs } = siameseimViews(viewKey, images(seed + 100, n, 12), 8);
  const { visible } = maskIndices(blockMasks(maskKey, n, { grid: 4, count: 10, minPatches: 2 }));
  const relativeFeatures = relativePositionFeaturesBatch(pairs.map((p) => p.relative), 4, 8, { dtype: 'float64' });
  return { viewA, viewB, visible, relativeFeatures };
}

const leavesEqual = (a: unknown, b: unknown) => {
  const [x, y] = [tg.treeLeaves(a), tg.treeLeaves(b)];
  return x.length === y.length && x.every((t, i) => t.dataSync().every((v, j) => v === y[i].dataSync()[j]));
};

describe('SiameseIM model', () => {
  const config = tiny('float64');
  const params = initSiameseim(random.key(1), config);

  it('names parameters as the official state dict and has the official shapes', () => {
    const names = Object.keys(tg.flattenNamed(params));
    for (const name of ['patch_embed.proj.weight', 'cls_token', 'blocks.0.attn.qkv.weight', 'decoder_embed.weight', 'projector_decoder_blocks.0.norm1.bn.weight', 'mask_token', 'decoder_pos_mlp.weight', 'predictor_decoder_blocks.0.mlp.fc1.weight', 'decoder_pred.bias']) {
      expect(names).toContain(name);
    }
    expect(names.some((n) => n.startsWith('norm.'))).toBe(false);
    expect(params.patch_embed.proj.weight.shape).toEqual([8, 1, 2, 2]);
    expect(params.decoder_pos_mlp.weight.shape).toEqual([8, 16]);
  });

  it('maps a batch to dense predictions and targets of view b, [N, L, D]', () => {
    const inputs = tinyInputs(3);
    const { pred, target } = siameseimForward(params, targetParamsOf(params), inputs, config);
    expect(pred.shape).toEqual([2, 16, 8]);
    expect(target.shape).toEqual([2, 16, 8]);
    expect(encodeOnline(params, inputs.viewA, inputs.visible, config).shape).toEqual([2, 7, 8]);
  });

  it('the target branch is the online encoder and projector on all tokens, cls dropped', () => {
    const x = images(5, 2, 8);
    const all = tg.tensor(Int32Array.from({ length: 32 }, (_, i) => i % 16), { shape: [2, 16] });
    const online = tg.sliceAxis(encodeOnline(params, x, all, config), 1, 1);
    const target = encodeTarget(targetParamsOf(params), x, config);
    const error = Array.from(online.dataSync()).reduce((m, v, i) => Math.max(m, Math.abs(v - target.dataSync()[i])), 0);
    expect(error).toBeLessThan(1e-12);
  });

  it('gathers tokens per sample in the given order', () => {
    const x = tg.tensor(Float64Array.from({ length: 2 * 3 * 2 }, (_, i) => i), { shape: [2, 3, 2] });
    const picked = gatherTokens(x, tg.tensor(Int32Array.from([2, 0, 1, 1]), { shape: [2, 2] }));
    expect(picked.toArray()).toEqual([[[4, 5], [0, 1]], [[8, 9], [8, 9]]]);
  });

  it('no gradient reaches the target parameters nor the frozen patch embedding', () => {
    const inputs = tinyInputs(4);
    const target = targetParamsOf(params);
    const [gradOnline, gradTarget] = tg.grad(
      (p: SiameseimParams, t: typeof target) => {
        const out = siameseimForward(p, t, inputs, config);
        return siameseimLoss(out.pred, out.target).loss;
      },
      { argnums: [0, 1] },
    )(params, target) as [SiameseimParams, typeof target];
    expect(tg.treeLeaves(gradTarget).every((g) => g.dataSync().every((v) => v === 0))).toBe(true);
    expect(tg.treeLeaves(gradOnline.patch_embed).every((g) => g.dataSync().every((v) => v === 0))).toBe(true);
    expect(gradOnline.decoder_pos_mlp.weight.dataSync().some((v) => v !== 0)).toBe(true);
    expect(gradOnline.cls_token.dataSync().some((v) => v !== 0)).toBe(true);
  });

  it('p_b path: decoder_pos_mlp on relative features passes float64 checkGrads (10 runs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 3 }), (seed, n) => {
        const keys = random.split(random.key(seed), n + 1);
        const relatives = keys.slice(1).map((k) => sampleViewPair(k, 40, 50).relative);
        const features = relativePositionFeaturesBatch(relatives, 3, 8, { dtype: 'float64' });
        const mlp = initSiameseim(keys[0], tiny('float64')).decoder_pos_mlp;
        const target = random.normal(keys[0], [n, 9, 8], { dtype: 'float64' });
        tg.checkGrads((p: SiameseimParams['decoder_pos_mlp']) => relativePositionEmbedding({ decoder_pos_mlp: p }, features), [mlp]);
        tg.checkGrads((p: SiameseimParams['decoder_pos_mlp']) => siameseimLoss(relativePositionEmbedding({ decoder_pos_mlp: p }, features), target).loss, [mlp]);
      }),
      { numRuns: 10, seed: 8 },
    );
  });

  for (const norm of ['batchNorm', 'layerNorm'] as const) {
    it(`the whole online branch and loss pass float64 checkGrads (${norm} heads)`, () => {
      const cfg = tiny('float64', norm);
      const p = initSiameseim(random.key(2), cfg);
      const inputs = tinyInputs(6);
      const goal = encodeTarget(targetParamsOf(p), inputs.viewB, cfg);
      const trainable = { ...p, patch_embed: undefined };
      tg.checkGrads(
        (q: typeof trainable) => siameseimLoss(siameseimForward({ ...q, patch_embed: p.patch_embed }, targetParamsOf(p), inputs, cfg).pred, goal).loss,
        [trainable],
        { atol: 1e-7, rtol: 1e-5 },
      );
    });
  }
});

describe('SiameseIM views', () => {
  it('crops lie inside the image, in the frame of the view (flipped or not)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 8, max: 60 }), fc.integer({ min: 8, max: 60 }), (seed, h, w) => {
        const pair = sampleViewPair(random.key(seed), h, w);
        const box = pair.a.box;
        expect(pair.relative).toEqual(relativePosition(pair.a, pair.b, w));
        expect(box.top).toBeGreaterThanOrEqual(0);
        expect(box.left).toBeGreaterThanOrEqual(0);
        expect(box.top + box.height).toBeLessThanOrEqual(h);
        expect(box.left + box.width).toBeLessThanOrEqual(w);
        expect(box.height * box.width).toBeGreaterThan(0);
      }),
      { numRuns: 50, seed: 2 },
    );
  });

  it('a flipped view of the whole image equals the mirrored crop of the source box', () => {
    const image = random.normal(random.key(7), [2, 10, 13], { dtype: 'float64' });
    const box = { top: 2, left: 3, height: 6, width: 7 };
    const flipped = cropView(image, { box, flip: true }, 6);
    const source = { ...box, left: 13 - 3 - 7 };
    const mirrored = tg.flip(cropView(image, { box: source, flip: false }, 6), 2);
    const difference = Array.from(flipped.dataSync()).reduce((m, v, i) => Math.max(m, Math.abs(v - mirrored.dataSync()[i])), 0);
    expect(difference).toBeLessThan(1e-12);
    // a crop resized to its own size is the crop itself
    const exact = cropView(image, { box: { top: 1, left: 2, height: 4, width: 4 }, flip: false }, 4);
    expect(exact.toArray()).toEqual(tg.slice(image, [null, { start: 1, stop: 5 }, { start: 2, stop: 6 }]).toArray());
  });

  it('flips each view with probability ½, independently, and crops with scale ≥ 0.08 (400 pairs)', () => {
    let flipsA = 0;
    let flipsB = 0;
    let relativeFlips = 0;
    for (let seed = 0; seed < 400; seed++) {
      const { a, b, relative } = sampleViewPair(random.key(seed), 100, 120);
      flipsA += Number(a.flip);
      flipsB += Number(b.flip);
      relativeFlips += Number(relative.relativeFlip);
      expect(a.box.height * a.box.width).toBeGreaterThanOrEqual(0.08 * 100 * 120 * 0.9);
    }
    for (const count of [flipsA, flipsB, relativeFlips]) expect(Math.abs(count - 200)).toBeLessThan(45);
  });

  it('sameView gives the identity relation (the MIM baseline)', () => {
    const pair = sampleViewPair(random.key(3), 30, 40, { sameView: true });
    expect(pair.relative).toMatchObject({ di: 0, dj: 0, dh: 1, dw: 1, relativeFlip: false });
    expect(relativePosition(pair.a, pair.b, 40)).toEqual(pair.relative);
  });
});

describe('siameseimStep', () => {
  const model = tiny('float32');
  const base: SiameseimTrainConfig = { model, itersPerEpoch: 2, totalEpochs: 4, warmupEpochs: 1, peakLr: 1e-3 };
  const batch = { images: images(11, 4, 12, 'float32') };

  it('runs two steps: finite loss, params change, the teacher follows the EMA, frozen patch embedding', () => {
    let state = initSiameseimState(random.key(0), model);
    const keys = random.split(random.key(1), 2);
    const history = [];
    for (const key of keys) {
      const before = state;
      const { state: next, metrics } = siameseimStep(state, batch, key, base);
      history.push(metrics);
      expect(Number.isFinite(metrics.loss)).toBe(true);
      expect(metrics.loss).toBeCloseTo((metrics.positive + 0.02 * metrics.negative) / 8, 5);
      expect(metrics.momentum).toBeCloseTo(siameseimMomentum(before.step / 2, { totalEpochs: 4 }), 12);
      // θ_target ← m·θ_target + (1 − m)·θ_online, with the online weights from before the update
      const m = metrics.momentum;
      const expected = tg.treeMap((t: Tensor, s: Tensor) => tg.add(tg.mul(t, m), tg.mul(s, 1 - m)), before.target, targetParamsOf(before.params));
      tg.treeLeaves(next.target).forEach((t, i) => {
        const e = tg.treeLeaves(expected)[i].dataSync();
        t.dataSync().forEach((v, j) => expect(v).toBeCloseTo(e[j], 6));
      });
      expect(leavesEqual(next.params.patch_embed, before.params.patch_embed)).toBe(true);
      expect(next.step).toBe(before.step + 1);
      state = next;
    }
    // step 0 has lr 0 (warmup from 0); step 1 moves the parameters
    expect(history[0].lr).toBe(0);
    expect(history[1].lr).toBeCloseTo(5e-4, 12);
    expect(leavesEqual(state.params.blocks, initSiameseimState(random.key(0), model).params.blocks)).toBe(false);
    expect(state.optimizer['blocks.0.attn.qkv.weight'].step).toBe(2);
    expect(state.optimizer['patch_embed.proj.weight']).toBeUndefined();
  });

  it('refuses a step whose loss is not finite with a NonFiniteLossError carrying the step function, the step and the value, eager and compiled', () => {
    const state = { ...initSiameseimState(random.key(0), model), step: 3 };
    const poisoned = { images: tg.mul(batch.images, tg.scalar(Number.NaN, 'float32')) };
    for (const [name, step] of [['siameseimStep', siameseimStep], ['jitSiameseimStep', jitSiameseimStep()]] as const) {
      let caught: unknown;
      try {
        step(state, poisoned, random.key(2), base);
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toBeInstanceOf(NonFiniteLossError);
      const error = caught as NonFiniteLossError;
      expect(error.stepFunction).toBe('siameseimStep');
      expect(error.step).toBe(3);
      expect(Number.isNaN(error.value)).toBe(true);
      expect(Number.isFinite(step(state, batch, random.key(2), base).metrics.loss)).toBe(true);
    }
  });

  for (const variant of ['mim', 'id'] as const) {
    it(`variant ${variant} runs and gives a finite loss`, () => {
      const state = initSiameseimState(random.key(0), model);
      const { metrics } = siameseimStep(state, batch, random.key(2), { ...base, variant });
      expect(Number.isFinite(metrics.loss)).toBe(true);
    });
  }

  for (const variant of ['siameseim', 'mim', 'id'] as const) {
    it(`jitSiameseimStep (${variant}) gives siameseimStep's states and metrics on every step, replaying after its traces`, () => {
      const config = { ...base, variant };
      const compiled = jitSiameseimStep();
      let eager = initSiameseimState(random.key(0), model);
      let jitted = eager;
      for (let i = 0; i < 4; i++) {
        const key = random.foldIn(random.key(3), i);
        const a = siameseimStep(eager, batch, key, config);
        const b = compiled(jitted, batch, key, config);
        expect(b.metrics).toEqual(a.metrics);
        expect(leavesEqual(b.state.params, a.state.params)).toBe(true);
        expect(leavesEqual(b.state.target, a.state.target)).toBe(true);
        expect(leavesEqual(b.state.optimizer, a.state.optimizer)).toBe(true);
        expect(Object.values(b.state.optimizer).map((slot) => slot.step)).toEqual(Object.values(a.state.optimizer).map((slot) => slot.step));
        [eager, jitted] = [a.state, b.state];
      }
    });
  }

  it('uses timm\'s no-decay rule and freezes the patch embedding', () => {
    const rule = siameseimParamGroups(false);
    const params = initSiameseim(random.key(0), model);
    const named = tg.flattenNamed(params);
    expect(rule('cls_token', named.cls_token)).toBe('decay');
    expect(rule('mask_token', named.mask_token)).toBe('decay');
    expect(rule('blocks.0.norm1.weight', named['blocks.0.norm1.weight'])).toBe('noDecay');
    expect(rule('decoder_pred.bias', named['decoder_pred.bias'])).toBe('noDecay');
    expect(rule('decoder_pred.weight', named['decoder_pred.weight'])).toBe('decay');
    expect(rule('patch_embed.proj.weight', named['patch_embed.proj.weight'])).toBe('frozen');
    expect(siameseimParamGroups(true)('patch_embed.proj.weight', named['patch_embed.proj.weight'])).toBe('decay');
  });
});
