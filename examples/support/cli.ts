/**
 * Command-line flags for the examples. Flags are declared with a type, a default and a help line;
 * a camelCase key `teacherTemp` is spelled `--teacher-temp`. Accepted forms: `--steps 300`,
 * `--steps=300`, `--flag` / `--no-flag` / `--flag=false` for booleans. `--help` (or `-h`) prints the
 * flags and exits. An unknown flag or a bad value throws a `FlagError` naming the flag and what is
 * allowed.
 *
 * Presets: parse once, then again with `defaults` set to the chosen preset's values, so that flags
 * given on the command line still win:
 *   const first = parseFlags(argv, spec);
 *   const flags = parseFlags(argv, spec, { defaults: presets[first.preset] });
 */
import { requireNodeBuiltin } from '../../core/platform/node-builtin.js';

export type FlagSpec =
  | { type: 'integer' | 'number'; default: number; help: string; min?: number; max?: number }
  | { type: 'string'; default: string; help: string }
  | { type: 'choice'; choices: readonly string[]; default: string; help: string }
  | { type: 'boolean'; default: boolean; help: string };

export type FlagSpecs = Record<string, FlagSpec>;

export type FlagValues<Specs extends FlagSpecs> = {
  [Name in keyof Specs]: Specs[Name] extends { type: 'boolean' }
    ? boolean
    : Specs[Name] extends { type: 'choice'; choices: readonly (infer Choice)[] }
      ? Choice
      : Specs[Name] extends { type: 'string' }
        ? string
        : number;
};

export type ParseFlagsOptions<Specs extends FlagSpecs> = {
  /** Replaces the declared defaults (checked like command-line values). */
  defaults?: Partial<FlagValues<Specs>>;
  /** For the help text: the command and one line on what it does. */
  program?: string;
  description?: string;
  /** Where `--help` writes (default stdout) and what it calls then (default process.exit). */
  write?: (text: string) => void;
  exit?: (code: number) => void;
};

export class FlagError extends Error {
  override name = 'FlagError';
}

export function parseFlags<const Specs extends FlagSpecs>(argv: readonly string[], specs: Specs, options: ParseFlagsOptions<Specs> = {}): FlagValues<Specs> {
  const byFlag = new Map(Object.keys(specs).map((name) => [flagOf(name), name]));
  const values: Record<string, number | string | boolean> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const override = (options.defaults as Record<string, unknown> | undefined)?.[name];
    values[name] = override === undefined ? spec.default : checkValue(name, spec, String(override));
  }
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === '--help' || argument === '-h') {
      (options.write ?? ((text) => process.stdout.write(text)))(formatHelp(specs, options));
      (options.exit ?? ((code) => process.exit(code)))(0);
      return values as FlagValues<Specs>;
    }
    if (!argument.startsWith('--')) throw new FlagError(`unexpected argument "${argument}"; flags look like --name value (see --help)`);
    const [flag, inline] = splitInline(argument);
    const negated = flag.startsWith('--no-') && !byFlag.has(flag) ? `--${flag.slice(5)}` : undefined;
    const name = byFlag.get(negated ?? flag);
    if (name === undefined) throw new FlagError(`unknown flag ${flag}${suggestion(flag, [...byFlag.keys()])}; known flags: ${[...byFlag.keys()].join(', ')}`);
    const spec = specs[name];
    if (spec.type === 'boolean') {
      if (negated && inline !== undefined) throw new FlagError(`${flag}: takes no value`);
      values[name] = negated ? false : inline === undefined ? true : checkValue(name, spec, inline);
      continue;
    }
    if (negated) throw new FlagError(`unknown flag ${flag}; ${negated} is not a boolean flag`);
    const value = inline ?? argv[++index];
    if (value === undefined) throw new FlagError(`${flag}: needs a value (${describeType(spec)})`);
    values[name] = checkValue(name, spec, value);
  }
  return values as FlagValues<Specs>;
}

/**
 * `parseFlags` for a `main` that returns rather than exits: `--help` writes the help text with `write`
 * and gives undefined.
 */
