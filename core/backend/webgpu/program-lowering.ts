/**
 * Lowers a compiled jit program (`core/transforms/jit-program.ts`) to device work for the WebGPU
 * backend's whole-program executor (`device-program.js`): numbered device buffers, the steps that
 * fill them, which buffers the caller uploads each call and which are read back.
 *
 * Each float32 instruction's forward is run once on stand-in tensors whose storage is a `DeviceMarker`
 * (a zero-length Float32Array that names a device buffer and pretends to its length), so the op's own
 * forward says what it does: a view (transpose, slice, broadcast, identity) becomes an alias of its
 * input's buffer with the view's strides and offset; a kernel becomes a dispatch of the same WGSL the
 * per-op path compiles, its arguments bound directly where they are row-major from the buffer's start
 * and copied by a strided-copy shader otherwise. reshape, pad and concat, whose forwards move data on
 * the host, are lowered here to aliases, fills and strided copies. Instructions on other dtypes (random
 * keys, int32 slices) whose inputs are all known on the host run on the host before the device part,
 * and a float32 result of theirs is uploaded with the inputs. Anything else refuses the program, which
 * then runs op by op (`ProgramRefusal` says why). Buffers are reused once every value in them is dead.
 */
import ndarray, { type NdArray } from 'ndarray';
import type { TypedArray } from '../../dtype.js';
import type { Forward } from '../../op.js';
import type { OpName } from '../../ops/names.js';
import { contiguousStrides, sizeOf } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import type { Instruction, Program, Ref } from '../../transforms/jit-program.js';
import { wgslKernels } from './wgsl-kernels.js';

/** Axes a strided copy handles; the shader (`device-program.js`) holds two vec4 rows of each. */
const copyRankLimit = 8;

/** Why a program cannot run on the device as a whole; it then runs op by op. */
export class ProgramRefusal extends Error {}

export type DeviceStep =
  | { readonly kind: 'kernel'; readonly op: string; readonly key: string; readonly source: string; readonly helperSources: readonly string[]; readonly constants: Readonly<Record<string, number>>; readonly argLengths: readonly number[]; readonly size: number; readonly args: readonly number[]; readonly out: number }
  | { readonly kind: 'wgsl'; readonly op: string; readonly constants: Readonly<Record<string, number>>; readonly size: number; readonly source: string; readonly uniforms: readonly number[]; readonly workgroups: readonly number[]; readonly args: readonly number[]; readonly out: number }
  | { readonly kind: 'copy'; readonly src: number; readonly dst: number; readonly size: number; readonly shape: readonly number[]; readonly srcStride: readonly number[]; readonly srcOffset: number; readonly dstStride: readonly number[]; readonly dstOffset: number }
  | { readonly kind: 'fill'; readonly dst: number; readonly size: number; readonly value: number };

/** What the device thread builds once (`compileProgram`). */
export interface DevicePlan {
  /** Each buffer's length in float32 elements. */
  readonly buffers: readonly number[];
  /** Constants of the trace, uploaded once. */
  readonly constants: readonly { readonly buffer: number; readonly data: Float32Array }[];
  /** The buffers each call uploads, in order. */
  readonly inputs: readonly number[];
  readonly steps: readonly DeviceStep[];
  /** The buffers read back, each from its start. */
  readonly outputs: readonly { readonly buffer: number; readonly length: number }[];
}

/** Where a result of the program comes from: the read-back, a host value (an input or a host step), or a constant. */
export type ResultSource = { readonly readBack: number; readonly shape: readonly number[] } | { readonly slot: number } | { readonly constant: Tensor };

export interface LoweredProgram {
  readonly plan: DevicePlan;
  /** Instructions run on the host before the device part, in program order. */
  readonly hostSteps: readonly number[];
  /** The slot whose value each plan input uploads. */
  readonly uploads: readonly number[];
  readonly results: readonly ResultSource[];
}

/** A float32 array that stands for elements [start, start + length) of a device buffer; it holds no memory. */
class DeviceMarker extends Float32Array {
  constructor(
    readonly bufferId: number,
    readonly start: number,
    extent: number,
  ) {
    super(0);
    Object.defineProperty(this, 'length', { value: extent });
  }

  override subarray(begin = 0, end = this.length): DeviceMarker {
    return new DeviceMarker(this.bufferId, this.start + begin, end - begin);
  }
}

/** A device value: which buffer, and the view's layout in it (offset counted from the buffer's start). */
interface DeviceView {
  readonly buffer: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly offset: number;
}

