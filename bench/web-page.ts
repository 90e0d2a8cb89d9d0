/**
 * Steps per second of a DINO preset trained in the page (examples/web) per backend the page has,
 * in Debian's chromium without a GPU, beside Node's for the same session code.
 *
 *   npx tsx bench/web-page.ts [preset=tiny] [steps=20] [page backends, comma-separated: webasm, webgl2, cpu, webgpu; default all]
 *
 * Builds the page (examples/web/dist/), serves it on 127.0.0.1 with and without cross-origin
 * isolation, and times `steps` steps after ten untimed warm-up steps of a fresh
 * session per backend, in the page's training worker (webgpu in a browser launched with the WebGPU
 * flags, on SwiftShader); then the same in this Node process, on webasm and, when webgpu is asked
 * for, on webgpu (SwiftShader through VK_ICD_FILENAMES where no driver is named). Not a test:
 * numbers depend on the machine.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { existsSync } from 'node:fs';
import { type BackendChoice, backendInfo, setBackend, swiftShaderManifest } from '../core/index.js';
import { wasmMatmulInfo } from '../core/backend/wasm/matmul/index.js';
import type { PresetName } from '../examples/dino/presets.js';
import { loadMnist } from '../examples/support/mnist.js';
import { crossOriginIsolation, launchChromium } from '../examples/web/chromium.js';
import { DinoSession } from '../examples/web/session.js';
import { serveDirectory } from '../examples/web/static-server.js';

const preset = (process.argv[2] ?? 'tiny') as PresetName;
const steps = Number(process.argv[3] ?? 20);
/** Untimed steps first: jit traces a new signature on the first steps (AdamW state appears, the last layer unfreezes). */
const warmup = 10;
const chosen = process.argv[4]?.split(',');
const repository = fileURLToPath(new URL('../', import.meta.url));

await build({ configFile: join(repository, 'examples/web/vite.config.ts'), logLevel: 'warn' });
const isolated = await serveDirectory(join(repository, 'examples/web/dist'), crossOriginIsolation);
const plain = await serveDirectory(join(repository, 'examples/web/dist'), {});
const browser = await launchChromium();
const gpuBrowser = chosen === undefined || chosen.includes('webgpu') ? await launchChromium({ webgpu: true }) : undefined;
const rows: { where: string; backend: string; stepsPerSecond: number }[] = [];
try {
  const runs = [[isolated, 'webasm', 'page, isolated'], [plain, 'webasm', 'page, not isolated'], [isolated, 'webgl2', 'page'], [isolated, 'cpu', 'page'], [isolated, 'webgpu', 'page, WebGPU flags']] as const;
  for (const [server, backend, where] of runs.filter(([, backend]) => chosen === undefined || chosen.includes(backend))) {
    const page = await (backend === 'webgpu' ? gpuBrowser! : browser).context.newPage();
    await page.goto(`${server.url}?preset=${preset}&backend=${backend}&autostart=0`);
    await page.waitForFunction(() => (globalThis as any).tapegradPage !== undefined);
    await page.evaluate(() => (globalThis as any).tapegradPage.ready);
    const result = await page.evaluate(([name, count, warmup]) => (globalThis as any).tapegradPage.timeSteps(name, count, warmup), [preset, steps, warmup] as const);
    rows.push({ where, backend: result.backend.replace(/^backend: /, ''), stepsPerSecond: result.stepsPerSecond });
    console.log(rows.at(-1));
    await page.close();
  }
} finally {
  await browser.close();
  await gpuBrowser?.close();
  await isolated.close();
  await plain.close();
}

if (process.env.VK_ICD_FILENAMES === undefined && existsSync(swiftShaderManifest)) process.env.VK_ICD_FILENAMES = swiftShaderManifest;
for (const backend of ['webasm', ...(chosen === undefined || chosen.includes('webgpu') ? ['webgpu'] : [])] as BackendChoice[]) {
  setBackend(backend);
  const session = new DinoSession(loadMnist(), { preset, steps: steps + warmup, trainLimit: 500, knnTrain: 100, testLimit: 50 }, 'node');
  for (let i = 0; i < warmup; i++) session.step();
  const started = performance.now();
  for (let i = 0; i < steps; i++) session.step();
  const info = backendInfo();
  const detail = info.adapter ? ` (${info.adapter})` : `; WebAssembly matmul: ${wasmMatmulInfo().threads} threads (${wasmMatmulInfo().threading})`;
  rows.push({ where: 'Node', backend: `${info.name}/${info.mode}${detail}`, stepsPerSecond: steps / ((performance.now() - started) / 1000) });
  console.log(rows.at(-1));
}
console.log(`\n${preset}, ${steps} timed steps each:`);
for (const row of rows) console.log(`${row.stepsPerSecond.toFixed(2).padStart(8)} steps/s  ${row.where}: ${row.backend}`);
process.exit(0);
