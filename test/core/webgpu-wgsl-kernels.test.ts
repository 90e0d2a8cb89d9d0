/**
 * The hand-written WGSL kernels (core/backend/webgpu/wgsl-*.ts) against the reference backend, on
 * shapes with odd row lengths, one-element rows and more rows than a workgroup, both op by op and
 * inside a compiled jit program (where they run as steps of the device program).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { apply } from '../../core/op.js';
import type { OpName } from '../../core/ops/names.js';
import { webgpuMissing } from '../support/webgpu.js';

const ATOL = 2e-5;
const RTOL = 2e-4;

function expectClose(actual: Tensor, expected: Tensor, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const [a, e] = [actual.dataSync(), expected.dataSync()];
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= ATOL + RTOL * Math.abs(e[i]))) expect.fail(`${what}: element ${i} is ${a[i]} on webgpu but ${e[i]} on the reference backend`);
  }
}

const normal = (seed: number, shape: number[], scale = 3) => tg.random.normal(tg.random.key(seed), shape, { dtype: 'float32' }).mul(scale);
const shapes = [[1, 1], [3, 7], [130, 5], [2, 3, 17], [5, 64]];

/** Each case: an op, its inputs and attrs; the op runs by name, so the test reaches the kernel table. */
const cases: [string, OpName, () => Tensor[], Record<string, number>][] = [];
for (const shape of shapes) {
  const d = shape.at(-1)!;
  const tag = `[${shape}]`;
  cases.push([`standardize ${tag}`, 'standardize', () => [normal(1, shape).add(2)], { eps: 1e-5 }]);
  cases.push([`softmax ${tag}`, 'softmax', () => [normal(2, shape)], {}]);
  cases.push([`logSoftmax ${tag}`, 'logSoftmax', () => [normal(3, shape)], {}]);
  cases.push([`scaleShift ${tag}`, 'scaleShift', () => [normal(4, shape), normal(5, [d]), normal(6, [d])], {}]);
  cases.push([`scaleShift without shift ${tag}`, 'scaleShift', () => [normal(7, shape), normal(8, [d])], {}]);
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    cases.push([`${op} ${tag}`, op, () => [normal(9, shape), normal(10, shape).add(op === 'div' ? 10 : 0)], {}]);
    cases.push([`${op} ${tag} by a row`, op, () => [normal(11, shape), tg.broadcastTo(normal(12, [d]).add(op === 'div' ? 10 : 0), shape)], {}]);
    cases.push([`${op} a number by ${tag}`, op, () => [tg.broadcastTo(tg.tensor(1.5, { dtype: 'float32' }), shape), normal(13, shape).add(op === 'div' ? 10 : 0)], {}]);
  }
}

describe.skipIf(webgpuMissing !== null)('the WGSL kernels', () => {
  afterAll(() => tg.setBackend('reference'));

  it.each(cases)('%s op by op matches the reference backend', (_what, name, inputs, attrs) => {
    const args = inputs();
    const expected = tg.withBackend('reference', () => apply(tg.opTable[name], args, attrs));
    tg.withBackend('webgpu', () => {
      const { result, profile } = tg.profileOps(() => apply(tg.opTable[name], args, attrs));
      expect(profile.find((entry) => entry.op === name)!.implementations).toEqual({ wgsl: 1 });
      expectClose(result as Tensor, expected, name);
    });
  });

  it('in a compiled jit program, a LayerNorm, attention-like softmax and log-softmax give the reference values', () => {
    const f = (x: Tensor, scale: Tensor, shift: Tensor) => {
      const normed = apply(tg.opTable.scaleShift, [apply(tg.opTable.standardize, [x], { eps: 1e-6 }), scale, shift], {});
      const weights = apply(tg.opTable.softmax, [normed.mul(0.5)], {});
      const logs = apply(tg.opTable.logSoftmax, [normed.sub(weights)], {});
      return { normed, weights, logs: logs.div(tg.tensor(3, { dtype: 'float32' })) };
    };
    const args = [normal(20, [70, 33]), normal(21, [33]), normal(22, [33])];
    const expected = tg.withBackend('reference', () => f(...(args as [Tensor, Tensor, Tensor])));
    tg.withBackend('webgpu', () => {
      const jitted = tg.jit(f);
      jitted(...(args as [Tensor, Tensor, Tensor])); // traces, op by op
      for (let call = 0; call < 2; call++) {
        const got = jitted(...(args as [Tensor, Tensor, Tensor]));
        for (const key of ['normed', 'weights', 'logs'] as const) expectClose(got[key], expected[key], `compiled call ${call}: ${key}`);
      }
    });
  });
});
