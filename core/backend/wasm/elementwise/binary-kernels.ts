/**
 * WebAssembly SIMD kernels for the arithmetic binary ops (add, sub, mul, div), four float32 lanes at a
 * time, where either operand may repeat with a period: a bias row added to every row of a matrix, a
 * scalar to every element. Each export is
 *
 *   op(a, periodA, b, periodB, target, count)
 *
 * with byte addresses a, b, target and sizes in v128 vectors: vector v of the result is
 * a[v mod periodA] op b[v mod periodB], for v < count. An operand of the result's own size has
 * period = count. The pointers wrap when they reach the end of their period, so the loop has no
 * division. Lanes follow IEEE float32, as gpu.js's WebAssembly and V8's float32 stores do.
 */
import { FunctionBuilder } from '../emitter.js';

export type BinaryKernelName = 'add' | 'sub' | 'mul' | 'div';
export const binaryKernelNames: readonly BinaryKernelName[] = ['add', 'sub', 'mul', 'div'];

export type BinaryExports = Record<BinaryKernelName, (a: number, periodA: number, b: number, periodB: number, target: number, count: number) => void>;

const operations: Record<BinaryKernelName, (f: FunctionBuilder) => FunctionBuilder> = {
  add: (f) => f.f32x4Add(),
  sub: (f) => f.f32x4Sub(),
  mul: (f) => f.f32x4Mul(),
  div: (f) => f.f32x4Div(),
};

/** Advances `pointer` by one vector and takes it back to `start` when it reaches `end`. */
function advanceWrapping(f: FunctionBuilder, pointer: number, start: number, end: number): void {
  f.addTo(pointer, 16);
  f.get(start).get(pointer).get(pointer).get(end).i32Eq().select().set(pointer);
}

function binaryFunction(name: BinaryKernelName): FunctionBuilder {
  const f = new FunctionBuilder(name, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [a, periodA, b, periodB, target, count] = [0, 1, 2, 3, 4, 5];
  const [aStart, aEnd, bStart, bEnd] = f.locals('i32', 4);
  f.get(a).set(aStart).get(a).get(periodA).i32Const(4).i32Shl().i32Add().set(aEnd);
  f.get(b).set(bStart).get(b).get(periodB).i32Const(4).i32Shl().i32Add().set(bEnd);
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
