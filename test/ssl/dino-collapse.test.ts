/**
 * The two collapse modes of paper §5.3 (Fig. 7) on a tiny model in 40 steps: without centering the
 * teacher targets go one-hot (h → 0), without sharpening (τt = 0.2 > τs) they go uniform (h → log K);
 * with both, h stays in between and KL(P_t‖P_s) stays well above both ablations.
 * In this tiny model the "both" run keeps drifting towards uniform over longer runs; see
 * examples/dino-collapse.ts for 200-step curves.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { type DinoHyperparams, dinoStep, initDinoState } from '../../ssl/index.js';
import { prototypes as K, side, toyBatch, toyModel as model } from '../../examples/dino-collapse/toy.js';
import { multiCrop } from '../../ssl/augment.js';

const { random } = tg;

beforeAll(() => tg.setBackend('reference'));

const steps = 40;

const crops = [0, 1, 2, 3].map(() => ({ size: side, scale: [0.8, 1] as const, blurProb: 0, solarizeProb: 0 }));

function run(overrides: Partial<DinoHyperparams>) {
  const hyper: DinoHyperparams = {
    epochs: 4, itersPerEpoch: steps / 4, warmupEpochs: 0, lr: 1e-3, minLr: 1e-3, momentumTeacher: 0.99,
    weightDecay: 0, weightDecayEnd: 0, freezeLastLayer: 0, ...overrides,
  };
  let state = initDinoState(random.key(0), model, K, hyper);
  let metrics = { teacherEntropy: NaN, kl: NaN };
  for (let i = 0; i < steps; i++) {
    const views = multiCrop(random.foldIn(random.key(1), i), toyBatch(i, 32), { crops, flipProb: 0 }).crops;
    ({ state, metrics } = dinoStep(state, views, random.foldIn(random.key(2), i)));
  }
  return metrics;
}

describe('DINO collapse directions (paper §5.3)', () => {
  it('no centering → one-hot, no sharpening → uniform, both → in between with the largest KL', () => {
    const logK = Math.log(K);
    const noCentering = run({ centering: false, teacherTemp: 0.04, warmupTeacherTemp: 0.04 });
    const noSharpening = run({ centering: true, teacherTemp: 0.2, warmupTeacherTemp: 0.2 });
    const both = run({ centering: true, teacherTemp: 0.04, warmupTeacherTemp: 0.04 });
    const show = (m: { teacherEntropy: number; kl: number }) => `h ${m.teacherEntropy.toFixed(4)} KL ${m.kl.toFixed(4)}`;
    console.log(`collapse after ${steps} steps, log K = ${logK.toFixed(4)}: no centering ${show(noCentering)}; no sharpening ${show(noSharpening)}; both ${show(both)}`);
    expect(noCentering.teacherEntropy).toBeLessThan(0.01 * logK);
    expect(noCentering.kl).toBeLessThan(0.02);
    expect(noSharpening.teacherEntropy).toBeGreaterThan(0.99 * logK);
    expect(both.teacherEntropy).toBeGreaterThan(0.3 * logK);
    expect(both.teacherEntropy).toBeLessThan(0.97 * logK);
    expect(both.kl).toBeGreaterThan(0.1);
    expect(both.kl).toBeGreaterThan(2 * Math.max(noCentering.kl, noSharpening.kl));
  });
});
