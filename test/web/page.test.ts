/**
 * The page of examples/web in a real browser: Debian's chromium, headless, driven by playwright-core.
 * The page is built with Vite's API (a bundle with no Node built-in in it), served on 127.0.0.1 with
 * and without cross-origin isolation, and trains the `tiny` DINO preset in its Web Worker; its
 * checkpoint is decoded here, in Node, and its kernels are compared with the reference backend's.
 * A second browser, launched with the WebGPU flags, trains on the webgpu backend (SwiftShader). A screenshot goes to
 * test/web/screenshots/ (git-ignored; never compared pixel by pixel).
 * Where chromium is missing the tests are skipped and say why, except under CI, where they fail.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { decodeSafetensors } from '../../core/index.js';
import { chromiumPath, crossOriginIsolation, drawOne, launchChromium } from '../../examples/web/chromium.js';
import { type StaticServer, serveDirectory } from '../../examples/web/static-server.js';

const repository = fileURLToPath(new URL('../../', import.meta.url));
const dist = join(repository, 'examples/web/dist');
const screenshots = join(repository, 'test/web/screenshots');

const missing = existsSync(chromiumPath) ? undefined : `${chromiumPath} is not installed (Debian's chromium package)`;
if (missing && !process.env.CI) console.warn(`test/web/page.test.ts: skipped: ${missing}`);

describe.runIf(missing !== undefined && process.env.CI)('the page in chromium, under CI', () => {
  it('cannot be skipped: chromium must be installed', () => {
    throw new Error(`the browser test must run under CI, but ${missing}`);
  });
});

/** What the page exposes to the test (examples/web/page/main.ts). */
type Hooks = {
  ready: Promise<void>;
  backend(): string;
  webgpuRefusal(): Promise<string | null>;
  repeatedBatch(preset: string, steps: number, overrides: Record<string, number>): Promise<number[]>;
  train(): Promise<void>;
  stepsPerSecond(): number;
  checkpoint(): Promise<{ base64: string; tensors: Record<string, { dtype: string; shape: number[]; data: number[] }> }>;
  load(base64: string): Promise<{ step: number; top1: number }>;
  kernelCases(backend: string): Promise<{ op: string; actual: number[]; expected: number[] }[]>;
  threadedMatmul(tries: number): Promise<{ threads: number; readyWorkers: number; identical: boolean; onWorkers: boolean }>;
};
const hooks = (page: Page) => ({
  call: <R>(fn: (hooks: Hooks, argument: any) => R | Promise<R>, argument?: unknown): Promise<R> =>
    page.evaluate(([source, value]) => new Function('hooks', 'argument', `return (${source})(hooks, argument)`)((globalThis as any).tapegradPage, value), [fn.toString(), argument] as const) as Promise<R>,
});

/** The page's kernels on `mode` against the reference backend's, in the page, within float32 tolerances. */
async function expectKernelsMatchReference(page: Page, mode: string): Promise<void> {
  const cases = await hooks(page).call((h, backend) => h.kernelCases(backend), mode).catch((error: Error) => {
    throw new Error(`kernels in mode ${mode}: ${error.message.slice(0, 300)}`);
  });
  expect(cases.length).toBeGreaterThanOrEqual(8);
  for (const { op, actual, expected } of cases) {
    expect(actual.length, `${mode} ${op}`).toBe(expected.length);
    // float32 kernels against float32 reference arithmetic: a few ulps, more where sums are long
    const terms = op === 'matmul' ? 29 : op.startsWith('sum') ? 50 : op === 'softmax' ? 40 : 1;
    const worst = (values: number[]) => Math.max(...values.map((value, i) => Math.abs(value - expected[i]) / (1e-6 + 2e-6 * terms + 2e-6 * Math.abs(expected[i]))));
    expect(worst(actual), `${mode} ${op}: worst error in units of its tolerance`).toBeLessThanOrEqual(1);
    // the check can fail: one element off by a thousandth of its size (or 1e-3) is caught
    const wrong = actual.map((value, i) => (i === actual.length >> 1 ? value + 1e-3 * Math.max(1, Math.abs(value)) : value));
    expect(worst(wrong), `${mode} ${op}: a wrong element`).toBeGreaterThan(1);
  }
}

