/**
 * A fully connected layer with PyTorch's layout: weight [out, in], bias [out], y = x Wᵀ + b.
 */
import { DTypeError, ShapeError, type DType, type Tensor, add, matmul, matrixTranspose, reshape } from '../core/index.js';
import { type LinearInit, initBias, initWeight } from './init.js';
import { checkChoice, checkInteger, checkKnownOptions } from './options.js';
import { splitKey } from './keys.js';

/** `weight` [out, in]; `bias` [out] (absent for a bias-free layer). */
export type LinearParams = {
  readonly weight: Tensor;
  readonly bias?: Tensor;
};

export interface LinearConfig {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Default true. */
  readonly bias?: boolean;
  /**
   * `truncNormal` (DINO's `_init_weights`: N(0, 0.02²) truncated at ±2, zero bias; the default),
   * `torchDefault` (PyTorch's `nn.Linear` init: kaiming-uniform a = √5, so U(±1/√in) for both
   * weight and bias), `xavierUniform` (MAE/SiameseIM: U(±√(6/(in+out))), zero bias), `zeros`.
   */
  readonly init?: LinearInit;
  /** Default float32. */
  readonly dtype?: DType;
}

const linearOptions = ['inFeatures', 'outFeatures', 'bias', 'init', 'dtype'];
export const linearInits: readonly LinearInit[] = ['truncNormal', 'torchDefault', 'xavierUniform', 'zeros'];

/** Initialises a linear layer; `key` is split between weight and bias. */
export function initLinear(key: Tensor, config: LinearConfig): LinearParams {
  checkKnownOptions('initLinear', config, linearOptions);
  const inFeatures = checkInteger('initLinear', 'inFeatures', config.inFeatures, 1);
  const outFeatures = checkInteger('initLinear', 'outFeatures', config.outFeatures, 1);
  const init = checkChoice('initLinear', 'init', config.init ?? 'truncNormal', linearInits);
  const dtype = config.dtype ?? 'float32';
  const [weightKey, biasKey] = splitKey(key, 2);
  const weight = initWeight(weightKey, [outFeatures, inFeatures], init, dtype);
  if (config.bias === false) return { weight };
  return { weight, bias: initBias(biasKey, outFeatures, inFeatures, init, dtype) };
}

export interface LinearOptions {
  /** The layer's dotted name (e.g. `blocks.0.attn.qkv`), used in error messages. */
  readonly name?: string;
}

/**
 * y = x Wᵀ + b over any leading axes.
 * Arguments: `x` [..., in] (rank ≥ 1; e.g. [B, in] or [B, N, in]). Returns [..., out].
 */
export function linear(params: LinearParams, x: Tensor, options: LinearOptions = {}): Tensor {
  const name = options.name ?? 'linear';
  const { weight, bias } = params;
  const inFeatures = weight.shape[1];
  if (weight.rank !== 2) throw new ShapeError(`linear '${name}': weight must be [out, in], got shape [${weight.shape.join(', ')}]`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== inFeatures) {
    throw new ShapeError(
      `linear '${name}': argument x has shape [${x.shape.join(', ')}] but weight [${weight.shape.join(', ')}] expects ${inFeatures} features on the last axis of x`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError(`linear '${name}': bias has shape [${bias.shape.join(', ')}] but weight [${weight.shape.join(', ')}] needs [${weight.shape[0]}]`);
  }
  if (x.dtype !== weight.dtype) {
    throw new DTypeError(`linear '${name}': argument x is ${x.dtype} but weight is ${weight.dtype}; cast the input (tapegrad never promotes)`);
  }
  const rows = x.rank === 1 ? reshape(x, [1, inFeatures]) : x;
  let y = matmul(rows, matrixTranspose(weight));
  if (bias) y = add(y, bias);
  return x.rank === 1 ? reshape(y, [weight.shape[0]]) : y;
}
