/**
 * dinoStep: the order of one official iteration (schedules, loss with the old centre, clipping,
 * last-layer freeze, AdamW groups, EMA teacher, centre), checked on a tiny MLP model, plus one step
 * of the real ViT model on digit-sized crops.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { dinoHead, dinoHeadFrozenNames, initDinoHead, initLinear, linear, vitMnist } from '../../nn/index.js';
import { type DinoModel, dinoLoss, dinoSchedules, dinoStep, initDinoState, jitDinoStep, updateCenter, vitDinoModel } from '../../ssl/index.js';
import { mnistMultiCrop, multiCrop } from '../../ssl/augment.js';
import { koleoLoss } from '../../ssl/koleo.js';
import { NonFiniteLossError } from '../../ssl/errors.js';

const { random } = tg;

beforeAll(() => tg.setBackend('reference'));

const side = 6;
const K = 12;
/** flatten → linear → GELU → DINO head (2 layers); float64 so that identities hold to rounding. */
const mlpModel: DinoModel<any> = {
  init: (key) => {
    const [a, b] = random.split(key, 2);
    return {
      backbone: { fc: initLinear(a, { inFeatures: side * side, outFeatures: 10, dtype: 'float64' }) },
      head: initDinoHead(b, { inDim: 10, outDim: K, nlayers: 2, hiddenDim: 10, bottleneckDim: 5, dtype: 'float64' }),
    };
  },
  forward: (params, crops) => {
    const x = tg.concat(crops.map((c) => tg.reshape(c, [c.shape[0], side * side])), 0);
    return dinoHead(params.head, tg.gelu(linear(params.backbone.fc, x)));
  },
  frozenNames: dinoHeadFrozenNames({}, 'head.'),
};

const cropList = [0, 1, 2].map((v) => ({ size: side, scale: v < 2 ? ([0.5, 1] as const) : ([0.2, 0.5] as const), blurProb: 0, solarizeProb: 0 }));
const views = (i: number) => {
  const images = random.uniform(random.foldIn(random.key(11), i), [4, 1, side, side], { dtype: 'float64' });
  return multiCrop(random.foldIn(random.key(12), i), images, { crops: cropList, flipProb: 0, dtype: 'float64' }).crops;
};
const hyper = { epochs: 3, itersPerEpoch: 2, warmupEpochs: 1, lr: 0.01, minLr: 1e-4, teacherTemp: 0.07, warmupTeacherTemp: 0.04, warmupTeacherTempEpochs: 2 };
const leaf = (tree: any, name: string): Tensor => tg.flattenNamed(tree)[name];
const same = (a: Tensor, b: Tensor) => Array.from(a.dataSync()).every((x, i) => x === b.dataSync()[i]);