async function openPage(context: BrowserContext, server: StaticServer, query: string, pageErrors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${server.url}?${query}`);
  await page.waitForFunction(() => (globalThis as any).tapegradPage !== undefined);
  await hooks(page).call((h) => h.ready);
  return page;
}

async function buildPage(warnings: string[]): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: join(repository, 'examples/web/vite.config.ts'),
    logLevel: 'warn',
    customLogger: { info() {}, warn: (message: string) => warnings.push(message), warnOnce: (message: string) => warnings.push(message), error: (message: string) => warnings.push(message), clearScreen() {}, hasErrorLogged: () => false, hasWarned: false },
  });
}

describe.skipIf(missing !== undefined)('the page in chromium', () => {
  let isolated: StaticServer;
  let plain: StaticServer;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  const warnings: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await buildPage(warnings);
    isolated = await serveDirectory(dist, crossOriginIsolation);
    plain = await serveDirectory(dist, {});
    browser = await launchChromium();
    context = browser.context;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await plain?.close();
  });

  const open = (server: StaticServer, query: string) => openPage(context, server, query, pageErrors);

  it('bundles core, nn and ssl without a Node built-in', () => {
    expect(warnings.filter((message) => message.includes('externalized for browser compatibility'))).toEqual([]);
  });

  it('runs the WebAssembly matmul on Web Workers in an isolated page and on one thread in a plain one', async () => {
    const threaded = await open(isolated, 'preset=tiny&backend=webasm&autostart=0');
    expect(await hooks(threaded).call((h) => h.backend())).toMatch(/^backend: gpujs\/webasm; WebAssembly matmul: \d+ threads \(web workers\); cross-origin isolated: yes$/);
    // a product above the threading threshold: a Web Worker computes part of it, and the result is the one-thread result
    const threads = await hooks(threaded).call((h) => h.threadedMatmul(20));
    expect(threads.threads).toBeGreaterThan(1);
    expect(threads.readyWorkers).toBe(threads.threads - 1);
    expect(threads).toMatchObject({ identical: true, onWorkers: true });
    const single = await open(plain, 'preset=tiny&backend=webasm&autostart=0');
    expect(await hooks(single).call((h) => h.backend())).toContain('WebAssembly matmul: 1 thread (no SharedArrayBuffer here: a browser page must be cross-origin isolated');
    // webgpu's device answers through SharedArrayBuffer too: refused, and the page says why
    expect(await hooks(single).call((h) => h.webgpuRefusal())).toContain('needs a cross-origin isolated page');
    expect(await single.textContent('#log')).toContain('WebGPU is not available here: webgpu: in a browser the device answers through SharedArrayBuffer');
    // the one-thread page still trains
    expect(await hooks(single).call((h) => h.threadedMatmul(1))).toMatchObject({ threads: 1, identical: true, onWorkers: false });
    const losses = await hooks(single).call((h) => h.repeatedBatch('tiny', 1, {}));
    expect(Number.isFinite(losses[0])).toBe(true);
    await Promise.all([threaded.close(), single.close()]);
  }, 60_000);

  it('trains tiny on a repeated batch: the loss is finite and falls', async () => {
    const page = await open(isolated, 'preset=tiny&backend=webasm&autostart=0');
    // DINO's loss falls on one batch when its targets hold still: the centre frozen (momentum 1),
    // the teacher temperature fixed, the lr at its peak from the first step (high enough to show in 10 steps)
    const losses = await hooks(page).call((h, overrides) => h.repeatedBatch('tiny', 10, overrides), { centerMomentum: 1, warmupTeacherTemp: 0.07, warmupFraction: 0, lr: 0.05 });
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
    await page.close();
  }, 60_000);

  it("the page's kernels agree with the reference backend, in every mode the page has", async () => {
    const page = await open(isolated, 'preset=tiny&autostart=0');
    const modes = await page.$$eval('#backend-choice option', (options) => options.map((option) => (option as unknown as { value: string }).value));
    expect(modes).toContain('webasm');
    expect(modes).toContain('webgl2'); // SwiftShader gives WebGL 2 without a GPU
    // WebGL 2 drawn in software: the page trains on the WebAssembly path by default, and says why
    expect(await hooks(page).call((h) => h.backend())).toMatch(/^backend: gpujs\/webasm;/);
    expect(await page.textContent('#log')).toContain('WebGL 2 is drawn in software here (ANGLE (Google, Vulkan');
    // without the WebGPU flags (--disable-gpu) no adapter answers: webgpu is not offered, and the page says why
    expect(modes).not.toContain('webgpu');
    expect(await page.textContent('#log')).toContain('WebGPU is not available here: webgpu: no WebGPU adapter answered (navigator.gpu.requestAdapter() answered null');
    for (const mode of modes.filter((name) => name !== 'gpujs' && name !== 'reference')) await expectKernelsMatchReference(page, mode);
    await page.close();
  }, 60_000);

  it('trains through the page, draws, and makes a checkpoint that decodes in Node to the same tensors', async () => {
    const downloads = mkdtempSync(join(tmpdir(), 'tapegrad-download-'));
    onTestFinished(() => rmSync(downloads, { recursive: true, force: true }));
    const page = await open(isolated, 'preset=tiny&backend=webasm&steps=30&autostart=0');
    await hooks(page).call((h) => h.train());
    expect(await page.textContent('#progress-text')).toMatch(/^step 30 \/ 30 · [\d.]+ steps\/s · ETA 0 s · loss [\d.]+$/);
    expect(await page.textContent('#attention-caption')).toContain('step 30');
    const { base64, tensors } = await hooks(page).call((h) => h.checkpoint());
    const decoded = decodeSafetensors(new Uint8Array(Buffer.from(base64, 'base64')));
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const name of ['teacher.backbone.cls_token', 'teacher.backbone.blocks.0.attn.qkv.weight', 'teacher.head.last_layer.weight_v', 'student.backbone.pos_embed', 'center.value', 'rng.key']) {
      expect(Object.keys(tensors)).toContain(name);
    }
    for (const [name, { dtype, shape, data }] of Object.entries(tensors)) {
      const found = decoded.tensors[name];
      expect([found.dtype, found.shape], name).toEqual([dtype, shape]);
      expect(Array.from(found.dataSync()), name).toEqual(data);
    }
    expect(decoded.metadata.step).toBe('30');
    expect(decoded.metadata.backend).toBe('gpujs/webasm');
    // loaded back into the page, the checkpoint gives the same state: its own checkpoint is the same bytes
    const evaluation = await hooks(page).call((h, bytes) => h.load(bytes), base64);
    expect(evaluation.step).toBe(30);
    expect((await hooks(page).call((h) => h.checkpoint())).base64).toBe(base64);
    // a digit drawn on the pad gets its attention map and five nearest training digits
    await drawOne(page);
    expect(await page.textContent('#neighbours')).toMatch(/nearest training digits: \d, \d, \d, \d, \d$/);
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'page.png'), fullPage: true });
    // the page's buttons: "download checkpoint" saves these bytes, "load checkpoint" reads a file back
    const [saved] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(saved.suggestedFilename()).toBe('dino-tiny-step30.safetensors');
    const downloaded = join(downloads, saved.suggestedFilename());
    await saved.saveAs(downloaded);
    expect(decodeSafetensors(new Uint8Array(readFileSync(downloaded))).metadata.step).toBe('30');
    await page.setInputFiles('#upload', downloaded);
    await page.locator('#log', { hasText: 'loaded dino-tiny-step30.safetensors: step 30' }).waitFor();
    expect(await page.textContent('#progress-text')).toBe('step 30 / 30 · loaded from dino-tiny-step30.safetensors');
    await page.close();
  }, 90_000);

  it('trains on webgpu (SwiftShader) from its Web Worker: the same losses as webasm, and its kernels agree with the reference backend', async () => {
    const gpuBrowser = await launchChromium({ webgpu: true });
    onTestFinished(() => gpuBrowser.close());
    const page = await openPage(gpuBrowser.context, isolated, 'preset=tiny&backend=webgpu&autostart=0', pageErrors);
    expect(await hooks(page).call((h) => h.backend())).toMatch(/^backend: webgpu\/webgpu \(google swiftshader\); cross-origin isolated: yes$/);
    const modes = await page.$$eval('#backend-choice option', (options) => options.map((option) => (option as unknown as { value: string }).value));
    expect(modes[0]).toBe('webgpu'); // offered first, as the issue orders the backends
    expect(await page.textContent('#log')).toContain('WebGPU runs in software here (google swiftshader)');
    await expectKernelsMatchReference(page, 'webgpu');
    // a few steps only (SwiftShader is slow): on one repeated batch, the losses webasm gives in the same page
    const overrides = { centerMomentum: 1, warmupTeacherTemp: 0.07, warmupFraction: 0, lr: 0.05 };
    const onWebgpu = await hooks(page).call((h, values) => h.repeatedBatch('tiny', 3, values), overrides);
    await page.selectOption('#backend-choice', 'webasm');
    await page.locator('#backend', { hasText: 'backend: gpujs/webasm' }).waitFor();
    const onWebasm = await hooks(page).call((h, values) => h.repeatedBatch('tiny', 3, values), overrides);
    expect(onWebgpu.every(Number.isFinite)).toBe(true);
    // float32 kernels summing in other orders drift apart step by step: a thousandth after three steps
    onWebgpu.forEach((loss, step) => expect(Math.abs(loss - onWebasm[step]), `step ${step}: ${loss} on webgpu, ${onWebasm[step]} on webasm`).toBeLessThanOrEqual(1e-3 * Math.abs(onWebasm[step])));
    await page.close();
  }, 120_000);

  it('raised no uncaught error in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