export function parseFlagsOrHelp<const Specs extends FlagSpecs>(
  argv: readonly string[],
  specs: Specs,
  options: Omit<ParseFlagsOptions<Specs>, 'exit'> & { write: (text: string) => void },
): FlagValues<Specs> | undefined {
  let helpShown = false;
  const values = parseFlags(argv, specs, { ...options, exit: () => (helpShown = true) });
  return helpShown ? undefined : values;
}

/** The `--help` text: usage, then one line per flag with its type and default. */
export function formatHelp(specs: FlagSpecs, options: { program?: string; description?: string } = {}): string {
  const rows = Object.entries(specs).map(([name, spec]) => [`${flagOf(name)} ${spec.type === 'boolean' ? '' : `<${describeType(spec)}>`}`.trimEnd(), `${spec.help} (default: ${spec.default})`]);
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [`usage: ${options.program ?? 'npx tsx <example>'} [flags]`];
  if (options.description) lines.push('', options.description);
  lines.push('', 'flags:', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`), `  ${'--help'.padEnd(width)}  print this and exit`);
  return `${lines.join('\n')}\n`;
}

function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

function splitInline(argument: string): [string, string | undefined] {
  const equals = argument.indexOf('=');
  return equals < 0 ? [argument, undefined] : [argument.slice(0, equals), argument.slice(equals + 1)];
}

function describeType(spec: FlagSpec): string {
  if (spec.type === 'choice') return spec.choices.join('|');
  if (spec.type === 'boolean') return 'true|false';
  return spec.type;
}

function checkValue(name: string, spec: FlagSpec, text: string): number | string | boolean {
  const flag = flagOf(name);
  switch (spec.type) {
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true';
      throw new FlagError(`${flag}: expected true or false, got "${text}"`);
    case 'choice':
      if (spec.choices.includes(text)) return text;
      throw new FlagError(`${flag}: unknown ${name} "${text}"; allowed: ${spec.choices.join(', ')}`);
    case 'string':
      return text;
    case 'integer':
    case 'number': {
      const value = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value))) throw new FlagError(`${flag}: expected ${spec.type === 'integer' ? 'an integer' : 'a number'}, got "${text}"`);
      if (spec.min !== undefined && value < spec.min) throw new FlagError(`${flag}: must be at least ${spec.min}, got ${value}`);
      if (spec.max !== undefined && value > spec.max) throw new FlagError(`${flag}: must be at most ${spec.max}, got ${value}`);
      return value;
    }
  }
}

/** ", did you mean --steps?" when a known flag is within two edits. */
function suggestion(flag: string, known: readonly string[]): string {
  const scored = known.map((candidate) => ({ candidate, distance: editDistance(flag, candidate) })).sort((a, b) => a.distance - b.distance);
  return scored.length > 0 && scored[0].distance <= 2 ? ` (did you mean ${scored[0].candidate}?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** One line for stderr: a `FlagError` or one of `userErrors` (the user's input or run went wrong) as its message alone, anything else with its stack. */
export function describeFailure(program: string, error: unknown, userErrors: readonly ErrorClass[] = []): string {
  if ([FlagError, ...userErrors].some((kind) => error instanceof kind)) return `${program}: ${(error as Error).message}`;
  return `${program}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

/**
 * Runs `main` with the command-line arguments when `moduleUrl` (the caller's `import.meta.url`) is the
 * script node was started with, so the module can also be imported by tests: exits 0 (or with
 * `process.exitCode`), or prints `describeFailure` and exits 1.
 */
export function runIfScript(moduleUrl: string, program: string, main: (argv: readonly string[]) => Promise<unknown>, userErrors: readonly ErrorClass[] = []): void {
  if (process.argv[1] === undefined || moduleUrl !== requireNodeBuiltin('node:url', 'runIfScript').pathToFileURL(process.argv[1]).href) return;
  main(process.argv.slice(2)).then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      process.stderr.write(`${describeFailure(program, error, userErrors)}\n`);
      process.exit(1);
    },
  );
}
