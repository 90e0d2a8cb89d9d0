/**
 * Validation of layer configurations: every error names the layer, the option and what is allowed,
 * so a typo (`embed_dim` for `embedDim`) or a bad choice fails at init instead of deep in a forward.
 */
import { OptionError } from '../core/index.js';

/** Throws when `config` holds a key outside `allowed`. */
export function checkKnownOptions(layer: string, config: object, allowed: readonly string[]): void {
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key)) {
      throw new OptionError(`${layer}: unknown option ${JSON.stringify(key)}; allowed options: ${allowed.join(', ')}`);
    }
  }
}

/** Throws unless `value` is one of `allowed`. */
export function checkChoice<T extends string>(layer: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new OptionError(`${layer}: option ${option} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(layer: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new OptionError(`${layer}: option ${option} must be an integer ≥ ${min}; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Throws unless `value` is a number in [min, max] (or [min, max) with `openTop`). */
export function checkRange(layer: string, option: string, value: unknown, min: number, max: number, openTop = false): number {
  const inside = typeof value === 'number' && value >= min && (openTop ? value < max : value <= max);
  if (!inside) {
    throw new OptionError(`${layer}: option ${option} must be a number in [${min}, ${max}${openTop ? ')' : ']'}; got ${JSON.stringify(value)}`);
  }
  return value as number;
}
