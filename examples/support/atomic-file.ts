/**
 * File writes for example outputs. `writeFileAtomic` writes `<path>.tmp-<pid>` and renames it over
 * `path`, so a reader (or a run killed mid-write) never sees half a PNG or half a JSON file.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `data` to `path` through a temporary file in the same directory; creates the directory. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    const descriptor = openSync(temporary, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let written = 0;
      while (written < bytes.length) written += writeSync(descriptor, bytes, written, bytes.length - written);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Appends `value` as one JSON line (for metrics.jsonl); creates the directory. Not atomic: a crash
 * can leave a truncated last line, which readers of JSON Lines should skip. NaN and ±Infinity are
 * written as null, as JSON.stringify does.
 */
export function appendJsonLine(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify(value)}\n`, 'utf8');
}
