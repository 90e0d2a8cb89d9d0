import type { KernelThis } from '../kernel.js';
import { type OpDef, apply } from '../op.js';
import { checkArgument, checkNoOptions, option } from '../options.js';
import type { Tensor } from '../tensor.js';
import { add, div, mul, sub } from './binary.js';
import { greater } from './compare.js';
import { elementwiseOp } from './elementwise.js';
import { erfFloat32, erfSeries } from './erf.js';
import { type TensorLike, asTensor } from './operand.js';

type X = { x: Tensor };
type Y = { y: Tensor };
const keepX = ([x]: readonly Tensor[]): X => ({ x });
const keepY = (_: readonly Tensor[], y: Tensor): Y => ({ y });
const keepNothing = () => ({});
/** float64 gets the exact series; float32 a cheaper formula accurate to float32 (see erf.ts). */
const exactInFloat64 = (_attrs: {}, dtype: string) => ({ exact: dtype === 'float64' ? 1 : 0 });

export const negOp = elementwiseOp({
  name: 'neg', args: ['x'], integers: true, save: keepNothing,
  kernel: function (this: KernelThis, x: Float32Array) { return -x[this.thread.x]; },
  // d(−x) = −dx
  vjp: (ct) => [neg(ct)],
});

export const expOp = elementwiseOp({
  name: 'exp', args: ['x'], save: keepY,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.exp(x[this.thread.x]); },
  // d exp(x) = exp(x) dx
  vjp: (ct, { y }: Y) => [mul(ct, y)],
});

export const logOp = elementwiseOp({
  name: 'log', args: ['x'], save: keepX,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.log(x[this.thread.x]); },
  // d log(x) = dx / x
  vjp: (ct, { x }: X) => [div(ct, x)],
});

export const log1pOp = elementwiseOp({
  name: 'log1p', args: ['x'], save: keepX,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.log1p(x[this.thread.x]); },
  // d log(1 + x) = dx / (1 + x)
  vjp: (ct, { x }: X) => [div(ct, add(x, 1))],
});

export const sqrtOp = elementwiseOp({
  name: 'sqrt', args: ['x'], save: keepY,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.sqrt(x[this.thread.x]); },
  // d √x = dx / (2√x)
  vjp: (ct, { y }: Y) => [div(ct, mul(y, 2))],
});

export const rsqrtOp = elementwiseOp({
  name: 'rsqrt', args: ['x'], save: keepY,
  kernel: function (this: KernelThis, x: Float32Array) { return 1.0 / Math.sqrt(x[this.thread.x]); },
  // d x^(−1/2) = −½ x^(−3/2) dx = −½ y³ dx
  vjp: (ct, { y }: Y) => [mul(ct, mul(powScalar(y, 3), -0.5))],
});

export const squareOp = elementwiseOp({
  name: 'square', args: ['x'], integers: true, save: keepX,
  kernel: function (this: KernelThis, x: Float32Array) { const v = x[this.thread.x]; return v * v; },
  // d x² = 2x dx
  vjp: (ct, { x }: X) => [mul(ct, mul(x, 2))],
});

export const absOp = elementwiseOp({
  name: 'abs', args: ['x'], integers: true, save: keepX,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.abs(x[this.thread.x]); },
  // d |x| = sign(x) dx (0 at x = 0, as in JAX)
  vjp: (ct, { x }: X) => [mul(ct, sign(x))],
});

export const signOp = elementwiseOp({
  name: 'sign', args: ['x'], integers: true, save: keepNothing,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.sign(x[this.thread.x]); },
  // piecewise constant: no gradient
  vjp: () => [null],
});

export const tanhOp = elementwiseOp({
  name: 'tanh', args: ['x'], save: keepY,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.tanh(x[this.thread.x]); },
  // d tanh(x) = (1 − tanh(x)²) dx
  vjp: (ct, { y }: Y) => [mul(ct, sub(1, square(y)))],
});

export const sigmoidOp = elementwiseOp({
  name: 'sigmoid', args: ['x'], save: keepY,
  kernel: function (this: KernelThis, x: Float32Array) { return 1.0 / (1.0 + Math.exp(-x[this.thread.x])); },
  // d σ(x) = σ(x)(1 − σ(x)) dx
  vjp: (ct, { y }: Y) => [mul(ct, mul(y, sub(1, y)))],
});

export const reluOp = elementwiseOp({
  name: 'relu', args: ['x'], integers: true, save: keepX,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.max(x[this.thread.x], 0.0); },
  // d relu(x) = [x > 0] dx
  vjp: (ct, { x }: X) => [mul(ct, greater(x, 0))],
});

export const erfOp = elementwiseOp({
  name: 'erf', args: ['x'], save: keepX, helpers: [erfSeries, erfFloat32], constants: exactInFloat64,
  kernel: function (this: KernelThis, x: Float32Array) {
    if (this.constants.exact > 0.5) {
      return erfSeries(x[this.thread.x]);
    }
    return erfFloat32(x[this.thread.x]);
  },
  // d erf(x) = 2/√π · e^(−x²) dx
  vjp: (ct, { x }: X) => [mul(ct, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)))],
});

