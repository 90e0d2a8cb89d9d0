import { formatShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { treeFlatten } from '../pytree.js';
import { traceOnTape } from './vjp.js';

/**
 * Traces `f(...args)` and returns what the tape recorded, one line per op:
 * `t3 = matmul(x0 [2, 3], t2 [3, 4]) → [2, 4]  keeps a, b`. Arguments are named x0, x1, …, op results t1,
 * t2, …, and tensors the tape never watched (constants) `const`. Layout-only aliases of the arguments
 * are not shown.
 */
export function printTape(f: (...args: any[]) => unknown, ...args: unknown[]): string {
  // printing differentiates nothing, so integer leaves and plain values are allowed (and not watched)
  const { tape, inputs } = traceOnTape(f, args, (arg, i) => treeFlatten(arg, 'printTape', `argument ${i}`));
  const names = new Map<number, string>();
  inputs.flat().forEach((alias, i) => names.set(alias.id, `x${i}`));
  const describe = (t: Tensor) => `${names.get(t.id) ?? 'const'} ${formatShape(t.shape)}`;
  return tape.records
    .map((record, i) => {
      const name = `t${i + 1}`;
      names.set(record.output.id, name);
      const inputsText = record.inputs.map(describe).join(', ');
      const attrs = describeAttrs(record.attrs);
      const kept = Object.keys(record.saved);
      const keeps = kept.length ? `  keeps ${kept.join(', ')}` : '';
      return `${name} = ${record.op.name}(${inputsText}${attrs}) → ${record.output.dtype} ${formatShape(record.output.shape)}${keeps}`;
    })
    .join('\n');
}

/** `, key=value` for an op's plain attributes (functions and objects left out). */
export function describeAttrs(attrs: unknown): string {
  if (attrs === null || typeof attrs !== 'object') return '';
  const entries = Object.entries(attrs).filter(([, v]) => typeof v !== 'function' && (typeof v !== 'object' || Array.isArray(v)));
  return entries.map(([k, v]) => `, ${k}=${JSON.stringify(v)}`).join('');
}
