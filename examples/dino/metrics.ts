/**
 * metrics.jsonl: one JSON object a line, of three kinds.
 *   {"type":"baseline","step":0,"random_init_knn_top1":…,"random_init_knn_top5":…,"raw_pixel_knn_top1":…,"raw_pixel_knn_top5":…,"random_init_feature_std":…,
 *    "random_init_knn_cls_patch_top1":…,"random_init_jaccard_mean":…,"random_init_jaccard_heads":[…],
 *    "random_init_linear_probe_top1":…,"random_init_few_shot":{"1":…,"5":…,"10":…},"raw_pixel_linear_probe_top1":…,"raw_pixel_few_shot":{…}}
 *   {"type":"train","step":s,"loss":…,"koleo":…,"teacher_entropy":…,"kl":…,"lr":…,"weight_decay":…,"momentum":…,"teacher_temp":…,"train_seconds":…}
 *   {"type":"eval","step":s,"knn_top1":…,"knn_top5":…,"knn_cls_patch_top1":…,"jaccard_mean":…,"jaccard_heads":[…],"feature_std":…,"eval_seconds":…}
 *    (the final eval also "linear_probe_top1":…,"few_shot":{"1":…,"5":…,"10":…})
 * `step` counts the steps done, so the train line of the first step has step 1. Every k-NN scores
 * the teacher's CLS feature (or CLS beside the mean patch token) on the same bank and test digits;
 * few-shot maps labelled digits per class to accuracy (%).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../support/atomic-file.js';

export type BaselineRecord = {
  type: 'baseline';
  step: 0;
  random_init_knn_top1: number;
  random_init_knn_top5: number;
  random_init_feature_std: number;
  raw_pixel_knn_top1: number;
  raw_pixel_knn_top5: number;
  random_init_knn_cls_patch_top1: number;
  random_init_jaccard_mean: number;
  random_init_jaccard_heads: number[];
  random_init_linear_probe_top1: number;
  random_init_few_shot: Record<number, number>;
  raw_pixel_linear_probe_top1: number;
  raw_pixel_few_shot: Record<number, number>;
};
export type TrainRecord = {
  type: 'train';
  step: number;
  loss: number;
  koleo: number;
  teacher_entropy: number;
  kl: number;
  lr: number;
  weight_decay: number;
  momentum: number;
  teacher_temp: number;
  train_seconds: number;
};
export type EvalRecord = {
  type: 'eval';
  step: number;
  knn_top1: number;
  knn_top5: number;
  knn_cls_patch_top1: number;
  jaccard_mean: number;
  jaccard_heads: number[];
  feature_std: number;
  eval_seconds: number;
  linear_probe_top1?: number;
  few_shot?: Record<number, number>;
};
export type MetricsRecord = BaselineRecord | TrainRecord | EvalRecord;

/** The records of `path` (a torn or foreign line is skipped); none when the file does not exist. */
export function readMetrics(path: string): MetricsRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line): MetricsRecord[] => {
      try {
        const record = JSON.parse(line) as MetricsRecord;
        return typeof record === 'object' && record !== null && typeof record.step === 'number' ? [record] : [];
      } catch {
        return [];
      }
    });
}

/**
 * The records of `from` up to `lastStep` (the checkpoint's), written atomically to `to` so that it
 * holds exactly those; lines after the checkpoint, and a torn last line, are dropped.
 */
export function keepMetricsUpTo(from: string, to: string, lastStep: number): MetricsRecord[] {
  const kept = readMetrics(from).filter((record) => record.step <= lastStep);
  writeFileAtomic(to, kept.map((record) => `${JSON.stringify(record)}\n`).join(''));
  return kept;
}
