/**
 * A chain of elementwise float32 ops as one WebAssembly SIMD loop, generated per chain: each vector of
 * four lanes is loaded once from every input, carried through the chain in locals, and stored once,
 * where separate kernels would write and read every intermediate. The export is
 *
 *   fused(input0, period0, input1, period1, …, target, first, count)
 *
 * with byte addresses and sizes in v128 vectors, as the binary kernels (`binary-kernels.ts`): vectors
 * first … first + count − 1 of the result, where vector v of an input is read at v mod its period, so
 * a bias row or a number repeats without a copy. Each
 * op's lanes are computed as its own kernel computes them (IEEE float32 arithmetic; exp, gelu and
 * gelu′ by the same emitters as `kernels.ts`), so a fused chain gives the unfused chain's values.
 */
import type { FusedBinary, FusedExpression, FusedUnary } from '../../fusion.js';
import { FunctionBuilder } from '../emitter.js';
import { advanceWrapping, enterPeriod } from './binary-kernels.js';
import { elementwiseBodies } from './kernels.js';

export type { FusedBinary, FusedExpression, FusedNode, FusedUnary } from '../../fusion.js';

/** The ops this emitter fuses: every one the expressions may hold. */
export const fusedUnaries: readonly FusedUnary[] = ['neg', 'abs', 'square', 'sqrt', 'exp', 'gelu', 'geluDerivative'];
export const fusedBinaries: readonly FusedBinary[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];

const binaryLanes: Record<FusedBinary, (f: FunctionBuilder) => FunctionBuilder> = {
  add: (f) => f.f32x4Add(),
  sub: (f) => f.f32x4Sub(),
  mul: (f) => f.f32x4Mul(),
  div: (f) => f.f32x4Div(),
  maximum: (f) => f.f32x4Max(),
  minimum: (f) => f.f32x4Min(),
};

/** Pushes op(x) for local `x`, leaving `x` as it was. */
function emitUnary(f: FunctionBuilder, op: FusedUnary, x: number): void {
  if (op === 'neg') f.get(x).f32x4Neg();
  else if (op === 'abs') f.get(x).f32x4Abs();
  else if (op === 'square') f.get(x).get(x).f32x4Mul();
  else if (op === 'sqrt') f.get(x).f32x4Sqrt();
  else {
    // the shared bodies may use their argument as scratch
    const copy = f.local('v128');
    f.get(x).set(copy);
    elementwiseBodies[op](f, copy);
  }
}

export function fusedFunction(expression: FusedExpression): FunctionBuilder {
  const { inputCount, nodes } = expression;
  const f = new FunctionBuilder('fused', new Array(2 * inputCount + 3).fill('i32'));
  const [target, first, count] = [2 * inputCount, 2 * inputCount + 1, 2 * inputCount + 2];
  const pointer = (k: number) => 2 * k;
  const starts = f.locals('i32', inputCount);
  const ends = f.locals('i32', inputCount);
  const lanes = f.locals('v128', nodes.length);
  for (let k = 0; k < inputCount; k++) enterPeriod(f, pointer(k), pointer(k) + 1, first, starts[k], ends[k]);
  f.get(target).get(first).i32Const(4).i32Shl().i32Add().set(target);
  f.block((done) => {
    f.get(count).i32Eqz().brIf(done);
    f.loop((next) => {
      nodes.forEach((node, i) => {
        if ('input' in node) f.get(pointer(node.input)).v128Load();
        else if ('unary' in node) emitUnary(f, node.unary, lanes[node.x]);
        else binaryLanes[node.binary](f.get(lanes[node.a]).get(lanes[node.b]));
        f.set(lanes[i]);
      });
      f.get(target).get(lanes[nodes.length - 1]).v128Store();
      // each input's pointer steps one vector and wraps at the end of its period
      for (let k = 0; k < inputCount; k++) advanceWrapping(f, pointer(k), starts[k], ends[k]);
      f.addTo(target, 16).addTo(count, -1);
      f.get(count).brIf(next);
    });
  });
  return f;
}
