/**
 * metrics.jsonl (one JSON object a line) and the curves drawn from it. Three kinds of line:
 *   {"type":"baseline","step":0,"random_init_knn_top1":…,"random_init_patch_mean_knn_top1":…,"raw_pixel_knn_top1":…, top-5s}
 *   {"type":"train","step":s,"loss":…,"positive":…,"negative":…,"lr":…,"momentum":…,"grad_norm":…,"train_seconds":…}
 *   {"type":"eval","step":s,"knn_top1":…,"knn_top5":…,"patch_mean_knn_top1":…,"patch_mean_knn_top5":…}
 * (knn_* score the CLS token; patch_mean_* the mean patch token of the same encoder pass). The baseline
 * and the final eval also hold linear_probe_top1 and few_shot ({"1":…,"5":…,"10":…}), for both features.
 * `step` counts the steps done, so the train line of the first step has step 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../support/atomic-file.js';
import { type Series, chartGrid, lineChart } from '../support/plot.js';
import { writePng } from '../support/png.js';

export type BaselineRecord = {
  type: 'baseline';
  step: 0;
  random_init_knn_top1: number;
  random_init_knn_top5: number;
  random_init_patch_mean_knn_top1: number;
  random_init_patch_mean_knn_top5: number;
  raw_pixel_knn_top1: number;
  raw_pixel_knn_top5: number;
  random_init_linear_probe_top1: number;
  random_init_patch_mean_linear_probe_top1: number;
  random_init_few_shot: Record<number, number>;
  random_init_patch_mean_few_shot: Record<number, number>;
  raw_pixel_linear_probe_top1: number;
  raw_pixel_few_shot: Record<number, number>;
};
export type TrainRecord = { type: 'train'; step: number; loss: number; positive: number; negative: number; lr: number; momentum: number; grad_norm: number; train_seconds: number };
export type EvalRecord = {
  type: 'eval';
  step: number;
  knn_top1: number;
  knn_top5: number;
  patch_mean_knn_top1: number;
  patch_mean_knn_top5: number;
  /** The final evaluation only. */
  linear_probe_top1?: number;
  patch_mean_linear_probe_top1?: number;
  few_shot?: Record<number, number>;
  patch_mean_few_shot?: Record<number, number>;
};
export type MetricsRecord = BaselineRecord | TrainRecord | EvalRecord;

/**
 * The records of an earlier session up to `lastStep` (the checkpoint's), rewritten atomically so the
 * file holds exactly those; lines after the checkpoint, and a torn last line, are dropped.
 */
export function keepMetricsUpTo(path: string, lastStep: number): MetricsRecord[] {
  if (!existsSync(path)) return [];
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line): MetricsRecord[] => {
      try {
        const record = JSON.parse(line) as MetricsRecord;
        return typeof record === 'object' && record !== null && typeof record.step === 'number' && record.step <= lastStep ? [record] : [];
      } catch {
        return [];
      }
    });
  writeFileAtomic(path, kept.map((record) => `${JSON.stringify(record)}\n`).join(''));
  return kept;
}

const points = <T extends MetricsRecord>(records: readonly MetricsRecord[], type: T['type'], value: (record: T) => number) =>
  records.filter((record): record is T => record.type === type).map((record) => [record.step, value(record)] as const);

/** Loss, its two terms, k-NN top-1 beside the baselines, lr and momentum against the step, as one PNG. */
export function writeCurves(path: string, records: readonly MetricsRecord[], variant: string): void {
  const train = <K extends keyof TrainRecord>(key: K) => points<TrainRecord>(records, 'train', (record) => record[key] as number);
  const knn = points<EvalRecord>(records, 'eval', (record) => record.knn_top1);
  const knnPatchMean = points<EvalRecord>(records, 'eval', (record) => record.patch_mean_knn_top1);
  const baseline = records.find((record): record is BaselineRecord => record.type === 'baseline');
  const lastStep = Math.max(1, ...records.map((record) => record.step));
  const flat = (name: string, value: number | undefined): Series[] => (value === undefined ? [] : [{ name, points: [[0, value], [lastStep, value]] }]);
  const chart = (title: string, series: Series[], yLabel?: string) => lineChart({ title, xLabel: 'step', yLabel, series, width: 420, height: 280 });
  const charts = [
    chart(`${variant}: loss (pos + 0.02 neg) / D`, [{ name: 'loss', points: train('loss') }]),
    chart('positive term: squared error to LN(target)', [{ name: 'positive', points: train('positive') }]),
    chart('negative term: p C p with C the target correlation', [{ name: 'negative', points: train('negative'), color: [214, 39, 40] }]),
    lineChart({ title: 'k-NN top-1 on the test split (%)', xLabel: 'step', width: 420, height: 280, yRange: [0, 100], series: [
      { name: 'CLS', points: baseline ? [[0, baseline.random_init_knn_top1], ...knn] : knn },
      { name: 'patch mean', points: baseline ? [[0, baseline.random_init_patch_mean_knn_top1], ...knnPatchMean] : knnPatchMean },
      ...flat('random init CLS', baseline?.random_init_knn_top1),
      ...flat('raw pixels', baseline?.raw_pixel_knn_top1),
    ] }),
    chart('learning rate', [{ name: 'lr', points: train('lr'), color: [44, 160, 44] }]),
    chart('EMA momentum of the target', [{ name: 'momentum', points: train('momentum'), color: [148, 103, 189] }]),
  ];
  writePng(path, chartGrid(charts, 3));
}
