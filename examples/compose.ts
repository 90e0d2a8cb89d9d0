/**
 * A model composed from nothing but pure functions: a two-layer perceptron that reads 14×14 MNIST
 * digits, trained in plain eager code (no jit) with `valueAndGrad` and nn's `adamw`. It shows how the
 * pieces fit together:
 *
 *   parameters    plain nested objects of tensors, described by `type` aliases
 *   PRNG keys     one key per layer, split from the model's key; no global random state
 *   the model     a function of (params, inputs), nothing hidden
 *   gradients     `valueAndGrad(loss)(params, …)` returns the loss and a tree shaped like params
 *   optimiser     `adamw(params, grads, state, hparams)` returns new params and a new state
 *   treeMap       maps a function over every tensor of one or more trees of the same shape
 *
 *   npx tsx examples/compose.ts [--steps 150] [--seed 0]      # a few seconds
 */
import { pathToFileURL } from 'node:url';
import {
  type Tensor,
  add,
  crossEntropy,
  matmul,
  mean,
  mul,
  random,
  relu,
  reshape,
  setBackend,
  sliceAxis,
  sub,
  take,
  tensor,
  treeLeaves,
  treeMap,
  valueAndGrad,
  zeros,
} from '../core/index.js';
import { type AdamwState, adamw, initAdamw } from '../nn/index.js';
import { parseFlags } from './support/cli.js';
import { loadMnist } from './support/mnist.js';

// ---------------------------------------------------------------------------------------------
// the model: parameter types, initialisers that take a key, and pure forward functions

/** y = x·W + b. weight [inputs, outputs], bias [outputs]. */
type Dense = { weight: Tensor; bias: Tensor };
type Perceptron = { hidden: Dense; output: Dense };

/** He-normal weights (suited to the ReLU after them) and zero biases. */
function initDense(key: Tensor, inputs: number, outputs: number): Dense {
  return { weight: random.normal(key, [inputs, outputs], { std: Math.sqrt(2 / inputs) }), bias: zeros([outputs]) };
}

/** Each layer gets its own key, so adding a layer never changes how the others start. */
function initPerceptron(key: Tensor, sizes: { inputs: number; hidden: number; classes: number }): Perceptron {
  const [hiddenKey, outputKey] = random.split(key, 2);
  return { hidden: initDense(hiddenKey, sizes.inputs, sizes.hidden), output: initDense(outputKey, sizes.hidden, sizes.classes) };
}

/** x [N, inputs] → [N, outputs]. */
const dense = (params: Dense, x: Tensor) => add(matmul(x, params.weight), params.bias);

/** x [N, 196] → logits [N, 10]. */
const perceptron = (params: Perceptron, x: Tensor) => dense(params.output, relu(dense(params.hidden, x)));

/** Mean cross-entropy of a batch: x [N, 196], oneHot [N, 10]. Differentiated in its first argument only. */
const loss = (params: Perceptron, x: Tensor, oneHot: Tensor) => crossEntropy(perceptron(params, x), oneHot);

// ---------------------------------------------------------------------------------------------
// data: a small MNIST subset, average-pooled 2×2 to 14×14 and flattened

type Digits = { x: Tensor; labels: Int32Array; oneHot: Tensor };

function digits(images: Tensor, labels: Tensor): Digits {
  const n = images.shape[0];
  const pooled = mean(reshape(images, [n, 14, 2, 14, 2]), { axis: [2, 4] });
  const x = reshape(mul(sub(pooled, 0.13), 1 / 0.3), [n, 196]);
  const classes = Int32Array.from(labels.dataSync());
  const oneHot = new Float32Array(n * 10);
  classes.forEach((label, row) => (oneHot[row * 10 + label] = 1));
  return { x, labels: classes, oneHot: tensor(oneHot, { shape: [n, 10] }) };
}

/** Rows of a batch, picked with `take` (a gather) on both inputs and targets. */
function rows(data: Digits, indices: Int32Array): { x: Tensor; oneHot: Tensor } {
  const picked = tensor(indices, { dtype: 'int32' });
  return { x: take(data.x, picked, 0), oneHot: take(data.oneHot, picked, 0) };
}

