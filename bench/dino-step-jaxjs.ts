/**
 * The DINO-step benchmark for jax-js (`@jax-js/jax`) on its `wasm` device, with the whole step under
 * `jit` (`--mode jit`, the default) or op by op (`--mode eager`). The same ViT, head, loss, clipping,
 * AdamW, EMA and centre as `dino-step/preset.ts` describes, as one pure function of the state.
 * jax-js moves arrays into every call (`x.ref` keeps one), so layers here borrow parameters with
 * `.ref` and consume their activations. Run through `npm run bench`, or alone:
 * `npx tsx bench/dino-step-jaxjs.ts --mode jit --steps 2`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Array as JaxArray } from '@jax-js/jax';
import { type DinoStepTarget, type StepMetrics, main } from './dino-step/harness.js';
import { type HostParams, frozenParamName, isDecayed } from './dino-step/host-params.js';
import { posEmbedResampleMatrix } from './dino-step/pos-embed-resample.js';
import { benchVitMnist as preset, dropPathRates } from './dino-step/preset.js';

// jax-js reads navigator.hardwareConcurrency when it starts, and Node 20 has no navigator
(globalThis as { navigator?: object }).navigator ??= { hardwareConcurrency: (await import('node:os')).availableParallelism() };
const jax = await import('@jax-js/jax');
const { numpy: np, nn, lax, random, tree } = jax;

type Params = Record<string, JaxArray>;

interface DinoState {
  readonly student: Params;
  readonly teacher: Params;
  /** [1, K]. */
  readonly center: JaxArray;
  readonly firstMoment: Params;
  readonly secondMoment: Params;
}

/** Per-step scalars, passed as arrays so that one compiled step serves every step. */
interface StepScalars {
  /** lr / (1 − β₁ᵗ). */
  readonly stepSize: JaxArray;
  /** √(1 − β₂ᵗ). */
  readonly secondCorrection: JaxArray;
}

const borrow = (params: Params, name: string) => params[name].ref;

function linear(params: Params, name: string, x: JaxArray): JaxArray {
  return np.matmul(x, np.matrixTranspose(borrow(params, `${name}.weight`))).add(borrow(params, `${name}.bias`));
}

function layerNorm(params: Params, name: string, x: JaxArray): JaxArray {
  const centred = x.ref.sub(np.mean(x, -1, { keepdims: true }));
  const variance = np.mean(np.square(centred.ref), -1, { keepdims: true });
  return centred.div(np.sqrt(variance.add(preset.layerNormEps))).mul(borrow(params, `${name}.weight`)).add(borrow(params, `${name}.bias`));
}

const gelu = (x: JaxArray) => nn.gelu(x, { approximate: false });

/** Stochastic depth: each sample's branch kept with probability 1 − rate and scaled by 1/(1 − rate). */
function dropPath(x: JaxArray, rate: number, key: JaxArray): JaxArray {
  const keep = 1 - rate;
  const mask = random.bernoulli(key, keep, [x.shape[0], 1, 1]).astype(np.float32);
  return x.mul(mask.div(keep));
}

function attention(params: Params, name: string, x: JaxArray): JaxArray {
  const [batch, tokens, dim] = x.shape;
  const heads = preset.numHeads;
  const headDim = dim / heads;
  const qkv = linear(params, `${name}.qkv`, x).reshape([batch, tokens, 3, heads, headDim]).transpose([2, 0, 3, 1, 4]);
  const [q, k, v] = [qkv.ref.slice(0), qkv.ref.slice(1), qkv.slice(2)];
  const probs = nn.softmax(np.matmul(q, np.matrixTranspose(k)).mul(headDim ** -0.5), -1);
  const mixed = np.matmul(probs, v).transpose([0, 2, 1, 3]).reshape([batch, tokens, dim]);
  return linear(params, `${name}.proj`, mixed);
}

