/**
 * Debian's chromium, headless and without a GPU, as the browser test and bench/web-page.ts drive it
 * (through playwright-core; never a downloaded browser). With `--disable-gpu` a page still gets
 * WebGL 2 from SwiftShader, on the CPU, and no WebGPU adapter; with `webgpuFlags` instead, WebGPU
 * answers from SwiftShader too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

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
