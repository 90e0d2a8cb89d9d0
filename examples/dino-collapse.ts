/**
 * The two collapse modes of DINO (paper §5.3, Fig. 7) on a tiny model: the same `dinoStep` run three
 * times, without centering, without sharpening (τt = 0.2 > τs = 0.1), and with both, printing the
 * teacher entropy h(P_t) and KL(P_t‖P_s) every 25 steps.
 *
 *   npx tsx examples/dino-collapse.ts [steps=200]
 *
 * The model is flatten → Linear → GELU → Linear → DINO head (K = 32, l2 bottleneck 16, frozen unit
 * prototypes) on 8×8 images drawn from 4 random patterns plus noise; crops are resized to 8×8 (two
 * "global" with scale [0.5, 1], two "local" with scale [0.3, 1]). About 25 ms a step on the
 * reference backend. Expect: without centering h falls towards 0 (one prototype wins), without
 * sharpening h rises to log K (uniform), with both h stays below log K and KL stays the largest.
 * In a model this small the "both" run still drifts slowly towards uniform.
 */
import * as tg from '../core/index.js';
import { type CropConfig, type DinoHyperparams, dinoStep, initDinoState, multiCrop } from '../ssl/index.js';
import { prototypes as K, side, toyBatch, toyModel as model } from './dino-collapse/toy.js';

const { random } = tg;
tg.setBackend('reference');
const steps = Number(process.argv[2] ?? 200);
const batchSize = 32;

const crops: CropConfig[] = [
  { size: side, scale: [0.5, 1], blurProb: 0, solarizeProb: 0 },
  { size: side, scale: [0.5, 1], blurProb: 0, solarizeProb: 0 },
  { size: side, scale: [0.3, 1], blurProb: 0, solarizeProb: 0 },
  { size: side, scale: [0.3, 1], blurProb: 0, solarizeProb: 0 },
];
const normalize = { mean: [0.5], std: [0.25] };

function run(name: string, overrides: Partial<DinoHyperparams>): void {
  const hyper: DinoHyperparams = {
    epochs: 4, itersPerEpoch: Math.ceil(steps / 4), warmupEpochs: 1, lr: 1e-3, minLr: 1e-4, momentumTeacher: 0.996,
    weightDecay: 0, weightDecayEnd: 0, freezeLastLayer: 0, ...overrides,
  };
  let state = initDinoState(random.key(0), model, K, hyper);
  const started = performance.now();
  const rows: string[] = [];
  for (let i = 0; i < steps; i++) {
    const views = multiCrop(random.foldIn(random.key(1), i), toyBatch(i, batchSize), { crops, flipProb: 0, normalize }).crops;
    const result = dinoStep(state, views, random.foldIn(random.key(2), i));
    state = result.state;
    if (i % 25 === 0 || i === steps - 1) rows.push(`${String(i).padStart(4)}: h ${result.metrics.teacherEntropy.toFixed(3)}  KL ${result.metrics.kl.toFixed(3)}`);
  }
  const perStep = (performance.now() - started) / steps;
  console.log(`${name} (log K = ${Math.log(K).toFixed(3)}, ${perStep.toFixed(0)} ms/step)\n  ${rows.join('\n  ')}`);
}

run('without centering', { centering: false, teacherTemp: 0.04, warmupTeacherTemp: 0.04 });
run('without sharpening (τt = 0.2)', { centering: true, teacherTemp: 0.2, warmupTeacherTemp: 0.2 });
run('centering and sharpening (τt = 0.04)', { centering: true, teacherTemp: 0.04, warmupTeacherTemp: 0.04 });
