import * as fs from 'node:fs';
import * as os from 'node:os';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { DType, TypedArray } from '../core/dtype.js';
import { SafetensorsError, decodeSafetensors, decodeSafetensorsTree, encodeSafetensors, encodeSafetensorsTree } from '../core/io/safetensors.js';
import { loadSafetensors, loadSafetensorsSync, saveSafetensors, saveSafetensorsSync } from '../core/io/safetensors-file.js';
import { sizeOf } from '../core/shape.js';
import { Tensor, fromData } from '../core/tensor.js';

const root = fs.mkdtempSync(os.tmpdir() + '/tapegrad-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = () => fs.mkdtempSync(`${root}/case-${dirCount++}-`);

const f32 = (values: number[], shape = [values.length]) => fromData(Float32Array.from(values), shape);
const f64 = (values: number[], shape = [values.length]) => fromData(Float64Array.from(values), shape);
const i32 = (values: number[], shape = [values.length]) => fromData(Int32Array.from(values), shape);

/** The raw bytes of a tensor's elements, so NaN payloads and -0 compare exactly. */
function bytesOf(t: Tensor): Uint8Array {
  const data = t.dataSync();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

function expectSameTensor(actual: Tensor, expected: Tensor): void {
  expect(actual.dtype).toBe(expected.dtype);
  expect([...actual.shape]).toEqual([...expected.shape]);
  expect(bytesOf(actual)).toEqual(bytesOf(expected));
}

function expectSameTensors(actual: Record<string, Tensor>, expected: Record<string, Tensor>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const name of Object.keys(expected)) expectSameTensor(actual[name], expected[name]);
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** Builds a file from a header string (padding included) and data bytes. */
function fileFrom(header: string, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const headerLengthOf = (bytes: Uint8Array) => Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));

// ------------------------------------------------------------------------------------------------

describe('safetensors bytes', () => {
  const dtypeArb = fc.constantFrom<DType>('float32', 'float64', 'int32');
  const shapeArb = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });
  const tensorArb = fc.tuple(dtypeArb, shapeArb).chain(([dtype, shape]) => {
    const length = { minLength: sizeOf(shape), maxLength: sizeOf(shape) };
    const values: fc.Arbitrary<TypedArray> =
      dtype === 'float32' ? fc.float32Array(length) : dtype === 'float64' ? fc.float64Array(length) : fc.int32Array(length);
    return values.map((data) => fromData(data, shape));
  });
  const nameArb = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((name) => name !== '__metadata__');

  it('round-trips float32, float64 and int32 tensors of any shape, and is its own fixpoint', () => {
    fc.assert(
      fc.property(fc.dictionary(nameArb, tensorArb, { maxKeys: 5 }), fc.option(fc.dictionary(fc.string(), fc.string()), { nil: undefined }), (tensors, metadata) => {
        const bytes = encodeSafetensors(tensors, metadata);
        expect((8 + headerLengthOf(bytes)) % 8).toBe(0);
        const decoded = decodeSafetensors(bytes);
        expectSameTensors(decoded.tensors, tensors);
        expect(decoded.metadata).toEqual({ ...metadata });
        // deterministic: encoding what was decoded gives the same bytes
        expect(encodeSafetensors(decoded.tensors, metadata)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips rank 0, zero-size, NaN, infinities and -0 exactly', () => {
    const tensors = {
      scalar: f64([Math.PI], []),
      empty: f32([], [0, 3]),
      emptyInt: i32([], [2, 0]),
      special: f32([NaN, Infinity, -Infinity, -0, 1e-45]),
      ints: i32([-(2 ** 31), 2 ** 31 - 1, 0], [3, 1]),
    };
    expectSameTensors(decodeSafetensors(encodeSafetensors(tensors)).tensors, tensors);
  });

  it('encodes and decodes a file built by hand from the format description', () => {
    // 195 bytes of JSON + 5 spaces: the data starts at 8 + 200, a multiple of 8
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"a":{"dtype":"I32","shape":[],"data_offsets":[0,4]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},' +
      '"c":{"dtype":"F64","shape":[1,1],"data_offsets":[12,20]}}' +
      '     ';
    expect(header.length).toBe(200);
    const file = new Uint8Array(8 + 200 + 20);
    const view = new DataView(file.buffer);
    view.setBigUint64(0, 200n, true);
    for (let i = 0; i < header.length; i++) file[8 + i] = header.charCodeAt(i);
    view.setInt32(208, -7, true);
    view.setFloat32(212, 1.5, true);
    view.setFloat32(216, -2, true);
    view.setFloat64(220, 0.1, true);

    const tensors = { c: f64([0.1], [1, 1]), b: f32([1.5, -2]), a: i32([-7], []) };
    expect(encodeSafetensors(tensors, { format: 'pt' })).toEqual(file);
    const decoded = decodeSafetensors(file);
    expect(decoded.metadata).toEqual({ format: 'pt' });
    expectSameTensors(decoded.tensors, tensors);
    expect(decoded.tensors.a.toArray()).toBe(-7);
    expect(decoded.tensors.c.toArray()).toEqual([[0.1]]);
  });

  it('writes names in sorted string order even when they look like integers', () => {
    const bytes = encodeSafetensors({ '2': f32([2]), '10': f32([10]) });
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLengthOf(bytes)));
    expect(header.indexOf('"10"')).toBeLessThan(header.indexOf('"2"'));
    expect(header).toContain('"10":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}');
    expect(encodeSafetensors({})).toEqual(fileFrom('{}      '));
  });

  it('copies unaligned data into fresh aligned arrays', () => {
    // a 53-byte header puts the data at offset 61 of the file, 62 of the backing buffer
    const header = '{"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}';
    const data = new Uint8Array(new Float64Array([1.25, -3]).buffer);
    const file = fileFrom(header, data);
    const backing = new Uint8Array(file.length + 1);
    backing.set(file, 1);
    const x = decodeSafetensors(backing.subarray(1)).tensors.x;
    expect(x.toArray()).toEqual([1.25, -3]);
    const out = x.dataSync();
    expect(out.buffer).not.toBe(backing.buffer);
    expect(out.byteOffset % 8).toBe(0);
  });

  it('accepts a header padded with spaces, rejects a byte-order mark and a non-object header', () => {
    expect(decodeSafetensors(fileFrom('{}' + ' '.repeat(13))).tensors).toEqual({});
    expect(() => decodeSafetensors(fileFrom('\uFEFF{}'))).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(fileFrom('[]'))).toThrow(/starting with "\{"/);
    expect(() => decodeSafetensors(fileFrom('{"a":'))).toThrow(/not valid JSON/);
    expect(() => decodeSafetensors(fileFrom(''))).toThrow(SafetensorsError);
    const invalidUtf8 = fileFrom('{"\u00e9":1}');
    invalidUtf8[11] = 0xff;
    expect(() => decodeSafetensors(invalidUtf8)).toThrow(/not valid UTF-8/);
  });

  it('names an unsupported dtype and its tensor', () => {
    const sizes: Record<string, number> = { F16: 2, BF16: 2, I64: 8, U8: 1, BOOL: 1, F8_E4M3: 1 };
    for (const [dtype, size] of Object.entries(sizes)) {
      const file = fileFrom(`{"h.weight":{"dtype":"${dtype}","shape":[2],"data_offsets":[0,${2 * size}]}}`, new Uint8Array(2 * size));
      expect(() => decodeSafetensors(file)).toThrow(`unsupported dtype ${dtype} for tensor "h.weight"`);
    }
    const unknown = fileFrom('{"h":{"dtype":"float32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4));
    expect(() => decodeSafetensors(unknown)).toThrow(/unknown dtype "float32"/);
  });

  it('rejects keys that JSON.parse would silently merge', () => {
    const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    expect(() => decodeSafetensors(fileFrom(`{"a":${entry},"a":${entry}}`, new Uint8Array(4)))).toThrow(/repeats the key "a"/);
    const inner = '{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(() => decodeSafetensors(fileFrom(inner, new Uint8Array(4)))).toThrow(/repeats the key "dtype"/);
    // the same text inside string values and in sibling objects is not a repeat
    const siblings = '{"__metadata__":{"dtype":"{\\"x\\":1,\\"x\\":2}"},"a":' + entry + '}';
    expect(decodeSafetensors(fileFrom(siblings, new Uint8Array(4))).metadata).toEqual({ dtype: '{"x":1,"x":2}' });
  });

  it('rejects each kind of malformed entry with a message naming it', () => {
    const data = new Uint8Array(8);
    const cases: [string, RegExp][] = [
      ['{"__metadata__":{"k":1}}', /__metadata__ "k" must be a string/],
      ['{"__metadata__":[]}', /__metadata__ must be an object/],
      ['{"a":[1]}', /tensor "a": expected an object/],
      ['{"a":{"dtype":"F32","shape":[2]}}', /exactly the keys/],
      ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}', /exactly the keys/],
      ['{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', /non-negative integers/],
      ['{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}', /non-negative integers/],
      ['{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}', /non-negative integers/],
      ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}', /two integers/],
      ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', /not a range inside/],
      ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,9007199254740991]}}', /not a range inside/],
      ['{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', /span 8 bytes but shape \[3\] of F32 needs 12 bytes/],
      ['{"a":{"dtype":"F32","shape":[9007199254740991,9007199254740991],"data_offsets":[0,8]}}', /needs more bytes than the file holds/],
      ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', /overlap tensor "a"/],
      ['{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', /bytes \[0, 4\) of the data section belong to no tensor/],
      ['{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', /bytes \[4, 8\) of the data section belong to no tensor/],
      ['{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', /belong to no tensor/],
    ];
    for (const [header, message] of cases) {
      const error = thrown(() => decodeSafetensors(fileFrom(header, data)));
      expect(error, header).toBeInstanceOf(SafetensorsError);
      expect((error as Error).message, header).toMatch(message);
    }
  });

  it('checks the header length against the file before using it', () => {
    expect(() => decodeSafetensors(new Uint8Array(7))).toThrow(/too short/);
    for (const declared of [2n ** 64n - 1n, 2n ** 53n, 99_999_999n, 9n]) {
      expect(() => decodeSafetensors(fileFrom('{}', new Uint8Array(0), declared))).toThrow(/larger than the/);
    }
    expect(() => encodeSafetensors({ __metadata__: f32([1]) })).toThrow(/reserved/);
    expect(() => encodeSafetensors({ a: [1, 2] as unknown as Tensor })).toThrow(/is not a Tensor/);
    expect(() => encodeSafetensors({ '\uD800': f32([1]) })).toThrow(/well-formed/);
  });

  it('fuzz: corrupted files end in SafetensorsError or in a decode that keeps every invariant', () => {
    const base = encodeSafetensors(
      { 'blocks.0.w': f32([1, 2, 3, 4], [2, 2]), 'blocks.1.b': i32([5, -6, 7]), scale: f64([0.5], []), empty: f32([], [0, 3]) },
      { step: '12' },
    );
    const headerEnd = 8 + headerLengthOf(base);
    const outcomes = { ok: 0, error: 0 };
    const record = (bytes: Uint8Array) => {
      if (decodeOutcome(bytes) === 'ok') outcomes.ok++;
      else outcomes.error++;
    };

    // every truncation (and any trailing byte) of a valid file is an error
    for (let length = 0; length < base.length; length++) {
      expect(decodeOutcome(base.subarray(0, length)), `truncated to ${length}`).toBe('error');
    }
    expect(decodeOutcome(Uint8Array.from([...base, 0]))).toBe('error');

    // byte flips in the length field and the header
    const flip = fc.record({ at: fc.integer({ min: 0, max: headerEnd - 1 }), value: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.array(flip, { minLength: 1, maxLength: 4 }), (flips) => {
        const bytes = base.slice();
        for (const { at, value } of flips) bytes[at] = value;
        record(bytes);
      }),
      { numRuns: 400 },
    );

    // any declared header length, huge ones included
    const declaredArb = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: base.length + 8 }).map(BigInt));
    fc.assert(
      fc.property(declaredArb, (declared) => {
        const bytes = base.slice();
        new DataView(bytes.buffer).setBigUint64(0, declared, true);
        record(bytes);
      }),
      { numRuns: 200 },
    );

    // headers built from valid layouts and then broken in one way
    fc.assert(
      fc.property(headerCaseArb, (headerCase) => record(buildCase(headerCase))),
      { numRuns: 600 },
    );
    // the generators must reach both ends, or the fuzz proves little
    expect(outcomes.ok).toBeGreaterThan(50);
    expect(outcomes.error).toBeGreaterThan(500);
  });
});

