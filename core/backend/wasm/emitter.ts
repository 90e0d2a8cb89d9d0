/**
 * A small WebAssembly binary emitter, written from the WebAssembly core specification (binary format,
 * chapter 5) and its fixed-width SIMD extension: just the sections, instructions and encodings the
 * generated matmul and elementwise kernels need. Functions are built as instruction streams with named control labels,
 * so branch depths are computed rather than counted by hand.
 */

export type ValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const valueTypeCode: Record<ValueType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Unsigned LEB128 of an integer in [0, 2³²). */
export function unsignedLeb128(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`unsignedLeb128: ${value} is not a u32`);
  const bytes: number[] = [];
  let rest = value;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    bytes.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return bytes;
}

/** Signed LEB128 of an integer in [-2³¹, 2³¹). */
export function signedLeb128(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`signedLeb128: ${value} is not an i32`);
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const low = rest & 0x7f;
    rest >>= 7;
    // done once the remaining bits are all copies of the sign bit just written
    if ((rest === 0 && (low & 0x40) === 0) || (rest === -1 && (low & 0x40) !== 0)) {
      bytes.push(low);
      return bytes;
    }
    bytes.push(low | 0x80);
  }
}

function encodeName(name: string): number[] {
  const utf8 = [...new TextEncoder().encode(name)];
  return [...unsignedLeb128(utf8.length), ...utf8];
}

function encodeVector(items: readonly number[][]): number[] {
  return [...unsignedLeb128(items.length), ...items.flat()];
}

function encodeSection(id: number, content: readonly number[]): number[] {
  return [id, ...unsignedLeb128(content.length), ...content];
}

/** Where a branch goes: a block's end, or a loop's start. */
export interface Label {
  readonly kind: 'block' | 'loop' | 'if';
}

/** Memory instructions' natural alignment, as log₂ of bytes (the memarg's alignment hint). */
const alignment = { i32: 2, f32: 2, v128: 4, splat32: 2 } as const;

