/**
 * Gradient clipping: DINO's per-parameter rule and PyTorch's global-norm rule. Both leave `null`
 * leaves (parameters without a gradient) alone.
 */
import { OptionError, type PyTree, type Tensor, mul, sqrt, square, sum, treeFlatten, treeUnflatten } from '../core/index.js';

/** ‖g‖₂ over the whole tensor, as a host number. */
export function tensorNorm(gradient: Tensor): number {
  return sqrt(sum(square(gradient))).item();
}

function checkMaxNorm(fn: string, maxNorm: number): void {
  if (!(typeof maxNorm === 'number' && maxNorm > 0)) throw new OptionError(`${fn}: option maxNorm must be a positive number; got ${JSON.stringify(maxNorm)}`);
}

/**
 * DINO's `utils.clip_gradients`: each tensor on its own, n = ‖g‖₂, coef = maxNorm/(n + 1e-6),
 * g ← g·coef when coef < 1. Returns the clipped grads and each tensor's norm before clipping
 * (in `treeFlatten` order).
 */
export function clipGradientsPerParam(grads: PyTree, maxNorm = 3): { grads: PyTree; norms: number[] } {
  checkMaxNorm('clipGradientsPerParam', maxNorm);
  const [leaves, def] = treeFlatten(grads);
  const norms = leaves.map(tensorNorm);
  const clipped = leaves.map((g, i) => {
    const coef = maxNorm / (norms[i] + 1e-6);
    return coef < 1 ? mul(g, coef) : g;
  });
  return { grads: treeUnflatten(def, clipped), norms };
}

/**
 * `torch.nn.utils.clip_grad_norm_`: total = ‖(‖g₁‖, ‖g₂‖, …)‖₂, every gradient scaled by
 * min(1, maxNorm/(total + 1e-6)). Returns the scaled grads and the total norm before clipping.
 */
export function clipByGlobalNorm(grads: PyTree, maxNorm: number): { grads: PyTree; norm: number } {
  checkMaxNorm('clipByGlobalNorm', maxNorm);
  const [leaves, def] = treeFlatten(grads);
  const norm = Math.sqrt(leaves.reduce((total, g) => total + tensorNorm(g) ** 2, 0));
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  return { grads: treeUnflatten(def, coef < 1 ? leaves.map((g) => mul(g, coef)) : leaves), norm };
}