/** 'error' for a SafetensorsError; 'ok' after checking the decode against the file; anything else fails. */
function decodeOutcome(bytes: Uint8Array): 'ok' | 'error' {
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (error) {
    if (error instanceof SafetensorsError) return 'error';
    throw error;
  }
  const headerLength = headerLengthOf(bytes);
  const dataStart = 8 + headerLength;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, dataStart))) as Record<string, { data_offsets: [number, number] }>;
  let covered = 0;
  for (const [name, t] of Object.entries(decoded.tensors)) {
    expect(['float32', 'float64', 'int32']).toContain(t.dtype);
    expect(t.dataSync().length).toBe(sizeOf(t.shape));
    const [begin, end] = header[name].data_offsets;
    expect(bytesOf(t)).toEqual(bytes.slice(dataStart + begin, dataStart + end));
    covered += end - begin;
  }
  expect(covered).toBe(bytes.length - dataStart);
  for (const value of Object.values(decoded.metadata)) expect(typeof value).toBe('string');
  return 'ok';
}

type HeaderCase = {
  specs: { name: string; dtype: 'F32' | 'F64' | 'I32'; shape: number[] }[];
  mutation: { kind: string; index: number; key: string; value: unknown };
  dataDelta: number;
  padding: number;
};

const jsonJunk = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, -0, 0.5, 2 ** 53, 1e300, '4', null, [], [0], [0, 4, 8], [-4, 0]),
);
const headerCaseArb: fc.Arbitrary<HeaderCase> = fc.record({
  specs: fc.array(
    fc.record({
      name: fc.oneof(fc.constantFrom('a', 'b', 'blocks.0.w', '__metadata__'), fc.string({ maxLength: 4 })),
      dtype: fc.constantFrom('F32' as const, 'F64' as const, 'I32' as const),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    }),
    { maxLength: 4 },
  ),
  mutation: fc.record({
    kind: fc.constantFrom('none', 'none', 'begin', 'end', 'shape', 'dtype', 'dropKey', 'extraKey', 'entry', 'metadata', 'whole', 'duplicate'),
    index: fc.nat(),
    key: fc.constantFrom('dtype', 'shape', 'data_offsets', 'x'),
    value: fc.oneof(jsonJunk, fc.integer({ min: -8, max: 64 }), fc.constantFrom('F16', 'BF16', 'I64', 'BOOL', 'f32', '')),
  }),
  dataDelta: fc.oneof(fc.constant(0), fc.integer({ min: -8, max: 8 })),
  padding: fc.nat(9),
});