/**
 * Builds one function body as a stack-machine instruction stream. Methods return `this` so that a
 * stack expression reads left to right: `f.get(x).i32Const(4).i32Add().set(x)`.
 */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValueType[] = [];
  private readonly controlStack: Label[] = [];

  constructor(
    readonly exportName: string,
    readonly params: readonly ValueType[],
    readonly results: readonly ValueType[] = [],
  ) {}

  /** Declares a local and returns its index (parameters come first, at 0 … params.length − 1). */
  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  locals(type: ValueType, count: number): number[] {
    return Array.from({ length: count }, () => this.local(type));
  }

  private emit(...bytes: number[]): this {
    for (const byte of bytes) this.code.push(byte);
    return this;
  }

  private simd(opcode: number, ...immediates: number[]): this {
    return this.emit(0xfd, ...unsignedLeb128(opcode), ...immediates);
  }

  private memory(opcode: number[], align: number, offset: number): this {
    return this.emit(...opcode, ...unsignedLeb128(align), ...unsignedLeb128(offset));
  }

  private structured(opcode: number, kind: Label['kind'], body: (label: Label) => void): this {
    const label: Label = { kind };
    this.emit(opcode, 0x40); // 0x40: the empty block type, no parameters and no results
    this.controlStack.push(label);
    body(label);
    this.controlStack.pop();
    return this.emit(0x0b);
  }

  private depth(label: Label): number {
    const index = this.controlStack.lastIndexOf(label);
    if (index < 0) throw new Error('FunctionBuilder: branch to a label that is not enclosing this instruction');
    return this.controlStack.length - 1 - index;
  }

  // control
  block(body: (label: Label) => void): this { return this.structured(0x02, 'block', body); }
  loop(body: (label: Label) => void): this { return this.structured(0x03, 'loop', body); }
  /** Pops an i32 condition; runs `then` when it is non-zero, else `otherwise`. */
  ifElse(then: () => void, otherwise?: () => void): this {
    const label: Label = { kind: 'if' };
    this.emit(0x04, 0x40);
    this.controlStack.push(label);
    then();
    if (otherwise) {
      this.emit(0x05);
      otherwise();
    }
    this.controlStack.pop();
    return this.emit(0x0b);
  }
  br(label: Label): this { return this.emit(0x0c, ...unsignedLeb128(this.depth(label))); }
  brIf(label: Label): this { return this.emit(0x0d, ...unsignedLeb128(this.depth(label))); }
  call(functionIndex: number): this { return this.emit(0x10, ...unsignedLeb128(functionIndex)); }
  drop(): this { return this.emit(0x1a); }
  /** Pops c, b, a; pushes a when c ≠ 0, else b. */
  select(): this { return this.emit(0x1b); }

  // locals
  get(index: number): this { return this.emit(0x20, ...unsignedLeb128(index)); }
  set(index: number): this { return this.emit(0x21, ...unsignedLeb128(index)); }
  tee(index: number): this { return this.emit(0x22, ...unsignedLeb128(index)); }

  // memory: the address is on the stack, `offset` is a constant byte offset added to it
  i32Load(offset = 0): this { return this.memory([0x28], alignment.i32, offset); }
  f32Load(offset = 0): this { return this.memory([0x2a], alignment.f32, offset); }
  i32Store(offset = 0): this { return this.memory([0x36], alignment.i32, offset); }
  f32Store(offset = 0): this { return this.memory([0x38], alignment.f32, offset); }
  v128Load(offset = 0): this { return this.memory([0xfd, 0x00], alignment.v128, offset); }
  v128Load32Splat(offset = 0): this { return this.memory([0xfd, 0x09], alignment.splat32, offset); }
  v128Store(offset = 0): this { return this.memory([0xfd, 0x0b], alignment.v128, offset); }

  // constants
  i32Const(value: number): this { return this.emit(0x41, ...signedLeb128(value)); }
  f32Const(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return this.emit(0x43, ...bytes);
  }
  f64Const(value: number): this {
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    return this.emit(0x44, ...bytes);
  }
  v128Const(bytes: readonly number[]): this {
    if (bytes.length !== 16) throw new RangeError('v128Const needs 16 bytes');
    return this.simd(0x0c, ...bytes);
  }
  v128Zero(): this { return this.v128Const(new Array<number>(16).fill(0)); }
  /** The f32 lanes `lanes` (0–3 from the first operand, 4–7 from the second) of two v128s, as i8x16.shuffle. */
  f32x4Shuffle(lanes: readonly [number, number, number, number]): this {
    if (!lanes.every((lane) => Number.isInteger(lane) && lane >= 0 && lane < 8)) throw new RangeError(`f32x4Shuffle lanes must be 0–7, got ${lanes}`);
    return this.simd(0x0d, ...lanes.flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]));
  }
  /** A v128 of four copies of the float32 nearest to `value`. */
  f32x4Const(value: number): this {
    const bytes = [...new Uint8Array(new Float32Array([value]).buffer)];
    return this.v128Const([...bytes, ...bytes, ...bytes, ...bytes]);
  }
  /** A v128 of four copies of the i32 `value`. */
  i32x4Const(value: number): this {
    const bytes = [...new Uint8Array(new Int32Array([value]).buffer)];
    return this.v128Const([...bytes, ...bytes, ...bytes, ...bytes]);
  }

  // i32 arithmetic and comparisons
  i32Eqz(): this { return this.emit(0x45); }
  i32Eq(): this { return this.emit(0x46); }
  i32Ne(): this { return this.emit(0x47); }
  i32LtS(): this { return this.emit(0x48); }
  i32LtU(): this { return this.emit(0x49); }
  i32GtS(): this { return this.emit(0x4a); }
  i32GtU(): this { return this.emit(0x4b); }
  i32LeS(): this { return this.emit(0x4c); }
  i32GeS(): this { return this.emit(0x4e); }
  i32GeU(): this { return this.emit(0x4f); }
  i32Add(): this { return this.emit(0x6a); }
  i32Sub(): this { return this.emit(0x6b); }
  i32Mul(): this { return this.emit(0x6c); }
  i32And(): this { return this.emit(0x71); }
  i32DivU(): this { return this.emit(0x6e); }
  i32RemU(): this { return this.emit(0x70); }
  i32Shl(): this { return this.emit(0x74); }
  i32ShrU(): this { return this.emit(0x76); }

  // f32 and f32x4
  f32Add(): this { return this.emit(0x92); }
  f32Sub(): this { return this.emit(0x93); }
  f32Mul(): this { return this.emit(0x94); }
  f32Max(): this { return this.emit(0x97); }

  // f64 (row statistics accumulate in double, as JavaScript's numbers do)
  f64Add(): this { return this.emit(0xa0); }
  f64Sub(): this { return this.emit(0xa1); }
  f64Mul(): this { return this.emit(0xa2); }
  f64Div(): this { return this.emit(0xa3); }
  f64Sqrt(): this { return this.emit(0x9f); }
  f64ConvertI32U(): this { return this.emit(0xb8); }
  f64PromoteF32(): this { return this.emit(0xbb); }
  f32DemoteF64(): this { return this.emit(0xb6); }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4ExtractLane(lane: number): this { return this.simd(0x1f, lane); }
  f32x4Abs(): this { return this.simd(0xe0); }
  f32x4Neg(): this { return this.simd(0xe1); }
  /** Correctly rounded square root of each lane. */
  f32x4Sqrt(): this { return this.simd(0xe3); }
  /** a·b + c of each lane (relaxed SIMD): rounded once where the hardware fuses it, else twice. */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Div(): this { return this.simd(0xe7); }
  /** Lane-wise minimum; NaN in either operand gives NaN. */
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Max(): this { return this.simd(0xe9); }
  /** Rounds each lane to the nearest integer, ties to even. */
  f32x4Nearest(): this { return this.simd(0x6a); }
  /** Lane-wise a < b as all-ones or all-zeros masks. */
  f32x4Lt(): this { return this.simd(0x43); }

  // i32x4 and bitwise v128
  i32x4Add(): this { return this.simd(0xae); }
  /** Shifts every lane left by the i32 on top of the stack. */
  i32x4Shl(): this { return this.simd(0xab); }
  /** Arithmetic shift right of every lane by the i32 on top of the stack. */
  i32x4ShrS(): this { return this.simd(0xac); }
  i32x4Sub(): this { return this.simd(0xb1); }
  /** f32 lanes to i32, truncating, saturating, NaN to 0. */
  i32x4TruncSatF32x4S(): this { return this.simd(0xf8); }
  v128And(): this { return this.simd(0x4e); }
  v128Or(): this { return this.simd(0x50); }
  /** Pops mask c, b, a; pushes (a & c) | (b & ~c). */
  v128Bitselect(): this { return this.simd(0x52); }

  /** Emits `local += delta` for an i32 local. */
  addTo(index: number, delta: number): this {
    return this.get(index).i32Const(delta).i32Add().set(index);
  }
  /** Counts the i32 local `counter` down from its value to 0, running `body` each time (not at all from 0). */
  repeat(counter: number, body: () => void): this {
    return this.block((none) => {
      this.get(counter).i32Eqz().brIf(none);
      this.loop((next) => {
        body();
        this.addTo(counter, -1);
        this.get(counter).brIf(next);
      });
    });
  }


  definition(): FunctionDefinition {
    if (this.controlStack.length !== 0) throw new Error(`FunctionBuilder ${this.exportName}: unclosed block`);
    return { exportName: this.exportName, params: this.params, results: this.results, locals: this.localTypes, code: this.code };
  }
}

