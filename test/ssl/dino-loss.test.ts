/**
 * DINO loss, centre, teacher temperature and collapse measures against the golden vectors of
 * test/fixtures/dino.json (float64 PyTorch runs of the official formulas), plus property tests.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { collapseMetrics } from '../../ssl/collapse.js';
import { dinoLoss, freezeLastLayer, teacherEntropy, teacherStudentKl, teacherTempSchedule, updateCenter } from '../../ssl/index.js';
import { randomTensor } from '../support/draw.js';
import { f64, goldenChecks, loadFixture, maxAbsError } from '../support/golden.js';

const fixture = loadFixture('dino.json');
const TOL = 1e-9;
const golden = goldenChecks('dino loss', TOL);

const record = golden.check;

beforeAll(() => tg.setBackend('reference'));
afterAll(golden.report);

describe('dinoLoss and updateCenter match the golden vectors', () => {
  fixture.dino_loss_cases.forEach((c: any) => {
    it(`${c.name}: loss, ∂loss/∂studentOut, new centre`, () => {
      const options = { studentTemp: c.student_temp, teacherTemp: c.teacher_temp, ncrops: c.ncrops };
      const [student, teacher, center] = [f64(c.student_out), f64(c.teacher_out), f64(c.center)];
      const [loss, gradient] = tg.valueAndGrad((s: Tensor) => dinoLoss(s, teacher, center, options))(student) as [Tensor, Tensor];
      record('dino_loss_cases', maxAbsError(loss.item(), c.loss));
      record('dino_loss_cases', maxAbsError(gradient.toArray(), c.grad_student_out));
      record('dino_loss_cases', maxAbsError(updateCenter(center, teacher, c.center_momentum).toArray(), c.new_center));
      expect(loss.dtype).toBe('float64');
    });
  });

  it('the large-logit case stays finite (log-sum-exp)', () => {
    const c = fixture.dino_loss_cases.find((x: any) => x.name.includes('large'));
    const loss = dinoLoss(f64(c.student_out), f64(c.teacher_out), f64(c.center), { teacherTemp: c.teacher_temp, ncrops: c.ncrops });
    expect(Number.isFinite(loss.item())).toBe(true);
  });

  it('no gradient reaches the teacher output or the centre', () => {
    const c = fixture.dino_loss_cases[0];
    const options = { teacherTemp: c.teacher_temp, ncrops: c.ncrops };
    const [, teacherGrad, centerGrad] = tg.grad((s: Tensor, t: Tensor, m: Tensor) => dinoLoss(s, t, m, options), { argnums: [0, 1, 2] })(
      f64(c.student_out),
      f64(c.teacher_out),
      f64(c.center),
    ) as Tensor[];
    expect(Math.max(...Array.from(teacherGrad.dataSync(), Math.abs))).toBe(0);
    expect(Math.max(...Array.from(centerGrad.dataSync(), Math.abs))).toBe(0);
  });

  it('rejects a student output whose rows are not ncrops·B', () => {
    const c = fixture.dino_loss_cases[0];
    expect(() => dinoLoss(f64(c.student_out), f64(c.teacher_out), f64(c.center), { teacherTemp: 0.04, ncrops: c.ncrops + 1 })).toThrow(tg.ShapeError);
    expect(() => dinoLoss(f64(c.student_out), f64(c.teacher_out), f64(c.center), { teacherTemp: 0.04, ncrops: 1 })).toThrow(tg.OptionError);
  });
});

describe('teacherTempSchedule matches the golden vectors', () => {
  fixture.schedules.teacher_temp_schedule.forEach((c: any) => {
    it(`warmup ${c.args.warmup_teacher_temp}→${c.args.teacher_temp} over ${c.args.warmup_teacher_temp_epochs} of ${c.args.nepochs} epochs`, () => {
      const values = teacherTempSchedule({
        warmupTeacherTemp: c.args.warmup_teacher_temp,
        teacherTemp: c.args.teacher_temp,
        warmupEpochs: c.args.warmup_teacher_temp_epochs,
        epochs: c.args.nepochs,
      });
      record('teacher_temp_schedule', maxAbsError(values, c.values));
    });
  });
  it('reaches the final value at epoch warmupEpochs − 1 (linspace with endpoint)', () => {
    const values = teacherTempSchedule({ warmupTeacherTemp: 0.04, teacherTemp: 0.07, warmupEpochs: 30, epochs: 40 });
    expect(values[29]).toBe(0.07);
    expect(values[28]).toBeLessThan(0.07);
  });
});

/** The loss by its definition, pair by pair, on the host. */
function bruteForce(student: Tensor, teacher: Tensor, center: Tensor, ncrops: number, studentTemp: number, teacherTemp: number) {
  const B = teacher.shape[0] / 2;
  const q = tg.softmax(tg.div(tg.sub(teacher, center), teacherTemp)).toArray() as number[][];
  const logp = tg.logSoftmax(tg.div(student, studentTemp)).toArray() as number[][];
  let loss = 0;
  let kl = 0;
  for (let i = 0; i < 2; i++) {
    for (let v = 0; v < ncrops; v++) {
      if (v === i) continue;
      for (let b = 0; b < B; b++) {
        q[i * B + b].forEach((qk, k) => {
          loss -= qk * logp[v * B + b][k];
          kl += qk > 0 ? qk * (Math.log(qk) - logp[v * B + b][k]) : 0;
        });
      }
    }
  }
  const pairs = (2 * ncrops - 2) * B;
  return { loss: loss / pairs, kl: kl / pairs };
}

