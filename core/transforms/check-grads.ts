import { withBackend } from '../backend/index.js';
import { allocate, isFloat } from '../dtype.js';
import { GradientCheckError, OptionError } from '../errors.js';
import { treeFlatten, treeUnflatten } from '../pytree.js';
import { Tensor, fromData } from '../tensor.js';
import { flattenDifferentiable } from './differentiable.js';
import { jvp } from './jvp.js';
import { vjp } from './vjp.js';

export type CheckMode = 'fwd' | 'rev';

export interface CheckGradsOptions {
  /** 1 checks first derivatives; 2 also checks the derivatives of the jvp and vjp themselves. */
  readonly order?: 1 | 2;
  /** `fwd` compares jvp with central differences; `rev` checks ⟨v, Jᵀu⟩ = ⟨Jv, u⟩ with Jv from differences. */
  readonly modes?: readonly CheckMode[];
  /** Step of the central differences (default 1e-5, in float64). */
  readonly eps?: number;
  readonly atol?: number;
  readonly rtol?: number;
  /** Seed of the random directions (default 0). */
  readonly seed?: number;
}

/**
 * Checks the derivatives of `f` against central finite differences along random directions, in the
 * manner of JAX's `check_grads`. Float arguments are cast to float64 and everything runs on the
 * reference backend. Throws a `GradientCheckError` describing the first disagreement.
 * `args` are the positional arguments, all differentiated (pytrees of float tensors: the error names
 * an argument's leaf that is not); `f` returns a pytree of tensors.
 */
export function checkGrads(f: (...args: any[]) => unknown, args: readonly unknown[], options: CheckGradsOptions = {}): void {
  const { order = 1, modes = ['fwd', 'rev'], eps = 1e-5, atol = 1e-6, rtol = 1e-6, seed = 0 } = options;
  if (order !== 1 && order !== 2) throw new OptionError(`checkGrads: order must be 1 or 2, got ${order}`);
  modes.forEach((m) => {
    if (m !== 'fwd' && m !== 'rev') throw new OptionError(`checkGrads: unknown mode ${JSON.stringify(m)}; allowed: fwd, rev`);
  });
  const remedy = 'close over values that are not differentiated instead';
  args.forEach((arg, i) => flattenDifferentiable('checkGrads', i, arg, remedy));
  withBackend('reference', () => {
    const random = gaussianSource(seed);
    const [leaves, def] = treeFlatten(args);
    const args64 = treeUnflatten<unknown[]>(def, leaves.map(toFloat64));
    checkOrder(f, args64, { order, modes, eps, atol, rtol, random });
  });
}

interface Settings {
  readonly order: number;
  readonly modes: readonly CheckMode[];
  readonly eps: number;
  readonly atol: number;
  readonly rtol: number;
  readonly random: () => number;
}

function checkOrder(f: (...args: any[]) => unknown, args: unknown[], settings: Settings): void {
  const { modes, order, random } = settings;
  const [leaves, def] = treeFlatten(args);
  const direction = treeUnflatten<unknown[]>(def, leaves.map((leaf) => randomLike(leaf, random)));
  const differences = centralDifference(f, args, direction, settings.eps);
  const label = `order ${order}`;
  if (modes.includes('fwd')) {
    const [, tangent] = jvp(f, args, direction);
    const [tangentLeaves] = treeFlatten(tangent);
    tangentLeaves.forEach((t, i) => compareArrays(`checkGrads (fwd, ${label}): output ${i}: jvp`, t.dataSync(), differences[i], settings));
  }
  if (modes.includes('rev')) {
    const [out, vjpFn] = vjp(f, ...args);
    const [outLeaves, outDef] = treeFlatten(out);
    const cotangent = treeUnflatten(outDef, outLeaves.map((leaf) => randomLike(leaf, random)));
    const [cotangentLeaves] = treeFlatten(cotangent);
    const pulled = treeFlatten(vjpFn(cotangent))[0];
    const [directionLeaves] = treeFlatten(direction);
    const viaVjp = sumOfDots(directionLeaves.map((d) => d.dataSync()), pulled.map((p) => p.dataSync()));
    const viaDifferences = sumOfDots(differences, cotangentLeaves.map((c) => c.dataSync()));
    compareArrays(`checkGrads (rev, ${label}): <v, Jᵀu>`, [viaVjp], [viaDifferences], settings);
  }
  if (order === 2) {
    const next = { ...settings, order: 1 };
    if (modes.includes('fwd')) checkOrder((...x: unknown[]) => jvp(f, x, direction)[1], args, next);
    if (modes.includes('rev')) {
      const [out] = vjp(f, ...args);
      const [outLeaves, outDef] = treeFlatten(out);
      const cotangent = treeUnflatten(outDef, outLeaves.map((leaf) => randomLike(leaf, random)));
      checkOrder((...x: unknown[]) => vjp(f, ...x)[1](cotangent), args, next);
    }
  }
}

/** (f(x + εv) − f(x − εv)) / 2ε for each output leaf, as float64 arrays (tests of jacobians use it too). */
export function centralDifference(f: (...args: any[]) => unknown, args: unknown[], direction: unknown[], eps: number): Float64Array[] {
  const [leaves, def] = treeFlatten(args);
  const [directionLeaves] = treeFlatten(direction);
  const shifted = (sign: number) => {
    const moved = leaves.map((leaf, i) => {
      const x = leaf.dataSync();
      const v = directionLeaves[i].dataSync();
      const data = allocate('float64', x.length);
      for (let j = 0; j < x.length; j++) data[j] = x[j] + sign * eps * v[j];
      return fromData(data, leaf.shape);
    });
    return treeFlatten(f(...treeUnflatten<unknown[]>(def, moved)))[0].map((t) => t.dataSync());
  };
  const plus = shifted(1);
  const minus = shifted(-1);
  return plus.map((p, i) => Float64Array.from(p, (value, j) => (value - minus[i][j]) / (2 * eps)));
}

function compareArrays(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, { atol, rtol }: Settings): void {
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= atol + rtol * Math.abs(expected[i]))) {
      throw new GradientCheckError(
        `${what}[${i}] = ${actual[i]} but finite differences give ${expected[i]} (error ${error.toExponential(2)} > atol ${atol} + rtol ${rtol} · |expected|)`,
      );
    }
  }
}

function sumOfDots(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  let total = 0;
  a.forEach((x, i) => {
    for (let j = 0; j < x.length; j++) total += x[j] * b[i][j];
  });
  return total;
}

function toFloat64(leaf: Tensor): Tensor {
  return fromData(Float64Array.from(leaf.dataSync()), leaf.shape);
}

function randomLike(leaf: Tensor, random: () => number): Tensor {
  const data = allocate(leaf.dtype, leaf.size);
  // an integer output gets a zero cotangent
  if (isFloat(leaf.dtype)) for (let i = 0; i < data.length; i++) data[i] = random();
  return fromData(data, leaf.shape);
}

/** Standard normal numbers from a small seeded generator (mulberry32 + Box–Muller); local to checkGrads. */
function gaussianSource(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
