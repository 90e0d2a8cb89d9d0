/**
 * WebAssembly SIMD kernels for the transcendental elementwise ops of a ViT step (exp in softmax,
 * gelu and gelu′ in every MLP), four float32 lanes at a time. Each export maps `count` v128 vectors
 * at byte address `source` to `count` vectors at `target`:
 *
 *   exp(x)     e^x:  x = k·ln2 + r, |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial, 2^k built from
 *              exponent bits in two halves (2^⌊k/2⌋ · 2^⌈k/2⌉) so that results down to subnormals and
 *              up to overflow come out right without branches;
 *   gelu(x)    ½x(1 + erf(x/√2)), erf as in core/ops/erf.ts (`erfFloat32WithGaussian`);
 *   geluDerivative(x)  ½(1 + erf(x/√2)) + x·φ(x), sharing e^(−x²/2) between erf and φ.
 *
 * Both erf branches are computed and selected per lane, so the loop has no data-dependent branch.
 */
import { FunctionBuilder, type ModuleDefinition } from '../emitter.js';
import { binaryFunctions } from './binary-kernels.js';
import { stridedCopyFunction } from './strided-copy-kernel.js';
import { rowFunctions } from './row-kernels.js';
import { sumFunctions } from './sum-kernels.js';

export type ElementwiseKernelName = 'exp' | 'gelu' | 'geluDerivative';
export const elementwiseKernelNames: readonly ElementwiseKernelName[] = ['exp', 'gelu', 'geluDerivative'];

export type ElementwiseExports = Record<ElementwiseKernelName, (source: number, target: number, count: number) => void>;

const taylorDegree = 7;
/** Clamping x here keeps k = round(x/ln2) in [−150, 129]: e^x rounds to 0 below and to Infinity above. */
const expLowest = -104;
const expHighest = 89;

/** Pushes e^x for the lanes of local `x`, using `x` and `k` (two v128 locals) as scratch. */
function emitExp(f: FunctionBuilder, [x, k]: readonly number[]): void {
  f.get(x).f32x4Const(expLowest).f32x4Max().f32x4Const(expHighest).f32x4Min().set(x);
  f.get(x).f32x4Const(Math.LOG2E).f32x4Mul().f32x4Nearest().set(k);
  // r = x − k·ln2, with ln2 split so that k·ln2High is exact in float32 (Cody and Waite)
  const ln2High = 0.693359375;
  const ln2Low = Math.LN2 - ln2High;
  f.get(x).get(k).f32x4Const(ln2High).f32x4Mul().f32x4Sub().get(k).f32x4Const(ln2Low).f32x4Mul().f32x4Sub().set(x);
  // Horner: e^r ≈ Σ rⁿ/n!, from the highest coefficient down
  let factorial = 1;
  for (let n = 1; n <= taylorDegree; n++) factorial *= n;
  f.f32x4Const(1 / factorial);
  for (let n = taylorDegree - 1; n >= 0; n--) {
    factorial /= n + 1;
    f.get(x).f32x4Mul().f32x4Const(1 / factorial).f32x4Add();
  }
  // × 2^⌊k/2⌋ × 2^(k−⌊k/2⌋): each half lies in [−75, 65], a normal float32 exponent
  f.get(k).i32x4TruncSatF32x4S().set(k);
  f.get(k).i32Const(1).i32x4ShrS().set(x); // x now holds ⌊k/2⌋ as i32 lanes
  emitPowerOfTwo(f, x).f32x4Mul();
  f.get(k).get(x).i32x4Sub().set(k);
  emitPowerOfTwo(f, k).f32x4Mul();
}

/** Pushes 2^e for the i32 lanes e of local `exponent` (−126 ≤ e ≤ 127): the bits (e + 127) << 23. */
function emitPowerOfTwo(f: FunctionBuilder, exponent: number): FunctionBuilder {
  return f.get(exponent).i32x4Const(127).i32x4Add().i32Const(23).i32x4Shl();
}

/**
 * Pushes erf(z) for z = |·| ≥ 0 in local `z`, given gaussian = e^(−z²) in local `gaussian`; the
 * Taylor series below 0.5 and Abramowitz & Stegun 7.1.26 above, as erfFloat32WithGaussian.
 */
