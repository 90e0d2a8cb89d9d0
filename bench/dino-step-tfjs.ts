/**
 * The DINO-step benchmark for TensorFlow.js 4.22 (`@tensorflow/tfjs-core` with the `cpu` and `wasm`
 * backends), written with tf ops and `tf.variableGrads`: the same ViT, head, loss, clipping, AdamW,
 * EMA and centre as `dino-step/preset.ts` describes. Run through `npm run bench`, or alone:
 * `npx tsx bench/dino-step-tfjs.ts --backend wasm --steps 2`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { type DinoStepTarget, type StepMetrics, main } from './dino-step/harness.js';
import { type HostParams, frozenParamName, isDecayed } from './dino-step/host-params.js';
import { posEmbedResampleMatrix } from './dino-step/pos-embed-resample.js';
import { benchVitMnist as preset, dropPathRates } from './dino-step/preset.js';

// tfjs-core's Node entry registers no gradients, and `register_all_gradients` ships only as an ES
// module inside dist/; loaded through require, it fills the same global gradient registry.
const require = createRequire(import.meta.url);
require('@tensorflow/tfjs-core/dist/register_all_gradients');

type Lookup = (name: string) => tf.Tensor;

function linear(weights: Lookup, name: string, x: tf.Tensor): tf.Tensor {
  const weight = weights(`${name}.weight`);
  const rows = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]]);
  const out = tf.add(tf.matMul(flat, weight, false, true), weights(`${name}.bias`));
  return tf.reshape(out, [...rows, weight.shape[0]]);
}

function layerNorm(weights: Lookup, name: string, x: tf.Tensor): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, preset.layerNormEps)));
  return tf.add(tf.mul(normed, weights(`${name}.weight`)), weights(`${name}.bias`));
}

// gelu(x) = x Φ(x), PyTorch's exact form
const gelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));

/** Stochastic depth: each sample's branch kept with probability 1 − rate and scaled by 1/(1 − rate). */
function dropPath(x: tf.Tensor, rate: number): tf.Tensor {
  if (rate === 0) return x;
  const keep = 1 - rate;
  const mask = tf.floor(tf.add(tf.randomUniform([x.shape[0], 1, 1]), keep));
  return tf.mul(x, tf.div(mask, keep));
}

function attention(weights: Lookup, name: string, x: tf.Tensor): tf.Tensor {
  const [batch, tokens, dim] = x.shape;
  const heads = preset.numHeads;
  const headDim = dim / heads;
  // [B, N, 3·H, hd] → [B, 3·H, N, hd]: q, k and v are the head ranges [0, H), [H, 2H), [2H, 3H)
  const qkv = tf.transpose(tf.reshape(linear(weights, `${name}.qkv`, x), [batch, tokens, 3 * heads, headDim]), [0, 2, 1, 3]);
  const part = (i: number) => tf.reshape(tf.slice(qkv, [0, i * heads, 0, 0], [batch, heads, tokens, headDim]), [batch * heads, tokens, headDim]);
  const probs = tf.softmax(tf.mul(tf.matMul(part(0), part(1), false, true), headDim ** -0.5));
  const mixed = tf.transpose(tf.reshape(tf.matMul(probs, part(2)), [batch, heads, tokens, headDim]), [0, 2, 1, 3]);
  return linear(weights, `${name}.proj`, tf.reshape(mixed, [batch, tokens, dim]));
}

/** [n, C, H, W] → [n, (H/p)·(W/p), C·p²], each patch flattened in (channel, row, col) order, rank ≤ 4 throughout. */
function patchify(images: tf.Tensor): tf.Tensor {
  const [n, channels, height, width] = images.shape;
  const p = preset.patchSize;
  const [rows, columns] = [height / p, width / p];
  const split = tf.transpose(tf.reshape(images, [n * channels * rows, p, columns, p]), [0, 2, 1, 3]);
  const byPatch = tf.transpose(tf.reshape(split, [n, channels, rows * columns, p * p]), [0, 2, 1, 3]);
  return tf.reshape(byPatch, [n, rows * columns, channels * p * p]);
}

/** The position table for a grid × grid input: the table itself, or its bicubic resize to 3×3. */
function positions(weights: Lookup, grid: number): tf.Tensor {
  const table = weights('backbone.pos_embed');
  const [, entries, dim] = table.shape;
  const tableGrid = Math.round(Math.sqrt(entries - 1));
  if (grid === tableGrid) return table;
  const resample = tf.tensor2d(posEmbedResampleMatrix(tableGrid, grid), [grid * grid, tableGrid * tableGrid]);
  const patchEntries = tf.reshape(tf.slice(table, [0, 1, 0], [1, entries - 1, dim]), [entries - 1, dim]);
  return tf.concat([tf.slice(table, [0, 0, 0], [1, 1, dim]), tf.reshape(tf.matMul(resample, patchEntries), [1, grid * grid, dim])], 1);
}