function buildCase({ specs, mutation, dataDelta, padding }: HeaderCase): Uint8Array {
  const sizes = { F32: 4, F64: 8, I32: 4 };
  let offset = 0;
  const entries: [string, Record<string, unknown>][] = specs.map(({ name, dtype, shape }) => {
    const end = offset + sizeOf(shape) * sizes[dtype];
    const entry = { dtype, shape, data_offsets: [offset, end] };
    offset = end;
    return [name, entry];
  });
  let metadata: unknown = { note: 'x' };
  let whole: unknown;
  const target = entries.length > 0 ? entries[mutation.index % entries.length] : undefined;
  const { kind, key, value } = mutation;
  if (kind === 'begin' && target) (target[1].data_offsets as unknown[])[0] = value;
  else if (kind === 'end' && target) (target[1].data_offsets as unknown[])[1] = value;
  else if (kind === 'shape' && target) target[1].shape = value;
  else if (kind === 'dtype' && target) target[1].dtype = value;
  else if (kind === 'dropKey' && target) delete target[1][key];
  else if (kind === 'extraKey' && target) target[1][key === 'x' ? 'x' : `${key}_`] = value;
  else if (kind === 'entry' && target) target[1] = value as Record<string, unknown>;
  else if (kind === 'metadata') metadata = value;
  else if (kind === 'whole') whole = value;
  else if (kind === 'duplicate' && target) entries.push(target);
  const fields = [['__metadata__', metadata] as const, ...entries].map(([name, entry]) => `${JSON.stringify(name)}:${JSON.stringify(entry)}`);
  const header = (whole === undefined ? `{${fields.join(',')}}` : JSON.stringify(whole)) + ' '.repeat(padding);
  const data = Uint8Array.from({ length: Math.max(0, offset + dataDelta) }, (_, i) => (i * 37) & 255);
  return fileFrom(header, data);
}

