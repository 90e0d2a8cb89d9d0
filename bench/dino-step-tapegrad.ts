/**
 * The DINO-step benchmark for tapegrad: `dinoStep` from `ssl/dino-step.ts` with `vitDinoModel` (or `jitDinoStep` with `--mode jit`), on
 * the backend named by `--backend` or `TAPEGRAD_BACKEND` (`reference`, a gpu.js mode, or `webgpu`). The
 * schedules are replaced by constants (see `dino-step/preset.ts`). Run through `npm run bench`, or
 * alone: `TAPEGRAD_BACKEND=reference npx tsx bench/dino-step-tapegrad.ts --steps 2`. `--profile` adds one
 * step timed per op class (`profileOps`: the dispatch of each op, eager or compiled), slowest first.
 */
import { readFileSync } from 'node:fs';
import { wasmMatmulInfo } from '../core/backend/wasm/matmul/index.js';
import { type BackendChoice, type Tensor, backendInfo, flattenNamed, formatOpProfile, matmul, profileOps, random, setBackend, tensor, unflattenNamed } from '../core/index.js';
import { type DinoModelParams, bicubicMatrix, vitMnist } from '../nn/index.js';
import { type DinoModel, type DinoState, dinoStep, initDinoState, jitDinoStep, vitDinoModel } from '../ssl/index.js';
import { type DinoStepTarget, main } from './dino-step/harness.js';
import { type HostParams, frozenParamName } from './dino-step/host-params.js';
import { bicubicRows } from './dino-step/pos-embed-resample.js';
import { benchVitMnist as preset } from './dino-step/preset.js';

const dinoModel = (dropPathRate: number) =>
  vitDinoModel(vitMnist({ dropPathRate, layerNormEps: preset.layerNormEps }), {
    outDim: preset.outDim,
    nlayers: preset.headLayers,
    hiddenDim: preset.headHiddenDim,
    bottleneckDim: preset.headBottleneckDim,
    normLastLayer: true,
  });

/** The host parameters as tapegrad's tree, after checking that names and shapes match `initVit`/`initDinoHead`. */
function loadParams(model: DinoModel<DinoModelParams>, host: HostParams): DinoModelParams {
  const own = flattenNamed(model.init(random.key(0)));
  const mismatch = [...new Set([...Object.keys(own), ...host.keys()])].filter(
    (name) => own[name]?.shape.join() !== host.get(name)?.shape.join(),
  );
  if (mismatch.length > 0) throw new Error(`tapegrad and the bench's host parameters disagree on ${mismatch.join(', ')}`);
  if (!model.frozenNames?.includes(frozenParamName)) throw new Error(`tapegrad does not freeze ${frozenParamName}`);
  const named: Record<string, Tensor> = {};
  for (const [name, { shape, data }] of host) named[name] = tensor(data, { shape: [...shape], dtype: 'float32' });
  return unflattenNamed(named) as DinoModelParams;
}

/** The peers resize the position table with `dino-step/pos-embed-resample.ts`; it must be tapegrad's bicubic. */
function checkResampleMatchesTapegrad(): void {
  const grid = preset.imageSize / preset.patchSize;
  const local = preset.localSize / preset.patchSize;
  const ours = bicubicMatrix(grid, local, (local + 0.1) / grid).dataSync();
  const bench = bicubicRows(grid, local);
  const error = Math.max(...bench.map((value, i) => Math.abs(value - ours[i])));
  if (!(error < 1e-12)) throw new Error(`the bench's bicubic rows differ from nn/pos-embed.ts by ${error}`);
}

function initialState(host: HostParams, dropPathRate: number): DinoState<DinoModelParams> {
  const model = dinoModel(dropPathRate);
  const params = loadParams(model, host);
  const iterations = 100_000;
  const state = initDinoState(random.key(0), { ...model, init: () => params }, preset.outDim, {
    epochs: 1,
    itersPerEpoch: iterations,
    warmupEpochs: 0,
    lr: preset.lr,
    weightDecay: preset.weightDecay,
    weightDecayEnd: preset.weightDecay,
    momentumTeacher: preset.teacherMomentum,
    warmupTeacherTemp: preset.teacherTemp,
    teacherTemp: preset.teacherTemp,
    studentTemp: preset.studentTemp,
    centerMomentum: preset.centerMomentum,
    clipGrad: preset.clipGrad,
    freezeLastLayer: 0,
  });
  const constant = (value: number) => new Array<number>(iterations).fill(value);
  return {
    ...state,
    schedules: { lr: constant(preset.lr), weightDecay: constant(preset.weightDecay), momentum: constant(preset.teacherMomentum), teacherTemp: [preset.teacherTemp] },
  };
}

const packageVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

await main<Tensor[]>(async (flags) => {
  const choice = (flags.backend ?? process.env.TAPEGRAD_BACKEND ?? 'gpujs') as BackendChoice;
  setBackend(choice);
  const mode = flags.mode ?? 'eager';
  if (mode !== 'eager' && mode !== 'jit') throw new Error(`tapegrad: --mode must be one of eager, jit; got ${mode}`);
  const step = mode === 'jit' ? jitDinoStep() : dinoStep;
  checkResampleMatchesTapegrad();
  const info = backendInfo();
  return {
    library: 'tapegrad',
    version: packageVersion,
    backend: info.name === 'gpujs' ? `gpujs ${info.mode}` : info.name,
    mode,
    notes: ['position table for 12×12 crops: bicubic (nn/pos-embed.ts)', ...(info.adapter ? [`adapter: ${info.adapter}`] : []), ...(wasmMatmulInfo().fusedMultiplyAdd ? ['matmul: relaxed SIMD fused multiply-adds'] : [])],
    createTrainer: async (host) => {
      let state = initialState(host, flags.dropPathRate);
      return {
        upload: (crops) => crops.map((crop) => tensor(crop.data, { shape: [...crop.shape], dtype: 'float32' })),
        step: async (batch, index) => {
          const { state: next, metrics } = step(state, batch, random.key(1000 + index));
          state = next;
          return { loss: metrics.loss, teacherEntropy: metrics.teacherEntropy };
        },
        profileStep: async (batch, index) => {
          const start = performance.now();
          const { result, profile } = profileOps(() => step(state, batch, random.key(1000 + index)));
          const ms = performance.now() - start;
          state = result.state;
          return formatOpProfile(profile, ms);
        },
      };
    },
    matmul: (a, b, size) => {
      const x = tensor(a, { shape: [size, size] });
      const y = tensor(b, { shape: [size, size] });
      return async () => void matmul(x, y).dataSync();
    },
  } satisfies DinoStepTarget<Tensor[]>;
});
