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
 */
import { add, lerp, neg, sqrt, zerosLike, type Tensor } from '@torchlet/tensor';
import { Optimizer, checkNonNegative, type ParamGroup, type Params } from '../optimizer.js';

export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant (default 0.99). */
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  /** Normalise by an estimate of the gradient's variance. */
  centered: boolean;
  maximize: boolean;
}

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
      this.withScope(() => {
        const state = this.stateOf(p);
        if (state['step'] === undefined) {
          state['step'] = 0;
          state['square_avg'] = this.keepState(zerosLike(p));
        }
        if (momentum > 0 && state['momentum_buffer'] === undefined) state['momentum_buffer'] = this.keepState(zerosLike(p));
        if (centered && state['grad_avg'] === undefined) state['grad_avg'] = this.keepState(zerosLike(p));
        state['step'] = (state['step'] as number) + 1;
        let g = maximize ? neg(p.grad!) : p.grad!;
        if (weightDecay !== 0) g = add(g, p, { alpha: weightDecay });
        const squareAvg = state['square_avg'] as Tensor;
        squareAvg.mul_(alpha);
        squareAvg.copy_(squareAvg.addcmul(g, g, { value: 1 - alpha }));
        let avg: Tensor;
        if (centered) {
          const gradAvg = state['grad_avg'] as Tensor;
          gradAvg.copy_(lerp(gradAvg, g, 1 - alpha));
          avg = squareAvg.addcmul(gradAvg, gradAvg, { value: -1 }).sqrt_();
        } else avg = sqrt(squareAvg);
        avg.add_(eps);
        if (momentum > 0) {
          const buf = state['momentum_buffer'] as Tensor;
          buf.mul_(momentum);
          buf.copy_(buf.addcdiv(g, avg));
          p.add_(buf, { alpha: -lr });
        } else p.copy_(p.addcdiv(g, avg, { value: -lr }));
      });
    }
  }
}