// ------------------------------------------------------------------------------------------------

describe('safetensors files', () => {
  const params = () => ({
    embed: f32([1, 2, 3, 4, 5, 6], [2, 3]),
    blocks: [
      { norm1: { weight: f32([1, 1, 1]), bias: f32([0, 0, 0]) }, step: i32([3], []) },
      { norm1: { weight: f32([2, 2, 2]), bias: f32([0.5, 0.5, 0.5]) }, step: i32([4], []) },
    ],
    head: { w: f64([0.25, -0.25], [2, 1]) },
  });

  it('saves a nested tree atomically and loads it back with arrays and metadata', async () => {
    const dir = freshDir();
    const path = `${dir}/model.safetensors`;
    await saveSafetensors(path, params(), { epoch: '3' });
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    const loaded = await loadSafetensors(path);
    expect(loaded.metadata).toEqual({ epoch: '3' });
    expect(Object.keys(loaded.tensors)).toContain('blocks.0.norm1.weight');
    expectSameTensor(loaded.tensors['blocks.1.norm1.bias'], f32([0.5, 0.5, 0.5]));
    const tree = loaded.tree as ReturnType<typeof params>;
    expect(Array.isArray(tree.blocks)).toBe(true);
    expectSameTensor(tree.blocks[1].step, i32([4], []));
    expectSameTensor(tree.head.w, params().head.w);
    expect(loaded.missing).toEqual([]);
    expect(loaded.unexpected).toEqual([]);
  });

  it('a tree encoded to bytes (no file: what a browser page downloads) equals the file saveSafetensorsSync writes', () => {
    const path = `${freshDir()}/model.safetensors`;
    saveSafetensorsSync(path, params(), { epoch: '3' });
    const bytes = encodeSafetensorsTree(params(), { epoch: '3' });
    expect(bytes).toEqual(new Uint8Array(fs.readFileSync(path)));
    const decoded = decodeSafetensorsTree(bytes, { like: params() });
    expectSameTensors(decoded.tensors, loadSafetensorsSync(path).tensors);
    expectSameTensor((decoded.tree as ReturnType<typeof params>).head.w, params().head.w);
    expect(() => encodeSafetensorsTree(f32([1]))).toThrow('encodeSafetensorsTree: give an object or array of tensors; a bare tensor has no name');
    expect(() => decodeSafetensorsTree(bytes, { like: { w: f32([1]) } })).toThrow(/^decodeSafetensorsTree: the file does not match the target tree/);
  });

  it('overwrites an existing checkpoint and leaves no temp files, synchronously too', () => {
    const dir = freshDir();
    const path = `${dir}/ckpt.safetensors`;
    saveSafetensorsSync(path, { w: f32([1]) });
    saveSafetensorsSync(path, { w: f32([2]) });
    expect(fs.readdirSync(dir)).toEqual(['ckpt.safetensors']);
    expectSameTensor(loadSafetensorsSync(path).tensors.w, f32([2]));
  });

  it('a save into a missing directory throws and leaves nothing', async () => {
    const dir = freshDir();
    const path = `${dir}/missing/model.safetensors`;
    await expect(saveSafetensors(path, params())).rejects.toThrow(SafetensorsError);
    expect(() => saveSafetensorsSync(path, params())).toThrow(/could not write .*missing\/model.safetensors/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a failed rename removes the temp file', async () => {
    const dir = freshDir();
    const path = `${dir}/taken`;
    fs.mkdirSync(path);
    fs.writeFileSync(`${path}/keep`, 'x');
    await expect(saveSafetensors(path, params())).rejects.toThrow(SafetensorsError);
    expect(() => saveSafetensorsSync(path, params())).toThrow(SafetensorsError);
    expect(fs.readdirSync(dir)).toEqual(['taken']);
  });

  it('refuses trees it cannot name uniquely', async () => {
    const path = `${freshDir()}/x.safetensors`;
    await expect(saveSafetensors(path, { 'a.b': f32([1]), a: { b: f32([2]) } })).rejects.toThrow(/both named "a.b"/);
    expect(() => saveSafetensorsSync(path, f32([1]))).toThrow(/bare tensor/);
  });

  it('loads with like: the target structure, static nodes and arrays kept', async () => {
    const path = `${freshDir()}/m.safetensors`;
    await saveSafetensors(path, { layers: [{ w: f32([1, 2]) }, { w: f32([3, 4]) }] });
    const like = { layers: [{ w: f32([0, 0]) }, { w: f32([0, 0]) }], config: 7 };
    const { tree } = await loadSafetensors(path, { like });
    const loaded = tree as unknown as typeof like;
    expect(Array.isArray(loaded.layers)).toBe(true);
    expect(loaded.config).toBe(7);
    expectSameTensor(loaded.layers[1].w, f32([3, 4]));
  });

  it('reports missing and unexpected keys, and makes them an error when strict', async () => {
    const path = `${freshDir()}/m.safetensors`;
    await saveSafetensors(path, { encoder: { w: f32([1]) }, extra: f32([9]) });
    const like = { encoder: { w: f32([0]), b: f32([5]) } };
    const loose = await loadSafetensors(path, { like, strict: false });
    expect(loose.missing).toEqual(['encoder.b']);
    expect(loose.unexpected).toEqual(['extra']);
    const tree = loose.tree as unknown as typeof like;
    expectSameTensor(tree.encoder.w, f32([1]));
    expectSameTensor(tree.encoder.b, f32([5])); // a missing name keeps the target's tensor
    const strictError = await loadSafetensors(path, { like }).catch((error: unknown) => error);
    expect(strictError).toBeInstanceOf(SafetensorsError);
    expect((strictError as Error).message).toMatch(/missing from the file: "encoder.b"/);
    expect((strictError as Error).message).toMatch(/not in the target: "extra"/);
  });

  it('names the key and both shapes or dtypes on a mismatch', () => {
    const path = `${freshDir()}/m.safetensors`;
    saveSafetensorsSync(path, { w: f32([1, 2, 3, 4], [2, 2]), b: f32([1]) });
    expect(() => loadSafetensorsSync(path, { like: { w: f32([1, 2, 3, 4], [4, 1]), b: f32([0]) } })).toThrow(
      '"w": the file has float32 [2, 2], the target has float32 [4, 1]',
    );
    expect(() => loadSafetensorsSync(path, { like: { w: f32([1, 2, 3, 4], [2, 2]), b: f64([0]) }, strict: false })).toThrow(
      '"b": the file has float32 [1], the target has float64 [1]',
    );
  });

  it('a missing file names its path', async () => {
    const path = `${freshDir()}/nothing-here.safetensors`;
    await expect(loadSafetensors(path)).rejects.toThrow(`cannot read ${path}: no such file`);
    expect(() => loadSafetensorsSync(path)).toThrow(SafetensorsError);
  });

  it('regression: a name like __proto__.x cannot pollute Object.prototype through the tree', () => {
    for (const name of ['__proto__.polluted', 'constructor.prototype.polluted']) {
      const path = `${freshDir()}/evil.safetensors`;
      fs.writeFileSync(path, encodeSafetensors({ [name]: f32([1]) }));
      expect(() => loadSafetensorsSync(path)).toThrow(/cannot be a tree key/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.keys(decodeSafetensors(fs.readFileSync(path)).tensors)).toEqual([name]);
    }
  });

  it('names that do not form a tree are a SafetensorsError', () => {
    const path = `${freshDir()}/clash.safetensors`;
    fs.writeFileSync(path, encodeSafetensors({ a: f32([1]), 'a.b': f32([2]) }));
    expect(() => loadSafetensorsSync(path)).toThrow(/do not form a tree/);
  });
});
