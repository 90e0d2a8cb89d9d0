/**
 * The linear evaluation of DINO (`eval_linear.py`), cut down to what digits need: multinomial
 * logistic regression on frozen, L2-normalised features, trained full-batch with tapegrad's own
 * `valueAndGrad` and `adamw`, scored by top-1 on a held-out split. A convex problem, so a few
 * hundred full-batch steps settle it in seconds.
 */
import { type Tensor, OptionError, ShapeError, add, crossEntropy, l2Normalize, matmul, stopGradient, tensor, valueAndGrad, zeros } from '../core/index.js';
import { type AdamwState, adamw, initAdamw } from '../nn/index.js';

export interface LinearProbeOptions {
  readonly numClasses: number;
  /** Full-batch AdamW steps (default 300). */
  readonly steps?: number;
  /** Default 0.05. */
  readonly lr?: number;
  /** Decoupled weight decay on the weight matrix (default 1e-4); the bias does not decay. */
  readonly weightDecay?: number;
}

export interface LinearProbeResult {
  /** Test accuracy in %. */
  readonly top1: number;
  /** Train accuracy in %, to see whether the probe fits at all. */
  readonly trainTop1: number;
  /** Mean cross-entropy on the train split after the last step. */
  readonly trainLoss: number;
}

type Probe = { readonly weight: Tensor; readonly bias: Tensor };

/** One-hot rows [N, C] of integer `labels`. */
function oneHot(labels: ArrayLike<number>, numClasses: number, dtype: 'float32' | 'float64'): Tensor {
  const rows = new Float64Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) throw new OptionError(`linearProbe: label ${label} at row ${i} is not in 0..${numClasses - 1}`);
    rows[i * numClasses + label] = 1;
  }
  return tensor(rows, { shape: [labels.length, numClasses], dtype });
}

/** Percentage of rows of `logits` [N, C] whose argmax is the label. */
export function top1Accuracy(logits: Tensor, labels: ArrayLike<number>): number {
  const [rows, classes] = logits.shape;
  const values = logits.dataSync();
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[i * classes + c] > values[i * classes + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return (100 * correct) / rows;
}

/**
 * Arguments: `trainFeatures` [N, D] and `trainLabels` (N integers), `testFeatures` [M, D] and
 * `testLabels`. Features are L2-normalised per row first and never differentiated. Returns accuracies in %.
 */
export function linearProbe(
  trainFeatures: Tensor,
  trainLabels: ArrayLike<number>,
  testFeatures: Tensor,
  testLabels: ArrayLike<number>,
  options: LinearProbeOptions,
): LinearProbeResult {
  const { numClasses, steps = 300, lr = 0.05, weightDecay = 1e-4 } = options;
  if (trainFeatures.rank !== 2 || testFeatures.rank !== 2 || trainFeatures.shape[1] !== testFeatures.shape[1]) {
    throw new ShapeError(`linearProbe: features must be [N, D] and [M, D], got [${trainFeatures.shape}] and [${testFeatures.shape}]`);
  }
  if (trainLabels.length !== trainFeatures.shape[0] || testLabels.length !== testFeatures.shape[0]) {
    throw new ShapeError(`linearProbe: ${trainLabels.length} and ${testLabels.length} labels for ${trainFeatures.shape[0]} and ${testFeatures.shape[0]} rows`);
  }
  const dtype = trainFeatures.dtype === 'float64' ? 'float64' : 'float32';
  const normalize = (x: Tensor) => l2Normalize(stopGradient(x), { axis: 1, eps: 1e-12 });
  const [train, test] = [normalize(trainFeatures), normalize(testFeatures)];
  const targets = oneHot(trainLabels, numClasses, dtype);
  const logitsOf = (probe: Probe, x: Tensor) => add(matmul(x, probe.weight), probe.bias);
  const objective = (probe: Probe) => crossEntropy(logitsOf(probe, train), targets);
  const groups = (name: string) => (name === 'bias' ? 'noDecay' : 'decay');
  let probe: Probe = { weight: zeros([train.shape[1], numClasses], dtype), bias: zeros([1, numClasses], dtype) };
  let state: AdamwState = initAdamw();
  let loss = NaN;
  for (let step = 0; step < steps; step++) {
    const [value, grads] = valueAndGrad(objective)(probe);
    loss = value.item();
    const next = adamw(probe, grads, state, { lr, weightDecay, groups });
    [probe, state] = [next.params as Probe, next.state];
  }
  return { top1: top1Accuracy(logitsOf(probe, test), testLabels), trainTop1: top1Accuracy(logitsOf(probe, train), trainLabels), trainLoss: loss };
}
