/**
 * The browser page (`npm run web` serves it, `npm run web:build` writes it to examples/web/dist/).
 * The server sends the two headers that make the page cross-origin isolated, which SharedArrayBuffer
 * and so the threaded WebAssembly matmul need; the page still runs without them, on one thread.
 * The digits come from the `mnist` package, encoded once into a static asset (digits-format.ts).
 */
import { fileURLToPath } from 'node:url';
import { type Plugin, defineConfig } from 'vite';
import { readDigit } from '../support/mnist.js';
import { crossOriginIsolation } from './chromium.js';
import { encodeDigits } from './digits-format.js';

export const digitsAsset = 'mnist-digits.bin';

let encoded: Uint8Array | undefined;
const digitBytes = () => (encoded ??= encodeDigits(Array.from({ length: 10 }, (_, digit) => readDigit(digit))));

/** Serves the digits asset in development and emits it into the build. */
function mnistDigits(): Plugin {
  return {
    name: 'tapegrad-mnist-digits',
    configureServer(server) {
      server.middlewares.use(`/${digitsAsset}`, (_request, response) => {
        response.setHeader('Content-Type', 'application/octet-stream');
        response.end(Buffer.from(digitBytes()));
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: digitsAsset, source: digitBytes() });
    },
  };
}

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  // the dependency cache beside the page, not in node_modules (which may be shared between checkouts)
  cacheDir: fileURLToPath(new URL('./.vite', import.meta.url)),
  plugins: [mnistDigits()],
  server: { headers: crossOriginIsolation, host: '127.0.0.1' },
  preview: { headers: crossOriginIsolation, host: '127.0.0.1' },
  // the page trains in a module worker, which starts the WebGPU device worker and the matmul's workers
  worker: { format: 'es' },
  // the page imports the library only in its worker, which Vite's first scan does not follow: named
  // here, the dependencies are prebundled up front instead of on first use (which reloads the page)
  optimizeDeps: { include: ['gpu.js', 'ndarray'] },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // gpu.js compiles kernels from their source text: a minifier rewrites `a > b ? 1 : 0` into
    // `+(a > b)`, which gpu.js types as Boolean and cannot compile, so the page ships unminified
    minify: false,
    chunkSizeWarningLimit: 4000,
  },
});
