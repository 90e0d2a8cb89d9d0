/**
 * Optimisers as pure functions, `(params, grads, state, hparams) → {params, state}`, with PyTorch's
 * semantics. State is kept per parameter under its dotted name and created on the parameter's first
 * update, as torch does lazily: a parameter with no gradient (a `null` leaf, or missing), in the
 * `frozen` group or not `trainable` this step gets no state, no decay and no update.
 */
import { type DType, OptionError, ShapeError, type PyTree, type Tensor, add, div, mul, scalar, sqrt, square, sub, treeFlatten, treeUnflatten, zerosLike } from '../core/index.js';
import { type GroupRule, type TrainableRule, groupOf, isTrainable, namedLeaves } from './param-groups.js';

/** One parameter's Adam moments and its own step count. */
export type AdamwSlot = { readonly step: number; readonly expAvg: Tensor; readonly expAvgSq: Tensor };
export type AdamwState = { readonly [name: string]: AdamwSlot };

export interface AdamwHparams {
  readonly lr: number;
  /** Decoupled decay for the `decay` group (torch default 0.01; DINO sets it per step from its schedule). */
  readonly weightDecay?: number;
  /** Default [0.9, 0.999]. */
  readonly betas?: readonly [number, number];
  /** Added after the square root of the bias-corrected second moment (default 1e-8). */
  readonly eps?: number;
  /** Which parameters decay, which do not, which are frozen (default: all decay). */
  readonly groups?: GroupRule;
  /** Which parameters this step may update (default: all); see `TrainableRule`. */
  readonly trainable?: TrainableRule;
}

export interface OptimizerResult<State> {
  readonly params: PyTree;
  readonly state: State;
}

/** The empty state: slots appear on each parameter's first update. */
export function initAdamw(): AdamwState {
  return {};
}

/** The gradient of each named parameter, `undefined` where the grads tree has none. */
function gradsByName(grads: unknown): Map<string, Tensor> {
  return new Map(namedLeaves(grads));
}

function checkGrad(optimizer: string, name: string, param: Tensor, gradient: Tensor): void {
  if (gradient.shape.length !== param.shape.length || gradient.shape.some((d, i) => d !== param.shape[i]) || gradient.dtype !== param.dtype) {
    throw new ShapeError(`${optimizer}: the gradient of ${name} is ${gradient.dtype} [${gradient.shape.join(', ')}] but the parameter is ${param.dtype} [${param.shape.join(', ')}]`);
  }
}

function checkHparam(optimizer: string, option: string, value: number, min: number, max = Infinity, openTop = false): void {
  if (!(typeof value === 'number' && value >= min && (openTop ? value < max : value <= max))) {
    throw new OptionError(`${optimizer}: option ${option} must be a number in [${min}, ${max}${openTop ? ')' : ']'}; got ${JSON.stringify(value)}`);
  }
}

/** A per-step number: a plain number, or a scalar tensor (how a step traced by `jit` receives it). */
export type Scalar = number | Tensor;

/**
 * One parameter's numbers for one AdamW step, worked out on the host in float64 as torch does:
 * p ← p·decayFactor (null: no decay), then p ← p − stepSize · m / (√v / biasSqrt + eps), where
 * decayFactor = 1 − lr·wd, stepSize = lr/(1 − β₁ᵗ) and biasSqrt = √(1 − β₂ᵗ).
 */
export interface AdamwCoefficients<S extends Scalar = number> {
  readonly decayFactor: S | null;
  readonly stepSize: S;
  readonly biasSqrt: S;
}

/** What one AdamW step will do: for each parameter it updates, its new step count and coefficients. */
export type AdamwPlan = { readonly [name: string]: { readonly step: number; readonly coefficients: AdamwCoefficients } };

/** A parameter's two moments (a slot without its step count). */
export type AdamwMoments = { readonly [name: string]: { readonly expAvg: Tensor; readonly expAvgSq: Tensor } };

function checkAdamwHparams({ lr, weightDecay = 0.01, betas = [0.9, 0.999], eps = 1e-8 }: AdamwHparams): void {
  checkHparam('adamw', 'lr', lr, 0);
  checkHparam('adamw', 'weightDecay', weightDecay, 0);
  checkHparam('adamw', 'betas[0]', betas[0], 0, 1, true);
  checkHparam('adamw', 'betas[1]', betas[1], 0, 1, true);
  checkHparam('adamw', 'eps', eps, 0);
}

