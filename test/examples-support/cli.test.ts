import { describe, expect, it } from 'vitest';
import { FlagError, formatHelp, parseFlags, parseFlagsOrHelp } from '../../examples/support/cli.js';

const spec = {
  steps: { type: 'integer', default: 3000, help: 'training steps', min: 1 },
  learningRate: { type: 'number', default: 5e-4, help: 'peak learning rate' },
  preset: { type: 'choice', choices: ['default', 'bench-vit-mnist'], default: 'default', help: 'a named configuration' },
  out: { type: 'string', default: 'runs/dino', help: 'output directory' },
  plots: { type: 'boolean', default: true, help: 'write PNG charts' },
} as const;

describe('parseFlags', () => {
  it('returns defaults, and parses both value forms, kebab-case names and booleans', () => {
    expect(parseFlags([], spec)).toEqual({ steps: 3000, learningRate: 5e-4, preset: 'default', out: 'runs/dino', plots: true });
    const values = parseFlags(['--steps', '200', '--learning-rate=1e-3', '--preset', 'bench-vit-mnist', '--no-plots', '--out=/tmp/x'], spec);
    expect(values).toEqual({ steps: 200, learningRate: 1e-3, preset: 'bench-vit-mnist', out: '/tmp/x', plots: false });
    expect(parseFlags(['--plots=false'], spec).plots).toBe(false);
  });

  it('types each value from its spec', () => {
    const values = parseFlags([], spec);
    const typed: { steps: number; preset: 'default' | 'bench-vit-mnist'; plots: boolean; out: string } = values;
    // @ts-expect-error a choice flag holds one of its choices, not any string
    const wrong: 'other' = values.preset;
    expect([typed.preset, wrong]).toEqual(['default', 'default']);
  });

  it('lets preset defaults be overridden by the command line', () => {
    expect(parseFlags(['--steps', '9'], spec, { defaults: { steps: 50, learningRate: 0.1 } })).toMatchObject({ steps: 9, learningRate: 0.1 });
  });

  it('names an unknown flag and lists the known ones', () => {
    expect(() => parseFlags(['--stepz', '3'], spec)).toThrow(FlagError);
    expect(() => parseFlags(['--stepz', '3'], spec)).toThrow('unknown flag --stepz (did you mean --steps?); known flags: --steps, --learning-rate, --preset, --out, --plots');
    expect(() => parseFlags(['--no-steps'], spec)).toThrow(/--steps is not a boolean flag/);
    expect(() => parseFlags(['300'], spec)).toThrow(/unexpected argument "300"/);
  });

  it('names the flag and the allowed values for a bad value', () => {
    expect(() => parseFlags(['--preset', 'x'], spec)).toThrow('--preset: unknown preset "x"; allowed: default, bench-vit-mnist');
    expect(() => parseFlags(['--steps', '2.5'], spec)).toThrow('--steps: expected an integer, got "2.5"');
    expect(() => parseFlags(['--steps', '0'], spec)).toThrow('--steps: must be at least 1, got 0');
    expect(() => parseFlags(['--learning-rate', 'fast'], spec)).toThrow('--learning-rate: expected a number, got "fast"');
    expect(() => parseFlags(['--steps'], spec)).toThrow('--steps: needs a value (integer)');
    expect(() => parseFlags(['--plots=maybe'], spec)).toThrow('--plots: expected true or false, got "maybe"');
    expect(() => parseFlags([], spec, { defaults: { preset: 'nope' as 'default' } })).toThrow(/unknown preset "nope"/);
  });

  it('prints help with types and defaults on --help, then exits 0', () => {
    let written = '';
    let exitCode: number | undefined;
    parseFlags(['--steps', '5', '--help'], spec, { program: 'npx tsx examples/dino-mnist.ts', write: (text) => (written += text), exit: (code) => (exitCode = code) });
    expect(exitCode).toBe(0);
    expect(written).toBe(formatHelp(spec, { program: 'npx tsx examples/dino-mnist.ts' }));
    expect(written).toContain('usage: npx tsx examples/dino-mnist.ts [flags]');
    expect(written).toMatch(/--steps <integer> +training steps \(default: 3000\)/);
    expect(written).toMatch(/--preset <default\|bench-vit-mnist> +a named configuration \(default: default\)/);
    expect(written).toMatch(/--plots +write PNG charts \(default: true\)/);
  });

  it('parseFlagsOrHelp gives undefined after --help instead of exiting, and the values otherwise', () => {
    let written = '';
    const write = (text: string) => (written += text);
    expect(parseFlagsOrHelp(['--help'], spec, { write })).toBeUndefined();
    expect(written).toBe(formatHelp(spec));
    expect(parseFlagsOrHelp(['--steps', '7'], spec, { write })).toMatchObject({ steps: 7 });
    expect(() => parseFlagsOrHelp(['--stepz', '7'], spec, { write })).toThrow(FlagError);
  });
});
