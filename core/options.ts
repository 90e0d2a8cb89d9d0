/**
 * Run-time checks of options objects and arguments, for core ops and nn layers alike. TypeScript
 * catches a misspelled key in a literal, but not from JavaScript, a spread or a cast, and an ignored
 * key changes the result without a word (`sum(x, {keepdims: true})` would drop the axis). Every
 * error is an `OptionError` that names the op, the option and what is allowed.
 */
import { dtypes } from './dtype.js';
import { OptionError, formatShape } from './errors.js';
import { isPlainObject } from './pytree.js';
import { Tensor } from './tensor.js';

/** What one option may hold: `expected` completes "option axis must be …". */
export interface OptionType<T> {
  readonly expected: string;
  readonly fits: (value: unknown) => boolean;
  /** Phantom: the type a fitting value has. */
  readonly type?: T;
}

/** An option type from its description and its test. */
export const optionType = <T>(expected: string, fits: (value: unknown) => boolean): OptionType<T> => ({ expected, fits });
const isInteger = (value: unknown): value is number => Number.isInteger(value);
const isIntegerList = (value: unknown): boolean => Array.isArray(value) && value.every(isInteger);

/** The option types core and nn check against. */
export const option = {
  boolean: optionType<boolean>('true or false', (v) => typeof v === 'boolean'),
  number: optionType<number>('a number', (v) => typeof v === 'number'),
  integer: optionType<number>('an integer', isInteger),
  string: optionType<string>('a string', (v) => typeof v === 'string'),
  axis: optionType<number>('an integer axis', isInteger),
  axes: optionType<number | readonly number[]>('an integer axis or an array of integer axes', (v) => isInteger(v) || isIntegerList(v)),
  integers: optionType<readonly number[]>('an array of integers', isIntegerList),
  shape: optionType<readonly number[]>('an array of non-negative integers', (v) => isIntegerList(v) && (v as number[]).every((d) => d >= 0)),
  dtype: oneOf(dtypes),
  tensor: optionType<Tensor>('a Tensor', (v) => v instanceof Tensor),
  /** Any value; the op checks it itself (a target tree, a key). */
  anything: optionType<unknown>('anything', () => true),
  oneOf,
};

