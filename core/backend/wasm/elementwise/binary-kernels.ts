/**
 * WebAssembly SIMD kernels for the arithmetic binary ops (add, sub, mul, div), four float32 lanes at a
 * time, where either operand may repeat with a period: a bias row added to every row of a matrix, a
 * scalar to every element. Each export is
 *
 *   op(a, periodA, b, periodB, target, first, count)
 *
 * with byte addresses a, b, target and sizes in v128 vectors: vector v of the result is
 * a[v mod periodA] op b[v mod periodB], for first ≤ v < first + count (a thread's share of the
 * result; 0 and the whole size on one thread). An operand of the result's own size has period = the
 * result's size. The pointers wrap when they reach the end of their period, so the loop has no
 * division. Lanes follow IEEE float32, as gpu.js's WebAssembly and V8's float32 stores do.
 */
import { FunctionBuilder } from '../emitter.js';

export type BinaryKernelName = 'add' | 'sub' | 'mul' | 'div';
export const binaryKernelNames: readonly BinaryKernelName[] = ['add', 'sub', 'mul', 'div'];

export type BinaryExports = Record<BinaryKernelName, (a: number, periodA: number, b: number, periodB: number, target: number, first: number, count: number) => void>;

const operations: Record<BinaryKernelName, (f: FunctionBuilder) => FunctionBuilder> = {
  add: (f) => f.f32x4Add(),
  sub: (f) => f.f32x4Sub(),
  mul: (f) => f.f32x4Mul(),
  div: (f) => f.f32x4Div(),
};

/** Sets `start` and `end` to an operand's period and moves `pointer` to vector `first` of it (mod the period). */
export function enterPeriod(f: FunctionBuilder, pointer: number, period: number, first: number, start: number, end: number): void {
  f.get(pointer).set(start).get(pointer).get(period).i32Const(4).i32Shl().i32Add().set(end);
  f.get(pointer).get(first).get(period).i32RemU().i32Const(4).i32Shl().i32Add().set(pointer);
}

/** Advances `pointer` by one vector and takes it back to `start` when it reaches `end`. */
export function advanceWrapping(f: FunctionBuilder, pointer: number, start: number, end: number): void {
  f.addTo(pointer, 16);
  f.get(start).get(pointer).get(pointer).get(end).i32Eq().select().set(pointer);
}

function binaryFunction(name: BinaryKernelName): FunctionBuilder {
  const f = new FunctionBuilder(name, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [a, periodA, b, periodB, target, first, count] = [0, 1, 2, 3, 4, 5, 6];
  const [aStart, aEnd, bStart, bEnd] = f.locals('i32', 4);
  enterPeriod(f, a, periodA, first, aStart, aEnd);
  enterPeriod(f, b, periodB, first, bStart, bEnd);
  f.get(target).get(first).i32Const(4).i32Shl().i32Add().set(target);
  f.block((done) => {
    f.get(count).i32Eqz().brIf(done);
    f.loop((next) => {
      f.get(target).get(a).v128Load().get(b).v128Load();
      operations[name](f).v128Store();
      advanceWrapping(f, a, aStart, aEnd);
      advanceWrapping(f, b, bStart, bEnd);
      f.addTo(target, 16).addTo(count, -1);
      f.get(count).brIf(next);
    });
  });
  return f;
}

export function binaryFunctions(): FunctionBuilder[] {
  return binaryKernelNames.map(binaryFunction);
}