/** The position table for a grid × grid input: the table itself, or its bicubic resize. */
function positions(params: Params, grid: number): JaxArray {
  const table = borrow(params, 'backbone.pos_embed');
  const [, entries, dim] = table.shape;
  const tableGrid = Math.round(Math.sqrt(entries - 1));
  if (grid === tableGrid) return table;
  const resample = np.array(posEmbedResampleMatrix(tableGrid, grid)).reshape([grid * grid, tableGrid * tableGrid]);
  const resized = np.matmul(resample, table.ref.slice(0, [1, entries])).reshape([1, grid * grid, dim]);
  return np.concatenate([table.slice([], [0, 1]), resized], 1);
}

/** The ViT's normalised CLS feature [n, D] of images [n, C, H, W]; `keys` [2·depth, 2] drive drop path. */
function vitFeatures(params: Params, images: JaxArray, dropPathRate: number, keys: JaxArray | null): JaxArray {
  const [n, channels, height, width] = images.shape;
  const p = preset.patchSize;
  const [rows, columns] = [height / p, width / p];
  const patches = images.reshape([n, channels, rows, p, columns, p]).transpose([0, 2, 4, 1, 3, 5]).reshape([n, rows * columns, channels * p * p]);
  const dim = preset.embedDim;
  const weight = borrow(params, 'backbone.patch_embed.proj.weight').reshape([dim, channels * p * p]);
  const embedded = np.matmul(patches, np.matrixTranspose(weight)).add(borrow(params, 'backbone.patch_embed.proj.bias'));
  const cls = np.broadcastTo(borrow(params, 'backbone.cls_token'), [n, 1, dim]);
  let x = np.concatenate([cls, embedded], 1).add(positions(params, rows));
  const rates = dropPathRates(dropPathRate);
  const branch = (y: JaxArray, block: number, which: number) => (keys && rates[block] > 0 ? dropPath(y, rates[block], keys.ref.slice(2 * block + which)) : y);
  for (let i = 0; i < preset.depth; i++) {
    const block = `backbone.blocks.${i}`;
    x = x.ref.add(branch(attention(params, `${block}.attn`, layerNorm(params, `${block}.norm1`, x)), i, 0));
    const hidden = linear(params, `${block}.mlp.fc2`, gelu(linear(params, `${block}.mlp.fc1`, layerNorm(params, `${block}.norm2`, x.ref))));
    x = x.add(branch(hidden, i, 1));
  }
  keys?.dispose();
  return layerNorm(params, 'backbone.norm', x).slice([], 0);
}

/** DINOHead: MLP → l2-normalise → weight-normalised prototypes g·v/‖v‖ (g frozen). [n, D] → [n, K]. */
function head(params: Params, features: JaxArray): JaxArray {
  const hidden = linear(params, 'head.mlp.4', gelu(linear(params, 'head.mlp.2', gelu(linear(params, 'head.mlp.0', features)))));
  const bottleneck = hidden.ref.div(np.maximum(np.sqrt(np.sum(np.square(hidden), -1, { keepdims: true })), 1e-12));
  const v = borrow(params, 'head.last_layer.weight_v');
  const rowNorms = np.sqrt(np.sum(np.square(v.ref), 1, { keepdims: true }));
  const prototypes = v.mul(lax.stopGradient(borrow(params, frozenParamName)).div(rowNorms));
  return np.matmul(bottleneck, np.matrixTranspose(prototypes));
}

/** MultiCropWrapper: the 2 global crops, then the local crops, each group through the backbone once. Consumes crops and key. */
function forward(params: Params, crops: JaxArray[], dropPathRate: number, key: JaxArray | null): JaxArray {
  const groups = [crops.slice(0, preset.globalCrops), crops.slice(preset.globalCrops)].filter((group) => group.length > 0);
  const groupKeys = key ? random.split(key, groups.length) : null;
  const features = groups.map((group, g) =>
    vitFeatures(params, np.concatenate(group, 0), dropPathRate, groupKeys ? random.split(groupKeys.ref.slice(g), 2 * preset.depth) : null),
  );
  groupKeys?.dispose();
  return head(params, np.concatenate(features, 0));
}