const lossCaseArb = fc.record({
  ncrops: fc.integer({ min: 2, max: 10 }),
  batch: fc.integer({ min: 1, max: 3 }),
  dim: fc.integer({ min: 2, max: 6 }),
  seed: fc.integer({ min: 1, max: 1e9 }),
  teacherTemp: fc.double({ min: 0.04, max: 0.5, noNaN: true }),
});

function drawCase({ ncrops, batch, dim, seed }: { ncrops: number; batch: number; dim: number; seed: number }) {
  return {
    student: randomTensor([ncrops * batch, dim], seed),
    teacher: randomTensor([2 * batch, dim], seed + 1, { min: -0.5, max: 0.5 }),
    center: randomTensor([1, dim], seed + 2, { min: -0.2, max: 0.2 }),
  };
}

describe('dinoLoss properties (fast-check, float64)', () => {
  it('checkGrads on the student output, V ∈ [2, 10] (25 runs)', () => {
    fc.assert(
      fc.property(lossCaseArb, (drawn) => {
        const { student, teacher, center } = drawCase(drawn);
        const options = { teacherTemp: drawn.teacherTemp, ncrops: drawn.ncrops };
        tg.checkGrads((s: Tensor) => dinoLoss(s, teacher, center, options), [student], { atol: 1e-7, rtol: 1e-6 });
      }),
      { numRuns: 25 },
    );
  });

  it('equals the pair-by-pair definition, and loss = h(P_t) + KL(P_t‖P_s) (25 runs)', () => {
    fc.assert(
      fc.property(lossCaseArb, (drawn) => {
        const { student, teacher, center } = drawCase(drawn);
        const options = { teacherTemp: drawn.teacherTemp, ncrops: drawn.ncrops };
        const expected = bruteForce(student, teacher, center, drawn.ncrops, 0.1, drawn.teacherTemp);
        const loss = dinoLoss(student, teacher, center, options).item();
        const kl = teacherStudentKl(student, teacher, center, options).item();
        expect(Math.abs(loss - expected.loss)).toBeLessThan(1e-10);
        expect(Math.abs(kl - expected.kl)).toBeLessThan(1e-10);
        expect(Math.abs(loss - teacherEntropy(teacher, center, drawn.teacherTemp).item() - kl)).toBeLessThan(1e-10);
        expect(kl).toBeGreaterThanOrEqual(-1e-12);
      }),
      { numRuns: 25 },
    );
  });

  it('a constant added to one student row, or one vector to every teacher row and the centre, changes nothing; gradient rows sum to 0 (40 runs)', () => {
    fc.assert(
      fc.property(lossCaseArb, fc.nat(), fc.double({ min: -5, max: 5, noNaN: true }), (drawn, rowPick, shift) => {
        const { student, teacher, center } = drawCase(drawn);
        const options = { teacherTemp: drawn.teacherTemp, ncrops: drawn.ncrops };
        const loss = dinoLoss(student, teacher, center, options).item();
        const [rows, dim] = student.shape;
        const row = rowPick % rows;
        const rowShift = tg.tensor(Float64Array.from({ length: rows }, (_, r) => (r === row ? shift : 0)), { shape: [rows, 1] });
        const shiftedStudent = dinoLoss(tg.add(student, rowShift), teacher, center, options).item();
        const vector = randomTensor([1, dim], drawn.seed + 3, { min: -3, max: 3 });
        const shiftedTeacher = dinoLoss(student, tg.add(teacher, vector), tg.add(center, vector), options).item();
        expect(Math.abs(shiftedStudent - loss)).toBeLessThan(1e-10 * Math.max(1, Math.abs(loss)));
        expect(Math.abs(shiftedTeacher - loss)).toBeLessThan(1e-10 * Math.max(1, Math.abs(loss)));
        const gradient = tg.grad((s: Tensor) => dinoLoss(s, teacher, center, options))(student) as Tensor;
        const rowSums = tg.sum(gradient, { axis: 1 }).dataSync();
        rowSums.forEach((s) => expect(Math.abs(s)).toBeLessThan(1e-12));
      }),
      { numRuns: 40 },
    );
  });

  it('the gradient check catches a vjp that also pairs each global crop with itself (a test that can fail)', () => {
    const drawn = { ncrops: 4, batch: 2, dim: 3, seed: 7 };
    const { student, teacher, center } = drawCase(drawn);
    const options = { teacherTemp: 0.1, ncrops: 4 };
    const q = tg.reshape(tg.softmax(tg.div(tg.sub(teacher, center), 0.1)), [2, 2, 3]);
    // the classic mistake: averaging over all 2V pairs, v = i included
    const allPairs = (s: Tensor) => {
      const logp = tg.reshape(tg.logSoftmax(tg.div(s, 0.1)), [4, 2, 3]);
      return tg.div(tg.neg(tg.sum(tg.mul(tg.sum(q, { axis: 0 }), tg.sum(logp, { axis: 0 })))), 2 * 8);
    };
    const wrong = tg.customVjp((s: Tensor) => dinoLoss(s, teacher, center, options), {
      forward: (s) => [dinoLoss(s, teacher, center, options), s],
      backward: (s: Tensor, ct) => [tg.mul(tg.grad(allPairs)(s) as Tensor, ct)],
    });
    expect(() => tg.checkGrads((s: Tensor) => dinoLoss(s, teacher, center, options), [student])).not.toThrow();
    expect(() => tg.checkGrads(wrong, [student], { modes: ['rev'] })).toThrow(tg.GradientCheckError);
  });
});

