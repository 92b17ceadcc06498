/**
 * `RMSprop`, as `torch.optim.RMSprop` (PyTorch 2.x, single-tensor form):
 *
 * ```
 * g ← ±grad (+ weightDecay·p)
 * v ← α·v + (1 − α)·g²                         (square_avg)
 * centered: ḡ ← ḡ + (1 − α)(g − ḡ); avg ← √(v − ḡ²) + eps   (grad_avg)
 * else:     avg ← √v + eps
 * momentum > 0: buf ← momentum·buf + g/avg; p ← p − lr·buf    (momentum_buffer)
 * else:         p ← p − lr·g/avg
 * ```
 *
 * Each parameter's update is the `rmspropStep_` op (../updates.ts): the backend's fused kernel
 * where it has one, else composed tensor ops.
 */
import { zerosLike, type Tensor } from '@torchlet/tensor';
import { Optimizer, checkNonNegative, type ParamGroup, type Params } from '../optimizer.js';
import { rmspropStep_ } from '../updates.js';

/** Options of `RMSprop` (PyTorch's keyword arguments, camelCase). */
export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant (default 0.99). */
  alpha: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalise by an estimate of the gradient's variance. */
  centered: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize: boolean;
}

/** `RMSprop`'s defaults. */
export const RMSPROP_DEFAULTS: Readonly<RMSpropOptions> = Object.freeze({
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  weightDecay: 0,
  momentum: 0,
  centered: false,
  maximize: false,
});

/** `torch.optim.RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False)`. */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, { ...RMSPROP_DEFAULTS, ...options });
  }

  protected validate(o: Partial<RMSpropOptions>): void {
    if (o.lr !== undefined) checkNonNegative(o.lr, 'learning rate');
    if (o.eps !== undefined) checkNonNegative(o.eps, 'epsilon value');
    if (o.momentum !== undefined) checkNonNegative(o.momentum, 'momentum value');
    if (o.weightDecay !== undefined) checkNonNegative(o.weightDecay, 'weight_decay value');
    if (o.alpha !== undefined) checkNonNegative(o.alpha, 'alpha value');
  }

  protected updateGroup(group: ParamGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    for (const p of group.params) {
      if (!p.grad) continue;
      const state = this.stateOf(p);
      if (state['step'] === undefined) {
        state['step'] = 0;
        state['square_avg'] = this.keepState(zerosLike(p));
      }
      if (momentum > 0 && state['momentum_buffer'] === undefined) state['momentum_buffer'] = this.keepState(zerosLike(p));
      if (centered && state['grad_avg'] === undefined) state['grad_avg'] = this.keepState(zerosLike(p));
      state['step'] = (state['step'] as number) + 1;
      rmspropStep_(
        p,
        p.grad,
        state['square_avg'] as Tensor,
        centered ? (state['grad_avg'] as Tensor) : null,
        momentum > 0 ? (state['momentum_buffer'] as Tensor) : null,
        { lr, alpha, eps, weightDecay, momentum, centered, maximize },
      );
    }
  }
}
