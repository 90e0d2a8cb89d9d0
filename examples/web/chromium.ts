/**
 * Debian's chromium, headless and without a GPU, as the browser test and bench/web-page.ts drive it
 * (through playwright-core; never a downloaded browser). With `--disable-gpu` a page still gets
 * WebGL 2 from SwiftShader, on the CPU, and no WebGPU adapter; with `webgpuFlags` instead, WebGPU
 * answers from SwiftShader too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';
export const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Instead of `--disable-gpu`: WebGPU on SwiftShader's Vulkan, on the CPU (measured in issue 19). */
export const webgpuFlags = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'];
export const crossOriginIsolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** A browser with a fresh profile (with `webgpu`, one whose pages get a WebGPU adapter); `close` also removes the profile. */
export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'tapegrad-chromium-'));
  const args = options.webgpu ? [...chromiumFlags.filter((flag) => flag !== '--disable-gpu'), ...webgpuFlags] : chromiumFlags;
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args, viewport: { width: 1280, height: 1000 } });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Draws a vertical stroke (a "1") down the middle of the page's digit pad, as a user's mouse would. */
export async function drawOne(page: Page): Promise<void> {
  const pad = (await page.locator('#sketch').boundingBox())!;
  const [x, top, bottom] = [pad.x + 0.5 * pad.width, pad.y + 0.15 * pad.height, pad.y + 0.85 * pad.height];
  await page.mouse.move(x, top);
  await page.mouse.down();
  for (let t = 0; t <= 1; t += 0.1) await page.mouse.move(x, top + t * (bottom - top));
  await page.mouse.up();
  await page.locator('#neighbours canvas').nth(4).waitFor();
}
