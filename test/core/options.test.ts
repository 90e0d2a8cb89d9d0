/**
 * Every public core op checks its options at run time: an unknown key or a wrong type is an
 * OptionError naming the op, the key and what is allowed, never a silently different result. The
 * classification table below must name every public function of core's ops, composites, creation,
 * random and io modules, so a new op cannot skip its checks unnoticed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { OptionError, SafetensorsError, ShapeError, TapegradError, type Tensor } from '../../core/index.js';

const x = tg.tensor([[1, 2, 3], [4, 5, 6]]);
const int = tg.tensor([1, 0], { dtype: 'int32' });
const k = tg.random.key(0);
const root = fs.mkdtempSync(`${os.tmpdir()}/tapegrad-options-`);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const file = `${root}/w.safetensors`;
tg.saveSafetensorsSync(file, { w: x });
// a misspelled key, passed the way JavaScript (or a cast) would pass it
const any = (value: unknown) => value as never;

type Classified =
  /** Takes an options object (or an axis that may be one): the call passes a misspelled key. */
  | { readonly misspelled: () => unknown; readonly key: string; readonly allowed: string; readonly op?: string }
  /** Takes its settings as positional values, or none: the call passes a wrong or an extra one. */
  | { readonly positional: () => unknown; readonly error: string; readonly errorClass?: typeof TapegradError };

const reduction = (op: 'sum' | 'max' | 'min' | 'mean' | 'logsumexp') => ({
  misspelled: () => tg[op](x, any({ axis: 1, keepdims: true })),
  key: 'keepdims',
  allowed: 'axis, keepDims',
});
const oneAxis = (op: string, call: () => unknown) => ({ misspelled: call, key: 'axes', allowed: 'axis', op });
/** An op without options given one anyway (as JAX's `gelu(x, approximate=...)` would be written). */
const noOptions = (op: string, params: string, call: (extra: never) => unknown): Classified => ({
  positional: () => call(any({ approximate: true })),
  error: `${op}: takes (${params}) and no options; got {"approximate":true} as argument ${params.split(', ').length + 1}`,
});
const unaryOps = ['neg', 'exp', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'abs', 'sign', 'tanh', 'sigmoid', 'relu', 'erf', 'gelu', 'sin', 'cos', 'reciprocal'] as const;
const binaryOps = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'greater', 'greaterEqual', 'less', 'equal'] as const;
const asVariadic = (f: unknown) => f as (...args: unknown[]) => unknown;

