/**
 * The library's browser path: nothing under core/, nn/ or ssl/ imports a Node built-in at load time
 * (a browser bundle would hold it); Node's modules are reached only through platform/node-builtin.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

// a static or dynamic import, an export-from or a require of a Node built-in (type-only imports are erased)
const nodeImport = /(?:\bimport\s+(?!type\b)[^'";]*?\bfrom\s*|\bexport\s+[^'";]*?\bfrom\s*|(?<!typeof\s+)\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)['"](node:[\w/]+|fs|path|os|crypto|worker_threads|child_process|url|module)['"]/g;

describe('the browser path', () => {
  it('core, nn and ssl import no Node built-in', () => {
    const offenders = ['core', 'nn', 'ssl'].flatMap(sources).flatMap((path) => {
      const text = readFileSync(path, 'utf8');
      return [...text.matchAll(nodeImport)].map((match) => `${path}: ${match[1]}`);
    });
    // the one allowed: the source text of a Node worker (worker_threads' adapter), run only in Node
    expect(offenders).toEqual(['core/backend/wasm/matmul/worker-host.ts: node:worker_threads']);
  });

  it('the check finds an import of a Node built-in when there is one', () => {
    for (const line of ["import { readFileSync } from 'node:fs';", "import * as os from 'os';", "const w = require('node:worker_threads');", "export { x } from 'node:path';", "await import('node:crypto');"]) {
      expect([...line.matchAll(nodeImport)].length, line).toBe(1);
    }
    expect([...`type T = typeof import('node:fs');`.matchAll(nodeImport)].length).toBe(0);
    expect([...`import type { Worker } from 'node:worker_threads';`.matchAll(nodeImport)].length).toBe(0);
  });
});
