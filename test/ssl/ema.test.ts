/** The EMA teacher and its momentum schedule against test/fixtures/dino.json. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { emaUpdate, emaWeights, momentumSchedule } from '../../ssl/ema.js';
import { f64, goldenChecks, loadFixture, maxAbsError } from '../support/golden.js';

const fixture = loadFixture('dino.json');
const TOL = 1e-9;
const golden = goldenChecks('ema', TOL);

const record = golden.check;

beforeAll(() => tg.setBackend('reference'));
afterAll(golden.report);

describe('emaUpdate', () => {
  it('matches ema_cases', () => {
    fixture.ema_cases.forEach((c: any) => {
      const teacher = c.teacher.map(f64);
      const updated = emaUpdate(teacher, c.student.map(f64), c.m) as tg.Tensor[];
      updated.forEach((leaf, i) => record('ema_cases', maxAbsError(leaf.toArray(), c.new_teacher[i])));
      teacher.forEach((leaf: tg.Tensor, i: number) => expect(leaf.toArray()).toEqual(c.teacher[i]));
    });
  });

  it('averages weight_g and weight_v separately, leaf by leaf, and carries no gradient', () => {
    const teacher = { last_layer: { weight_g: f64([[1], [1]]), weight_v: f64([[1, 0], [0, 2]]) } };
    const student = { last_layer: { weight_g: f64([[3], [1]]), weight_v: f64([[0, 4], [0, 2]]) } };
    const next = emaUpdate(teacher, student, 0.5);
    expect(next.last_layer.weight_g.toArray()).toEqual([[2], [1]]);
    expect(next.last_layer.weight_v.toArray()).toEqual([[0.5, 2], [0, 2]]);
    const g = tg.grad((s: tg.Tensor) => tg.sum(emaUpdate({ a: f64([1, 2]) }, { a: s }, 0.5).a))(f64([3, 4])) as tg.Tensor;
    expect(Array.from(g.dataSync())).toEqual([0, 0]);
  });

  it('EmaWeights (a traced step\'s momentum) round m and 1 − m once each, giving the number path\'s float32 result', () => {
    const m = 0.9995;
    const weights = emaWeights(m, 'float32');
    // 1 − m from the float64 m, not 1 − float32(m): 5e-4 keeps its relative precision
    expect(weights.complement.item()).toBe(Math.fround(1 - m));
    expect(weights.complement.item()).not.toBe(Math.fround(1 - Math.fround(m)));
    const teacher = { w: tg.tensor([1, -2, 3.5], { dtype: 'float32' }) };
    const student = { w: tg.tensor([0.25, 7, -1], { dtype: 'float32' }) };
    expect(emaUpdate(teacher, student, weights).w.toArray()).toEqual(emaUpdate(teacher, student, m).w.toArray());
    expect(() => emaWeights(1.5, 'float32')).toThrow(tg.OptionError);
  });

  it('rejects trees of different structure and a momentum outside [0, 1]', () => {
    expect(() => emaUpdate({ a: f64([1]) }, { b: f64([1]) }, 0.9)).toThrow(tg.TapegradError);
    expect(() => emaUpdate({ a: f64([1]) }, { a: f64([1]) }, 1.5)).toThrow(tg.OptionError);
  });
});

describe('momentumSchedule', () => {
  it('matches the momentum case of cosine_scheduler: starts at base, never reaches 1', () => {
    const m = momentumSchedule({ base: 0.996, epochs: 4, itersPerEpoch: 5 });
    const c = fixture.schedules.cosine_scheduler.find((x: any) => x.args.base_value === 0.996);
    record('cosine_scheduler (momentum case)', maxAbsError(m, c.values));
    expect(m[0]).toBe(0.996);
    expect(Math.max(...m)).toBeLessThan(1);
  });
});
