/**
 * The training curves of a run as one PNG, drawn from its metrics records: loss, teacher entropy
 * h(P_t) against log K (uniform collapse), KL(P_t‖P_s) (→ 0 in either collapse), the teacher's k-NN
 * accuracy (CLS, and CLS beside the mean patch token) beside both baselines, the attention masks'
 * Jaccard with the ink beside the random network's, the KoLeo term when it is on, and the
 * learning-rate and teacher-temperature schedules.
 */
import { type Series, chartGrid, lineChart } from '../support/plot.js';
import { writePng } from '../support/png.js';
import type { BaselineRecord, EvalRecord, MetricsRecord, TrainRecord } from './metrics.js';

const red: [number, number, number] = [214, 39, 40];
const grey: [number, number, number] = [127, 127, 127];

export function writeCurves(path: string, records: readonly MetricsRecord[], options: { title: string; outDim: number }): void {
  const train = records.filter((record): record is TrainRecord => record.type === 'train');
  const evals = records.filter((record): record is EvalRecord => record.type === 'eval');
  const baseline = records.find((record): record is BaselineRecord => record.type === 'baseline');
  const series = (key: keyof TrainRecord) => train.map((record) => [record.step, record[key] as number] as const);
  const lastStep = Math.max(1, ...records.map((record) => record.step));
  const flat = (name: string, value: number | undefined, color: [number, number, number]): Series[] =>
    value === undefined ? [] : [{ name, points: [[0, value], [lastStep, value]], color }];
  const chart = (title: string, entries: Series[], yRange?: readonly [number, number]) =>
    lineChart({ title, xLabel: 'step', series: entries, width: 440, height: 290, ...(yRange ? { yRange } : {}) });
  const logK = Math.log(options.outDim);
  const knn = evals.map((record) => [record.step, record.knn_top1] as const);
  const knnClsPatch = evals.map((record) => [record.step, record.knn_cls_patch_top1] as const);
  const jaccard = evals.map((record) => [record.step, record.jaccard_mean] as const);
  const koleo = train.some((record) => record.koleo !== 0 && record.koleo !== undefined);
  const charts = [
    chart(`${options.title}: DINO loss`, [{ name: 'loss = h + KL', points: series('loss') }]),
    chart('teacher entropy h(P_t)', [{ name: 'h(P_t)', points: series('teacher_entropy') }, ...flat(`log K = ${logK.toFixed(2)} (uniform)`, logK, red)], [0, Math.ceil(logK + 0.5)]),
    chart('KL(P_t || P_s)  (0 = collapse)', [{ name: 'KL', points: series('kl'), color: [44, 160, 44] }]),
    chart('teacher k-NN top-1 on test digits (%)', [
      { name: 'teacher CLS', points: baseline ? [[0, baseline.random_init_knn_top1], ...knn] : knn },
      { name: 'CLS + mean patch', points: baseline ? [[0, baseline.random_init_knn_cls_patch_top1], ...knnClsPatch] : knnClsPatch, color: [255, 127, 14] },
      ...flat('random init', baseline?.random_init_knn_top1, grey),
      ...flat('raw pixels', baseline?.raw_pixel_knn_top1, red),
    ], [0, 100]),
    chart('attention mask vs ink: Jaccard', [
      { name: 'teacher (mean of heads)', points: baseline ? [[0, baseline.random_init_jaccard_mean], ...jaccard] : jaccard, color: [23, 190, 207] },
      ...flat('random init', baseline?.random_init_jaccard_mean, grey),
    ], [0, 1]),
    ...(koleo ? [chart('KoLeo (2 global crops)', [{ name: 'koleo', points: series('koleo'), color: [188, 189, 34] }])] : []),
    chart('learning rate', [{ name: 'lr', points: series('lr'), color: [148, 103, 189] }]),
    chart('teacher temperature', [{ name: 'tau_t', points: series('teacher_temp'), color: [140, 86, 75] }]),
  ];
  writePng(path, chartGrid(charts, 3));
}
