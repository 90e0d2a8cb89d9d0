/**
 * tapegrad's public entry. Start reading at `op.ts` (what an op is), then `ops/unary.ts` (ops with
 * their vjps side by side), `tape.ts`, `transforms/backward.ts` and `transforms/vjp.ts`.
 */
import './tensor-methods.js';

export { Tensor, isTensor, type NestedArray } from './tensor.js';
export type { DType, TypedArray } from './dtype.js';
export { TapegradError, ShapeError, DTypeError, OptionError, TransformError, GradientCheckError, NonFiniteError, BackendError, PlatformError } from './errors.js';
export type { AxisOption, AxesOption } from './options.js';

// constructors
export { tensor, zeros, ones, full, scalar, zerosLike, onesLike, fullLike, arange, linspace, eye, fromNdarray, type TensorOptions } from './creation.js';

// primitives
export { neg, exp, log, log1p, sqrt, rsqrt, square, abs, sign, tanh, sigmoid, relu, erf, gelu, sin, cos, reciprocal, powScalar } from './ops/unary.js';
export { add, sub, mul, div, pow, maximum, minimum } from './ops/binary.js';
export { greater, greaterEqual, less, equal } from './ops/compare.js';
export { where } from './ops/where.js';
export { sum, max, min, type ReduceOptions } from './ops/reduce.js';
export { matmul } from './ops/matmul.js';
export { reshape } from './ops/reshape.js';
export { transpose, matrixTranspose } from './ops/transpose.js';
export { broadcastTo } from './ops/broadcast.js';
export { slice, sliceAxis, type AxisSlice } from './ops/slice.js';
export { flip } from './ops/flip.js';
export { pad, type PadOptions } from './ops/pad.js';
export { concat } from './ops/concat.js';
export { take, scatterAdd } from './ops/gather.js';
export { cast } from './ops/cast.js';
export type { TensorLike } from './ops/operand.js';
export { opTable } from './ops/registry.js';
export type { OpName } from './ops/names.js';

// composites
export { mean, variance, logsumexp, type VarianceOptions } from './composites/statistics.js';
export { softmax, logSoftmax } from './composites/softmax.js';
export { layerNorm, l2Normalize, type LayerNormOptions, type L2NormalizeOptions } from './composites/normalization.js';
export { standardize } from './ops/standardize.js';
export { scaleShift } from './ops/scale-shift.js';
export { crossEntropy, type CrossEntropyOptions } from './composites/cross-entropy.js';
export { expandDims, squeeze } from './composites/axes.js';
export { stack, split } from './composites/concat.js';

// transforms
export { grad, valueAndGrad, type GradOptions, type GradOf } from './transforms/grad.js';
export { vjp, type VjpFunction } from './transforms/vjp.js';
export { jvp } from './transforms/jvp.js';
export { stopGradient } from './transforms/stop-gradient.js';
export { customVjp, type CustomVjpRule } from './transforms/custom-vjp.js';
export { checkGrads, type CheckGradsOptions, type CheckMode } from './transforms/check-grads.js';
export { printTape } from './transforms/print-tape.js';
export { printProgram } from './transforms/print-program.js';
export { jit, type JitOptions } from './transforms/jit.js';
export { setDebugNans, debugNans } from './debug-nans.js';
export { vmap, type VmapOptions } from './transforms/vmap.js';
export type { AxisSpec } from './transforms/vmap-axes.js';
export { jacfwd, jacrev, hessian, type JacobianOptions } from './transforms/jacobians.js';
export { profileOps, formatOpProfile, type OpProfileEntry } from './profile.js';

// pytrees
export {
  type PyTree, type TreeDef, type MapLeaves, type TreeMapped, type PathKey, type KeyPath,
  treeFlatten, treeUnflatten, treeLeaves, treeMap, treeLeavesWithPath, treeMapWithPath, keystr, dottedName, flattenNamed, unflattenNamed,
} from './pytree.js';

// backends
export { setBackend, backendInfo, withBackend, availableGpuModes, webgpuSupport, startWebgpuDevice, swiftShaderManifest, type BackendChoice, type BackendInfo } from './backend/index.js';

// explicit PRNG keys and checkpoints
export { random, type Key } from './random.js';
export { encodeSafetensors, decodeSafetensors, encodeSafetensorsTree, decodeSafetensorsTree, SafetensorsError, type LoadSafetensorsOptions, type LoadedSafetensors } from './io/safetensors.js';
export { saveSafetensors, saveSafetensorsSync, loadSafetensors, loadSafetensorsSync } from './io/safetensors-file.js';
