/**
 * Backends own their kernels: an op file declares its shape rule, kernel function and vjp and imports
 * nothing from core/backend; a backend's kernel table names the ops it runs its own way, and a profile
 * says which implementation made each output.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import type { Tensor } from '../../core/index.js';
import { wasmElementwise } from '../../core/backend/wasm/elementwise/index.js';
import { wasmKernels } from '../../core/backend/wasm/kernels.js';
import { wgslKernels } from '../../core/backend/webgpu/wgsl-kernels.js';
import type { OpName } from '../../core/ops/names.js';
import { apply } from '../../core/op.js';
import { webgpuMissing } from '../support/webgpu.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');

// every import or export-from specifier, type-only ones included
const specifiers = (text: string) => [...text.matchAll(/\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]);

/** The core/backend files that `file` (a path under the repository) imports. */
function backendImports(file: string, text: string): string[] {
  return specifiers(text)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(root, resolve(dirname(join(root, file)), spec)))
    .filter((target) => target === 'core/backend' || target.startsWith('core/backend/'));
}

describe('op files and transforms know nothing of backend kernels', () => {
  it('no file in core/ops imports from core/backend', () => {
    const files = readdirSync(join(root, 'core/ops')).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.flatMap((name) => backendImports(`core/ops/${name}`, readFileSync(join(root, 'core/ops', name), 'utf8')).map((target) => `${name} → ${target}`));
    expect(offenders).toEqual([]);
  });

  it('no file in core/transforms imports from core/backend/wasm (fusion is what a backend offers: Backend.fusion)', () => {
    const files = readdirSync(join(root, 'core/transforms')).filter((name) => name.endsWith('.ts'));
    expect(files).toContain('jit-fusion.ts');
    const offenders = files.flatMap((name) =>
      backendImports(`core/transforms/${name}`, readFileSync(join(root, 'core/transforms', name), 'utf8'))
        .filter((target) => target.startsWith('core/backend/wasm'))
        .map((target) => `${name} → ${target}`),
    );
    expect(offenders).toEqual([]);
    expect(backendImports('core/transforms/jit.ts', "import { wasmFusedAvailable } from '../backend/wasm/elementwise/index.js';")).toEqual(['core/backend/wasm/elementwise/index.js']);
  });

  it('the scan finds such an import when there is one', () => {
    for (const line of ["import { wasmSum } from '../backend/wasm/elementwise/index.js';", "import type { Backend } from '../backend/backend.js';", "export { x } from '../backend/index.js';"]) {
      expect(backendImports('core/ops/reduce.ts', line), line).toHaveLength(1);
    }
    expect(backendImports('core/ops/reduce.ts', "import { sum } from './reduce.js';")).toEqual([]);
  });
});

const x = () => tg.random.normal(tg.random.key(1), [4, 16]);
const y = () => tg.random.normal(tg.random.key(2), [4, 16]);
const vector = (seed: number) => tg.random.normal(tg.random.key(seed), [16]);

/** Inputs and attributes for one call of each op in a kernel table. */
const calls: Record<string, () => [Tensor[], object]> = {
  exp: () => [[x()], {}],
  neg: () => [[x()], {}],
  abs: () => [[x()], {}],
  square: () => [[x()], {}],
  sqrt: () => [[tg.abs(x())], {}],
  gelu: () => [[x()], {}],
  geluDerivative: () => [[x()], {}],
  add: () => [[x(), y()], {}],
  sub: () => [[x(), y()], {}],
  mul: () => [[x(), y()], {}],
  div: () => [[x(), y()], {}],
  sum: () => [[x()], { axes: [1], keepDims: false }],
  matmul: () => [[tg.random.normal(tg.random.key(3), [2, 8, 8]), tg.random.normal(tg.random.key(4), [2, 8, 8])], {}],
  softmax: () => [[x()], {}],
  logSoftmax: () => [[x()], {}],
  standardize: () => [[x()], { eps: 1e-5 }],
  scaleShift: () => [[x(), vector(5), vector(6)], {}],
  tanh: () => [[x()], {}],
};

/** Which implementations made the outputs of one call of `name`. */
function implementationsOf(name: OpName): Record<string, number> {
  const [inputs, attrs] = calls[name]();
  const { profile } = tg.profileOps(() => apply(tg.opTable[name], inputs, attrs));
  return { ...profile.find((entry) => entry.op === name)!.implementations };
}

describe('kernel tables', () => {
  const tabled = Object.keys(wasmKernels) as OpName[];

  it('every entry of the wasm table has a call here, and tanh (no entry) stands for the rest', () => {
    expect(Object.keys(calls).sort()).toEqual([...tabled, 'tanh'].sort());
  });

  it.runIf(tg.availableGpuModes().includes('webasm'))('on webasm, the wasm table runs its ops and gpu.js the others', () => {
    tg.withBackend('webasm', () => {
      expect([...tg.backendInfo().ownKernels].sort()).toEqual([...tabled].sort());
      for (const name of tabled) expect(implementationsOf(name), name).toEqual({ wasm: 1 });
      expect(implementationsOf('tanh')).toEqual({ gpujs: 1 });
      // the output is the table's kernel's own, bit for bit
      const input = x();
      expect(Array.from(tg.exp(input).dataSync())).toEqual(Array.from(wasmElementwise('exp', input.dataSync() as Float32Array)!));
    });
  });

  it('on the reference backend, every op runs its kernel function', () => {
    tg.withBackend('reference', () => {
      expect(tg.backendInfo().ownKernels).toEqual([]);
      for (const name of [...tabled, 'tanh' as const]) expect(implementationsOf(name), name).toEqual({ reference: 1 });
    });
  });

  it.skipIf(webgpuMissing !== null)('on webgpu, the WGSL table runs its ops and gpu.js the others', () => {
    tg.withBackend('webgpu', () => {
      expect(tg.backendInfo().ownKernels).toEqual(Object.keys(wgslKernels));
      expect(implementationsOf('matmul')).toEqual({ wgsl: 1 });
      expect(implementationsOf('exp')).toEqual({ gpujs: 1 });
    });
  });

  it('a profile names the implementations of each op class', () => {
    const text = tg.withBackend('reference', () => tg.formatOpProfile(tg.profileOps(() => tg.reshape(tg.exp(x()), [64])).profile));
    expect(text).toContain('exp (reference)');
    expect(text).toContain('reshape (view)');
  });
});
