/**
 * SiameseIM loss against the golden vectors of test/fixtures/siameseim.json (float64 PyTorch
 * runs of the official formula), plus property-based gradient checks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { shardedSiameseimLoss, siameseimLoss, siameseimLossTerms, targetCorrelation } from '../../ssl/siameseim-loss.js';
import { siameseimLearningRate, siameseimMomentum } from '../../ssl/siameseim-schedules.js';
import { f64, goldenChecks, loadFixture, maxAbsError } from '../support/golden.js';

const fixture = loadFixture('siameseim.json');
const TOL = 1e-9;
const golden = goldenChecks('siameseim loss', TOL);

const record = golden.check;

describe('siameseimLoss matches the golden vectors', () => {
  fixture.loss_cases.forEach((c: any, index: number) => {
    it(`loss case ${index}: N=${c.N} L=${c.L} D=${c.D} λ=${c.neg_weight} online_ln=${c.online_ln}`, () => {
      const options = { negWeight: c.neg_weight, onlineLn: c.online_ln, lnEps: c.ln_eps };
      const pred = f64(c.pred);
      const result = siameseimLoss(pred, f64(c.target_raw), options);
      record('loss_cases', maxAbsError(result.loss.item(), c.loss));
      record('loss_cases', maxAbsError(result.positive.item(), c.pos_term));
      record('loss_cases', maxAbsError(result.negative.item(), c.neg_term));
      record('loss_cases', maxAbsError(result.correlation.toArray(), c.correlation));
      record('loss_cases', maxAbsError(result.targetNormalised.reshape([c.N, c.L, c.D]).toArray(), c.target_ln));
      const gradient = tg.grad((p: Tensor) => siameseimLoss(p, f64(c.target_raw), options).loss)(pred) as Tensor;
      record('loss_cases', maxAbsError(gradient.toArray(), c.grad_pred));
    });
  });

  it('two_rank_case: correlations of two shards averaged, each shard its own loss and gradient', () => {
    const c = fixture.two_rank_case;
    const preds = c.ranks.map((r: any) => f64(r.pred));
    const targets = c.ranks.map((r: any) => f64(r.target_raw));
    const options = { negWeight: c.neg_weight };
    const { shards, correlation } = shardedSiameseimLoss(preds, targets, options);
    record('two_rank_case', maxAbsError(correlation.toArray(), c.global_correlation));
    c.ranks.forEach((rank: any, s: number) => {
      record('two_rank_case', maxAbsError(shards[s].localCorrelation.toArray(), rank.local_correlation));
      record('two_rank_case', maxAbsError(shards[s].loss.item(), rank.loss));
      const gradient = tg.grad((p: Tensor) => {
        const others = preds.map((q: Tensor, t: number) => (t === s ? p : q));
        return shardedSiameseimLoss(others, targets, options).shards[s].loss;
      })(preds[s]) as Tensor;
      record('two_rank_case', maxAbsError(gradient.toArray(), rank.grad_pred));
    });
  });

  it('the batch correlation is not the UniGrad moving-average correlation (fixture key NOT_in_official)', () => {
    const variant = fixture.variant_unigrad_ema_correlation_NOT_in_official_siameseim;
    const last = variant.steps[variant.steps.length - 1];
    const batchC = targetCorrelation(f64(last.target_ln));
    expect(maxAbsError(batchC.toArray(), last.batch_correlation)).toBeLessThan(TOL);
    expect(maxAbsError(batchC.toArray(), last.F_after)).toBeGreaterThan(1e-3);
  });

  it('schedules: cosine momentum, warmup-cosine lr, and one EMA step', () => {
    const { momentum, lr, ema_example: ema } = fixture.schedules;
    momentum.t_epochs.forEach((t: number, i: number) => {
      record('schedules', Math.abs(siameseimMomentum(t, { base: momentum.base, totalEpochs: momentum.total_epochs }) - momentum.m[i]));
      const options = { peakLr: lr.peak_lr, warmupEpochs: lr.warmup_epochs, totalEpochs: lr.total_epochs, minLr: lr.min_lr };
      record('schedules', Math.abs(siameseimLearningRate(lr.t_epochs[i], options) - lr.lr[i]));
    });
    const after = tg.add(tg.mul(f64(ema.target_before), ema.m), tg.mul(f64(ema.online), 1 - ema.m));
    record('schedules', maxAbsError(after.toArray(), ema.target_after));
  });

  it('reports the largest absolute errors', () => {
    golden.report();
  });
});

describe('siameseimLoss gradients (float64 checkGrads)', () => {
  const caseArb = fc.record({
    n: fc.integer({ min: 1, max: 3 }),
    l: fc.integer({ min: 1, max: 4 }),
    d: fc.integer({ min: 2, max: 6 }),
    negWeight: fc.double({ min: 0, max: 1, noNaN: true }),
    onlineLn: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1e6 }),
  });

  it('of the loss with respect to the prediction (20 runs)', () => {
    fc.assert(
      fc.property(caseArb, ({ n, l, d, negWeight, onlineLn, seed }) => {
        const draw = gaussian(seed);
        const pred = tg.tensor(Float64Array.from({ length: n * l * d }, draw), { shape: [n, l, d] });
        const target = tg.tensor(Float64Array.from({ length: n * l * d }, draw), { shape: [n, l, d] });
        tg.checkGrads((p: Tensor) => siameseimLoss(p, target, { negWeight, onlineLn }).loss, [pred]);
      }),
      { numRuns: 20, seed: 11 },
    );
  });

  it('the target side carries no gradient: d loss / d target = 0', () => {
    const draw = gaussian(3);
    const pred = tg.tensor(Float64Array.from({ length: 24 }, draw), { shape: [2, 3, 4] });
    const target = tg.tensor(Float64Array.from({ length: 24 }, draw), { shape: [2, 3, 4] });
    const g = tg.grad((t: Tensor) => siameseimLoss(pred, t).loss)(target) as Tensor;
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('has the closed-form gradient 2[(p − z) + λCp]/(M·D)', () => {
    const draw = gaussian(5);
    const pred = tg.tensor(Float64Array.from({ length: 30 }, draw), { shape: [2, 3, 5] });
    const target = tg.tensor(Float64Array.from({ length: 30 }, draw), { shape: [2, 3, 5] });
    const { targetNormalised: z, correlation } = siameseimLoss(pred, target, { negWeight: 0.3 });
    const p = pred.reshape([6, 5]);
    const expected = tg.div(tg.mul(tg.add(tg.sub(p, z), tg.mul(tg.matmul(p, correlation), 0.3)), 2), 30);
    const g = tg.grad((q: Tensor) => siameseimLossTerms(q, z, correlation, { negWeight: 0.3 }).loss)(pred) as Tensor;
    expect(maxAbsError(g.reshape([6, 5]).toArray(), expected.toArray())).toBeLessThan(1e-15);
  });
});

/** Standard normals from a seeded xorshift + Box–Muller. */
function gaussian(seed: number): () => number {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return (state + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
