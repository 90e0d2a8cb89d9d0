/**
 * The batching property: `vmap(f, {inAxes, outAxes})` of stacked examples equals stacking `f` of
 * each example, with the batch size, every argument's in-axis (or null: shared by all examples) and
 * the out-axis drawn, negative axes included. Float64 on the reference backend; the batched kernels
 * do each example's arithmetic in the same order, so the tolerance is a few ulps.
 */
import fc from 'fast-check';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import type { BatchCase } from './batching-cases.js';

export const BATCH_TOLERANCE = 1e-12;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Whether vmap agreed with the loop; throws only where vmap or f does. */
function agrees({ f, example }: BatchCase, size: number, choices: readonly number[], outChoice: number, negative: boolean): boolean {
  const examples = range(size).map(example);
  const axes: (number | null)[] = examples[0].map((arg, i): number | null => {
    if (choices[i] < 0) return null;
    const axis = choices[i] % (arg.rank + 1);
    return negative ? axis - (arg.rank + 1) : axis;
  });
  if (!axes.some((a) => a !== null)) axes[0] = 0;
  const argsOf = (b: number) => examples[0].map((arg, i) => (axes[i] === null ? arg : examples[b][i]));
  const batched = examples[0].map((arg, i) => (axes[i] === null ? arg : tg.stack(examples.map((e) => e[i]), axes[i]!)));
  const results = range(size).map((b) => f(...argsOf(b)));
  const rank = results[0].rank + 1;
  const outAxis = negative ? (outChoice % rank) - rank : outChoice % rank;
  const expected = tg.stack(results, outAxis);
  const actual = tg.vmap(f, { inAxes: axes, outAxes: outAxis })(...batched);
  return sameValues(actual, expected);
}

function sameValues(actual: Tensor, expected: Tensor): boolean {
  if (actual.dtype !== expected.dtype || actual.shape.join() !== expected.shape.join()) return false;
  const a = actual.dataSync();
  const e = expected.dataSync();
  return a.every((value, i) => Math.abs(value - e[i]) <= BATCH_TOLERANCE * Math.max(1, Math.abs(e[i])));
}

export function batchingProperty(arbitrary: fc.Arbitrary<BatchCase>) {
  return fc.property(
    arbitrary,
    fc.integer({ min: 1, max: 3 }),
    fc.array(fc.integer({ min: -1, max: 4 }), { minLength: 4, maxLength: 4 }),
    fc.nat(4),
    fc.boolean(),
    (batchCase, size, choices, outChoice, negative) => tg.withBackend('reference', () => agrees(batchCase, size, choices, outChoice, negative)),
  );
}