/** log q = logSoftmax((teacherOut − centre) / τt), [2B, K]. */
const teacherLogTargets = (teacherOut: JaxArray, center: JaxArray) => nn.logSoftmax(teacherOut.sub(center).div(preset.teacherTemp), -1);

/** h(P_t) = −Σ_k q log q, averaged over the 2B teacher rows. */
function teacherEntropy(teacherOut: JaxArray, center: JaxArray): JaxArray {
  const rows = teacherOut.shape[0];
  const logTargets = teacherLogTargets(teacherOut, center);
  return np.sum(np.exp(logTargets.ref).mul(logTargets)).mul(-1 / rows);
}

/** The DINO loss: the mean over the 2V − 2 pairs (teacher crop i, student crop v ≠ i) of mean_b H(q_i, p_v). */
function dinoLoss(student: Params, teacherOut: JaxArray, center: JaxArray, crops: JaxArray[], key: JaxArray, dropPathRate: number): JaxArray {
  const studentOut = forward(student, crops, dropPathRate, key);
  tree.dispose(student);
  const b = preset.batch;
  const targets = np.exp(teacherLogTargets(teacherOut, center));
  const logProbs = nn.logSoftmax(studentOut.div(preset.studentTemp), -1);
  let total: JaxArray | null = null;
  let pairs = 0;
  for (let i = 0; i < preset.globalCrops; i++) {
    for (let v = 0; v < crops.length; v++) {
      if (v === i) continue;
      const term = np.mean(np.sum(targets.ref.slice([i * b, (i + 1) * b]).mul(logProbs.ref.slice([v * b, (v + 1) * b])), -1));
      total = total ? total.add(term) : term;
      pairs++;
    }
  }
  targets.dispose();
  logProbs.dispose();
  return total!.mul(-1 / pairs);
}

/** One DINO step as a pure function: consumes its arguments, returns the next state and the metrics. */
function dinoStep(state: DinoState, crops: JaxArray[], key: JaxArray, scalars: StepScalars, dropPathRate: number) {
  const { student, teacher, center, firstMoment, secondMoment } = state;
  const teacherOut = forward(teacher, crops.slice(0, preset.globalCrops).map((crop) => crop.ref), 0, null);
  const entropy = teacherEntropy(teacherOut.ref, center.ref);
  const objective = (params: Params, out: JaxArray, centre: JaxArray, batch: JaxArray[], stepKey: JaxArray) => dinoLoss(params, out, centre, batch, stepKey, dropPathRate);
  const [loss, grads] = jax.valueAndGrad(objective)(tree.ref(student), teacherOut.ref, center.ref, crops, key);
  const { weightDecay, beta1, beta2, adamEps, clipGrad, lr, teacherMomentum, centerMomentum } = preset;
  const nextStudent: Params = {};
  const nextFirst: Params = {};
  const nextSecond: Params = {};
  for (const name of Object.keys(student)) {
    const gradient = (grads as Params)[name];
    if (name === frozenParamName) {
      gradient.dispose();
      nextStudent[name] = student[name];
      nextFirst[name] = firstMoment[name];
      nextSecond[name] = secondMoment[name];
      continue;
    }
    // per-parameter clipping: g ← g · min(1, clip / (‖g‖ + 1e-6))
    const norm = np.sqrt(np.sum(np.square(gradient.ref)));
    const clipped = gradient.mul(np.minimum(np.reciprocal(norm.add(1e-6)).mul(clipGrad), 1));
    const m = firstMoment[name].mul(beta1).add(clipped.ref.mul(1 - beta1));
    const v = secondMoment[name].mul(beta2).add(np.square(clipped).mul(1 - beta2));
    const param = student[name];
    const decayed = isDecayed(name, param.shape) ? param.mul(1 - lr * weightDecay) : param;
    const denominator = np.sqrt(v.ref).div(scalars.secondCorrection.ref).add(adamEps);
    nextStudent[name] = decayed.sub(m.ref.div(denominator).mul(scalars.stepSize.ref));
    nextFirst[name] = m;
    nextSecond[name] = v;
  }
  tree.dispose(scalars);
  const nextTeacher: Params = {};
  for (const name of Object.keys(teacher)) nextTeacher[name] = teacher[name].mul(teacherMomentum).add(nextStudent[name].ref.mul(1 - teacherMomentum));
  const nextCenter = center.mul(centerMomentum).add(np.mean(teacherOut, 0, { keepdims: true }).mul(1 - centerMomentum));
  return { state: { student: nextStudent, teacher: nextTeacher, center: nextCenter, firstMoment: nextFirst, secondMoment: nextSecond }, loss, entropy };
}

