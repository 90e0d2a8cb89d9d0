/**
 * A jitted DINO step on WebGPU (SwiftShader where there is no GPU: see test/support/webgpu.ts) gives
 * the CPU step's losses, centre and gradient moments, within float32 rounding: the same traced program, replayed with
 * every float32 kernel compiled to WGSL instead of run on gpu.js's CPU mode; once compiled, it runs as a whole
 * on the device (`core/backend/webgpu/program-lowering.ts`) with one read-back a step.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { vitMnist } from '../../nn/index.js';
import { mnistMultiCrop, multiCrop } from '../../ssl/augment.js';
import { type DinoState, initDinoState, jitDinoStep, vitDinoModel } from '../../ssl/index.js';
import { currentBackend } from '../../core/backend/index.js';
import type { WebgpuBackend } from '../../core/backend/webgpu/index.js';
import { webgpuMissing } from '../support/webgpu.js';

const { random } = tg;
const ATOL = 1e-4;
const RTOL = 1e-3;

/** float32 agreement, with `scale` the magnitude the values were computed from (a gradient's error follows the largest gradient, not its own size). */
function expectClose(actual: Tensor, expected: Tensor, what: string, scale = 1): void {
  const [a, e] = [actual.dataSync(), expected.dataSync()];
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= ATOL * scale + RTOL * Math.abs(e[i]))) expect.fail(`${what}: element ${i} is ${a[i]} on webgpu but ${e[i]} on gpujs`);
  }
}

const largest = (tensors: readonly Tensor[]) => Math.max(...tensors.map((t) => Math.max(...Array.from(t.dataSync(), Math.abs))));

describe.skipIf(webgpuMissing !== null)('jitDinoStep on webgpu', () => {
  afterAll(() => tg.setBackend('reference'));

  it('gives the CPU (gpujs) step\'s losses, centre and AdamW moments over three steps of a tiny ViT (drop path on), the compiled one with one read-back', () => {
    const model = vitDinoModel(vitMnist({ embedDim: 16, depth: 1, numHeads: 2, dropPathRate: 0.2 }), { outDim: 8, hiddenDim: 16, bottleneckDim: 4 });
    const images = random.uniform(random.key(4), [2, 1, 28, 28]);
    const cropsOf = (i: number) => multiCrop(random.foldIn(random.key(5), i), images, { ...mnistMultiCrop, localCrops: 2 }).crops;
    const state0 = tg.withBackend('reference', () =>
      initDinoState(random.key(3), model, 8, { epochs: 1, itersPerEpoch: 4, warmupEpochs: 0, lr: 1e-3, freezeLastLayer: 0 }),
    );
    const run = (backend: tg.BackendChoice) =>
      tg.withBackend(backend, () => {
        const step = jitDinoStep();
        let state: DinoState<any> = state0;
        const losses: number[] = [];
        const readBacks = () => (backend === 'webgpu' ? (currentBackend() as WebgpuBackend).readBacks() : 0);
        let lastStepReadBacks = 0;
        // step 0 traces; steps 1 and 2 run the compiled program (the first step is handed zero moments of the later steps' layout)
        for (let i = 0; i < 3; i++) {
          const before = readBacks();
          const { state: next, metrics } = step(state, cropsOf(i), random.foldIn(random.key(6), i));
          lastStepReadBacks = readBacks() - before;
          losses.push(metrics.loss);
          state = next;
        }
        return { state, losses, info: tg.backendInfo(), lastStepReadBacks };
      });
    const cpu = run('gpujs');
    const gpu = run('webgpu');
    expect(gpu.info.name).toBe('webgpu');
    expect(gpu.info.cachedKernels).toBeGreaterThan(0);
    // the whole compiled step is one device request: inputs up, every kernel on the device, the outputs back at once
    expect(gpu.lastStepReadBacks).toBe(1);
    gpu.losses.forEach((loss, i) => expect(Math.abs(loss - cpu.losses[i]), `loss of step ${i}`).toBeLessThan(ATOL + RTOL * Math.abs(cpu.losses[i])));
    expectClose(gpu.state.center, cpu.state.center, 'center');
    // AdamW divides each gradient by its own running scale, so a parameter whose gradient is rounding
    // noise (the key bias: softmax ignores a shift shared by every key) moves by about ±lr on either
    // backend; the parameters are therefore compared through the moments, which carry the gradients
    const names = Object.keys(cpu.state.optimizer);
    expect(Object.keys(gpu.state.optimizer)).toEqual(names);
    expect(names.length).toBeGreaterThan(10);
    for (const moment of ['expAvg', 'expAvgSq'] as const) {
      const scale = largest(names.map((name) => cpu.state.optimizer[name][moment]));
      expect(scale).toBeGreaterThan(0);
      for (const name of names) expectClose(gpu.state.optimizer[name][moment], cpu.state.optimizer[name][moment], `${moment} of ${name}`, scale);
    }
  }, 300_000);
});
