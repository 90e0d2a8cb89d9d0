/**
 * Golden vectors from test/fixtures (PyTorch float64 runs of the official formulas), read at test
 * time, never pasted into code, and the comparison helpers the nn and ssl tests share.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type NestedArray, type PyTree, type Tensor, tensor, unflattenNamed } from '../../core/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function loadFixture(name: string): any {
  return JSON.parse(readFileSync(path.resolve(repoRoot, 'test/fixtures', name), 'utf8'));
}

/** A float64 tensor from nested lists. */
export const f64 = (values: NestedArray): Tensor => tensor(values, { dtype: 'float64' });

/** Official dotted names → nested float64 params. */
export function paramsFromNamed(named: Record<string, NestedArray>): PyTree {
  return unflattenNamed(Object.fromEntries(Object.entries(named).map(([k, v]) => [k, f64(v)])));
}

function flat(values: NestedArray): number[] {
  return Array.isArray(values) ? values.flatMap(flat) : [values];
}

/** max |actual − expected| over all elements; throws on a shape (size) mismatch. */
export function maxAbsDiff(actual: Tensor, expected: NestedArray): number {
  const a = actual.dataSync();
  const e = flat(expected);
  if (a.length !== e.length) throw new Error(`size mismatch: actual ${actual.shape} (${a.length}) vs expected ${e.length}`);
  let worst = 0;
  for (let i = 0; i < e.length; i++) {
    const error = Math.abs(a[i] - e[i]);
    if (Number.isNaN(error)) return NaN;
    worst = Math.max(worst, error);
  }
  return worst;
}

/** Largest error per fixture group, printed once at the end of a file. */
export const fixtureErrors = new Map<string, number>();
export function record(group: string, error: number): number {
  fixtureErrors.set(group, Math.max(fixtureErrors.get(group) ?? 0, error));
  return error;
}

/** max |actual − expected| over nested arrays of the same shape (a shape mismatch fails the test). */
export function maxAbsError(actual: NestedArray, expected: NestedArray): number {
  if (typeof actual === 'number' || typeof expected === 'number') {
    expect(typeof actual).toBe(typeof expected);
    return Math.abs((actual as number) - (expected as number));
  }
  expect(actual.length).toBe(expected.length);
  return actual.reduce<number>((worst, a, i) => Math.max(worst, maxAbsError(a, expected[i])), 0);
}

/**
 * A recorder for one test file: `check(group, error)` fails the test when error exceeds the tolerance
 * and remembers the largest error per group; `report()` prints them (for closing notes).
 */
export function goldenChecks(label: string, tolerance = 1e-9) {
  const worst: Record<string, number> = {};
  return {
    check(group: string, error: number): void {
      worst[group] = Math.max(worst[group] ?? 0, error);
      expect(error).toBeLessThanOrEqual(tolerance);
    },
    report(): void {
      console.log(`${label} fixtures, max |error|:`, JSON.stringify(worst));
    },
  };
}