function createTrainer(host: HostParams, mode: 'eager' | 'jit', dropPathRate: number) {
  const load = (zeros: boolean): Params =>
    Object.fromEntries([...host].map(([name, { shape, data }]) => [name, zeros ? np.zeros([...shape]) : np.array(data).reshape([...shape])]));
  let state: DinoState = { student: load(false), teacher: load(false), center: np.zeros([1, preset.outDim]), firstMoment: load(true), secondMoment: load(true) };
  const step = (current: DinoState, crops: JaxArray[], key: JaxArray, scalars: StepScalars) => dinoStep(current, crops, key, scalars, dropPathRate);
  const run = mode === 'jit' ? jax.jit(step) : step;
  let count = 0;
  return {
    upload: (crops: readonly { shape: readonly number[]; data: Float32Array }[]) => crops.map((crop) => np.array(crop.data).reshape([...crop.shape])),
    step: async (batch: JaxArray[], index: number): Promise<StepMetrics> => {
      count += 1;
      const scalars = { stepSize: np.array(preset.lr / (1 - preset.beta1 ** count)), secondCorrection: np.array(Math.sqrt(1 - preset.beta2 ** count)) };
      const out = run(state, tree.ref(batch), random.key(1000 + index), scalars);
      state = out.state;
      await jax.blockUntilReady(state);
      const [loss] = await out.loss.data();
      const [teacherEntropy] = await out.entropy.data();
      return { loss, teacherEntropy };
    },
  };
}

const require = createRequire(import.meta.url);
const packageJson = new URL('../package.json', `file://${require.resolve('@jax-js/jax')}`);
const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

await main<JaxArray[]>(async (flags) => {
  const backend = flags.backend ?? 'wasm';
  const mode = flags.mode ?? 'jit';
  if (mode !== 'jit' && mode !== 'eager') throw new Error(`jax-js: --mode must be jit or eager, got ${mode}`);
  const devices = await jax.init();
  if (!devices.includes(backend as (typeof devices)[number])) throw new Error(`jax-js: device ${backend} is not available here (have ${devices.join(', ')})`);
  jax.defaultDevice(backend as (typeof devices)[number]);
  const threaded = typeof SharedArrayBuffer !== 'undefined' && typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
  return {
    library: 'jax-js',
    version,
    backend,
    mode,
    notes: [
      'position table for 12×12 crops: bicubic, as a constant (R⊗R) matmul (dino-step/pos-embed-resample.ts)',
      `wasm threads ${threaded} (jax-js starts workers only where the global Worker exists; Node has none)`,
    ],
    createTrainer: async (host) => createTrainer(host, mode, flags.dropPathRate),
    matmul: (a, b, size) => {
      const x = np.array(a).reshape([size, size]);
      const y = np.array(b).reshape([size, size]);
      return async () => void (await np.matmul(x.ref, y.ref).data());
    },
  } satisfies DinoStepTarget<JaxArray[]>;
});