const classification: Record<string, Classified> = {
  ...Object.fromEntries(unaryOps.map((op) => [op, noOptions(op, 'x', (extra) => asVariadic(tg[op])(x, extra))])),
  ...Object.fromEntries(binaryOps.map((op) => [op, noOptions(op, 'a, b', (extra) => asVariadic(tg[op])(x, x, extra))])),
  where: noOptions('where', 'condition, a, b', (extra) => asVariadic(tg.where)(x, x, x, extra)),
  matmul: noOptions('matmul', 'a, b', (extra) => asVariadic(tg.matmul)(x, tg.transpose(x), extra)),
  matrixTranspose: noOptions('matrixTranspose', 'x', (extra) => asVariadic(tg.matrixTranspose)(x, extra)),
  scaleShift: noOptions('scaleShift', 'x, scale, shift?', (extra) => asVariadic(tg.scaleShift)(x, x, x, extra)),
  zerosLike: noOptions('zerosLike', 'x', (extra) => asVariadic(tg.zerosLike)(x, extra)),
  onesLike: noOptions('onesLike', 'x', (extra) => asVariadic(tg.onesLike)(x, extra)),
  fromNdarray: noOptions('fromNdarray', 'array', (extra) => asVariadic(tg.fromNdarray)(x.toNdarray(), extra)),
  sum: reduction('sum'),
  max: reduction('max'),
  min: reduction('min'),
  mean: reduction('mean'),
  logsumexp: reduction('logsumexp'),
  variance: { misspelled: () => tg.variance(x, any({ axis: 1, ddof: 1 })), key: 'ddof', allowed: 'axis, keepDims, correction' },
  softmax: oneAxis('softmax', () => tg.softmax(x, any({ axes: 0 }))),
  logSoftmax: oneAxis('logSoftmax', () => tg.logSoftmax(x, any({ axes: 0 }))),
  concat: oneAxis('concat', () => tg.concat([x, x], any({ axes: 0 }))),
  stack: oneAxis('stack', () => tg.stack([x, x], any({ axes: 0 }))),
  split: oneAxis('split', () => tg.split(x, 2, any({ axes: 0 }))),
  flip: oneAxis('flip', () => tg.flip(x, any({ axes: 0 }))),
  squeeze: oneAxis('squeeze', () => tg.squeeze(x, any({ axes: 0 }))),
  expandDims: oneAxis('expandDims', () => tg.expandDims(x, any({ axes: 0 }))),
  take: oneAxis('take', () => tg.take(x, int, any({ axes: 0 }))),
  pad: { misspelled: () => tg.pad(x, any({ before: [1, 0] })), key: 'before', allowed: 'low, high, interior, value' },
  slice: { misspelled: () => tg.slice(x, [any({ begin: 1 })]), key: 'begin', allowed: 'start, stop, step', op: 'slice: axes[0]' },
  layerNorm: { misspelled: () => tg.layerNorm(x, undefined, undefined, any({ epsilon: 1e-6 })), key: 'epsilon', allowed: 'eps, axis' },
  l2Normalize: { misspelled: () => tg.l2Normalize(x, any({ dim: 0 })), key: 'dim', allowed: 'axis, eps' },
  crossEntropy: { misspelled: () => tg.crossEntropy(x, x, any({ reduce: 'sum' })), key: 'reduce', allowed: 'axis, reduction' },
  tensor: { misspelled: () => tg.tensor([1, 2], any({ dtyp: 'float64' })), key: 'dtyp', allowed: 'shape, dtype' },
  'random.uniform': { misspelled: () => tg.random.uniform(k, [2], any({ low: -1 })), key: 'low', allowed: 'dtype, minval, maxval', op: 'uniform' },
  'random.normal': { misspelled: () => tg.random.normal(k, [2], any({ stddev: 2 })), key: 'stddev', allowed: 'dtype, mean, std', op: 'normal' },
  'random.truncatedNormal': {
    misspelled: () => tg.random.truncatedNormal(k, [2], any({ low: -1 })),
    key: 'low',
    allowed: 'dtype, lower, upper',
    op: 'truncatedNormal',
  },
  'random.bernoulli': { misspelled: () => tg.random.bernoulli(k, 0.5, [2], any({ dType: 'float64' })), key: 'dType', allowed: 'dtype', op: 'bernoulli' },
  loadSafetensors: { misspelled: () => tg.loadSafetensors(file, any({ strictly: false })), key: 'strictly', allowed: 'like, strict' },
  loadSafetensorsSync: { misspelled: () => tg.loadSafetensorsSync(file, any({ target: { w: x } })), key: 'target', allowed: 'like, strict' },
  reshape: { positional: () => tg.reshape(x, any({ shape: [3, 2] })), error: 'reshape: shape must be an array of integers (at most one -1); got {"shape":[3,2]}', errorClass: ShapeError },
  broadcastTo: { positional: () => tg.broadcastTo(x, any(3 as never)), error: 'broadcastTo: shape must be an array of non-negative integers, got 3', errorClass: ShapeError },
  transpose: { positional: () => tg.transpose(x, any({ perm: [1, 0] })), error: 'transpose: perm must be an array of integers; got {"perm":[1,0]}' },
  sliceAxis: { positional: () => tg.sliceAxis(x, 0, any({ start: 1 })), error: 'sliceAxis: start must be an integer; got {"start":1}' },
  scatterAdd: { positional: () => tg.scatterAdd(x, int, any({ axis: 0 }), 2), error: 'scatterAdd: axis must be an integer axis; got {"axis":0}' },
  powScalar: { positional: () => tg.powScalar(x, any({ exponent: 2 })), error: 'powScalar: exponent must be a number; got {"exponent":2}' },
  standardize: { positional: () => tg.standardize(x, any({ eps: 1e-5 })), error: 'standardize: option eps must be a number ≥ 0, got [object Object]' },
  cast: { positional: () => tg.cast(x, any({ dtype: 'float64' })), error: 'cast: dtype: unknown dtype {"dtype":"float64"}; allowed: float32, float64, int32' },
  full: { positional: () => tg.full([2], any('1')), error: 'full: value must be a number; got "1"' },
  zeros: { positional: () => tg.zeros([2], any({ dtype: 'float64' })), error: 'zeros: dtype: unknown dtype {"dtype":"float64"}; allowed: float32, float64, int32' },
  ones: { positional: () => tg.ones(any(2 as never)), error: 'ones: shape must be an array of non-negative integers, got 2', errorClass: ShapeError },
  scalar: { positional: () => tg.scalar(any([1])), error: 'scalar: value must be a number; got [1]' },
  fullLike: { positional: () => tg.fullLike(x, any({ value: 1 })), error: 'fullLike: value must be a number; got {"value":1}' },
  arange: { positional: () => tg.arange(3, any('float64')), error: 'arange: stop must be a number; got "float64"' },
  linspace: { positional: () => tg.linspace(0, 1, 3, any('f64')), error: 'linspace: dtype: unknown dtype "f64"; allowed: float32, float64, int32' },
  eye: { positional: () => tg.eye(2, any('float64')), error: 'eye: shape [2, float64] must hold non-negative integers', errorClass: ShapeError },
  'random.key': { positional: () => tg.random.key(any('0')), error: 'key: seed must be an integer' },
  'random.split': { positional: () => tg.random.split(k, any({ num: 3 })), error: 'split: num must be an integer' },
  'random.foldIn': { positional: () => tg.random.foldIn(k, any('1')), error: 'foldIn: data must be an integer' },
  'random.randint': { positional: () => tg.random.randint(k, [2], 0, any('5')), error: 'randint: maxval must be an integer' },
  'random.permutation': { positional: () => tg.random.permutation(k, any([3])), error: 'permutation: n must be an integer' },
  encodeSafetensors: { positional: () => tg.encodeSafetensors({ w: x }, any({ step: 3 })), error: 'encodeSafetensors: metadata "step" must be a string, got 3', errorClass: SafetensorsError },
  encodeSafetensorsTree: { positional: () => tg.encodeSafetensorsTree({ w: x, step: any(3) }), error: 'encodeSafetensorsTree: the leaf "step" is 3, not a Tensor; a safetensors file holds only tensors (store numbers and strings as strings in the metadata argument, or as tensors)', errorClass: SafetensorsError },
  decodeSafetensorsTree: { misspelled: () => tg.decodeSafetensorsTree(tg.encodeSafetensorsTree({ w: x }), any({ strictly: false })), key: 'strictly', allowed: 'like, strict' },
  decodeSafetensors: { positional: () => tg.decodeSafetensors(any([1, 2])), error: 'decodeSafetensors: expected a Uint8Array, got [1,2]', errorClass: SafetensorsError },
  saveSafetensors: {
    positional: () => tg.saveSafetensors(file, { w: x, step: 3 }),
    error: 'saveSafetensors: the leaf "step" is 3, not a Tensor; a safetensors file holds only tensors',
    errorClass: SafetensorsError,
  },
  saveSafetensorsSync: {
    positional: () => tg.saveSafetensorsSync(file, { w: x, step: 3 }),
    error: 'saveSafetensorsSync: the leaf "step" is 3, not a Tensor; a safetensors file holds only tensors',
    errorClass: SafetensorsError,
  },
};

