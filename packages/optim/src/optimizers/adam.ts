/**
 * `Adam` and `AdamW`, as `torch.optim.Adam` / `torch.optim.AdamW` (PyTorch 2.x, single-tensor form):
 *
 * ```
 * t ← t + 1;  g ← ±grad (+ weightDecay·p for Adam;  p ← p·(1 − lr·weightDecay) for AdamW)
 * m ← m + (1 − β1)(g − m)            (exp_avg.lerp_(g, 1 − β1))
 * v ← β2·v + (1 − β2)·g²             (exp_avg_sq)
 * v̂ ← max(v̂, v) with amsgrad          (max_exp_avg_sq)
 * p ← p − lr/(1 − β1ᵗ) · m / (√v(̂) / √(1 − β2ᵗ) + eps)
 * ```
 *
 * Each parameter's update is the `adamStep_` op (../updates.ts): the backend's fused kernel
 * where it has one, else composed tensor ops.
 */
import { zerosLike, type Tensor } from '@torchlet/tensor';
import { Optimizer, checkBetas, checkNonNegative, type ParamGroup, type ParamState, type Params } from '../optimizer.js';
import { adamStep_ } from '../updates.js';

/** Options of `Adam` and `AdamW` (PyTorch's keyword arguments, camelCase). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Coefficients for the running averages of the gradient and its square (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (Adam; default 0) or decoupled decay (AdamW; default 1e-2). */
  weightDecay: number;
  /** The AMSGrad variant (keeps the maximum of the second moment). */
  amsgrad: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize: boolean;
}

/** `Adam`'s defaults (AdamW overrides `weightDecay` with 1e-2). */
export const ADAM_DEFAULTS: Readonly<AdamOptions> = Object.freeze({
  lr: 1e-3,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
});

function validateAdam(o: Partial<AdamOptions>): void {
  if (o.lr !== undefined) checkNonNegative(o.lr, 'learning rate');
  if (o.eps !== undefined) checkNonNegative(o.eps, 'epsilon value');
  if (o.betas !== undefined) checkBetas(o.betas);
  if (o.weightDecay !== undefined) checkNonNegative(o.weightDecay, 'weight_decay value');
}

/** One Adam/AdamW step for one parameter: lazily created state, then the `adamStep_` update. */
function adamParam(p: Tensor, state: ParamState, group: AdamOptions, decoupled: boolean, keep: <T extends Tensor>(t: T) => T): void {
  const { lr, betas, eps, weightDecay, amsgrad, maximize } = group;
  const [beta1, beta2] = betas;
  if (state['step'] === undefined) {
    state['step'] = 0;
    state['exp_avg'] = keep(zerosLike(p));
    state['exp_avg_sq'] = keep(zerosLike(p));
  }
  if (amsgrad && state['max_exp_avg_sq'] === undefined) state['max_exp_avg_sq'] = keep(zerosLike(p));
  const step = (state['step'] as number) + 1;
  state['step'] = step;
  adamStep_(p, p.grad!, state['exp_avg'] as Tensor, state['exp_avg_sq'] as Tensor, amsgrad ? (state['max_exp_avg_sq'] as Tensor) : null, {
    lr,
    beta1,
    beta2,
    eps,
    weightDecay,
    decoupled,
    amsgrad,
    maximize,
    biasCorrection1: 1 - beta1 ** step,
    biasCorrection2: 1 - beta2 ** step,
  });
}

/** `torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False)`. */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { ...ADAM_DEFAULTS, ...options });
  }

  protected validate(o: Partial<AdamOptions>): void {
    validateAdam(o);
  }

  /** True for AdamW: weight decay shrinks the parameter instead of adding to the gradient. */
  protected get decoupledWeightDecay(): boolean {
    return false;
  }

  protected updateGroup(group: ParamGroup<AdamOptions>): void {
    for (const p of group.params) {
      if (!p.grad) continue;
      adamParam(p, this.stateOf(p), group, this.decoupledWeightDecay, (t) => this.keepState(t));
    }
  }
}

/** `torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False)`. */
export class AdamW extends Adam {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...options });
  }

  protected override get decoupledWeightDecay(): boolean {
    return true;
  }
}
