import { type DType, type TypedArray, allocate } from '../dtype.js';
import { TapegradError, formatShape } from '../errors.js';
import { checkOptions, option } from '../options.js';
import { type PyTree, dottedName, flattenNamed, isPlainObject, treeFlatten, treeLeavesWithPath, treeUnflatten, unflattenNamed } from '../pytree.js';
import { Tensor, fromData } from '../tensor.js';

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N
 * bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {..}}`,
 * then the data section, little-endian and C order, with offsets relative to its start.
 */

/** A safetensors file or call that breaks the format or the target tree; the message says where. */
export class SafetensorsError extends TapegradError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options !== undefined) this.cause = options.cause;
  }
}

export type SafetensorsContents = { tensors: Record<string, Tensor>; metadata: Record<string, string> };

export type LoadSafetensorsOptions = {
  /** A target parameter tree: names are matched, shapes and dtypes checked, and `tree` takes its structure. */
  like?: unknown;
  /** Missing or unexpected names are an error. Default true when `like` is given. */
  strict?: boolean;
};

export type LoadedSafetensors = SafetensorsContents & {
  tree: PyTree;
  /** Names in `like` that the file lacks (their tensors are kept from `like` when not strict). */
  missing: string[];
  /** Names in the file that `like` lacks (left out of `tree`, still in `tensors`). */
  unexpected: string[];
};

const fileDTypes = { F32: 'float32', F64: 'float64', I32: 'int32' } as const satisfies Record<string, DType>;
const fileDTypeNames: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };
const itemSizes: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };
// dtypes the format defines that have no tapegrad tensor type
const otherFileDTypes = new Set([
  'BOOL', 'U8', 'I8', 'U16', 'I16', 'F16', 'BF16', 'U32', 'U64', 'I64', 'C64',
  'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4',
]);
// the reference implementation's limit; real headers are a few MB at most
const maxHeaderBytes = 100_000_000;
const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// with the u flag this matches only unpaired surrogates, which UTF-8 cannot carry
const loneSurrogate = /[\uD800-\uDFFF]/u;

type Fail = (message: string) => SafetensorsError;
type Entry = { name: string; dtype: DType; shape: number[]; size: number; begin: number; end: number };

// ---------------------------------------------------------------------------------------------
// bytes

/** Tensors in sorted-name order; the header is padded with spaces so the data starts at a multiple of 8. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const fail: Fail = (message) => new SafetensorsError(`encodeSafetensors: ${message}`);
  if (!isPlainObject(tensors)) throw fail(`tensors must be a plain object of name → Tensor, got ${describe(tensors)}`);
  const names = Object.keys(tensors).sort();
  // the header is written by hand: JSON.stringify of an object would move integer-like names first
  const fields: string[] = [];
  if (metadata !== undefined) fields.push(`"__metadata__":${encodeMetadata(metadata, fail)}`);
  let offset = 0;
  for (const name of names) {
    const tensor = tensors[name];
    if (name === '__metadata__') throw fail('"__metadata__" is reserved and cannot name a tensor');
    if (loneSurrogate.test(name)) throw fail(`tensor name ${quote(name)} is not well-formed Unicode`);
    if (!(tensor instanceof Tensor)) throw fail(`${quote(name)} is not a Tensor but ${describe(tensor)}`);
    const end = offset + tensor.size * itemSizes[tensor.dtype];
    const info = `{"dtype":"${fileDTypeNames[tensor.dtype]}","shape":${JSON.stringify(tensor.shape)},"data_offsets":[${offset},${end}]}`;
    fields.push(`${JSON.stringify(name)}:${info}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > maxHeaderBytes) throw fail(`the header would take ${headerLength} bytes, over the format's limit of ${maxHeaderBytes}`);
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const name of names) cursor += writeLittleEndian(out, cursor, tensors[name].dataSync());
  return out;
}

function encodeMetadata(metadata: Record<string, string>, fail: Fail): string {
  if (!isPlainObject(metadata)) throw fail(`metadata must be a plain object of string → string, got ${describe(metadata)}`);
  const fields = Object.keys(metadata).sort().map((key) => {
    const value = metadata[key];
    if (typeof value !== 'string') throw fail(`metadata ${quote(key)} must be a string, got ${describe(value)}`);
    if (loneSurrogate.test(key) || loneSurrogate.test(value)) throw fail(`metadata ${quote(key)} is not well-formed Unicode`);
    return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  });
  return `{${fields.join(',')}}`;
}