/** A string among `choices`. */
export function oneOf<T extends string>(choices: readonly T[]): OptionType<T> {
  return optionType<T>(`one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, (v) => typeof v === 'string' && (choices as readonly string[]).includes(v));
}

export type OptionSpec = Readonly<Record<string, OptionType<unknown>>>;

/** The options object a spec describes: every key optional. */
export type OptionsOf<Spec extends OptionSpec> = { -readonly [Key in keyof Spec]?: Spec[Key] extends OptionType<infer T> ? T : never };

/**
 * Checks an options object against `spec` and returns it: `undefined` is no options; anything but a
 * plain object, a key outside `spec`, or a value of the wrong type throws. A key set to `undefined`
 * counts as absent (so `{axis: undefined}` takes the default).
 */
export function checkOptions<Spec extends OptionSpec>(op: string, options: unknown, spec: Spec): OptionsOf<Spec> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw new OptionError(`${op}: options must be an object {${Object.keys(spec).join(', ')}}; got ${describeValue(options)}`);
  // one pass, no allocation: this runs on every op call
  for (const key in options) {
    if (!Object.hasOwn(spec, key)) throw unknownOption(op, key, Object.keys(spec));
    const value = options[key];
    if (value !== undefined && !spec[key].fits(value)) throw wrongType(op, `option ${key}`, spec[key], value);
  }
  return options as OptionsOf<Spec>;
}

/** The last parameter of an op that takes one axis: `softmax(x, 0)` or `softmax(x, {axis: 0})`. */
export type AxisOption = number | { readonly axis?: number };
/** The same for ops that take one axis or several: `flip(x, [0, 1])` or `flip(x, {axis: [0, 1]})`. */
export type AxesOption = number | readonly number[] | { readonly axis?: number | readonly number[] };

export const axisOptionSpec = { axis: option.axis };
export const axesOptionSpec = { axis: option.axes };

/**
 * For ops whose last parameter is an axis: `softmax(x, 0)` and `softmax(x, {axis: 0})` mean the same.
 * A number (or an array, where `spec.axis` takes several axes) is the axis; an object is checked
 * against `spec`.
 */
export function checkAxisOrOptions<Spec extends OptionSpec & { readonly axis: OptionType<unknown> }>(op: string, value: unknown, spec: Spec): OptionsOf<Spec> {
  if (typeof value === 'number' || Array.isArray(value)) {
    if (!spec.axis.fits(value)) throw wrongType(op, 'axis', spec.axis, value);
    return { axis: value } as OptionsOf<Spec>;
  }
  if (value === undefined || isPlainObject(value)) return checkOptions(op, value, spec);
  const shorthand = spec.axis === option.axes ? 'an axis, an array of axes' : 'an axis';
  throw new OptionError(`${op}: expected ${shorthand} or options {${Object.keys(spec).join(', ')}}; got ${describeValue(value)}`);
}

/** Throws unless every key of `options` is in `allowed`. */
export function checkKnownOptions(op: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw unknownOption(op, key, allowed);
  }
}

/**
 * Refuses an options object (or a dtype string) passed to an op that takes none: `gelu(x, {approximate:
 * 'tanh'})` would otherwise run the exact gelu without a word. Other extra arguments pass, so the op
 * still works as a callback (`xs.map(zerosLike)` adds an index and the array). `params` spells the
 * signature, optional ones with a `?`.
 */
export function checkNoOptions(op: string, args: ArrayLike<unknown>, params: readonly string[]): void {
  for (let i = params.length; i < args.length; i++) {
    const extra = args[i];
    if (isPlainObject(extra) || typeof extra === 'string') {
      throw new OptionError(`${op}: takes (${params.join(', ')}) and no options; got ${describeValue(extra)} as argument ${i + 1}`);
    }
  }
}

/** Checks a tensor argument: `sum([1, 2])` would otherwise read `.rank` off an array and return it. */
export function checkTensor(op: string, name: string, value: unknown): void {
  if (value instanceof Tensor) return;
  throw new OptionError(`${op}: ${name} must be a Tensor; got ${describeValue(value)}${Array.isArray(value) ? ' (wrap it with tensor())' : ''}`);
}

/** Checks one positional argument: `powScalar: exponent must be a number; got "2"`. */
export function checkArgument<T>(op: string, name: string, value: unknown, type: OptionType<T>): T {
  if (!type.fits(value)) throw wrongType(op, name, type, value);
  return value as T;
}

/** An array of tensors, as `concat` and `stack` take; the error shows how to call them. */
export function checkTensorList(op: string, value: unknown): readonly Tensor[] {
  if (!Array.isArray(value)) throw new OptionError(`${op}: expected an array of tensors, ${op}([a, b], axis); got ${describeValue(value)}`);
  value.forEach((item, i) => {
    if (!(item instanceof Tensor)) throw new OptionError(`${op}: xs[${i}] must be a Tensor; got ${describeValue(item)}`);
  });
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function checkChoice<T extends string>(op: string, name: string, value: unknown, allowed: readonly T[]): T {
  return checkArgument(op, `option ${name}`, value, oneOf(allowed));
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(op: string, name: string, value: unknown, min: number): number {
  return checkArgument(op, `option ${name}`, value, optionType<number>(`an integer ≥ ${min}`, (v) => isInteger(v) && v >= min));
}

/** Throws unless `value` is a number in [min, max] (or [min, max) with `openTop`). */
export function checkRange(op: string, name: string, value: unknown, min: number, max: number, openTop = false): number {
  const inside = (v: unknown) => typeof v === 'number' && v >= min && (openTop ? v < max : v <= max);
  return checkArgument(op, `option ${name}`, value, optionType<number>(`a number in [${min}, ${max}${openTop ? ')' : ']'}`, inside));
}

function unknownOption(op: string, key: string, allowed: readonly string[]): OptionError {
  return new OptionError(`${op}: unknown option ${JSON.stringify(key)}; allowed: ${allowed.join(', ')}`);
}

function wrongType(op: string, what: string, type: OptionType<unknown>, value: unknown): OptionError {
  return new OptionError(`${op}: ${what} must be ${type.expected}; got ${describeValue(value)}`);
}

/** A value as an error shows it: a tensor by dtype and shape, others as JSON, cut at 60 characters. */
export function describeValue(value: unknown): string {
  if (value instanceof Tensor) return `a ${value.dtype} tensor of shape ${formatShape(value.shape)}`;
  if (value === undefined || typeof value === 'number') return String(value);
  if (typeof value === 'function') return `a function${value.name ? ` ${value.name}` : ''}`;
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, item) => (item instanceof Tensor ? describeValue(item) : item));
  } catch {
    text = undefined;
  }
  text ??= Object.prototype.toString.call(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
