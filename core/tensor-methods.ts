/**
 * Method sugar: `x.add(y).sum()` calls the same functions as `sum(add(x, y))`. Nothing here computes;
 * each method forwards to the one definition of its op.
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
  add(other) { return binary.add(this, other); },
  sub(other) { return binary.sub(this, other); },
  mul(other) { return binary.mul(this, other); },
  div(other) { return binary.div(this, other); },
  pow(other) { return binary.pow(this, other); },
  maximum(other) { return binary.maximum(this, other); },
  minimum(other) { return binary.minimum(this, other); },
  greater(other) { return compare.greater(this, other); },
  greaterEqual(other) { return compare.greaterEqual(this, other); },
  less(other) { return compare.less(this, other); },
  equal(other) { return compare.equal(this, other); },
  neg() { return unary.neg(this); },
  exp() { return unary.exp(this); },
  log() { return unary.log(this); },
  log1p() { return unary.log1p(this); },
  sqrt() { return unary.sqrt(this); },
  rsqrt() { return unary.rsqrt(this); },
  square() { return unary.square(this); },
  abs() { return unary.abs(this); },
  sign() { return unary.sign(this); },
  tanh() { return unary.tanh(this); },
  sigmoid() { return unary.sigmoid(this); },
  relu() { return unary.relu(this); },
  erf() { return unary.erf(this); },
  gelu() { return unary.gelu(this); },
  sin() { return unary.sin(this); },
  cos() { return unary.cos(this); },
  reciprocal() { return unary.reciprocal(this); },
  powScalar(exponent) { return unary.powScalar(this, exponent); },
  sum(options) { return sum(this, options); },
  mean(options) { return mean(this, options); },
  max(options) { return max(this, options); },
  min(options) { return min(this, options); },
  variance(options) { return variance(this, options); },
  logsumexp(options) { return logsumexp(this, options); },
  softmax(axis) { return softmax(this, axis); },
  logSoftmax(axis) { return logSoftmax(this, axis); },
  layerNorm(weight, bias, options) { return layerNorm(this, weight, bias, options); },
  l2Normalize(options) { return l2Normalize(this, options); },
  matmul(other) { return matmul(this, other); },
  reshape(shape) { return reshape(this, shape); },
  transpose(perm) { return transpose(this, perm); },
  matrixTranspose() { return matrixTranspose(this); },
  broadcastTo(shape) { return broadcastTo(this, shape); },
  expandDims(axis) { return expandDims(this, axis); },
  squeeze(axis) { return squeeze(this, axis); },
  slice(axes) { return slice(this, axes); },
  flip(axis) { return flip(this, axis); },
  pad(options) { return pad(this, options); },
  take(indices, axis) { return take(this, indices, axis); },
  concat(others, axis) { return concat([this, ...checkTensorList('concat', others)], axis); },
  cast(dtype) { return cast(this, dtype); },
};

Object.assign(Tensor.prototype, methods);
