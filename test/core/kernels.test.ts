/**
 * Every kernel compiled by gpu.js against the reference backend, in each gpu.js mode this machine has
 * and on WebGPU where an adapter answers (SwiftShader here: see test/support/webgpu.ts), on the same
 * drawn inputs as the gradient tests (cast to float32), with float32 tolerances. The vjp of each op is
 * checked the same way, so backward kernels are covered too.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { gradientCases } from '../support/gradient-cases.js';
import { webgpuMissing } from '../support/webgpu.js';

/** Runs per op and mode; WebGPU compiles a shader per op and shape, which SwiftShader does slowly. */
const runsIn = (mode: tg.BackendChoice) => (mode === 'webgpu' ? 8 : 15);
const ATOL = 2e-5;
const RTOL = 2e-4;

const toFloat32 = (t: Tensor) => (t.dtype === 'float64' ? tg.cast(t, 'float32') : t);

function expectClose(actual: Tensor, expected: Tensor, what: string, mode: tg.BackendChoice): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= ATOL + RTOL * Math.abs(e[i]))) {
      expect.fail(`${what}: element ${i} is ${a[i]} on ${mode} but ${e[i]} on the reference backend`);
    }
  }
}

/** The gpu.js modes that actually start here (a mode that falls back is not counted as present). */
const modes = tg.availableGpuModes();
const kernelModes: tg.BackendChoice[] = [...modes, ...(webgpuMissing === null ? (['webgpu'] as const) : [])];

describe.each(kernelModes)('%s kernels match the reference backend', (mode) => {
  afterAll(() => tg.setBackend('reference'));
  const RUNS = runsIn(mode);

  for (const [name, arbitrary] of Object.entries(gradientCases)) {
    it(`${name} forward and vjp (${RUNS} runs)`, () => {
      fc.assert(
        fc.property(arbitrary, ({ f, args }) => {
          const inputs = args.map(toFloat32);
          const run = () => {
            const [out, vjpFn] = tg.vjp(f, ...inputs);
            const cotangent = tg.onesLike(out as Tensor);
            return { out: out as Tensor, grads: vjpFn(cotangent) as Tensor[] };
          };
          const expected = tg.withBackend('reference', run);
          const actual = tg.withBackend(mode, run);
          expectClose(actual.out, expected.out, `${name} forward`, mode);
          actual.grads.forEach((g, i) => expectClose(g, expected.grads[i], `${name} vjp of argument ${i}`, mode));
        }),
        { numRuns: RUNS, seed: 3 },
      );
    });
  }
});

describe('gpu.js modes', () => {
  it('at least one compiled mode is present', () => {
    expect(modes.length).toBeGreaterThan(0);
  });

  it('backendInfo names the mode and the dtypes its kernels run', () => {
    const info = tg.withBackend('gpujs', () => tg.backendInfo());
    expect(info.name).toBe('gpujs');
    expect(['webasm', 'headlessgl', 'cpu']).toContain(info.mode);
    expect(info.kernelDTypes).toEqual(['float32']);
  });
});