/**
 * The host half of an AdamW step: which parameters update (trainable and not in the `frozen` group),
 * their step counts and coefficients. No tensor work, so a training step can do it outside `jit` and
 * pass the coefficients in as scalar tensors.
 */
export function adamwPlan(params: PyTree, state: AdamwState, hparams: AdamwHparams): AdamwPlan {
  checkAdamwHparams(hparams);
  const { lr, weightDecay = 0.01, betas = [0.9, 0.999], groups, trainable } = hparams;
  const plan: Record<string, AdamwPlan[string]> = {};
  for (const [name, param] of namedLeaves(params)) {
    const group = groupOf(groups, name, param);
    if (group === 'frozen' || !isTrainable(trainable, name, param)) continue;
    const step = (state[name]?.step ?? 0) + 1;
    const decay = group === 'decay' ? weightDecay : 0;
    plan[name] = {
      step,
      coefficients: { decayFactor: decay === 0 ? null : 1 - lr * decay, stepSize: lr / (1 - betas[0] ** step), biasSqrt: Math.sqrt(1 - betas[1] ** step) },
    };
  }
  return plan;
}

/**
 * The tensor half of an AdamW step, for the parameters named in `coefficients` (numbers or scalar
 * tensors): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², then the decay and update of `AdamwCoefficients`.
 * Missing moments start at zero. Returns the new params (others unchanged) and the new moments.
 */
export function adamwApply(
  params: PyTree,
  grads: PyTree,
  moments: AdamwMoments,
  coefficients: { readonly [name: string]: AdamwCoefficients<Scalar> },
  { betas = [0.9, 0.999], eps = 1e-8 }: Pick<AdamwHparams, 'betas' | 'eps'> = {},
): { params: PyTree; moments: AdamwMoments } {
  const [beta1, beta2] = betas;
  const gradients = gradsByName(grads);
  const nextMoments: Record<string, AdamwMoments[string]> = {};
  const updated = namedLeaves(params).map(([name, param]) => {
    const coefficient = coefficients[name];
    const gradient = gradients.get(name);
    if (coefficient === undefined || gradient === undefined) return param;
    checkGrad('adamw', name, param, gradient);
    const slot = moments[name] ?? { expAvg: zerosLike(param), expAvgSq: zerosLike(param) };
    const decayed = coefficient.decayFactor === null ? param : mul(param, coefficient.decayFactor);
    const expAvg = add(slot.expAvg, mul(sub(gradient, slot.expAvg), 1 - beta1));
    const expAvgSq = add(mul(slot.expAvgSq, beta2), mul(square(gradient), 1 - beta2));
    const denominator = add(div(sqrt(expAvgSq), coefficient.biasSqrt), eps);
    nextMoments[name] = { expAvg, expAvgSq };
    return sub(decayed, mul(div(expAvg, denominator), coefficient.stepSize));
  });
  return { params: treeUnflatten(treeFlatten(params)[1], updated), moments: nextMoments };
}

/** The plan's coefficients as scalar tensors of `dtype`: how a step compiled by `jit` receives them. */
export function adamwCoefficientTensors(plan: AdamwPlan, dtype: DType): { [name: string]: AdamwCoefficients<Tensor> } {
  const asScalar = (value: number) => scalar(value, dtype);
  return Object.fromEntries(
    Object.entries(plan).map(([name, { coefficients: c }]) => [
      name,
      { decayFactor: c.decayFactor === null ? null : asScalar(c.decayFactor), stepSize: asScalar(c.stepSize), biasSqrt: asScalar(c.biasSqrt) },
    ]),
  );
}

/**
 * The moments of every parameter the plan updates, without their step counts (which stay on the host),
 * and zeros where the state has none yet: so the first step hands a compiled update the same tree as
 * later steps (one `jit` signature, not a second trace), with the values `adamwApply` would start from.
 */
export function adamwMoments(params: PyTree, state: AdamwState, plan: AdamwPlan): AdamwMoments {
  const paramsByName = new Map(namedLeaves(params));
  return Object.fromEntries(
    Object.keys(plan).map((name) => {
      const slot = state[name];
      const param = paramsByName.get(name)!;
      return [name, slot ? { expAvg: slot.expAvg, expAvgSq: slot.expAvgSq } : { expAvg: zerosLike(param), expAvgSq: zerosLike(param) }];
    }),
  );
}

