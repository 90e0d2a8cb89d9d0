import { describe, expect, it } from 'vitest';
import { main } from '../../examples/compose.js';

describe('examples/compose', () => {
  it('trains the pure-function perceptron: the loss falls and test digits are mostly right', () => {
    const lines: string[] = [];
    const result = main(['--steps', '75'], (line) => lines.push(line));
    expect(result.lastLoss).toBeLessThan(0.5 * result.firstLoss);
    expect(result.testAccuracy).toBeGreaterThan(70);
    expect(result.parameters).toBe(196 * 64 + 64 + 64 * 10 + 10);
    expect(lines.some((line) => line.startsWith('step   75  loss'))).toBe(true);
    expect(lines.at(-2)).toMatch(/^test accuracy on 400 digits: \d+\.\d %/);
  });
});