const rowMajor = (view: DeviceView) => {
  const expected = contiguousStrides(view.shape);
  return view.shape.every((d, i) => d <= 1 || view.stride[i] === expected[i]);
};

export function lowerProgram(program: Program): LoweredProgram {
  const lengths: number[] = [];
  const pinned = new Set<number>();
  const liveViews = new Map<number, number>();
  const free: number[] = [];
  const steps: DeviceStep[] = [];
  const device = new Map<number, DeviceView>();
  const host = new Set<number>();
  const uploads: number[] = [];
  const uploadBuffers: number[] = [];
  const constants: { buffer: number; data: Float32Array }[] = [];
  const constantViews = new Map<Tensor, DeviceView>();
  const hostSteps: number[] = [];

  const allocate = (length: number): number => {
    // the shortest free buffer that fits, else the longest one lengthened, else a new one
    let best = -1;
    for (let k = 0; k < free.length; k++) {
      const [candidate, current] = [lengths[free[k]], best < 0 ? -1 : lengths[free[best]]];
      const fits = candidate >= length;
      const bestFits = current >= length;
      if (best < 0 || (fits ? !bestFits || candidate < current : !bestFits && candidate > current)) best = k;
    }
    if (best < 0) return lengths.push(length) - 1;
    const [buffer] = free.splice(best, 1);
    lengths[buffer] = Math.max(lengths[buffer], length);
    return buffer;
  };
  const hold = (buffer: number) => liveViews.set(buffer, (liveViews.get(buffer) ?? 0) + 1);
  const letGo = (buffer: number) => {
    const left = liveViews.get(buffer)! - 1;
    liveViews.set(buffer, left);
    if (left === 0 && !pinned.has(buffer)) free.push(buffer);
  };
  const fresh = (shape: readonly number[]): DeviceView => ({ buffer: allocate(Math.max(1, sizeOf(shape))), shape, stride: contiguousStrides(shape), offset: 0 });
  const pinnedBuffer = (length: number) => {
    const buffer = lengths.push(Math.max(1, length)) - 1;
    pinned.add(buffer);
    return buffer;
  };
  const upload = (slot: number, shape: readonly number[]) => {
    const buffer = pinnedBuffer(sizeOf(shape));
    uploads.push(slot);
    uploadBuffers.push(buffer);
    device.set(slot, { buffer, shape, stride: contiguousStrides(shape), offset: 0 });
    hold(buffer);
  };
  const viewOf = (ref: Ref): DeviceView | null => {
    if ('slot' in ref) return device.get(ref.slot) ?? null;
    const tensor = ref.constant;
    if (tensor.dtype !== 'float32') return null;
    let view = constantViews.get(tensor);
    if (!view) {
      const data = Float32Array.from(tensor.dataSync());
      const buffer = pinnedBuffer(data.length);
      constants.push({ buffer, data });
      view = { buffer, shape: tensor.shape, stride: contiguousStrides(tensor.shape), offset: 0 };
      constantViews.set(tensor, view);
    }
    return view;
  };
  const onHost = (ref: Ref) => !('slot' in ref) || host.has(ref.slot);
  const copy = (from: DeviceView, to: DeviceView) => {
    const size = sizeOf(from.shape);
    const { shape, srcStride, dstStride } = mergedAxes(from.shape, from.stride, to.stride);
    if (shape.length > copyRankLimit) throw new ProgramRefusal(`a copy of rank ${shape.length} (the device copies up to rank ${copyRankLimit})`);
    if (size > 0) steps.push({ kind: 'copy', src: from.buffer, dst: to.buffer, size, shape, srcStride, srcOffset: from.offset, dstStride, dstOffset: to.offset });
  };

  for (let slot = 0; slot < program.inputCount; slot++) host.add(slot);
  // a value nothing reads (work whose result f dropped) gives its buffer back at once
  const read = new Set<number>();
  for (const ref of [...program.instructions.flatMap((instruction) => instruction.inputs), ...program.outputs]) if ('slot' in ref) read.add(ref.slot);
  program.instructions.forEach((instruction, i) => {
    const inputsFloat32 = instruction.inputs.every((ref) => ('slot' in ref ? dtypeOfSlot(program, ref.slot) : ref.constant.dtype) === 'float32');
    const allHost = instruction.inputs.every(onHost);
    if (instruction.kind !== 'op') throw new ProgramRefusal(`it holds a fused ${instruction.op.name} instruction, which the device does not run`);
    if (instruction.type.dtype !== 'float32' || !inputsFloat32) {
      if (!allHost) throw new ProgramRefusal(`${instruction.op.name} at %${instruction.out} works on ${instruction.type.dtype} from values on the device`);
      hostSteps.push(i);
      host.add(instruction.out);
      return;
    }
    if (sizeOf(instruction.type.shape) === 0) throw new ProgramRefusal(`${instruction.op.name} at %${instruction.out} makes an empty tensor`);
    // float32 values the host has (arguments, host steps' results) are uploaded when a device step reads them
    for (const ref of instruction.inputs) {
      if ('slot' in ref && !device.has(ref.slot)) {
        upload(ref.slot, shapeOfSlot(program, ref.slot));
      }
    }
    const views = instruction.inputs.map((ref) => viewOf(ref)!);
    const out = lowerInstruction(instruction, views, { fresh, copy, steps, hold, letGo });
    device.set(instruction.out, out);
    if (!read.has(instruction.out)) letGo(out.buffer);
    for (const slot of program.releases[i]) {
      const view = device.get(slot);
      if (view) letGo(view.buffer);
    }
  });

  const readBacks: { buffer: number; length: number }[] = [];
  const results = program.outputs.map((ref): ResultSource => {
    if (!('slot' in ref)) return { constant: ref.constant };
    if (host.has(ref.slot)) return { slot: ref.slot };
    const view = device.get(ref.slot)!;
    let source = view;
    if (view.offset !== 0 || !rowMajor(view)) {
      source = fresh(view.shape);
      copy(view, source);
    }
    readBacks.push({ buffer: source.buffer, length: sizeOf(view.shape) });
    return { readBack: readBacks.length - 1, shape: view.shape };
  });
  return { plan: { buffers: lengths, constants, inputs: uploadBuffers, steps, outputs: readBacks }, hostSteps, uploads, results };
}