/** Checks every byte of the header and every range before reading; data is copied into fresh arrays. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  return decode(bytes, 'decodeSafetensors');
}

function decode(bytes: Uint8Array, where: string): SafetensorsContents {
  const fail: Fail = (message) => new SafetensorsError(`${where}: ${message}`);
  if (!(bytes instanceof Uint8Array)) throw fail(`expected a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8) throw fail(`the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  // read as u64 and compared before any conversion or allocation: the length is untrusted
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) throw fail(`the header length ${declared} is larger than the ${bytes.length - 8} bytes after it`);
  if (declared > BigInt(maxHeaderBytes)) throw fail(`the header length ${declared} is over the format's limit of ${maxHeaderBytes}`);
  const headerLength = Number(declared);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), fail);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = Object.hasOwn(header, '__metadata__') ? readMetadata(header.__metadata__, fail) : {};
  const entries = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, info]) => readEntry(name, info, dataLength, fail));
  checkCoverage(entries, dataLength, fail);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const tensors = Object.fromEntries(entries.map((entry) => [entry.name, fromData(readData(bytes, dataStart, entry), entry.shape)]));
  return { tensors, metadata };
}

function parseHeader(headerBytes: Uint8Array, fail: Fail): Record<string, unknown> {
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so JSON.parse rejects it as the reference does
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw fail(`the header must be a JSON object starting with "{", got ${quote(text)}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw fail(`the header is not valid JSON (${(error as Error).message.slice(0, 120)})`);
  }
  if (!isPlainObject(header)) throw fail(`the header must be a JSON object, got ${describe(header)}`);
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) throw fail(`the header repeats the key ${quote(duplicate)}; JSON.parse would keep only the last`);
  return header;
}

/**
 * The first key repeated within one object at any depth of `json`, which must already be valid
 * JSON. Braces and brackets inside strings are skipped with the strings.
 */
function findDuplicateKey(json: string): string | undefined {
  const frames: { keys: Set<string> | undefined; expectKey: boolean }[] = [];
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    const top = frames[frames.length - 1];
    if (char === '{') frames.push({ keys: new Set(), expectKey: true });
    else if (char === '[') frames.push({ keys: undefined, expectKey: false });
    else if (char === '}' || char === ']') frames.pop();
    else if (char === ',' && top?.keys !== undefined) top.expectKey = true;
    else if (char === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (top?.keys !== undefined && top.expectKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
    }
  }
  return undefined;
}

function readMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (!isPlainObject(value)) throw fail(`__metadata__ must be an object of string → string, got ${describe(value)}`);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw fail(`__metadata__ ${quote(key)} must be a string, got ${describe(entry)}`);
    if (loneSurrogate.test(key) || loneSurrogate.test(entry)) throw fail(`__metadata__ ${quote(key)} is not well-formed Unicode`);
  }
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function readEntry(name: string, info: unknown, dataLength: number, fail: Fail): Entry {
  const where = `tensor ${quote(name)}`;
  if (loneSurrogate.test(name)) throw fail(`${where}: the name is not well-formed Unicode`);
  if (!isPlainObject(info)) throw fail(`${where}: expected an object with dtype, shape and data_offsets, got ${describe(info)}`);
  const keys = Object.keys(info);
  if (keys.length !== 3 || !['dtype', 'shape', 'data_offsets'].every((key) => keys.includes(key))) {
    throw fail(`${where}: expected exactly the keys dtype, shape and data_offsets, got ${keys.map(quote).join(', ') || 'none'}`);
  }
  const { dtype: fileDType, shape, data_offsets: offsets } = info;
  if (typeof fileDType !== 'string') throw fail(`${where}: dtype must be a string, got ${describe(fileDType)}`);
  if (!Object.hasOwn(fileDTypes, fileDType)) {
    if (otherFileDTypes.has(fileDType)) throw fail(`unsupported dtype ${fileDType} for tensor ${quote(name)}; tapegrad reads F32, F64 and I32`);
    throw fail(`${where}: unknown dtype ${quote(fileDType)}`);
  }
  const dtype = fileDTypes[fileDType as keyof typeof fileDTypes];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`${where}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o))) {
    throw fail(`${where}: data_offsets must be two integers [begin, end], got ${describe(offsets)}`);
  }
  const [begin, end] = (offsets as number[]).map((o) => o + 0); // + 0 turns -0 into 0
  if (begin < 0 || begin > end || end > dataLength) {
    throw fail(`${where}: data_offsets [${begin}, ${end}] are not a range inside the ${dataLength}-byte data section`);
  }
  const dims = (shape as number[]).map((d) => d + 0);
  const size = elementCount(dims, dataLength);
  const byteLength = size * itemSizes[dtype];
  if (byteLength !== end - begin) {
    const needs = Number.isFinite(byteLength) ? `${byteLength} bytes` : 'more bytes than the file holds';
    throw fail(`${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape ${formatShape(dims)} of ${fileDType} needs ${needs}`);
  }
  return { name, dtype, shape: dims, size, begin, end };
}

/** The product of `shape`, or Infinity once it passes `limit` (so it never overflows). */
function elementCount(shape: readonly number[], limit: number): number {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > limit) return Infinity;
  }
  return count;
}

/** As the reference requires, the ranges tile the data section: no overlap, no hole, no tail. */
function checkCoverage(entries: readonly Entry[], dataLength: number, fail: Fail): void {
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = '';
  for (const entry of ordered) {
    if (entry.begin < cursor) {
      throw fail(`tensor ${quote(entry.name)}: data_offsets [${entry.begin}, ${entry.end}] overlap tensor ${quote(previous)}, which ends at ${cursor}`);
    }
    if (entry.begin > cursor) throw fail(`bytes [${cursor}, ${entry.begin}) of the data section belong to no tensor`);
    cursor = entry.end;
    previous = entry.name;
  }
  if (cursor !== dataLength) throw fail(`bytes [${cursor}, ${dataLength}) of the data section belong to no tensor`);
}

function readData(bytes: Uint8Array, dataStart: number, entry: Entry): TypedArray {
  const out = allocate(entry.dtype, entry.size);
  const start = dataStart + entry.begin;
  if (hostIsLittleEndian) {
    new Uint8Array(out.buffer).set(bytes.subarray(start, start + out.byteLength));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, out.byteLength);
  for (let i = 0; i < out.length; i++) {
    if (entry.dtype === 'float32') out[i] = view.getFloat32(i * 4, true);
    else if (entry.dtype === 'float64') out[i] = view.getFloat64(i * 8, true);
    else out[i] = view.getInt32(i * 4, true);
  }
  return out;
}

function writeLittleEndian(out: Uint8Array, at: number, data: TypedArray): number {
  if (hostIsLittleEndian) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return data.byteLength;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i], true);
    else if (data instanceof Float64Array) view.setFloat64(i * 8, data[i], true);
    else view.setInt32(i * 4, data[i], true);
  }
  return data.byteLength;
}

// ---------------------------------------------------------------------------------------------
// trees (the file functions, Node only, are in safetensors-file.ts)

/** Flattens `tree` with dotted names (`blocks.0.norm1.weight`) and encodes it: the bytes `saveSafetensors` writes. */
export function encodeSafetensorsTree(tree: unknown, metadata?: Record<string, string>): Uint8Array {
  return encodeTree(tree, metadata, 'encodeSafetensorsTree');
}

/** Decodes bytes as `loadSafetensorsSync` reads a file: a tree rebuilt from the names, or matched against `like`. */
export function decodeSafetensorsTree(bytes: Uint8Array, options?: LoadSafetensorsOptions): LoadedSafetensors {
  return decodeTree(bytes, 'decodeSafetensorsTree', checkLoadOptions('decodeSafetensorsTree', options));
}

const loadOptionSpec = { like: option.anything, strict: option.boolean };

/** The load options, checked: an unknown key or a wrong type is an OptionError naming `caller`. */
export function checkLoadOptions(caller: string, options: LoadSafetensorsOptions | undefined): LoadSafetensorsOptions {
  return checkOptions(caller, options, loadOptionSpec);
}

/** `encodeSafetensorsTree`, with errors that begin with `caller`. */
export function encodeTree(tree: unknown, metadata: Record<string, string> | undefined, caller: string): Uint8Array {
  if (tree instanceof Tensor) throw new SafetensorsError(`${caller}: give an object or array of tensors; a bare tensor has no name`);
  if (!Array.isArray(tree) && !isPlainObject(tree)) throw new SafetensorsError(`${caller}: tree must be an object or array of tensors, got ${describe(tree)}`);
  checkTensorLeaves(caller, tree);
  const duplicate = firstDuplicate(leafNames(tree));
  if (duplicate !== undefined) throw new SafetensorsError(`${caller}: two leaves of the tree are both named ${quote(duplicate)}`);
  return encodeSafetensors(flattenNamed(tree), metadata);
}

/** Refuses a leaf the file cannot hold, naming its dotted path: silently dropping it would lose it on load. */
function checkTensorLeaves(caller: string, tree: unknown): void {
  const walk = (node: unknown, name: string): void => {
    const child = (key: string) => (name === '' ? key : `${name}.${key}`);
    if (node instanceof Tensor || node === undefined) return;
    if (Array.isArray(node)) node.forEach((value, i) => walk(value, child(String(i))));
    else if (isPlainObject(node)) for (const key of Object.keys(node)) walk(node[key], child(key));
    else {
      throw new SafetensorsError(
        `${caller}: the leaf ${quote(name)} is ${describe(node)}, not a Tensor; a safetensors file holds only tensors (store numbers and strings as strings in the metadata argument, or as tensors)`,
      );
    }
  };
  walk(tree, '');
}

/** `decodeSafetensorsTree`, with errors that begin with `where`. */
export function decodeTree(bytes: Uint8Array, where: string, options: LoadSafetensorsOptions): LoadedSafetensors {
  const fail: Fail = (message) => new SafetensorsError(`${where}: ${message}`);
  const { tensors, metadata } = decode(bytes, where);
  if (options.like === undefined) return { tree: treeFromNames(tensors, fail), tensors, metadata, missing: [], unexpected: [] };
  const [targetLeaves, structure] = treeFlatten(options.like);
  const targetNames = leafNames(options.like);
  const duplicate = firstDuplicate(targetNames);
  if (duplicate !== undefined) throw fail(`two leaves of the target tree are both named ${quote(duplicate)}`);
  const inFile = (name: string) => Object.hasOwn(tensors, name);
  const targetSet = new Set(targetNames);
  const missing = targetNames.filter((name) => !inFile(name));
  const unexpected = Object.keys(tensors).filter((name) => !targetSet.has(name));
  const problems = targetNames.flatMap((name, i) => {
    if (!inFile(name)) return [];
    const [found, wanted] = [tensors[name], targetLeaves[i]];
    if (found.dtype === wanted.dtype && formatShape(found.shape) === formatShape(wanted.shape)) return [];
    return [`${quote(name)}: the file has ${found.dtype} ${formatShape(found.shape)}, the target has ${wanted.dtype} ${formatShape(wanted.shape)}`];
  });
  if (options.strict ?? true) {
    if (missing.length > 0) problems.push(`missing from the file: ${missing.map(quote).join(', ')}`);
    if (unexpected.length > 0) problems.push(`not in the target: ${unexpected.map(quote).join(', ')}`);
  }
  if (problems.length > 0) throw fail(`the file does not match the target tree:\n  ${problems.join('\n  ')}`);
  const tree = treeUnflatten(structure, targetNames.map((name, i) => (inFile(name) ? tensors[name] : targetLeaves[i])));
  return { tree, tensors, metadata, missing, unexpected };
}

function treeFromNames(tensors: Record<string, Tensor>, fail: Fail): PyTree {
  for (const name of Object.keys(tensors)) {
    // unflattenNamed walks plain objects by key: an inherited name like __proto__ would escape the tree
    const segment = name.split('.').find((part) => part in Object.prototype);
    if (segment !== undefined) throw fail(`tensor ${quote(name)} has the segment ${quote(segment)}, which cannot be a tree key; pass \`like\``);
  }
  try {
    return unflattenNamed(tensors);
  } catch (error) {
    if (!(error instanceof TapegradError)) throw error;
    throw fail(`the tensor names do not form a tree (${error.message}); pass \`like\` or use decodeSafetensors`);
  }
}

/** Dotted names of the leaves in `treeFlatten` order, spelled as `flattenNamed` spells them. */
function leafNames(tree: unknown): string[] {
  return treeLeavesWithPath(tree).map(([path]) => dottedName(path));
}

function firstDuplicate(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

function quote(text: string): string {
  const quoted = JSON.stringify(text);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}…"` : quoted;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value instanceof Tensor) return value.toString();
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= Object.prototype.toString.call(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