export interface FunctionDefinition {
  readonly exportName: string;
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
  readonly locals: readonly ValueType[];
  /** The instructions, without the final `end`. */
  readonly code: readonly number[];
}

/** The module's one memory, imported so that several instances (threads) can share it. */
export interface MemoryImport {
  readonly module: string;
  readonly name: string;
  readonly initialPages: number;
  readonly maximumPages: number;
  readonly shared: boolean;
}

export interface ModuleDefinition {
  readonly memory: MemoryImport;
  readonly functions: readonly FunctionDefinition[];
}

function encodeFunctionType(params: readonly ValueType[], results: readonly ValueType[]): number[] {
  return [0x60, ...encodeVector(params.map((t) => [valueTypeCode[t]])), ...encodeVector(results.map((t) => [valueTypeCode[t]]))];
}

/** Runs of equal local types, as the code section declares them: (count, type) pairs. */
function encodeLocals(locals: readonly ValueType[]): number[] {
  const runs: number[][] = [];
  for (let start = 0; start < locals.length; ) {
    let end = start;
    while (end < locals.length && locals[end] === locals[start]) end++;
    runs.push([...unsignedLeb128(end - start), valueTypeCode[locals[start]]]);
    start = end;
  }
  return encodeVector(runs);
}

/** Encodes a module: type, import (memory), function, export and code sections, in the spec's order. */
export function emitModule(definition: ModuleDefinition): Uint8Array {
  const { memory, functions } = definition;
  const signatures: string[] = [];
  const types: number[][] = [];
  const typeIndices = functions.map((f) => {
    const encoded = encodeFunctionType(f.params, f.results);
    const key = encoded.join(',');
    let index = signatures.indexOf(key);
    if (index < 0) {
      index = signatures.push(key) - 1;
      types.push(encoded);
    }
    return index;
  });
  // limits: 0x01 min max; 0x03 min max shared (the threads proposal)
  const limits = [memory.shared ? 0x03 : 0x01, ...unsignedLeb128(memory.initialPages), ...unsignedLeb128(memory.maximumPages)];
  const memoryImport = [...encodeName(memory.module), ...encodeName(memory.name), 0x02, ...limits];
  const exports = functions.map((f, index) => [...encodeName(f.exportName), 0x00, ...unsignedLeb128(index)]);
  const bodies = functions.map((f) => {
    const body = [...encodeLocals(f.locals), ...f.code, 0x0b];
    return [...unsignedLeb128(body.length), ...body];
  });
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, // "\0asm"
    0x01, 0x00, 0x00, 0x00, // version 1
    ...encodeSection(1, encodeVector(types)),
    ...encodeSection(2, encodeVector([memoryImport])),
    ...encodeSection(3, encodeVector(typeIndices.map((i) => unsignedLeb128(i)))),
    ...encodeSection(7, encodeVector(exports)),
    ...encodeSection(10, encodeVector(bodies)),
  ];
  return Uint8Array.from(bytes);
}
