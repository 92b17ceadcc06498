/**
 * `SGD`: stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay
 * and `maximize`, as `torch.optim.SGD` (PyTorch 2.x, single-tensor form):
 *
 * ```
 * g ← ±grad (+ weightDecay·p)
 * buf ← g on the first step, else momentum·buf + (1 − dampening)·g
 * g ← g + momentum·buf (nesterov) or buf
 * p ← p − lr·g
 * ```
 *
 * A dense gradient's update is the `sgdStep_` op (../updates.ts): the backend's fused kernel
 * where it has one, else composed tensor ops. A row-sparse gradient (see `isRowSparse`) updates
 * only its rows; it needs `momentum = 0` and `weightDecay = 0`, as PyTorch's sparse SGD path
 * effectively does.
 */
import { noGrad } from '@torchlet/autograd';
import { RuntimeError, ValueError, emptyLike, type Tensor } from '@torchlet/tensor';
import { Optimizer, checkNonNegative, type ParamGroup, type Params } from '../optimizer.js';
import { addRows_, isRowSparse, type RowSparseGrad } from '../sparse.js';
import { sgdStep_ } from '../updates.js';

/** Options of `SGD` (PyTorch's keyword arguments, camelCase). */
export interface SGDOptions {
  /** Learning rate (default 1e-3, as in PyTorch 2.x). */
  lr: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Dampening of the gradient in the momentum buffer (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and no dampening; default false). */
  nesterov: boolean;
  /** Maximise the objective instead of minimising it. */
  maximize: boolean;
}

/** `SGD`'s defaults. */
export const SGD_DEFAULTS: Readonly<SGDOptions> = Object.freeze({
  lr: 1e-3,
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
  maximize: false,
});

/** Applies `p ← p − lr·grad` to the rows named by a row-sparse gradient (repeated rows add up). */
export function sgdSparseUpdate(param: Tensor, grad: RowSparseGrad, lr: number, maximize = false): void {
  noGrad(() => addRows_(param, grad.indices, grad.values, maximize ? lr : -lr));
}

/** `torch.optim.SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)`. */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, { ...SGD_DEFAULTS, ...options });
  }

  protected validate(o: Partial<SGDOptions>): void {
    if (o.lr !== undefined) checkNonNegative(o.lr, 'learning rate');
    if (o.momentum !== undefined) checkNonNegative(o.momentum, 'momentum value');
    if (o.weightDecay !== undefined) checkNonNegative(o.weightDecay, 'weight_decay value');
    if (o.dampening !== undefined && (typeof o.dampening !== 'number' || Number.isNaN(o.dampening))) {
      throw new ValueError(`Invalid dampening value: ${String(o.dampening)}`);
    }
    if (o.nesterov) {
      const momentum = o.momentum ?? this.defaults?.momentum ?? 0;
      const dampening = o.dampening ?? this.defaults?.dampening ?? 0;
      if (momentum <= 0 || dampening !== 0) throw new ValueError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected updateGroup(group: ParamGroup<SGDOptions>): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    for (const p of group.params) {
      const grad = p.grad as unknown;
      if (grad === null || grad === undefined) continue;
      if (isRowSparse(grad)) {
        if (momentum !== 0 || weightDecay !== 0) {
          throw new RuntimeError('SGD: sparse gradients are supported only with momentum = 0 and weightDecay = 0');
        }
        sgdSparseUpdate(p, grad, lr, maximize);
        continue;
      }
      let buf: Tensor | null = null;
      let firstStep = false;
      if (momentum !== 0) {
        const state = this.stateOf(p);
        buf = (state['momentum_buffer'] as Tensor | undefined) ?? null;
        if (!buf) {
          // PyTorch clones the first step's gradient into the buffer: sgdStep_ writes it.
          buf = this.keepState(emptyLike(p));
          state['momentum_buffer'] = buf;
          firstStep = true;
        }
      }
      sgdStep_(p, grad as Tensor, buf, { lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep });
    }
  }
}