/** Percentage of rows whose largest logit is the label. */
function accuracy(params: Perceptron, data: Digits): number {
  const logits = perceptron(params, data.x).dataSync();
  let correct = 0;
  data.labels.forEach((label, row) => {
    const scores = Array.from(logits.subarray(row * 10, row * 10 + 10));
    if (scores.indexOf(Math.max(...scores)) === label) correct++;
  });
  return (100 * correct) / data.labels.length;
}

// ---------------------------------------------------------------------------------------------
// training, eager: every step is ordinary function calls on immutable values

export interface ComposeResult {
  /** Mean training loss over the first and the last `reportEvery` steps. */
  readonly firstLoss: number;
  readonly lastLoss: number;
  /** Test accuracy (%) of the final parameters and of their exponential moving average. */
  readonly testAccuracy: number;
  readonly averagedTestAccuracy: number;
  readonly parameters: number;
}

export function main(argv: readonly string[] = [], write: (line: string) => void = console.log): ComposeResult {
  const flags = parseFlags(argv, {
    steps: { type: 'integer', default: 150, min: 1, help: 'training steps' },
    seed: { type: 'integer', default: 0, min: 0, help: 'seed of the initialisation and the batch order' },
  }, { program: 'npx tsx examples/compose.ts', description: 'A two-layer perceptron on 14×14 MNIST digits, trained with valueAndGrad and adamw.' });
  // at these sizes plain JavaScript beats launching kernels
  setBackend('reference');
  const mnist = loadMnist({ limitPerDigit: 200 });
  const train = digits(mnist.train.images, mnist.train.labels);
  const test = digits(mnist.test.images, mnist.test.labels);

  // one key for the model, one for the data order: split, never reused
  const [modelKey, dataKey] = random.split(random.key(flags.seed), 2);
  let params = initPerceptron(modelKey, { inputs: 196, hidden: 64, classes: 10 });
  let optimiser: AdamwState = initAdamw();
  // a Polyak average of the weights, kept with treeMap over two trees of the same shape
  let averaged = params;
  const parameters = treeLeaves(params).reduce((total, leaf) => total + leaf.size, 0);
  write(`${parameters} parameters: ${JSON.stringify(treeMap((leaf) => leaf.shape, params))}`);

  const lossAndGrads = valueAndGrad(loss);
  const batchSize = 64;
  const reportEvery = 25;
  const losses: number[] = [];
  for (let step = 0; step < flags.steps; step++) {
    const order = random.permutation(random.foldIn(dataKey, step), train.labels.length).dataSync();
    const batch = rows(train, Int32Array.from(order.subarray(0, batchSize)));
    const [value, grads] = lossAndGrads(params, batch.x, batch.oneHot) as [Tensor, Perceptron];
    const updated = adamw(params, grads, optimiser, { lr: 3e-3, weightDecay: 1e-4 });
    params = updated.params as Perceptron;
    optimiser = updated.state;
    averaged = treeMap<Perceptron>((average, current) => add(mul(average, 0.9), mul(current, 0.1)), averaged, params);
    losses.push(value.item());
    if ((step + 1) % reportEvery === 0 || step + 1 === flags.steps) {
      const recent = losses.slice(-reportEvery);
      write(`step ${String(step + 1).padStart(4)}  loss ${(recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(4)}`);
    }
  }
  const meanOf = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const result: ComposeResult = {
    firstLoss: meanOf(losses.slice(0, reportEvery)),
    lastLoss: meanOf(losses.slice(-reportEvery)),
    testAccuracy: accuracy(params, test),
    averagedTestAccuracy: accuracy(averaged, test),
    parameters,
  };
  write(`test accuracy on ${test.labels.length} digits: ${result.testAccuracy.toFixed(1)} % (weight average ${result.averagedTestAccuracy.toFixed(1)} %)`);
  // a slice of the first test digit's logits, to show the output is just a tensor
  write(`logits of the first test digit (label ${test.labels[0]}): ${Array.from(perceptron(params, sliceAxis(test.x, 0, 0, 1)).dataSync(), (v) => v.toFixed(1)).join(' ')}`);
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`compose: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
