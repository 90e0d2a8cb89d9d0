/**
 * The webgpu backend: chosen by name, refused with its reason where no adapter answers, read through
 * the synchronous and the asynchronous API alike. Its kernels meet the reference backend in
 * kernels.test.ts, and a jitted DINO step meets the CPU step in test/ssl/dino-step-webgpu.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { webgpuMissing } from '../support/webgpu.js';

/** Runs `body` in a fresh Node process (the Vulkan driver list is read once per process) and returns what it prints. */
function inFreshProcess(body: string, env: Record<string, string>): string {
  const script = `import * as tg from ${JSON.stringify(new URL('../../core/index.ts', import.meta.url).href)};\n${body}`;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('choosing webgpu', () => {
  it('with no adapter, TAPEGRAD_BACKEND=webgpu and setBackend throw a BackendError that says why, and nothing falls back', () => {
    const printed = inFreshProcess(
      `const seen = [];
       for (const attempt of [() => tg.backendInfo(), () => tg.setBackend('webgpu')]) {
         try { attempt(); seen.push('no error'); } catch (error) { seen.push({ name: error.name, message: error.message }); }
       }
       console.log(JSON.stringify(seen));`,
      { VK_ICD_FILENAMES: '/nonexistent/no-driver.json', TAPEGRAD_BACKEND: 'webgpu' },
    );
    const seen = JSON.parse(printed.trim().split('\n').at(-1)!);
    expect(seen).toHaveLength(2);
    for (const { name, message } of seen) {
      expect(name).toBe('BackendError');
      expect(message).toContain('webgpu: no WebGPU adapter answered');
      expect(message).toContain('VK_ICD_FILENAMES is /nonexistent/no-driver.json');
    }
  });

  // CI installs chromium (SwiftShader) and libvulkan1, so there a missing adapter is a failure, not a skip
  it.skipIf(!process.env.CI)('under CI, a WebGPU adapter answers', () => {
    expect(webgpuMissing).toBeNull();
  });
});

describe.skipIf(webgpuMissing !== null)('the webgpu backend', () => {
  afterAll(() => tg.setBackend('reference'));

  it('backendInfo names webgpu, its adapter and the dtypes its kernels run', () => {
    const info = tg.withBackend('webgpu', () => tg.backendInfo());
    expect(info.name).toBe('webgpu');
    expect(info.mode).toBe('webgpu');
    expect(info.adapter).toBeTruthy();
    expect(info.kernelDTypes).toEqual(['float32']);
  });

  it('await data() and await array() read what dataSync and toArray read', async () => {
    tg.setBackend('webgpu');
    const x = tg.tensor([[1, -2, 3], [0.5, 4, -1]], { dtype: 'float32' });
    const y = tg.matmul(tg.exp(x), tg.matrixTranspose(x));
    expect(tg.backendInfo().cachedKernels).toBeGreaterThan(0);
    expect(Array.from(await y.data())).toEqual(Array.from(y.dataSync()));
    expect(await y.array()).toEqual(y.toArray());
    const expected = tg.withBackend('reference', () => tg.matmul(tg.exp(x), tg.matrixTranspose(x)).toArray()) as number[][];
    (await y.array() as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 4)));
  });

  // the drawn shapes of kernels.test.ts fit in one 32×32 tile; these cross tile edges in every direction
  it('the WGSL matmul matches the reference backend across tiles, edges and batches', () => {
    for (const [batch, m, k, n] of [[1, 70, 45, 33], [3, 33, 64, 65], [2, 1, 100, 31]]) {
      const a = tg.random.normal(tg.random.key(m), [batch, m, k], { dtype: 'float32' });
      const b = tg.random.normal(tg.random.key(n), [batch, k, n], { dtype: 'float32' });
      const actual = tg.withBackend('webgpu', () => tg.matmul(a, b)).dataSync();
      const expected = tg.withBackend('reference', () => tg.matmul(a, b)).dataSync();
      expect(actual.length).toBe(batch * m * n);
      expected.forEach((e, i) => {
        if (!(Math.abs(actual[i] - e) <= 1e-4 + 1e-4 * Math.abs(e))) expect.fail(`[${batch},${m},${k},${n}] element ${i}: ${actual[i]} on webgpu, ${e} on reference`);
      });
    }
  });

  it('float64 tensors run on the reference backend, as backendInfo says', () => {
    const x = tg.tensor([1, 2, 3], { dtype: 'float64' });
    const y = tg.withBackend('webgpu', () => tg.exp(x));
    expect(y.dtype).toBe('float64');
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3].map(Math.exp));
  });
});
