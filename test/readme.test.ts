/** The README's code must run as written: its ten-line grad example is extracted and executed here. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const example = path.join(root, '.readme-example.tmp.ts');

describe('README', () => {
  afterAll(() => rmSync(example, { force: true }));

  it('the grad example runs and prints what its comments say', async () => {
    const block = readme.split('## A gradient in ten lines')[1].split('```ts\n')[1].split('```')[0];
    expect(block.split('\n').filter((line) => line.trim() !== '').length).toBeLessThanOrEqual(10);
    writeFileSync(example, `// @ts-nocheck\n${block}`);
    const printed: unknown[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((value: unknown) => void printed.push(value));
    try {
      await import(example);
    } finally {
      log.mockRestore();
    }
    const [first, second] = printed as number[][];
    const x = [0.5, -1, 2];
    first.forEach((v, i) => expect(v).toBeCloseTo(2 * x[i] * (1 - Math.tanh(x[i] ** 2) ** 2), 12));
    expect(second).toHaveLength(3);
  });
});