/** The ViT's normalised CLS feature, [n, D], of images [n, C, H, W]. */
function vitFeatures(weights: Lookup, images: tf.Tensor, dropPathRate: number): tf.Tensor {
  const weight = weights('backbone.patch_embed.proj.weight');
  const dim = weight.shape[0];
  const patches = tf.add(tf.matMul(tf.reshape(patchify(images), [-1, weight.size / dim]), tf.reshape(weight, [dim, -1]), false, true), weights('backbone.patch_embed.proj.bias'));
  const n = images.shape[0];
  const grid = images.shape[2]! / preset.patchSize;
  const cls = tf.tile(weights('backbone.cls_token'), [n, 1, 1]);
  let x = tf.add(tf.concat([cls, tf.reshape(patches, [n, grid * grid, dim])], 1), positions(weights, grid));
  const rates = dropPathRates(dropPathRate);
  for (let i = 0; i < preset.depth; i++) {
    const block = `backbone.blocks.${i}`;
    const rate = rates[i];
    x = tf.add(x, dropPath(attention(weights, `${block}.attn`, layerNorm(weights, `${block}.norm1`, x)), rate));
    const hidden = linear(weights, `${block}.mlp.fc2`, gelu(linear(weights, `${block}.mlp.fc1`, layerNorm(weights, `${block}.norm2`, x))));
    x = tf.add(x, dropPath(hidden, rate));
  }
  return tf.reshape(tf.slice(layerNorm(weights, 'backbone.norm', x), [0, 0, 0], [n, 1, dim]), [n, dim]);
}

/** DINOHead: MLP → l2-normalise → weight-normalised prototypes g·v/‖v‖ (g frozen). [n, D] → [n, K]. */
function head(weights: Lookup, features: tf.Tensor): tf.Tensor {
  const hidden = linear(weights, 'head.mlp.4', gelu(linear(weights, 'head.mlp.2', gelu(linear(weights, 'head.mlp.0', features)))));
  const bottleneck = tf.div(hidden, tf.maximum(tf.norm(hidden, 'euclidean', -1, true), 1e-12));
  const v = weights('head.last_layer.weight_v');
  const prototypes = tf.mul(v, tf.div(weights(frozenParamName), tf.norm(v, 'euclidean', 1, true)));
  return tf.matMul(bottleneck, prototypes, false, true);
}

/** MultiCropWrapper: the backbone once per run of same-size crops, the head once on all rows. The teacher passes dropPathRate 0. */
function forward(weights: Lookup, crops: readonly tf.Tensor[], dropPathRate: number): tf.Tensor {
  const groups: tf.Tensor[][] = [];
  for (const crop of crops) {
    const last = groups[groups.length - 1];
    if (last && last[0].shape[3] === crop.shape[3]) last.push(crop);
    else groups.push([crop]);
  }
  return head(weights, tf.concat(groups.map((group) => vitFeatures(weights, tf.concat(group, 0), dropPathRate)), 0));
}

/** log q = logSoftmax((teacherOut − centre) / τt), [2B, K]. */
const teacherLogTargets = (teacherOut: tf.Tensor, center: tf.Tensor) => tf.logSoftmax(tf.div(tf.sub(teacherOut, center), preset.teacherTemp));

/** h(P_t) = −Σ_k q log q, averaged over the 2B teacher rows. */
function teacherEntropy(teacherOut: tf.Tensor, center: tf.Tensor): tf.Scalar {
  const logTargets = teacherLogTargets(teacherOut, center);
  return tf.neg(tf.div(tf.sum(tf.mul(tf.exp(logTargets), logTargets)), teacherOut.shape[0])) as tf.Scalar;
}

/** The DINO loss: the mean over the 2V − 2 pairs (teacher crop i, student crop v ≠ i) of mean_b H(q_i, p_v). */
function dinoLoss(studentOut: tf.Tensor, teacherOut: tf.Tensor, center: tf.Tensor): tf.Scalar {
  const crops = studentOut.shape[0] / preset.batch;
  const targets = tf.split(tf.exp(teacherLogTargets(teacherOut, center)), 2, 0);
  const logProbs = tf.split(tf.logSoftmax(tf.div(studentOut, preset.studentTemp)), crops, 0);
  const terms: tf.Tensor[] = [];
  targets.forEach((q, i) => logProbs.forEach((logP, v) => v !== i && terms.push(tf.mean(tf.sum(tf.mul(q, logP), -1)))));
  return tf.div(tf.neg(tf.addN(terms)), terms.length) as tf.Scalar;
}