export const geluOp = elementwiseOp({
  name: 'gelu', args: ['x'], save: keepX, helpers: [erfSeries, erfFloat32], constants: exactInFloat64,
  kernel: function (this: KernelThis, x: Float32Array) {
    const v = x[this.thread.x];
    if (this.constants.exact > 0.5) {
      return 0.5 * v * (1.0 + erfSeries(v * 0.7071067811865476));
    }
    return 0.5 * v * (1.0 + erfFloat32(v * 0.7071067811865476));
  },
  // as for exp: the SIMD kernel is several times faster than gpu.js's or a V8 loop (the MLPs' cost)
  // gelu(x) = x Φ(x), so d gelu(x) = gelu′(x) dx, one fused op rather than a chain of eleven
  vjp: (ct, { x }: X) => [mul(ct, geluDerivative(x))],
});

/** 1/√(2π), the normal density's factor (gpu.js kernels cannot read it: they spell it out). */
const invSqrt2Pi = 1 / Math.sqrt(2 * Math.PI);

/** gelu′(x) = Φ(x) + x φ(x), with φ(x) = e^(−x²/2)/√(2π): the backward pass of every MLP in a ViT. */
export const geluDerivativeOp = elementwiseOp({
  name: 'geluDerivative', args: ['x'], save: keepX, helpers: [erfSeries, erfFloat32], constants: exactInFloat64,
  kernel: function (this: KernelThis, x: Float32Array) {
    const v = x[this.thread.x];
    const pdf = 0.3989422804014327 * Math.exp(-0.5 * v * v);
    if (this.constants.exact > 0.5) {
      return 0.5 * (1.0 + erfSeries(v * 0.7071067811865476)) + v * pdf;
    }
    return 0.5 * (1.0 + erfFloat32(v * 0.7071067811865476)) + v * pdf;
  },
  // d gelu′(x) = (φ(x) + φ(x) − x² φ(x)) dx = φ(x)(2 − x²) dx, from primitives so every order works
  vjp: (ct, { x }: X) => {
    const pdf = mul(exp(mul(square(x), -0.5)), invSqrt2Pi);
    return [mul(ct, mul(pdf, sub(2, square(x))))];
  },
});

export const sinOp = elementwiseOp({
  name: 'sin', args: ['x'], save: keepX,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.sin(x[this.thread.x]); },
  // d sin(x) = cos(x) dx
  vjp: (ct, { x }: X) => [mul(ct, cos(x))],
});

export const cosOp = elementwiseOp({
  name: 'cos', args: ['x'], save: keepX,
  kernel: function (this: KernelThis, x: Float32Array) { return Math.cos(x[this.thread.x]); },
  // d cos(x) = −sin(x) dx
  vjp: (ct, { x }: X) => [neg(mul(ct, sin(x)))],
});

export const reciprocalOp = elementwiseOp({
  name: 'reciprocal', args: ['x'], save: keepY,
  kernel: function (this: KernelThis, x: Float32Array) { return 1.0 / x[this.thread.x]; },
  // d (1/x) = −dx / x² = −y² dx
  vjp: (ct, { y }: Y) => [neg(mul(ct, square(y)))],
});

export const powScalarOp = elementwiseOp<'powScalar', { exponent: number }, X>({
  name: 'powScalar', args: ['x'], save: keepX,
  constants: ({ exponent }) => ({ exponent }),
  kernel: function (this: KernelThis, x: Float32Array) { return Math.pow(x[this.thread.x], this.constants.exponent); },
  // d xᵖ = p xᵖ⁻¹ dx
  vjp: (ct, { x }, { exponent }) => [mul(ct, mul(powScalar(x, exponent - 1), exponent))],
});

const unary = (op: OpDef<{}, any, any>) =>
  function (x: TensorLike): Tensor {
    checkNoOptions(op.name, arguments, ['x']);
    return apply(op, [asTensor(op.name, 'x', x)], {});
  };

export const neg = unary(negOp);
export const exp = unary(expOp);
export const log = unary(logOp);
export const log1p = unary(log1pOp);
export const sqrt = unary(sqrtOp);
export const rsqrt = unary(rsqrtOp);
export const square = unary(squareOp);
export const abs = unary(absOp);
export const sign = unary(signOp);
export const tanh = unary(tanhOp);
export const sigmoid = unary(sigmoidOp);
export const relu = unary(reluOp);
export const erf = unary(erfOp);
/** The exact Gaussian error linear unit x·Φ(x) (PyTorch's default `approximate='none'`). */
export const gelu = unary(geluOp);
export const geluDerivative = unary(geluDerivativeOp);
export const sin = unary(sinOp);
export const cos = unary(cosOp);
export const reciprocal = unary(reciprocalOp);

/** xᵖ for a constant exponent p. */
export function powScalar(x: TensorLike, exponent: number): Tensor {
  checkNoOptions('powScalar', arguments, ['x', 'exponent']);
  checkArgument('powScalar', 'exponent', exponent, option.number);
  return apply(powScalarOp, [asTensor('powScalar', 'x', x)], { exponent });
}