/** Runs a call that may return a promise and gives back what it threw or rejected with. */
async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** `name` for core/index exports, `random.name` for the samplers on `tg.random`. */
async function publicFunctionsOfCoreModules(): Promise<string[]> {
  const coreDirectory = new URL('../../core/', import.meta.url);
  const files = [
    ...fs.readdirSync(new URL('ops/', coreDirectory)).map((name) => `ops/${name}`),
    ...fs.readdirSync(new URL('composites/', coreDirectory)).map((name) => `composites/${name}`),
    'creation.ts',
    'random.ts',
    'io/safetensors.ts',
    'io/safetensors-file.ts',
  ];
  const names = new Set<string>();
  for (const path of files) {
    const module: Record<string, unknown> = await import(new URL(path, coreDirectory).href);
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== 'function' || /^[A-Z]/.test(name)) continue; // classes are not ops
      if ((tg as Record<string, unknown>)[name] === value) names.add(name);
      if ((tg.random as Record<string, unknown>)[name] === value) names.add(`random.${name}`);
    }
  }
  return [...names].sort();
}

describe('every public core op checks its options', () => {
  it('the classification names every public function of core ops, composites, creation, random and io', async () => {
    expect(await publicFunctionsOfCoreModules()).toEqual(Object.keys(classification).sort());
  });

  for (const [name, entry] of Object.entries(classification)) {
    if ('misspelled' in entry) {
      const op = entry.op ?? name;
      it(`${name}: a misspelled key is an OptionError naming ${op}, the key and the allowed keys`, async () => {
        const error = await thrown(entry.misspelled);
        expect(error).toBeInstanceOf(OptionError);
        expect((error as Error).message).toBe(`${op}: unknown option ${JSON.stringify(entry.key)}; allowed: ${entry.allowed}`);
      });
    } else {
      it(`${name}: a positional setting of the wrong type is refused with the op and the argument named`, async () => {
        const error = await thrown(entry.positional);
        expect(error).toBeInstanceOf(entry.errorClass ?? OptionError);
        expect((error as Error).message.startsWith(entry.error)).toBe(true);
      });
    }
  }

  it('method sugar passes every argument on, so methods are checked as their functions are', () => {
    expect(() => x.sum(any({ keepdims: true }))).toThrow('sum: unknown option "keepdims"; allowed: axis, keepDims');
    expect(() => asVariadic(x.gelu).call(x, { approximate: 'tanh' })).toThrow('gelu: takes (x) and no options; got {"approximate":"tanh"} as argument 2');
    expect(() => x.softmax(any({ dim: 0 }))).toThrow('softmax: unknown option "dim"; allowed: axis');
    expect(x.softmax({ axis: 0 }).toArray()).toEqual(tg.softmax(x, 0).toArray());
  });

  it('ops without options still work as callbacks: map passes an index and the array, not options', () => {
    expect([x].map(tg.zerosLike)[0].toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect([x].map(tg.neg)[0].toArray()).toEqual([[-1, -2, -3], [-4, -5, -6]]);
    expect(() => asVariadic(tg.zerosLike)(x, 'float64')).toThrow('zerosLike: takes (x) and no options; got "float64" as argument 2');
  });

  it('ops without options take their arguments as before, and refuse a non-tensor by argument', () => {
    expect(tg.add(x, 1).toArray()).toEqual([[2, 3, 4], [5, 6, 7]]);
    expect(tg.scaleShift(x, tg.ones([3])).toArray()).toEqual(x.toArray());
    expect(() => tg.add(x, any('1'))).toThrow(OptionError);
    expect(() => tg.add(x, any('1'))).toThrow('add: b must be a Tensor or a number, got string');
    expect(() => tg.exp(any([1, 2]))).toThrow('exp: x must be a Tensor or a number, got an array (wrap it with tensor())');
  });
});

describe('a plain array where a tensor belongs is named, not read as one', () => {
  const array = any([1, 2, 3]);
  const cases: [string, string, () => unknown][] = [
    ['sum', 'x', () => tg.sum(array)],
    ['max', 'x', () => tg.max(array)],
    ['min', 'x', () => tg.min(array)],
    ['mean', 'x', () => tg.mean(array)],
    ['variance', 'x', () => tg.variance(array)],
    ['logsumexp', 'x', () => tg.logsumexp(array)],
    ['softmax', 'x', () => tg.softmax(array)],
    ['logSoftmax', 'x', () => tg.logSoftmax(array)],
    ['layerNorm', 'x', () => tg.layerNorm(array)],
    ['l2Normalize', 'x', () => tg.l2Normalize(array)],
    ['crossEntropy', 'logits', () => tg.crossEntropy(array, x)],
    ['crossEntropy', 'targets', () => tg.crossEntropy(x, array)],
    ['reshape', 'x', () => tg.reshape(array, [3])],
    ['transpose', 'x', () => tg.transpose(array)],
    ['matrixTranspose', 'x', () => tg.matrixTranspose(array)],
    ['broadcastTo', 'x', () => tg.broadcastTo(array, [2, 3])],
    ['cast', 'x', () => tg.cast(array, 'float64')],
    ['standardize', 'x', () => tg.standardize(array, 1e-5)],
    ['scaleShift', 'scale', () => tg.scaleShift(x, array)],
    ['matmul', 'b', () => tg.matmul(x, array)],
    ['where', 'condition', () => tg.where(array, x, x)],
    ['flip', 'x', () => tg.flip(array)],
    ['pad', 'x', () => tg.pad(array, {})],
    ['slice', 'x', () => tg.slice(array, [])],
    ['sliceAxis', 'x', () => tg.sliceAxis(array, 0, 1)],
    ['take', 'x', () => tg.take(array, int)],
    ['scatterAdd', 'updates', () => tg.scatterAdd(array, int, 0, 2)],
    ['expandDims', 'x', () => tg.expandDims(array, 0)],
    ['squeeze', 'x', () => tg.squeeze(array)],
    ['split', 'x', () => tg.split(array, 3)],
    ['zerosLike', 'x', () => tg.zerosLike(array)],
    ['onesLike', 'x', () => tg.onesLike(array)],
    ['fullLike', 'x', () => tg.fullLike(array, 1)],
  ];
  for (const [op, argument, call] of cases) {
    it(`${op} names its argument ${argument}`, () => {
      expect(call).toThrow(OptionError);
      expect(call).toThrow(`${op}: ${argument} must be a Tensor; got [1,2,3] (wrap it with tensor())`);
    });
  }
});

describe('wrong types are named with what is allowed', () => {
  const cases: [string, () => unknown, string][] = [
    ['keepDims', () => tg.sum(x, any({ axis: 1, keepDims: 1 })), 'sum: option keepDims must be true or false; got 1'],
    ['axis', () => tg.mean(x, any({ axis: '1' })), 'mean: option axis must be an integer axis or an array of integer axes; got "1"'],
    ['axis shorthand', () => tg.max(x, 1.5), 'max: axis must be an integer axis or an array of integer axes; got 1.5'],
    ['options kind', () => tg.sum(x, any('1')), 'sum: expected an axis, an array of axes or options {axis, keepDims}; got "1"'],
    ['correction', () => tg.variance(x, any({ correction: '1' })), 'variance: option correction must be a number; got "1"'],
    ['softmax axis', () => tg.softmax(x, any({ axis: [0] })), 'softmax: option axis must be an integer axis; got [0]'],
    ['softmax options kind', () => tg.softmax(x, any('0')), 'softmax: expected an axis or options {axis}; got "0"'],
    ['pad low', () => tg.pad(x, any({ low: 1 })), 'pad: option low must be an array of integers; got 1'],
    ['pad options kind', () => tg.pad(x, any([1, 1])), 'pad: options must be an object {low, high, interior, value}; got [1,1]'],
    ['layerNorm weight', () => tg.layerNorm(x, any({ eps: 1e-6 })), 'layerNorm: weight must be a Tensor or undefined; got {"eps":0.000001}'],
    ['layerNorm eps', () => tg.layerNorm(x, undefined, undefined, any({ eps: '1e-6' })), 'layerNorm: option eps must be a number; got "1e-6"'],
    ['slice step', () => tg.slice(x, [{ step: any('2') }]), 'slice: axes[0]: option step must be an integer; got "2"'],
    ['tensor shape', () => tg.tensor([1, 2], any({ shape: 2 })), 'tensor: option shape must be an array of non-negative integers; got 2'],
    ['tensor dtype', () => tg.tensor([1, 2], any({ dtype: 'f64' })), 'tensor: option dtype must be one of "float32", "float64", "int32"; got "f64"'],
    ['uniform minval', () => tg.random.uniform(k, [2], any({ minval: '0' })), 'uniform: option minval must be a number; got "0"'],
    ['strict', () => tg.loadSafetensorsSync(file, any({ strict: 'no' })), 'loadSafetensorsSync: option strict must be true or false; got "no"'],
    ['split sections', () => tg.split(x, any('2')), 'split: sections must be a number of equal parts or an array of part sizes; got "2"'],
    ['take indices', () => tg.take(x, any([0, 1])), 'take: indices must be a Tensor; got [0,1]'],
  ];
  for (const [what, call, message] of cases) {
    it(`${message.split(':')[0]} refuses a wrong ${what}`, () => {
      expect(call).toThrow(OptionError);
      expect(call).toThrow(message);
    });
  }

  it('a number option takes any number, NaN included: a tensor may be filled with NaN', () => {
    expect(Number.isNaN(tg.scalar(NaN).toArray())).toBe(true);
    expect((tg.full([2], NaN).toArray() as number[]).every(Number.isNaN)).toBe(true);
  });

  it('a key set to undefined counts as absent and takes the default', () => {
    expect(tg.sum(x, { axis: undefined, keepDims: undefined }).toArray()).toEqual(21);
    expect(tg.softmax(x, { axis: undefined }).shape).toEqual([2, 3]);
  });
});

describe('issue 15 regressions: options that were silently ignored', () => {
  it('sum(x, {axis: 1, keepdims: true}) names the misspelled key instead of summing every axis', () => {
    const call = () => tg.sum(x, any({ axis: 1, keepdims: true }));
    expect(call).toThrow(OptionError);
    expect(call).toThrow('sum: unknown option "keepdims"; allowed: axis, keepDims');
    // the spelling that is meant still works: row sums of [[1, 2, 3], [4, 5, 6]], kept as a column
    expect(tg.sum(x, { axis: 1, keepDims: true }).toArray()).toEqual([[6], [15]]);
  });

  it('mean(x, {axes: [1]}) names the misspelled key, and in mean’s name rather than sum’s', () => {
    const call = () => tg.mean(x, any({ axes: [1] }));
    expect(call).toThrow(OptionError);
    expect(call).toThrow('mean: unknown option "axes"; allowed: axis, keepDims');
    expect(tg.mean(x, { axis: [1] }).toArray()).toEqual([2, 5]);
  });

  it('slice(x, [[0, 1]]) says a slice spec holds objects, not index pairs', () => {
    const call = () => tg.slice(x, any([[0, 1]]));
    expect(call).toThrow(OptionError);
    expect(call).toThrow('slice: axes[0] must be {start, stop, step} or null; got [0,1] (one object per axis: slice(x, [{start: 0, stop: 1}]))');
    expect(() => tg.slice(x, any({ start: 0 }))).toThrow('slice: axes must be an array of {start, stop, step} (one per axis); got {"start":0}');
    expect(tg.slice(x, [{ start: 0, stop: 1 }]).toArray()).toEqual([[1, 2, 3]]);
  });

  it('saveSafetensorsSync(f, {a, step: 3}) refuses the number by its path instead of dropping it', () => {
    const path = `${root}/step.safetensors`;
    const call = () => tg.saveSafetensorsSync(path, { a: x, step: 3 });
    expect(call).toThrow(SafetensorsError);
    expect(call).toThrow(
      'saveSafetensorsSync: the leaf "step" is 3, not a Tensor; a safetensors file holds only tensors (store numbers and strings as strings in the metadata argument, or as tensors)',
    );
    expect(fs.existsSync(path)).toBe(false);
    expect(() => tg.saveSafetensorsSync(path, { blocks: [{ w: x, name: 'first' }] })).toThrow('saveSafetensorsSync: the leaf "blocks.0.name" is "first", not a Tensor');
    expect(() => tg.saveSafetensorsSync(path, { a: x, lookup: new Map() })).toThrow('saveSafetensorsSync: the leaf "lookup" is {}, not a Tensor');
  });

  it('saveSafetensors (async) refuses the same leaf, and what the error suggests round-trips', async () => {
    const path = `${root}/step-async.safetensors`;
    await expect(tg.saveSafetensors(path, { a: x, step: 3 })).rejects.toThrow('saveSafetensors: the leaf "step" is 3, not a Tensor');
    // the step kept as metadata, or as a tensor, comes back from load
    await tg.saveSafetensors(path, { a: x, step: tg.scalar(3, 'int32') }, { step: '3' });
    const loaded = tg.loadSafetensorsSync(path);
    expect(loaded.metadata).toEqual({ step: '3' });
    expect((loaded.tree as { step: Tensor }).step.toArray()).toEqual(3);
  });

  it('a key set to undefined is absent from the file (a bias-free layer saves)', () => {
    const path = `${root}/no-bias.safetensors`;
    tg.saveSafetensorsSync(path, { weight: x, bias: undefined });
    expect(Object.keys(tg.loadSafetensorsSync(path).tensors)).toEqual(['weight']);
  });

  it('concat(x, x, 0) says it expects an array of tensors instead of a TypeError about rank', () => {
    const call = () => (tg.concat as (...args: unknown[]) => Tensor)(x, x, 0);
    expect(call).toThrow(OptionError);
    expect(call).toThrow('concat: expected an array of tensors, concat([a, b], axis); got a float32 tensor of shape [2, 3]');
    expect(() => tg.concat([x, any([1, 2])])).toThrow('concat: xs[1] must be a Tensor; got [1,2]');
    expect(() => tg.stack(any(x))).toThrow('stack: expected an array of tensors, stack([a, b], axis); got a float32 tensor of shape [2, 3]');
    expect(() => x.concat(any(x))).toThrow('concat: expected an array of tensors');
  });

  it('softmax(x, {axis: 0}) is softmax over axis 0, the same as softmax(x, 0)', () => {
    const byOption = tg.softmax(x, { axis: 0 }).toArray() as number[][];
    const byNumber = tg.softmax(x, 0).toArray() as number[][];
    expect(byOption).toEqual(byNumber);
    // each column of [[1, 2, 3], [4, 5, 6]] differs by 3 between its rows: softmax gives 1/(1+e³) and e³/(1+e³)
    const low = 1 / (1 + Math.exp(3));
    for (const column of [0, 1, 2]) {
      expect(byOption[0][column]).toBeCloseTo(low, 6);
      expect(byOption[1][column]).toBeCloseTo(1 - low, 6);
    }
    expect(() => tg.softmax(x, any({ axis: 0, dim: 1 }))).toThrow('softmax: unknown option "dim"; allowed: axis');
    expect(() => tg.logSoftmax(x, { axis: 2 })).toThrow('logSoftmax: axis 2 is out of range for rank 2 (allowed -2..1)');
  });
});

describe('one calling convention per axis op: a number and {axis} agree', () => {
  const same = (a: Tensor | Tensor[], b: Tensor | Tensor[]) => {
    const list = (t: Tensor | Tensor[]) => (Array.isArray(t) ? t : [t]).map((part) => [part.shape, part.toArray()]);
    expect(list(a)).toEqual(list(b));
  };
  it('for every op whose last parameter is an axis', () => {
    same(tg.logSoftmax(x, 0), tg.logSoftmax(x, { axis: 0 }));
    same(tg.concat([x, x], 1), tg.concat([x, x], { axis: 1 }));
    same(tg.stack([x, x], 1), tg.stack([x, x], { axis: 1 }));
    same(tg.split(x, 3, 1), tg.split(x, 3, { axis: 1 }));
    same(tg.flip(x, [0, 1]), tg.flip(x, { axis: [0, 1] }));
    same(tg.squeeze(tg.reshape(x, [2, 1, 3]), 1), tg.squeeze(tg.reshape(x, [2, 1, 3]), { axis: 1 }));
    same(tg.expandDims(x, 1), tg.expandDims(x, { axis: 1 }));
    same(tg.take(x, int, 1), tg.take(x, int, { axis: 1 }));
    same(tg.l2Normalize(x, 0), tg.l2Normalize(x, { axis: 0 }));
    same(tg.variance(x, 1), tg.variance(x, { axis: 1 }));
  });

  it('expandDims without an axis and l2Normalize with a third argument are refused', () => {
    expect(() => tg.expandDims(x, any({}))).toThrow('expandDims: needs an axis, expandDims(x, axis)');
    expect(() => (tg.l2Normalize as (...args: unknown[]) => Tensor)(x, -1, 1e-6)).toThrow('l2Normalize: takes (x, axis) or (x, {axis, eps}); got a third argument');
  });

  it('a non-integer axis is named as such, not as "[object Object] out of range"', () => {
    expect(() => tg.sliceAxis(x, any('0'))).toThrow('sliceAxis: axis must be an integer axis; got "0"');
    expect(() => tg.concat([x], any(0.5))).toThrow('concat: axis must be an integer axis; got 0.5');
    expect(() => tg.zeros(any(undefined))).toThrow(ShapeError);
  });
});
