/**
 * The README's screenshot of the page: the `default` preset trained through the page's own loop in
 * headless chromium without a GPU (the backend the page picks there), then a "1" drawn on the pad,
 * as test/web/page.test.ts does for `tiny`. Written to test/web/screenshots/ (git-ignored); the
 * README's docs/web-page.png is a copy of it.
 *
 *   npx tsx examples/web/readme-screenshot.ts [steps=300]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { crossOriginIsolation, drawOne, launchChromium } from './chromium.js';
import { serveDirectory } from './static-server.js';

const steps = Number(process.argv[2] ?? 300);
const repository = fileURLToPath(new URL('../../', import.meta.url));
const output = join(repository, 'test/web/screenshots/readme.png');

await build({ configFile: join(repository, 'examples/web/vite.config.ts'), logLevel: 'warn' });
const server = await serveDirectory(join(repository, 'examples/web/dist'), crossOriginIsolation);
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}?preset=default&steps=${steps}&autostart=0`);
  await page.waitForFunction(() => (globalThis as any).tapegradPage !== undefined);
  await page.evaluate(() => (globalThis as any).tapegradPage.ready);
  const started = performance.now();
  await page.evaluate(() => (globalThis as any).tapegradPage.train());
  console.log(`${steps} steps of default in ${((performance.now() - started) / 1000).toFixed(0)} s; ${await page.textContent('#progress-text')}`);
  console.log(await page.textContent('#log'));
  await drawOne(page);
  mkdirSync(join(repository, 'test/web/screenshots'), { recursive: true });
  await page.screenshot({ path: output, fullPage: true });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  await server.close();
}
process.exit(0);
