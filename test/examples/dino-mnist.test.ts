import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, concat, loadSafetensorsSync, mul, random, sliceAxis } from '../../core/index.js';
import { type RunResult, RunError, main, runFiles } from '../../examples/dino-mnist.js';
import type { MetricsRecord, TrainRecord } from '../../examples/dino/metrics.js';
import { jitterStrokeWidth } from '../../examples/dino/stroke-width.js';
import { FlagError } from '../../examples/support/cli.js';
import { loadMnist } from '../../examples/support/mnist.js';

// a seconds-long run: 200 train digits, a bank of 100 and 50 test digits, a one-block ViT of width 16, 4 steps
const tiny = ['--preset', 'tiny', '--backend', 'reference', '--train-limit', '200', '--knn-train', '100', '--test-limit', '50', '--eval-every', '2', '--checkpoint-every', '2'];
const root = mkdtempSync(join(tmpdir(), 'dino-mnist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => (chunks.push(String(chunk)), done()) });
  return { stream, text: () => chunks.join('') };
}

async function run(argv: string[], transformCrops?: (crops: Tensor[], step: number) => Tensor[]): Promise<{ result: RunResult | undefined; output: string }> {
  const { stream, text } = sink();
  const result = await main(argv, { stdout: stream, ...(transformCrops ? { transformCrops } : {}) });
  return { result, output: text() };
}

const metricsOf = (dir: string): MetricsRecord[] =>
  readFileSync(join(dir, runFiles.metrics), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as MetricsRecord);

/** Train records after step `after`, without the wall-clock field, which differs between runs. */
const trainSteps = (records: MetricsRecord[], after = 0) =>
  records.filter((r): r is TrainRecord => r.type === 'train' && r.step > after).map(({ train_seconds: _seconds, ...rest }) => rest);

const isPng = (path: string) => readFileSync(path).subarray(1, 4).toString() === 'PNG';

describe('examples/dino-mnist', () => {
  const whole = join(root, 'whole');
  let wholeResult: RunResult | undefined;

  it('trains, evaluates the teacher, writes every file, and ends with a RESULT line that parses', async () => {
    const { result, output } = await run([...tiny, '--out', whole]);
    wholeResult = result;
    const lines = output.trim().split('\n');
    const lastLine = lines.at(-1) ?? '';
    expect(lastLine.startsWith('RESULT ')).toBe(true);
    const parsed = JSON.parse(lastLine.slice('RESULT '.length)) as RunResult;
    expect(parsed).toEqual(result);
    for (const key of ['knn_top1', 'random_init_knn_top1', 'raw_pixel_knn_top1', 'knn_cls_patch_top1', 'jaccard_mean', 'random_init_jaccard_mean', 'linear_probe_top1', 'random_init_linear_probe_top1', 'raw_pixel_linear_probe_top1', 'few_shot', 'raw_pixel_few_shot', 'steps', 'train_seconds', 'ms_per_step', 'preset', 'backend'] as const) expect(parsed).toHaveProperty(key);
    expect(parsed).toMatchObject({ steps: 4, preset: 'tiny', backend: 'reference/js', out: whole });
    expect(parsed.raw_pixel_knn_top1).toBeGreaterThan(50); // 10 classes: far above chance
    expect(parsed.raw_pixel_linear_probe_top1).toBeGreaterThan(50);
    expect(parsed.jaccard_mean).toBeGreaterThan(0);
    expect(parsed.jaccard_mean).toBeLessThanOrEqual(1);
    expect(parsed.ms_per_step).toBeGreaterThan(0);
    // the progress bar shows loss, teacher entropy and KL; the file paths are printed before RESULT
    expect(output).toMatch(/step 4\/4 .*loss \S+ {2}H \S+ {2}KL \S+/);
    for (const file of Object.values(runFiles)) expect(output).toContain(join(whole, file));

    const records = metricsOf(whole);
    expect(records.map((r) => `${r.type}@${r.step}`)).toEqual(['baseline@0', 'train@1', 'train@2', 'eval@2', 'train@3', 'train@4', 'eval@4']);
    expect(trainSteps(records).every((r) => [r.loss, r.teacher_entropy, r.kl, r.lr, r.teacher_temp].every(Number.isFinite))).toBe(true);
    expect(isPng(join(whole, runFiles.curves))).toBe(true);
    expect(isPng(join(whole, runFiles.attention))).toBe(true);
    const checkpoint = loadSafetensorsSync(join(whole, runFiles.checkpoint));
    expect(checkpoint.metadata.step).toBe('4');
    expect(JSON.parse(checkpoint.metadata.run)).toMatchObject({ preset: 'tiny', steps: 4, seed: 0 });
    // official names, so the teacher loads by name into the reference implementation
    expect(Object.keys(checkpoint.tensors)).toEqual(
      expect.arrayContaining(['teacher.backbone.cls_token', 'teacher.backbone.blocks.0.attn.qkv.weight', 'student.head.last_layer.weight_v', 'center.value', 'rng.key', 'optimizer.backbone.pos_embed.exp_avg']),
    );
  });

  it('resumes from a checkpoint to the same metrics as an uninterrupted run', async () => {
    const split = join(root, 'split');
    const first = await run([...tiny, '--out', split, '--stop-after', '3']);
    expect(first.result).toBeUndefined();
    expect(first.output).toMatch(/stopped after step 3 of 4/);
    const second = await run(['--resume', split, '--backend', 'reference', '--eval-every', '2']);
    expect(second.output).toMatch(/resuming .* at step 3 of 4/);
    expect(trainSteps(metricsOf(split), 3)).toHaveLength(1);
    expect(trainSteps(metricsOf(split))).toEqual(trainSteps(metricsOf(whole)));
    expect(metricsOf(split).map((r) => `${r.type}@${r.step}`)).toEqual(metricsOf(whole).map((r) => `${r.type}@${r.step}`));
    expect(second.result?.knn_top1).toBe(wholeResult?.knn_top1);
    expect(second.result?.final_loss).toBe(wholeResult?.final_loss);
  });

  it('refuses an unknown flag or preset, naming what is allowed', async () => {
    await expect(run([...tiny, '--stepz', '3'])).rejects.toThrow(/unknown flag --stepz \(did you mean --steps\?\)/);
    await expect(run([...tiny, '--preset', 'huge'])).rejects.toThrow(FlagError);
    await expect(run([...tiny, '--preset', 'huge'])).rejects.toThrow('unknown preset "huge"; allowed: default, long, attention, k32-ema099, k32-ema099-koleo, bench-vit-mnist, tiny');
    await expect(run([...tiny, '--set', 'learningRate=1'])).rejects.toThrow(/--set: unknown key "learningRate"/);
  });

  it('refuses a missing, corrupt or mismatched checkpoint with a message', async () => {
    await expect(run(['--resume', join(root, 'nothing-here')])).rejects.toThrow(/cannot resume from .*nothing-here.*: there is no checkpoint there/);
    const corrupt = join(root, 'corrupt');
    await run([...tiny, '--out', corrupt, '--stop-after', '1']);
    const path = join(corrupt, runFiles.checkpoint);
    writeFileSync(path, readFileSync(path).subarray(0, 300));
    await expect(run(['--resume', corrupt])).rejects.toThrow(RunError);
    await expect(run(['--resume', corrupt])).rejects.toThrow(/not a readable checkpoint/);
    await expect(run(['--resume', whole, '--seed', '3'])).rejects.toThrow(/made with --seed 0 \(asked: 3\)/);
  });

  it('stops on a non-finite loss, names the step and keeps the last good checkpoint and the metrics', async () => {
    const blown = join(root, 'blown');
    const poison = (crops: Tensor[], step: number) => (step === 2 ? crops.map((crop) => mul(crop, NaN)) : crops);
    await expect(run([...tiny, '--out', blown], poison)).rejects.toThrow(/non-finite loss \(NaN\) at step 3; .*last good checkpoint \(step 2\)/);
    expect(loadSafetensorsSync(join(blown, runFiles.checkpoint)).metadata.step).toBe('2');
    expect(metricsOf(blown).map((r) => `${r.type}@${r.step}`)).toEqual(['baseline@0', 'train@1', 'train@2', 'eval@2']);
    expect(isPng(join(blown, runFiles.curves))).toBe(true);
  });

  it('exits with status 1 and a one-line message from the command line', () => {
    const script = join(import.meta.dirname, '../../examples/dino-mnist.ts');
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, '--preset', 'huge'], { encoding: 'utf8' });
    expect(child.status).toBe(1);
    expect(child.stderr.trim()).toBe('dino-mnist: --preset: unknown preset "huge"; allowed: default, long, attention, k32-ema099, k32-ema099-koleo, bench-vit-mnist, tiny');
    expect(existsSync(join('runs', 'dino-huge-seed0'))).toBe(false);
  });
});

describe('examples/dino/stroke-width', () => {
  const digits = loadMnist({ limitPerDigit: 2 }).train.images; // 10 digits
  const ids = Array.from({ length: 10 }, (_, i) => 100 + i);

  it('re-inks each digit by its id alone, within [0, 1], and not at all with amount 0', () => {
    const key = random.key(7);
    const out = jitterStrokeWidth(digits, key, ids, 1);
    expect(out.shape).toEqual(digits.shape);
    const values = out.dataSync();
    expect(values.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(values).not.toEqual(digits.dataSync());
    // the same digits in another batch order get the same strokes
    const reversed = concat(Array.from({ length: 10 }, (_, i) => sliceAxis(digits, 0, 9 - i, 10 - i)), 0);
    const again = jitterStrokeWidth(reversed, key, [...ids].reverse(), 1);
    expect(sliceAxis(again, 0, 9, 10).dataSync()).toEqual(sliceAxis(out, 0, 0, 1).dataSync());
    expect(jitterStrokeWidth(digits, key, ids, 0).dataSync()).toEqual(digits.dataSync());
  });
});