interface Emitter {
  fresh(shape: readonly number[]): DeviceView;
  copy(from: DeviceView, to: DeviceView): void;
  readonly steps: DeviceStep[];
  hold(buffer: number): void;
  letGo(buffer: number): void;
}

/** One float32 instruction's device work; returns where its output lives (held once). */
function lowerInstruction(instruction: Instruction, views: readonly DeviceView[], emit: Emitter): DeviceView {
  const { op, attrs, type } = instruction;
  const produce = (shape: readonly number[]) => {
    const out = emit.fresh(shape);
    emit.hold(out.buffer);
    return out;
  };
  if (op.name === 'reshape') {
    const [x] = views;
    if (rowMajor(x)) {
      emit.hold(x.buffer);
      return { buffer: x.buffer, shape: type.shape, stride: contiguousStrides(type.shape), offset: x.offset };
    }
    const out = produce(type.shape);
    emit.copy(x, { ...out, shape: x.shape, stride: contiguousStrides(x.shape) });
    return out;
  }
  if (op.name === 'pad') {
    const { low, high, interior, value } = attrs as { low: number[]; high: number[]; interior: number[]; value: number };
    if ([...low, ...high].some((n) => n < 0)) throw new ProgramRefusal('a pad that crops (negative low or high)');
    const out = produce(type.shape);
    emit.steps.push({ kind: 'fill', dst: out.buffer, size: sizeOf(type.shape), value });
    const [x] = views;
    emit.copy(x, { buffer: out.buffer, shape: x.shape, stride: out.stride.map((s, d) => s * (interior[d] + 1)), offset: low.reduce((at, n, d) => at + n * out.stride[d], 0) });
    return out;
  }
  if (op.name === 'concat') {
    const { axis } = attrs as { axis: number };
    const out = produce(type.shape);
    let start = 0;
    for (const x of views) {
      emit.copy(x, { buffer: out.buffer, shape: x.shape, stride: out.stride, offset: start * out.stride[axis] });
      start += x.shape[axis];
    }
    return out;
  }
  const stand = views.map((view) => new Tensor(ndarray(new DeviceMarker(view.buffer, 0, Infinity), [...view.shape], [...view.stride], view.offset)));
  let forward: Forward;
  try {
    forward = op.forward(stand, attrs, type);
  } catch (error) {
    throw new ProgramRefusal(`${op.name}'s forward reads its inputs' values (${(error as Error).message})`);
  }
  if ('values' in forward) throw new ProgramRefusal(`${op.name} computes its values on the host`);
  if ('view' in forward) {
    const view = deviceViewOf(forward.view, op.name);
    emit.hold(view.buffer);
    return view;
  }
  // each argument bound as it is where it is row-major from its buffer's start, else copied into a temporary first
  const args = (forward.args ?? stand.map((t) => t.storage)).map((array) => deviceViewOf(array, op.name));
  const temporaries: number[] = [];
  const bound = args.map((view) => {
    if (view.offset === 0 && rowMajor(view)) return view.buffer;
    const copied = emit.fresh(view.shape);
    emit.copy(view, copied);
    emit.hold(copied.buffer);
    temporaries.push(copied.buffer);
    return copied.buffer;
  });
  const size = sizeOf(type.shape);
  const out = produce(type.shape);
  const constants = forward.constants ?? {};
  const own = wgslKernels[op.name as OpName];
  if (own) {
    emit.steps.push({ kind: 'wgsl', op: op.name, constants, size, source: own.source(constants, bound.length), uniforms: own.uniforms(constants, size), workgroups: own.workgroups(constants, size), args: bound, out: out.buffer });
  } else {
    const argLengths = args.map((view) => sizeOf(view.shape));
    if (argLengths.some((n) => n === 0)) throw new ProgramRefusal(`${op.name} reads an empty tensor`);
    const source = forward.kernel.toString();
    const helperSources = (forward.helpers ?? []).map(String);
    const key = `${source}|${helperSources.join('|')}|${JSON.stringify(constants)}|${argLengths.join(',')}|${size}`;
    emit.steps.push({ kind: 'kernel', op: op.name, key, source, helperSources, constants, argLengths, size, args: bound, out: out.buffer });
  }
  for (const buffer of temporaries) emit.letGo(buffer);
  return out;
}