/** The state after a step: the plan's step counts with the new moments; other slots unchanged. */
export function adamwNextState(state: AdamwState, plan: AdamwPlan, moments: AdamwMoments): AdamwState {
  const next: Record<string, AdamwSlot> = { ...state };
  for (const [name, { step }] of Object.entries(plan)) next[name] = { step, ...moments[name] };
  return next;
}

/**
 * One AdamW step as `torch.optim.AdamW` (amsgrad off): for each updated parameter
 *   p ← p·(1 − lr·wd)                              (decoupled decay; wd = 0 in the noDecay group)
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  t ← t + 1
 *   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + eps)
 * Arguments: `params` and `grads` trees of the same structure (grads may hold `null` leaves: those
 * parameters are not trainable this step). `adamwPlan` + `adamwApply` + `adamwNextState`, for
 * callers that need the halves apart (`jit`).
 */
export function adamw(params: PyTree, grads: PyTree, state: AdamwState, hparams: AdamwHparams): OptimizerResult<AdamwState> {
  const gradients = gradsByName(grads);
  const trainable = (name: string, param: Tensor) => gradients.has(name) && isTrainable(hparams.trainable, name, param);
  const plan = adamwPlan(params, state, { ...hparams, trainable });
  const coefficients = Object.fromEntries(Object.entries(plan).map(([name, entry]) => [name, entry.coefficients]));
  const result = adamwApply(params, grads, state, coefficients, hparams);
  return { params: result.params, state: adamwNextState(state, plan, result.moments) };
}

/** One parameter's momentum buffer. */
export type SgdState = { readonly [name: string]: { readonly momentumBuffer: Tensor } };

export interface SgdHparams {
  readonly lr: number;
  /** Default 0 (plain SGD, no state). */
  readonly momentum?: number;
  /** Default 0. */
  readonly dampening?: number;
  /** L2 decay added to the gradient (torch's coupled `weight_decay`), for the `decay` group; default 0. */
  readonly weightDecay?: number;
  readonly nesterov?: boolean;
  readonly groups?: GroupRule;
}

/** The empty state: momentum buffers appear on each parameter's first update. */
export function initSgd(): SgdState {
  return {};
}

/**
 * One step of `torch.optim.SGD`: d = g + wd·p; with momentum, buf ← d on the first step, else
 * buf ← μ·buf + (1 − dampening)·d, and d = buf (or d + μ·buf with Nesterov); p ← p − lr·d.
 */
export function sgd(params: PyTree, grads: PyTree, state: SgdState, hparams: SgdHparams): OptimizerResult<SgdState> {
  const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, groups } = hparams;
  checkHparam('sgd', 'lr', lr, 0);
  checkHparam('sgd', 'momentum', momentum, 0);
  checkHparam('sgd', 'dampening', dampening, 0);
  checkHparam('sgd', 'weightDecay', weightDecay, 0);
  if (nesterov && (momentum <= 0 || dampening !== 0)) throw new OptionError('sgd: option nesterov needs momentum > 0 and dampening 0');
  const gradients = gradsByName(grads);
  const nextState: Record<string, { momentumBuffer: Tensor }> = { ...state };
  const updated = namedLeaves(params).map(([name, param]) => {
    const gradient = gradients.get(name);
    const group = groupOf(groups, name, param);
    if (gradient === undefined || group === 'frozen') return param;
    checkGrad('sgd', name, param, gradient);
    let direction = group === 'decay' && weightDecay !== 0 ? add(gradient, mul(param, weightDecay)) : gradient;
    if (momentum !== 0) {
      const previous = state[name]?.momentumBuffer;
      const buffer = previous === undefined ? direction : add(mul(previous, momentum), mul(direction, 1 - dampening));
      nextState[name] = { momentumBuffer: buffer };
      direction = nesterov ? add(direction, mul(buffer, momentum)) : buffer;
    }
    return sub(param, mul(direction, lr));
  });
  return { params: treeUnflatten(treeFlatten(params)[1], updated), state: nextState };
}
