/**
 * The step helper both training steps share: a compiled step keeps one jit of its update while the
 * config stays the same objects and builds a new one when any changes; the eager form gives the same
 * results; a non-finite loss is a NonFiniteLossError with its fields.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { adamwApply, adamwNextState } from '../../nn/optim.js';
import { compiledStep, finiteLoss, optimizerInputs } from '../../ssl/compiled-step.js';
import { NonFiniteLossError } from '../../ssl/errors.js';

beforeAll(() => tg.setBackend('reference'));

describe('compiledStep', () => {
  /** A step that scales its input by its config's factor; counts how often an update is built and how often its body is traced or run. */
  function scalingStep() {
    const counts = { built: 0, bodyRuns: 0 };
    const forms = compiledStep({
      configOf: (config: { factor: number }, _x: tg.Tensor): [{ factor: number }] => [config],
      updateOf: (config: { factor: number }) => {
        counts.built += 1;
        return (x: tg.Tensor) => {
          counts.bodyRuns += 1;
          return tg.mul(x, config.factor);
        };
      },
      run: (update, _config, x) => Array.from(update(x).dataSync()),
    });
    return { forms, counts };
  }

  it('eager builds and runs the update on every call', () => {
    const { forms, counts } = scalingStep();
    const config = { factor: 3 };
    expect(forms.eager(config, tg.tensor([1, 2]))).toEqual([3, 6]);
    expect(forms.eager(config, tg.tensor([1, 2]))).toEqual([3, 6]);
    expect(counts).toEqual({ built: 2, bodyRuns: 2 });
  });

  it('compiled keeps one traced update per config object, replays it, and rebuilds when the config changes', () => {
    const { forms, counts } = scalingStep();
    const step = forms.compiled();
    const first = { factor: 3 };
    expect(step(first, tg.tensor([1, 2]))).toEqual([3, 6]);
    expect(step(first, tg.tensor([4, 5]))).toEqual([12, 15]);
    expect(counts).toEqual({ built: 1, bodyRuns: 1 });
    // an equal but different object is a new config: the update is built and traced again
    expect(step({ factor: 2 }, tg.tensor([4, 5]))).toEqual([8, 10]);
    expect(counts).toEqual({ built: 2, bodyRuns: 2 });
    // each compiled step keeps its own programs
    expect(forms.compiled()(first, tg.tensor([1, 1]))).toEqual([3, 3]);
    expect(counts).toEqual({ built: 3, bodyRuns: 3 });
  });
});

describe('optimizerInputs', () => {
  it('hands the first step the moments tree of later steps (zeros where the state has none), so a compiled update traces once', () => {
    const params = { w: tg.tensor([[1, 2], [3, 4]]), b: tg.tensor([1, -1]) };
    const grads = { w: tg.tensor([[0.5, 0.5], [1, 1]]), b: tg.tensor([2, 2]) };
    const first = optimizerInputs(params, {}, { lr: 0.1 }, 0.99);
    expect(first.moments.w.expAvg.toArray()).toEqual([[0, 0], [0, 0]]);
    expect(first.moments.b.expAvgSq.toArray()).toEqual([0, 0]);
    const coefficients = Object.fromEntries(Object.entries(first.plan).map(([name, entry]) => [name, entry.coefficients]));
    const state = adamwNextState({}, first.plan, adamwApply(params, grads, first.moments, coefficients).moments);
    const second = optimizerInputs(params, state, { lr: 0.1 }, 0.99);
    let traces = 0;
    const update = tg.jit((moments: typeof first.moments) => {
      traces += 1;
      return tg.add(moments.w.expAvg, moments.b.expAvgSq);
    });
    update(first.moments);
    expect(update(second.moments).toArray()).toEqual([[0.05 + 0.004, 0.05 + 0.004], [0.1 + 0.004, 0.1 + 0.004]].map((row) => row.map((v) => Math.fround(v))));
    expect(traces).toBe(1);
  });
});

describe('finiteLoss', () => {
  it('returns a finite loss and refuses NaN and ±∞ with a NonFiniteLossError carrying the step function, step and value', () => {
    expect(finiteLoss('someStep', 4, tg.scalar(0.5, 'float64'))).toBe(0.5);
    for (const value of [Number.NaN, Infinity, -Infinity]) {
      let caught: unknown;
      try {
        finiteLoss('someStep', 4, tg.scalar(value, 'float64'));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(NonFiniteLossError);
      const error = caught as NonFiniteLossError;
      expect([error.stepFunction, error.step]).toEqual(['someStep', 4]);
      expect(Object.is(error.value, value)).toBe(true);
    }
  });
});
