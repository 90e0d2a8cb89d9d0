import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSafetensorsSync } from '../../core/index.js';
import { type RunResult, RunError, main, runFiles } from '../../examples/siameseim-mnist.js';
import { main as compareVariants } from '../../examples/siameseim/compare-variants.js';
import type { MetricsRecord, TrainRecord } from '../../examples/siameseim/metrics.js';
import { FlagError } from '../../examples/support/cli.js';

// a seconds-long run: 160 train and 40 test digits, a 4×4-patch-grid ViT of width 16, 4 steps
const tiny = ['--model', 'tiny', '--batch-size', '8', '--limit-per-digit', '20', '--knn-train', '0', '--eval-every', '2', '--steps', '4', '--backend', 'reference'];
const root = mkdtempSync(join(tmpdir(), 'siameseim-mnist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => (chunks.push(String(chunk)), done()) });
  return { stream, text: () => chunks.join('') };
}

async function run(argv: string[]): Promise<{ result: RunResult | undefined; output: string }> {
  const { stream, text } = sink();
  const result = await main(argv, { stdout: stream });
  return { result, output: text() };
}

const metricsOf = (dir: string): MetricsRecord[] =>
  readFileSync(join(dir, runFiles.metrics), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as MetricsRecord);

/** Train records without the wall-clock field, which differs between runs. */
const trainSteps = (records: MetricsRecord[], after: number) =>
  records.filter((r): r is TrainRecord => r.type === 'train' && r.step > after).map(({ train_seconds: _seconds, ...rest }) => rest);

describe('examples/siameseim-mnist', () => {
  // named as the default run directories, so that compare-variants finds it
  const whole = join(root, 'siameseim-siameseim');
  let wholeResult: RunResult | undefined;

  it('trains, evaluates, writes every file, and ends with a RESULT line that parses', async () => {
    const { result, output } = await run([...tiny, '--out', whole]);
    wholeResult = result;
    const lastLine = output.trim().split('\n').at(-1) ?? '';
    expect(lastLine.startsWith('RESULT ')).toBe(true);
    const parsed = JSON.parse(lastLine.slice('RESULT '.length)) as RunResult;
    expect(parsed).toEqual(result);
    for (const key of ['knn_top1', 'random_init_knn_top1', 'raw_pixel_knn_top1', 'steps', 'train_seconds', 'ms_per_step', 'variant', 'backend'] as const) expect(parsed).toHaveProperty(key);
    expect(parsed).toMatchObject({ steps: 4, variant: 'siameseim', backend: 'reference/js' });
    for (const score of [parsed.knn_top1, parsed.random_init_knn_top1, parsed.raw_pixel_knn_top1]) expect(score).toBeGreaterThanOrEqual(0);
    expect(parsed.raw_pixel_knn_top1).toBeGreaterThan(50); // 10 classes: far above chance

    const records = metricsOf(whole);
    expect(records.map((r) => `${r.type}@${r.step}`)).toEqual(['baseline@0', 'train@1', 'train@2', 'eval@2', 'train@3', 'train@4', 'eval@4']);
    expect(trainSteps(records, 0).every((r) => Number.isFinite(r.loss) && Number.isFinite(r.positive) && Number.isFinite(r.negative))).toBe(true);
    expect(readFileSync(join(whole, runFiles.curves)).subarray(1, 4).toString()).toBe('PNG');
    const checkpoint = loadSafetensorsSync(join(whole, runFiles.checkpoint));
    expect(checkpoint.metadata.step).toBe('4');
    // the online encoder keeps the official state-dict names, so the file opens by name elsewhere
    expect(Object.keys(checkpoint.tensors)).toEqual(expect.arrayContaining(['online.cls_token', 'online.blocks.0.attn.qkv.weight', 'target.blocks.0.attn.qkv.weight', 'optimizer.cls_token.exp_avg']));

    const chart = compareVariants(['--runs', root, '--out', join(root, 'variants.png')]);
    expect(readFileSync(chart).subarray(1, 4).toString()).toBe('PNG');
  });

  it('resumes from a checkpoint to the same metrics as an uninterrupted run', async () => {
    const split = join(root, 'split');
    const first = await run([...tiny, '--out', split, '--stop-after', '3']);
    expect(first.result).toBeUndefined();
    expect(first.output).toMatch(/stopped after step 3 of 4/);
    const second = await run([...tiny, '--out', split, '--resume']);
    expect(second.output).toMatch(/resuming .* at step 3 of 4/);
    expect(trainSteps(metricsOf(split), 0)).toEqual(trainSteps(metricsOf(whole), 0));
    expect(trainSteps(metricsOf(split), 3)).toHaveLength(1);
    expect(second.result?.knn_top1).toBe(wholeResult?.knn_top1);
    expect(metricsOf(split).map((r) => `${r.type}@${r.step}`)).toEqual(metricsOf(whole).map((r) => `${r.type}@${r.step}`));
  });

  it('refuses an unknown variant or flag, naming what is allowed', async () => {
    await expect(run([...tiny, '--variant', 'byol'])).rejects.toThrow(FlagError);
    await expect(run([...tiny, '--variant', 'byol'])).rejects.toThrow('unknown variant "byol"; allowed: siameseim, mim, id');
    await expect(run([...tiny, '--stepz', '3'])).rejects.toThrow(/unknown flag --stepz \(did you mean --steps\?\)/);
  });

  it('refuses a missing, corrupt or mismatched checkpoint with a message', async () => {
    await expect(run([...tiny, '--out', join(root, 'nothing-here'), '--resume'])).rejects.toThrow(/no checkpoint at .*checkpoint\.safetensors/);
    const corrupt = join(root, 'corrupt');
    await run([...tiny, '--out', corrupt, '--stop-after', '1']);
    writeFileSync(join(corrupt, runFiles.checkpoint), readFileSync(join(corrupt, runFiles.checkpoint)).subarray(0, 300));
    await expect(run([...tiny, '--out', corrupt, '--resume'])).rejects.toThrow(RunError);
    await expect(run([...tiny, '--out', corrupt, '--resume'])).rejects.toThrow(/not a readable checkpoint/);
    await expect(run([...tiny, '--out', whole, '--resume', '--variant', 'mim'])).rejects.toThrow(/made with --variant siameseim \(now mim\)/);
  });

  it('stops on a non-finite loss and names the step', async () => {
    // lr 1e30: step 1 runs at lr 0 (warmup starts there), step 2 throws the weights to ±1e30, step 3 overflows
    await expect(run([...tiny, '--out', join(root, 'blown'), '--lr', '1e30'])).rejects.toThrow(/non-finite \w+ at step 3 /);
  });

  it('exits with status 1 and a one-line message from the command line', () => {
    const script = join(import.meta.dirname, '../../examples/siameseim-mnist.ts');
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, '--variant', 'byol'], { encoding: 'utf8' });
    expect(child.status).toBe(1);
    expect(child.stderr.trim()).toBe('siameseim-mnist: --variant: unknown variant "byol"; allowed: siameseim, mim, id');
    expect(existsSync(join('runs', 'siameseim-byol'))).toBe(false);
  });
});
