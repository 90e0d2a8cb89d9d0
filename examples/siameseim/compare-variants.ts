/**
 * One picture of the three variants side by side, from the metrics.jsonl of runs made with
 * `examples/siameseim-mnist.ts --variant <v>` at the same --steps: k-NN top-1 of the CLS token and
 * of the mean patch token against the step, with the raw-pixel and random-init lines, and the loss.
 *
 *   npx tsx examples/siameseim/compare-variants.ts [--runs runs] [--out docs/siameseim-variants.png]
 *
 * Reads <runs>/siameseim-<variant>/metrics.jsonl for each variant that has one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { siameseimVariants } from '../../ssl/index.js';
import { parseFlags } from '../support/cli.js';
import { type Series, chartGrid, lineChart, palette } from '../support/plot.js';
import { writePng } from '../support/png.js';
import type { BaselineRecord, EvalRecord, MetricsRecord, TrainRecord } from './metrics.js';

function readRecords(path: string): MetricsRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as MetricsRecord);
}

/** A moving average over `window` points, so that per-step losses read as curves. */
function smooth(points: readonly (readonly [number, number])[], window: number): [number, number][] {
  return points.map(([x], i) => {
    const span = points.slice(Math.max(0, i - window + 1), i + 1);
    return [x, span.reduce((total, [, y]) => total + y, 0) / span.length];
  });
}

export function main(argv: readonly string[]): string {
  const flags = parseFlags(argv, {
    runs: { type: 'string', default: 'runs', help: 'the directory holding siameseim-<variant>/ run directories' },
    out: { type: 'string', default: 'docs/siameseim-variants.png', help: 'the PNG to write' },
  }, { program: 'npx tsx examples/siameseim/compare-variants.ts' });
  const runs = siameseimVariants
    .map((variant, index) => ({ variant, color: palette[index], path: `${flags.runs}/siameseim-${variant}/metrics.jsonl` }))
    .filter((run) => existsSync(run.path))
    .map((run) => ({ ...run, records: readRecords(run.path) }));
  if (runs.length === 0) throw new Error(`no ${flags.runs}/siameseim-<variant>/metrics.jsonl found; run examples/siameseim-mnist.ts first`);
  const baseline = runs.flatMap((run) => run.records).find((record): record is BaselineRecord => record.type === 'baseline');
  const lastStep = Math.max(...runs.flatMap((run) => run.records.map((record) => record.step)));
  const flat = (name: string, value: number | undefined, color: Series['color']): Series[] =>
    value === undefined ? [] : [{ name, points: [[0, value], [lastStep, value]], color }];
  const knnSeries = (key: 'knn_top1' | 'patch_mean_knn_top1', start: number | undefined) =>
    runs.map((run): Series => ({
      name: run.variant,
      color: run.color,
      points: [...(start === undefined ? [] : [[0, start] as const]), ...run.records.filter((r): r is EvalRecord => r.type === 'eval').map((r) => [r.step, r[key]] as const)],
    }));
  const grey: Series['color'] = [127, 127, 127];
  // from a round number below the lowest score to 100 %, so the raw-pixel line sits inside the frame
  const scores = [...knnSeries('knn_top1', baseline?.random_init_knn_top1), ...knnSeries('patch_mean_knn_top1', baseline?.random_init_patch_mean_knn_top1)].flatMap((s) => s.points.map(([, y]) => y));
  const yRange: [number, number] = [Math.max(0, Math.floor((Math.min(...scores) - 5) / 10) * 10), 100];
  const charts = [
    lineChart({
      title: 'k-NN top-1 (%), CLS token', xLabel: 'step', width: 480, height: 300, yRange,
      series: [...knnSeries('knn_top1', baseline?.random_init_knn_top1), ...flat('raw pixels', baseline?.raw_pixel_knn_top1, grey)],
    }),
    lineChart({
      title: 'k-NN top-1 (%), mean patch token', xLabel: 'step', width: 480, height: 300, yRange,
      series: [...knnSeries('patch_mean_knn_top1', baseline?.random_init_patch_mean_knn_top1), ...flat('raw pixels', baseline?.raw_pixel_knn_top1, grey)],
    }),
    lineChart({
      title: 'loss (moving average of 10 steps)', xLabel: 'step', width: 480, height: 300,
      series: runs.map((run) => ({
        name: run.variant, color: run.color,
        points: smooth(run.records.filter((r): r is TrainRecord => r.type === 'train').map((r) => [r.step, r.loss] as const), 10),
      })),
    }),
  ];
  writePng(flags.out, chartGrid(charts, 3));
  return flags.out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(`wrote ${main(process.argv.slice(2))}`);
  } catch (error) {
    process.stderr.write(`compare-variants: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