function createTrainer(host: HostParams, dropPathRate: number) {
  const names = [...host.keys()];
  const trainable = names.filter((name) => name !== frozenParamName);
  const make = (prefix: string, fill?: 'zeros') =>
    new Map(names.map((name) => {
      const { shape, data } = host.get(name)!;
      return [name, tf.variable(fill ? tf.zeros([...shape]) : tf.tensor(data, [...shape]), prefix === 'student', `${prefix}.${name}`)];
    }));
  const student = make('student');
  const teacher = make('teacher');
  const firstMoment = make('m', 'zeros');
  const secondMoment = make('v', 'zeros');
  const center = tf.variable(tf.zeros([1, preset.outDim]), false, 'center');
  const studentVariables = trainable.map((name) => student.get(name)!);
  let step = 0;

  return {
    upload: (crops: readonly { shape: readonly number[]; data: Float32Array }[]) => crops.map((crop) => tf.tensor(crop.data, [...crop.shape])),
    step: async (batch: tf.Tensor[]): Promise<StepMetrics> => {
      step += 1;
      const values = tf.tidy(() => {
        const teacherOut = forward((name) => teacher.get(name)!, batch.slice(0, 2), 0);
        const entropy = teacherEntropy(teacherOut, center);
        const { value, grads } = tf.variableGrads(() => dinoLoss(forward((name) => student.get(name)!, batch, dropPathRate), teacherOut, center), studentVariables);
        const { lr, weightDecay, beta1, beta2, adamEps, clipGrad } = preset;
        const stepSize = lr / (1 - beta1 ** step);
        const secondCorrection = Math.sqrt(1 - beta2 ** step);
        for (const name of trainable) {
          const param = student.get(name)!;
          const gradient = grads[param.name];
          // per-parameter clipping: g ← g · min(1, clip / (‖g‖ + 1e-6))
          const clipped = tf.mul(gradient, tf.minimum(1, tf.div(clipGrad, tf.add(tf.norm(gradient), 1e-6))));
          const m = firstMoment.get(name)!;
          const v = secondMoment.get(name)!;
          m.assign(tf.add(tf.mul(m, beta1), tf.mul(clipped, 1 - beta1)));
          v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(clipped), 1 - beta2)));
          const decayed = isDecayed(name, param.shape) ? tf.mul(param, 1 - lr * weightDecay) : param;
          param.assign(tf.sub(decayed, tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(v), secondCorrection), adamEps)), stepSize)));
        }
        for (const name of names) {
          const t = teacher.get(name)!;
          t.assign(tf.add(tf.mul(t, preset.teacherMomentum), tf.mul(student.get(name)!, 1 - preset.teacherMomentum)));
        }
        center.assign(tf.add(tf.mul(center, preset.centerMomentum), tf.mul(tf.mean(teacherOut, 0, true), 1 - preset.centerMomentum)));
        return tf.stack([value, entropy]);
      });
      const [loss, entropyValue] = values.dataSync();
      values.dispose();
      return { loss, teacherEntropy: entropyValue };
    },
  };
}

await main<tf.Tensor[]>(async (flags) => {
  const backend = flags.backend ?? 'wasm';
  if (!['cpu', 'wasm'].includes(backend)) throw new Error(`tfjs: --backend must be cpu or wasm, got ${backend}`);
  if (flags.mode !== undefined && flags.mode !== 'eager') throw new Error(`tfjs: mode ${flags.mode} does not exist (TF.js runs eagerly)`);
  const wasmDirectory = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(wasmDirectory + path.sep);
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} failed to initialise`);
  await tf.ready();
  const notes = ['position table for 12×12 crops: bicubic, as a constant (R⊗R) matmul (dino-step/pos-embed-resample.ts)'];
  if (backend === 'wasm') notes.push(`wasm simd ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}`);
  return {
    library: 'tfjs',
    version: tf.version_core,
    backend,
    mode: 'eager',
    notes,
    createTrainer: async (host) => createTrainer(host, flags.dropPathRate),
    matmul: (a, b, size) => {
      const x = tf.tensor2d(a, [size, size]);
      const y = tf.tensor2d(b, [size, size]);
      return async () => {
        const product = tf.matMul(x, y);
        product.dataSync();
        product.dispose();
      };
    },
  } satisfies DinoStepTarget<tf.Tensor[]>;
});
