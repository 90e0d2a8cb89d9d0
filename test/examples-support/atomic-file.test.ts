import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendJsonLine, writeFileAtomic } from '../../examples/support/atomic-file.js';

const directories: string[] = [];
/** A fresh directory under the system's temporary folder, removed after the test. */
function scratchDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  directories.push(directory);
  return directory;
}
afterEach(() => directories.splice(0).forEach((directory) => rmSync(directory, { recursive: true, force: true })));

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file behind', () => {
    const directory = scratchDirectory('tapegrad-atomic-');
    const path = join(directory, 'config.json');
    writeFileAtomic(path, '{"a":1}');
    writeFileAtomic(path, new Uint8Array([104, 105]));
    expect(readFileSync(path, 'utf8')).toBe('hi');
    expect(readdirSync(directory)).toEqual(['config.json']);
  });

  it('removes the temporary file when the rename fails', () => {
    const directory = scratchDirectory('tapegrad-atomic-');
    const path = join(directory, 'taken');
    mkdirSync(join(path, 'child'), { recursive: true });
    expect(() => writeFileAtomic(path, 'data')).toThrow();
    expect(readdirSync(directory)).toEqual(['taken']);
  });
});

describe('appendJsonLine', () => {
  it('appends one JSON object per line', () => {
    const path = join(scratchDirectory('tapegrad-jsonl-'), 'run', 'metrics.jsonl');
    appendJsonLine(path, { step: 1, loss: 9.5 });
    appendJsonLine(path, { step: 2, loss: NaN });
    expect(readFileSync(path, 'utf8')).toBe('{"step":1,"loss":9.5}\n{"step":2,"loss":null}\n');
  });
});
