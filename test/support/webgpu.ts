/**
 * Whether the WebGPU tests run here. They point Dawn at SwiftShader (Debian's chromium package) when no
 * Vulkan driver is named, so a machine without a GPU runs them on the CPU. Without an adapter they are
 * skipped with the reason printed, except under CI, where `webgpu-in-ci.test.ts` fails instead.
 */
import { existsSync } from 'node:fs';
import * as tg from '../../core/index.js';

if (process.env.VK_ICD_FILENAMES === undefined && existsSync(tg.swiftShaderManifest)) {
  process.env.VK_ICD_FILENAMES = tg.swiftShaderManifest;
}

/** Null when a WebGPU adapter answers, else why not. */
export const webgpuMissing: string | null = tg.webgpuSupport();

if (webgpuMissing !== null) console.warn(`tapegrad: WebGPU tests skipped: ${webgpuMissing}`);
