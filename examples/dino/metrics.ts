/**
 * metrics.jsonl: one JSON object a line, of three kinds.
 *   {"type":"baseline","step":0,"random_init_knn_top1":…,"random_init_knn_top5":…,"raw_pixel_knn_top1":…,"raw_pixel_knn_top5":…,"random_init_feature_std":…}
 *   {"type":"train","step":s,"loss":…,"teacher_entropy":…,"kl":…,"lr":…,"weight_decay":…,"momentum":…,"teacher_temp":…,"train_seconds":…}
 *   {"type":"eval","step":s,"knn_top1":…,"knn_top5":…,"feature_std":…,"eval_seconds":…}
 * `step` counts the steps done, so the train line of the first step has step 1. Every k-NN scores
 * the teacher's CLS feature on the same bank and test digits.
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
};
export type TrainRecord = {
  type: 'train';
  step: number;
  loss: number;
  teacher_entropy: number;
  kl: number;
  lr: number;
  weight_decay: number;
  momentum: number;
  teacher_temp: number;
  train_seconds: number;
};
export type EvalRecord = { type: 'eval'; step: number; knn_top1: number; knn_top5: number; feature_std: number; eval_seconds: number };
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