/**
 * A copy's axes with the length-1 ones dropped and each pair merged that both sides lay out as one
 * (outer stride = inner stride × inner length): the same elements in the same order, in fewer axes,
 * so the copy shader (specialised by rank) does fewer divisions per element; a copy between two
 * row-major layouts becomes rank 1.
 */
export function mergedAxes(shape: readonly number[], srcStride: readonly number[], dstStride: readonly number[]) {
  const axes: { n: number; src: number; dst: number }[] = [];
  shape.forEach((n, d) => {
    if (n !== 1) axes.push({ n, src: srcStride[d], dst: dstStride[d] });
  });
  const merged: { n: number; src: number; dst: number }[] = [];
  for (const axis of axes) {
    const outer = merged.at(-1);
    if (outer && outer.src === axis.src * axis.n && outer.dst === axis.dst * axis.n) merged[merged.length - 1] = { n: outer.n * axis.n, src: axis.src, dst: axis.dst };
    else merged.push({ ...axis });
  }
  if (merged.length === 0) merged.push({ n: 1, src: 1, dst: 1 });
  return { shape: merged.map((a) => a.n), srcStride: merged.map((a) => a.src), dstStride: merged.map((a) => a.dst) };
}

/** The device view an ndarray of stand-ins names; refuses one over host memory (a forward that computed on the host). */
function deviceViewOf(array: NdArray<TypedArray>, opName: string): DeviceView {
  const marker = array.data;
  if (!(marker instanceof DeviceMarker)) throw new ProgramRefusal(`${opName} moves data on the host`);
  return { buffer: marker.bufferId, shape: [...array.shape], stride: [...array.stride], offset: marker.start + array.offset };
}

function typeOfSlot(program: Program, slot: number): { shape: readonly number[]; dtype: string } | null {
  return slotTypes(program)[slot] ?? null;
}

const slotTypeCache = new WeakMap<Program, ({ shape: readonly number[]; dtype: string } | undefined)[]>();

/** Each slot's shape and dtype: instructions' from their types; arguments' are filled by `withArgumentTypes`. */
function slotTypes(program: Program) {
  let types = slotTypeCache.get(program);
  if (!types) {
    types = new Array(program.slotCount);
    for (const instruction of program.instructions) types[instruction.out] = instruction.type;
    slotTypeCache.set(program, types);
  }
  return types;
}

/** Records the arguments' types (a program knows its instructions' types, not its arguments'). */
export function withArgumentTypes(program: Program, inputs: readonly Tensor[]): void {
  const types = slotTypes(program);
  inputs.forEach((t, i) => (types[i] = { shape: t.shape, dtype: t.dtype }));
}

function dtypeOfSlot(program: Program, slot: number): string {
  const type = typeOfSlot(program, slot);
  if (!type) throw new Error(`webgpu: internal error: slot ${slot} has no type`);
  return type.dtype;
}

function shapeOfSlot(program: Program, slot: number): readonly number[] {
  return typeOfSlot(program, slot)!.shape;
}