function emitErfMagnitude(f: FunctionBuilder, z: number, gaussian: number, [z2, t]: readonly number[]): void {
  // small: 2/√π · z · (1 − z²(1/3 − z²(1/10 − z²(1/42 − z²(1/216 − z²/1320)))))
  f.get(z).get(z).f32x4Mul().set(z2);
  const small = [1 / 3, 0.1, 1 / 42, 1 / 216, 1 / 1320];
  f.f32x4Const(small[small.length - 1]);
  for (let i = small.length - 2; i >= 0; i--) f.get(z2).f32x4Mul().set(t).f32x4Const(small[i]).get(t).f32x4Sub();
  f.get(z2).f32x4Mul().set(t).f32x4Const(1).get(t).f32x4Sub().get(z).f32x4Mul().f32x4Const(2 / Math.sqrt(Math.PI)).f32x4Mul();
  // large: 1 − t·P(t)·e^(−z²), t = 1/(1 + p z)
  f.f32x4Const(1).f32x4Const(1).get(z).f32x4Const(0.3275911).f32x4Mul().f32x4Add().f32x4Div().set(t);
  const large = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];
  f.f32x4Const(large[large.length - 1]);
  for (let i = large.length - 2; i >= 0; i--) f.get(t).f32x4Mul().f32x4Const(large[i]).f32x4Add();
  f.get(t).f32x4Mul().get(gaussian).f32x4Mul().set(t).f32x4Const(1).get(t).f32x4Sub();
  // stack: small, large; mask z < 0.5 keeps small
  f.get(z).f32x4Const(0.5).f32x4Lt().v128Bitselect();
}

/** Pushes erf(x/√2) with x's sign, leaving e^(−x²/2) in local `gaussian`. */
function emitErfOfScaled(f: FunctionBuilder, x: number, gaussian: number, scratch: readonly number[]): void {
  const [z, a, b] = scratch;
  f.get(x).get(x).f32x4Mul().f32x4Const(-0.5).f32x4Mul().set(a);
  emitExp(f, [a, b]);
  f.set(gaussian);
  f.get(x).f32x4Abs().f32x4Const(Math.SQRT1_2).f32x4Mul().set(z);
  emitErfMagnitude(f, z, gaussian, [a, b]);
  // copy x's sign bit onto the non-negative magnitude
  f.get(x).i32x4Const(-0x80000000).v128And().v128Or();
}

/** Pushes f(x) for the lanes of local `x` (exp uses `x` as scratch). Fused kernels reuse these, so fused and unfused lanes agree bit for bit. */
export type Body = (f: FunctionBuilder, x: number) => void;

export const elementwiseBodies: Record<ElementwiseKernelName, Body> = {
  exp: (f, x) => {
    const [k] = f.locals('v128', 1);
    emitExp(f, [x, k]);
  },
  gelu: (f, x) => {
    const [gaussian, ...scratch] = f.locals('v128', 4);
    emitErfOfScaled(f, x, gaussian, scratch);
    f.f32x4Const(1).f32x4Add().get(x).f32x4Mul().f32x4Const(0.5).f32x4Mul();
  },
  geluDerivative: (f, x) => {
    const [gaussian, ...scratch] = f.locals('v128', 4);
    emitErfOfScaled(f, x, gaussian, scratch);
    f.f32x4Const(1).f32x4Add().f32x4Const(0.5).f32x4Mul();
    f.get(x).get(gaussian).f32x4Mul().f32x4Const(1 / Math.sqrt(2 * Math.PI)).f32x4Mul().f32x4Add();
  },
};

/** One export: for each of `count` vectors, load x from source, store f(x) to target. */
function kernelFunction(name: ElementwiseKernelName): FunctionBuilder {
  const f = new FunctionBuilder(name, ['i32', 'i32', 'i32']);
  const [source, target, count] = [0, 1, 2];
  const x = f.local('v128');
  f.block((done) => {
    f.get(count).i32Eqz().brIf(done);
    f.loop((next) => {
      f.get(source).v128Load().set(x);
      f.get(target);
      elementwiseBodies[name](f, x);
      f.v128Store();
      f.addTo(source, 16).addTo(target, 16).addTo(count, -1);
      f.get(count).brIf(next);
    });
  });
  return f;
}

export function elementwiseModule(memory: { initialPages: number; maximumPages: number; shared: boolean }): ModuleDefinition {
  return {
    memory: { module: 'env', name: 'memory', ...memory },
    functions: [...elementwiseKernelNames.map(kernelFunction), ...binaryFunctions(), ...sumFunctions(), ...rowFunctions(), stridedCopyFunction('float'), stridedCopyFunction('vector')].map((f) => f.definition()),
  };
}
