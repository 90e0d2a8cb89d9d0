/**
 * Gradient clipping: DINO's per-parameter rule and PyTorch's global-norm rule. Both leave `null`
 * leaves (parameters without a gradient) alone. Norms and coefficients stay tensors (no value is read
 * on the host), so a training step that clips can run under `jit`.
 */
import { OptionError, type PyTree, type Tensor, add, div, minimum, mul, scalar, sqrt, square, sum, treeFlatten, treeUnflatten } from '../core/index.js';

/** ‖g‖₂ over the whole tensor, a scalar tensor. */
export function tensorNorm(gradient: Tensor): Tensor {
  return sqrt(sum(square(gradient)));
}

function checkMaxNorm(fn: string, maxNorm: number): void {
  if (!(typeof maxNorm === 'number' && maxNorm > 0)) throw new OptionError(`${fn}: option maxNorm must be a positive number; got ${JSON.stringify(maxNorm)}`);
}

/** min(1, maxNorm/(norm + 1e-6)): multiplying by it is the identity when the norm is under the cap. */
function clipCoefficient(norm: Tensor, maxNorm: number): Tensor {
  return minimum(div(maxNorm, add(norm, 1e-6)), 1);
}

/**
 * DINO's `utils.clip_gradients`: each tensor on its own, n = ‖g‖₂, coef = maxNorm/(n + 1e-6),
 * g ← g·coef when coef < 1 (here g·min(1, coef), the same values). Returns the clipped grads and each
 * tensor's norm before clipping (scalar tensors, in `treeFlatten` order).
 */
export function clipGradientsPerParam(grads: PyTree, maxNorm = 3): { grads: PyTree; norms: Tensor[] } {
  checkMaxNorm('clipGradientsPerParam', maxNorm);
  const [leaves, def] = treeFlatten(grads);
  const norms = leaves.map(tensorNorm);
  const clipped = leaves.map((g, i) => mul(g, clipCoefficient(norms[i], maxNorm)));
  return { grads: treeUnflatten(def, clipped), norms };
}

/**
 * `torch.nn.utils.clip_grad_norm_`: total = ‖(‖g₁‖, ‖g₂‖, …)‖₂, every gradient scaled by
 * min(1, maxNorm/(total + 1e-6)). Returns the scaled grads and the total norm before clipping (a scalar tensor).
 */
export function clipByGlobalNorm(grads: PyTree, maxNorm: number): { grads: PyTree; norm: Tensor } {
  checkMaxNorm('clipByGlobalNorm', maxNorm);
  const [leaves, def] = treeFlatten(grads);
  const squares = leaves.map((g) => sum(square(g)));
  const norm = sqrt(squares.length === 0 ? scalar(0) : squares.reduce((total, next) => add(total, next)));
  const coef = clipCoefficient(norm, maxNorm);
  return { grads: treeUnflatten(def, leaves.map((g) => mul(g, coef))), norm };
}
