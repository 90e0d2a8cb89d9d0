/**
 * Method sugar: `x.add(y).sum()` calls the same functions as `sum(add(x, y))`. Nothing here computes;
 * each method forwards every argument it gets to the one definition of its op, so the op's checks see
 * exactly what was passed (`x.gelu({approximate: 'tanh'})` is refused as `gelu(x, {...})` is).
 */
import type { DType } from './dtype.js';
import { concat } from './ops/concat.js';
import { expandDims, squeeze } from './composites/axes.js';
import { type L2NormalizeOptions, l2Normalize, layerNorm, type LayerNormOptions } from './composites/normalization.js';
import { logSoftmax, softmax } from './composites/softmax.js';
import { logsumexp, mean, variance, type VarianceOptions } from './composites/statistics.js';
import * as binary from './ops/binary.js';
import { broadcastTo } from './ops/broadcast.js';
import { cast } from './ops/cast.js';
import * as compare from './ops/compare.js';
import { flip } from './ops/flip.js';
import { take } from './ops/gather.js';
import { matmul } from './ops/matmul.js';
import type { TensorLike } from './ops/operand.js';
import { pad, type PadOptions } from './ops/pad.js';
import { max, min, type ReduceOptions, sum } from './ops/reduce.js';
import { reshape } from './ops/reshape.js';
import { type AxisSlice, slice } from './ops/slice.js';
import { matrixTranspose, transpose } from './ops/transpose.js';
import * as unary from './ops/unary.js';
import { type AxesOption, type AxisOption, checkTensorList } from './options.js';
import { Tensor } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(other: TensorLike): Tensor;
    maximum(other: TensorLike): Tensor;
    minimum(other: TensorLike): Tensor;
    greater(other: TensorLike): Tensor;
    greaterEqual(other: TensorLike): Tensor;
    less(other: TensorLike): Tensor;
    equal(other: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    square(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    erf(): Tensor;
    gelu(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    reciprocal(): Tensor;
    powScalar(exponent: number): Tensor;
    sum(options?: ReduceOptions): Tensor;
    mean(options?: ReduceOptions): Tensor;
    max(options?: ReduceOptions): Tensor;
    min(options?: ReduceOptions): Tensor;
    variance(options?: number | readonly number[] | VarianceOptions): Tensor;
    logsumexp(options?: ReduceOptions): Tensor;
    softmax(axis?: AxisOption): Tensor;
    logSoftmax(axis?: AxisOption): Tensor;
    layerNorm(weight?: Tensor, bias?: Tensor, options?: LayerNormOptions): Tensor;
    l2Normalize(options?: number | L2NormalizeOptions): Tensor;
    matmul(other: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    matrixTranspose(): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    expandDims(axis: AxisOption): Tensor;
    squeeze(axis?: AxesOption): Tensor;
    slice(axes: readonly (AxisSlice | null | undefined)[]): Tensor;
    flip(axis?: AxesOption): Tensor;
    pad(options: PadOptions): Tensor;
    take(indices: Tensor, axis?: AxisOption): Tensor;
    concat(others: readonly Tensor[], axis?: AxisOption): Tensor;
    cast(dtype: DType): Tensor;
  }
}

const methods: Partial<{ [Name in keyof Tensor]: Tensor[Name] }> & ThisType<Tensor> = {
  add(...args) { return binary.add(this, ...args); },
  sub(...args) { return binary.sub(this, ...args); },
  mul(...args) { return binary.mul(this, ...args); },
  div(...args) { return binary.div(this, ...args); },
  pow(...args) { return binary.pow(this, ...args); },
  maximum(...args) { return binary.maximum(this, ...args); },
  minimum(...args) { return binary.minimum(this, ...args); },
  greater(...args) { return compare.greater(this, ...args); },
  greaterEqual(...args) { return compare.greaterEqual(this, ...args); },
  less(...args) { return compare.less(this, ...args); },
  equal(...args) { return compare.equal(this, ...args); },
  neg(...args) { return unary.neg(this, ...args); },
  exp(...args) { return unary.exp(this, ...args); },
  log(...args) { return unary.log(this, ...args); },
  log1p(...args) { return unary.log1p(this, ...args); },
  sqrt(...args) { return unary.sqrt(this, ...args); },
  rsqrt(...args) { return unary.rsqrt(this, ...args); },
  square(...args) { return unary.square(this, ...args); },
  abs(...args) { return unary.abs(this, ...args); },
  sign(...args) { return unary.sign(this, ...args); },
  tanh(...args) { return unary.tanh(this, ...args); },
  sigmoid(...args) { return unary.sigmoid(this, ...args); },
  relu(...args) { return unary.relu(this, ...args); },
  erf(...args) { return unary.erf(this, ...args); },
  gelu(...args) { return unary.gelu(this, ...args); },
  sin(...args) { return unary.sin(this, ...args); },
  cos(...args) { return unary.cos(this, ...args); },
  reciprocal(...args) { return unary.reciprocal(this, ...args); },
  powScalar(...args) { return unary.powScalar(this, ...args); },
  sum(...args) { return sum(this, ...args); },
  mean(...args) { return mean(this, ...args); },
  max(...args) { return max(this, ...args); },
  min(...args) { return min(this, ...args); },
  variance(...args) { return variance(this, ...args); },
  logsumexp(...args) { return logsumexp(this, ...args); },
  softmax(...args) { return softmax(this, ...args); },
  logSoftmax(...args) { return logSoftmax(this, ...args); },
  layerNorm(...args) { return layerNorm(this, ...args); },
  l2Normalize(...args) { return l2Normalize(this, ...args); },
  matmul(...args) { return matmul(this, ...args); },
  reshape(...args) { return reshape(this, ...args); },
  transpose(...args) { return transpose(this, ...args); },
  matrixTranspose(...args) { return matrixTranspose(this, ...args); },
  broadcastTo(...args) { return broadcastTo(this, ...args); },
  expandDims(...args) { return expandDims(this, ...args); },
  squeeze(...args) { return squeeze(this, ...args); },
  slice(...args) { return slice(this, ...args); },
  flip(...args) { return flip(this, ...args); },
  pad(...args) { return pad(this, ...args); },
  take(...args) { return take(this, ...args); },
  concat(others, axis) { return concat([this, ...checkTensorList('concat', others)], axis); },
  cast(...args) { return cast(this, ...args); },
};

Object.assign(Tensor.prototype, methods);
