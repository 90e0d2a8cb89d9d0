import { describe, expect, it } from 'vitest';
import { RunError, dinoHyperparams, flagSpecs, runDefinition } from '../../examples/dino/run-config.js';
import { presets } from '../../examples/dino/presets.js';
import { savedRunConfig } from '../../examples/dino/checkpoint.js';
import { FlagError, parseFlags } from '../../examples/support/cli.js';
import { dinoSchedules } from '../../ssl/index.js';

const flagsOf = (argv: string[]) => parseFlags(argv, flagSpecs);

describe('examples/dino/run-config: schedules laid out over a longer run', () => {
  it('a run of its own length spans its steps: warmup and freeze are fractions of them', () => {
    const config = presets['k32-ema099-koleo'];
    const h = dinoHyperparams(config, 1000);
    expect(h.epochs).toBe(1000);
    expect(h.warmupEpochs).toBe(100);
    expect(h.freezeLastLayer).toBe(50);
  });

  it('the default stops early on the long schedule: the same schedule values as the long run for every step it takes', () => {
    const short = dinoSchedules(dinoHyperparams(presets.default, presets.default.steps));
    const long = dinoSchedules(dinoHyperparams(presets.long, presets.long.steps));
    expect(presets.default.scheduleSteps).toBe(presets.long.steps);
    for (const name of ['lr', 'weightDecay', 'momentum', 'teacherTemp'] as const) {
      expect(short[name].slice(0, presets.default.steps)).toEqual(long[name].slice(0, presets.default.steps));
    }
    // where the default stops, lr is still above half its peak and the EMA momentum below 0.995
    const peak = (presets.default.lr * presets.default.batchSize) / 256;
    expect(short.lr[presets.default.steps - 1]).toBeGreaterThan(peak / 2);
    expect(short.momentum[presets.default.steps - 1]).toBeLessThan(0.995);
  });

  it('refuses a run longer than its schedules, naming the flag', () => {
    const flags = flagsOf(['--steps', String(presets.default.scheduleSteps + 1)]);
    expect(() => runDefinition(flags)).toThrow(FlagError);
    expect(() => runDefinition(flagsOf(['--steps', '50']))).not.toThrow();
    expect(() => runDefinition(flagsOf(['--set', 'scheduleSteps=-1']))).toThrow(FlagError);
  });
});

describe('examples/dino/checkpoint: a run config saved by an earlier version', () => {
  it('reads a config written before scheduleSteps existed as the run-length schedule it had', () => {
    const { scheduleSteps: _dropped, ...older } = presets['k32-ema099-koleo'];
    const config = savedRunConfig('old.safetensors', older);
    expect(config.scheduleSteps).toBe(0);
    expect(dinoHyperparams(config, 1000).epochs).toBe(1000);
  });

  it('refuses a saved config that lacks any other key, as a RunError', () => {
    const { lr: _dropped, ...broken } = presets.default;
    expect(() => savedRunConfig('broken.safetensors', broken)).toThrow(RunError);
  });
});
