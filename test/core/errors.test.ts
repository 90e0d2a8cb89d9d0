/** Errors are part of the API: each names the op, the argument and the shapes or allowed values. */
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { DTypeError, OptionError, ShapeError, TransformError } from '../../core/index.js';

describe('error messages', () => {
  it('a broadcasting mismatch names the op, both arguments and both shapes', () => {
    expect(() => tg.add(tg.zeros([2, 3]), tg.zeros([4]))).toThrow(ShapeError);
    expect(() => tg.add(tg.zeros([2, 3]), tg.zeros([4]))).toThrow('add: cannot broadcast a of shape [2, 3] with b of shape [4] (axis -1 is 3 vs 4)');
  });

  it('a matmul mismatch names both operands and their shapes', () => {
    expect(() => tg.matmul(tg.zeros([2, 3]), tg.zeros([4, 5]))).toThrow('matmul: a [2, 3] has 3 columns but b [4, 5] has 4 rows');
  });

  it('a dtype mismatch names the op and both dtypes', () => {
    const error = () => tg.mul(tg.zeros([2], 'float32'), tg.zeros([2], 'float64'));
    expect(error).toThrow(DTypeError);
    expect(error).toThrow('mul: dtype mismatch: a is float32 but b is float64');
  });

  it('a transcendental op on int32 says which argument must be float', () => {
    expect(() => tg.exp(tg.zeros([2], 'int32'))).toThrow('exp: x must be float32 or float64, got int32');
  });

  it('grad of a non-scalar output says so and suggests what to do', () => {
    const g = tg.grad((x: tg.Tensor) => tg.mul(x, 2));
    expect(() => g(tg.ones([3]))).toThrow(TransformError);
    expect(() => g(tg.ones([3]))).toThrow('grad: f must return a scalar (shape []), got shape [3]; reduce it (sum, mean) or use vjp');
  });

  it('an unknown backend lists the allowed ones', () => {
    expect(() => tg.setBackend('tpu' as never)).toThrow(OptionError);
    expect(() => tg.setBackend('tpu' as never)).toThrow('setBackend: unknown backend "tpu"; allowed: reference, gpujs, webgl2, headlessgl, webasm, cpu, webgpu');
  });

  it('bad options name the option and what is allowed', () => {
    expect(() => tg.sum(tg.zeros([2, 3]), { axis: 2 })).toThrow('sum: axis 2 is out of range for rank 2 (allowed -2..1)');
    expect(() => tg.checkGrads(tg.exp, [tg.ones([1])], { modes: ['sideways' as never] })).toThrow('checkGrads: unknown mode "sideways"; allowed: fwd, rev');
    expect(() => tg.crossEntropy(tg.ones([1, 2]), tg.ones([1, 2]), { reduction: 'avg' as never })).toThrow('crossEntropy: reduction must be one of mean, sum, none; got "avg"');
    expect(() => tg.grad(tg.sum, { argnums: 3 })(tg.ones([1]))).toThrow('grad: argnums 3 must index the 1 arguments (0..0)');
  });

  it('reshape and take name their shapes', () => {
    expect(() => tg.reshape(tg.zeros([2, 3]), [4, 2])).toThrow('reshape: cannot reshape x of shape [2, 3] (6 elements) to [4, 2]');
    expect(() => tg.take(tg.zeros([3]), tg.tensor([5], { dtype: 'int32' }))).toThrow('take: index 5 is out of range for axis 0 of x [3]');
  });

  it('a vjp that returns a cotangent of the wrong shape is named on the tape', () => {
    const broken = tg.customVjp((x: tg.Tensor) => tg.sin(x), {
      forward: (x) => [tg.sin(x), x],
      backward: (_x, ct) => [tg.sum(ct)],
    });
    expect(() => tg.grad((x: tg.Tensor) => tg.sum(broken(x)))(tg.ones([3]))).toThrow(
      'vjp of customVjp returned a cotangent float32 [] for argument input 0, which is float32 [3]',
    );
  });
});