describe('updateCenter, freezeLastLayer, collapseMetrics', () => {
  it('updateCenter carries no gradient and uses the raw teacher mean', () => {
    const teacher = f64([[1, 2], [3, 4]]);
    const center = f64([[10, 20]]);
    expect(updateCenter(center, teacher, 0.5).toArray()).toEqual([[6, 11.5]]);
    const g = tg.grad((t: Tensor) => tg.sum(updateCenter(center, t, 0.5)))(teacher) as Tensor;
    expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0]);
  });

  it('freezeLastLayer drops the last layer’s gradients while epoch < freezeEpochs', () => {
    const grads = { backbone: { w: f64([1]) }, head: { mlp: [{ weight: f64([2]) }], last_layer: { weight_v: f64([3]) } } };
    const frozen = freezeLastLayer(grads, 0, 1);
    expect(frozen.head.last_layer.weight_v).toBeNull();
    expect(frozen.head.mlp[0].weight).toBe(grads.head.mlp[0].weight);
    expect(tg.treeLeaves(frozen)).toHaveLength(2);
    expect(freezeLastLayer(grads, 1, 1)).toBe(grads);
  });

  it('collapseMetrics tells the uniform and the one-hot modes apart', () => {
    const K = 8;
    const uniformTeacher = tg.zeros([4, K], 'float64');
    const center = tg.zeros([1, K], 'float64');
    const uniform = collapseMetrics({ teacherOut: uniformTeacher, center, teacherTemp: 0.04 });
    expect(uniform.teacherEntropy).toBeCloseTo(Math.log(K), 12);
    const oneHot = tg.tensor(Float64Array.from({ length: 4 * K }, (_, i) => (i % K === 3 ? 1 : 0)), { shape: [4, K] });
    const peaked = collapseMetrics({ teacherOut: oneHot, center, teacherTemp: 0.04, studentOut: tg.concat([oneHot, oneHot]), ncrops: 4 });
    expect(peaked.teacherEntropy).toBeLessThan(1e-6);
    expect(peaked.distinctPrototypes).toBe(1 / 4);
    expect(peaked.marginalEntropy).toBeLessThan(1e-6);
    expect(peaked.kl).toBeGreaterThan(0);
  });
});