describe('dinoStep', () => {
  it('follows the schedules per iteration (lr, wd, momentum) and per epoch (τt)', () => {
    const schedules = dinoSchedules(hyper);
    let state = initDinoState(random.key(0), mlpModel, K, hyper);
    for (let i = 0; i < 6; i++) {
      const { state: next, metrics } = dinoStep(state, views(i), random.key(i));
      expect(metrics.step).toBe(i);
      expect(metrics.epoch).toBe(Math.floor(i / 2));
      expect(metrics.lr).toBe(schedules.lr[i]);
      expect(metrics.weightDecay).toBe(schedules.weightDecay[i]);
      expect(metrics.momentum).toBe(schedules.momentum[i]);
      expect(metrics.teacherTemp).toBe(schedules.teacherTemp[metrics.epoch]);
      expect(metrics.kl).toBeGreaterThanOrEqual(-1e-12);
      state = next;
    }
    expect(schedules.lr[0]).toBe(0);
    expect(schedules.teacherTemp).toEqual([0.04, 0.07, 0.07]);
    expect(() => dinoStep(state, views(6), random.key(6))).toThrow(tg.OptionError);
  });

  it('refuses a step whose loss is not finite with a NonFiniteLossError carrying the step and the value', () => {
    const state = initDinoState(random.key(0), mlpModel, K, hyper);
    const crops = views(0);
    const poisoned = [tg.mul(crops[0], tg.scalar(Number.NaN, 'float64')), ...crops.slice(1)];
    let caught: unknown;
    try {
      dinoStep(state, poisoned, random.key(0));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NonFiniteLossError);
    const error = caught as NonFiniteLossError;
    expect(error.stepFunction).toBe('dinoStep');
    expect(error.step).toBe(0);
    expect(Number.isNaN(error.value)).toBe(true);
    expect(dinoStep(state, crops, random.key(0)).metrics.step).toBe(0);
  });

  it('uses the old centre in the loss, then updates it from the raw teacher outputs; teacher = EMA of the new student', () => {
    const state0 = initDinoState(random.key(1), mlpModel, K, hyper);
    const { state: state1 } = dinoStep(state0, views(0), random.key(0));
    const crops = views(1);
    const { state: state2, metrics } = dinoStep(state1, crops, random.key(1));
    const teacherOut = mlpModel.forward(state1.teacher, crops.slice(0, 2), { train: false });
    const studentOut = mlpModel.forward(state1.student, crops, { train: true });
    const loss = dinoLoss(studentOut, teacherOut, state1.center, { teacherTemp: metrics.teacherTemp, ncrops: 3 }).item();
    expect(metrics.loss).toBeCloseTo(loss, 12);
    expect(Array.from(state2.center.dataSync())).toEqual(Array.from(updateCenter(state1.center, teacherOut, 0.9).dataSync()));
    const m = metrics.momentum;
    const name = 'backbone.fc.weight';
    const expected = tg.add(tg.mul(leaf(state1.teacher, name), m), tg.mul(leaf(state2.student, name), 1 - m));
    expect(same(leaf(state2.teacher, name), expected)).toBe(true);
  });

  it('the first step has lr 0; the last layer is frozen through epoch 0; weight_g never moves', () => {
    const state0 = initDinoState(random.key(2), mlpModel, K, { ...hyper, freezeLastLayer: 1 });
    const { state: state1 } = dinoStep(state0, views(0), random.key(0));
    expect(same(leaf(state1.student, 'backbone.fc.weight'), leaf(state0.student, 'backbone.fc.weight'))).toBe(true);
    const { state: state2 } = dinoStep(state1, views(1), random.key(1));
    expect(same(leaf(state2.student, 'backbone.fc.weight'), leaf(state1.student, 'backbone.fc.weight'))).toBe(false);
    expect(same(leaf(state2.student, 'head.last_layer.weight_v'), leaf(state0.student, 'head.last_layer.weight_v'))).toBe(true);
    expect(Object.keys(state2.optimizer)).not.toContain('head.last_layer.weight_v');
    const { state: state3 } = dinoStep(state2, views(2), random.key(2));
    expect(same(leaf(state3.student, 'head.last_layer.weight_v'), leaf(state2.student, 'head.last_layer.weight_v'))).toBe(false);
    expect(state3.optimizer['head.last_layer.weight_v'].step).toBe(1);
    expect(state3.optimizer['backbone.fc.weight'].step).toBe(3);
    expect(Object.keys(state3.optimizer)).not.toContain('head.last_layer.weight_g');
    expect(same(leaf(state3.student, 'head.last_layer.weight_g'), tg.ones([K, 1], 'float64'))).toBe(true);
    expect(same(leaf(state3.teacher, 'head.last_layer.weight_g'), tg.ones([K, 1], 'float64'))).toBe(true);
  });

  it('runs the ViT model (multi-crop with 28/12 crops) and keeps the row layout', () => {
    const model = vitDinoModel(vitMnist({ embedDim: 16, depth: 1, numHeads: 2, dropPathRate: 0.1 }), { outDim: 8, hiddenDim: 16, bottleneckDim: 4 });
    const state = initDinoState(random.key(3), model, 8, { epochs: 1, itersPerEpoch: 2, warmupEpochs: 0, lr: 1e-3 });
    const images = random.uniform(random.key(4), [2, 1, 28, 28]);
    const { crops } = multiCrop(random.key(5), images, { ...mnistMultiCrop, localCrops: 2 });
    const { state: next, metrics } = dinoStep(state, crops, random.key(6));
    expect(Number.isFinite(metrics.loss)).toBe(true);
    expect(next.center.shape).toEqual([1, 8]);
    expect(model.forward(next.student, crops, { train: false }).shape).toEqual([8, 8]);
    expect(Object.keys(tg.flattenNamed(next.student))).toContain('backbone.blocks.0.attn.qkv.weight');
  });

  // float64 on the reference backend, and float32 on gpu.js's CPU mode, where the compiled program also fuses elementwise chains and plans buffers
  for (const backend of ['reference', 'gpujs'] as const) {
    it(`jitDinoStep gives dinoStep's states and metrics on every step (drop path on), tracing once per signature (${backend})`, () =>
      tg.withBackend(backend, () => {
        const vit = vitDinoModel(vitMnist({ embedDim: 16, depth: 2, numHeads: 2, dropPathRate: 0.3 }), { outDim: 8, hiddenDim: 16, bottleneckDim: 4 });
        let forwards = 0;
        const model: DinoModel<any> = { ...vit, forward: (...args) => (forwards++, vit.forward(...args)) };
        // 3 epochs of 2: the last layer is frozen in epoch 0, so the signatures are: every parameter but the
        // last layer (steps 0–1: step 0 is handed zero moments of step 1's layout), everything (2 onwards)
        const state0 = initDinoState(random.key(3), model, 8, { epochs: 3, itersPerEpoch: 2, warmupEpochs: 1, lr: 1e-3, warmupTeacherTempEpochs: 2, teacherTemp: 0.07 });
        const images = random.uniform(random.key(4), [2, 1, 28, 28]);
        const cropsOf = (i: number) => multiCrop(random.foldIn(random.key(5), i), images, { ...mnistMultiCrop, localCrops: 2 }).crops;
        const compiled = jitDinoStep();
        let [eager, jitted] = [state0, state0];
        let eagerForwards = 0;
        for (let i = 0; i < 6; i++) {
          const key = random.foldIn(random.key(6), i);
          const before = forwards;
          const a = dinoStep(eager, cropsOf(i), key);
          eagerForwards += forwards - before;
          const b = compiled(jitted, cropsOf(i), key);
          expect(b.metrics).toEqual(a.metrics);
          for (const part of ['student', 'teacher', 'center', 'optimizer'] as const) {
            const [x, y] = [tg.treeLeaves(a.state[part]), tg.treeLeaves(b.state[part])];
            expect(y.length).toBe(x.length);
            x.forEach((t, j) => expect(same(y[j], t)).toBe(true));
          }
          expect(b.state.optimizer['head.last_layer.weight_v']?.step).toBe(a.state.optimizer['head.last_layer.weight_v']?.step);
          [eager, jitted] = [a.state, b.state];
        }
        // teacher + student forward per trace: 2 traces (steps 0 and 2), the other four steps replay without running the model's code
        expect(eagerForwards).toBe(12);
        expect(forwards - eagerForwards).toBe(4);
        // the drop-path draws follow the key: a different key gives a different loss
        expect(compiled(state0, cropsOf(0), random.key(99)).metrics.loss).not.toBe(dinoStep(state0, cropsOf(0), random.foldIn(random.key(6), 0)).metrics.loss);
      }));
  }

  it('with koleoWeight, adds weight × KoLeo of the two global crops\' student CLS features; jitDinoStep gives the same steps', () =>
    tg.withBackend('gpujs', () => {
      const model = vitDinoModel(vitMnist({ embedDim: 16, depth: 1, numHeads: 2, dropPathRate: 0.2 }), { outDim: 8, hiddenDim: 16, bottleneckDim: 4 });
      const hyperparams = { epochs: 4, itersPerEpoch: 1, warmupEpochs: 1, lr: 1e-3, freezeLastLayer: 0 };
      const withKoleo = initDinoState(random.key(3), model, 8, { ...hyperparams, koleoWeight: 0.1 });
      const without = initDinoState(random.key(3), model, 8, hyperparams);
      const images = random.uniform(random.key(4), [3, 1, 28, 28]);
      const cropsOf = (i: number) => multiCrop(random.foldIn(random.key(5), i), images, { ...mnistMultiCrop, localCrops: 2 }).crops;
      const key = random.key(6);
      const eager = dinoStep(withKoleo, cropsOf(0), key);
      const plain = dinoStep(without, cropsOf(0), key);
      // the DINO part is the same loss; the KoLeo part is read from the student's own CLS rows of crops 0 and 1
      expect(eager.metrics.loss).toBe(plain.metrics.loss);
      expect(plain.metrics.koleo).toBe(0);
      const { features } = model.forwardWithFeatures!(withKoleo.student, cropsOf(0), { key, train: true });
      const rows = (start: number) => tg.sliceAxis(features, 0, start, start + 3);
      expect(eager.metrics.koleo).toBeCloseTo(koleoLoss(rows(0)).item() + koleoLoss(rows(3)).item(), 5);
      // step 0 has lr 0; step 1 moves the student, differently with the regulariser
      const [moved, movedPlain] = [dinoStep(eager.state, cropsOf(1), key).state, dinoStep(plain.state, cropsOf(1), key).state];
      expect(same(leaf(moved.student, 'backbone.blocks.0.attn.qkv.weight'), leaf(movedPlain.student, 'backbone.blocks.0.attn.qkv.weight'))).toBe(false);
      const compiled = jitDinoStep();
      let [a, b] = [withKoleo, withKoleo];
      for (let i = 0; i < 4; i++) {
        const stepKey = random.foldIn(key, i);
        const x = dinoStep(a, cropsOf(i), stepKey);
        const y = compiled(b, cropsOf(i), stepKey);
        expect(y.metrics).toEqual(x.metrics);
        tg.treeLeaves(x.state.student).forEach((t, j) => expect(same(tg.treeLeaves(y.state.student)[j], t)).toBe(true));
        [a, b] = [x.state, y.state];
      }
    }));
});
