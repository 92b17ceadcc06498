/**
 * `SparseAdam`, as `torch.optim.SparseAdam`: Adam for sparse gradients, where the moments and
 * the parameter change only in the rows that received gradient. Its step differs from Adam's:
 *
 * ```
 * m ← m + (1 − β1)(g − m);  v ← v + (1 − β2)(g² − v)
 * p ← p − lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + eps)
 * ```
 *
 * A row-sparse gradient (`Embedding`/`EmbeddingBag` with `sparse: true`, see `isRowSparse`)
 * takes the true sparse path. A dense gradient — which PyTorch refuses — is accepted and
 * treated as if every row were present (rows with a zero gradient still decay their moments).
 */
import { indexSelect, type Tensor, zerosLike } from '@torchlet/tensor';
import { Optimizer, checkBetas, checkNonNegative, type ParamGroup, type ParamState, type Params } from '../optimizer.js';
import { addRows_, isRowSparse, type RowSparseGrad } from '../sparse.js';
import { coalesceRows } from './adagrad.js';

/** Options of `SparseAdam`. */
export interface SparseAdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Coefficients for the running averages of the gradient and its square (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** Maximise the objective instead of minimising it (default false). */
  maximize: boolean;
}

/** `SparseAdam`'s defaults. */
export const SPARSE_ADAM_DEFAULTS: Readonly<SparseAdamOptions> = Object.freeze({
  lr: 1e-3,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  maximize: false,
});

/** `torch.optim.SparseAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False)`. */
export class SparseAdam extends Optimizer<SparseAdamOptions> {
  constructor(params: Params<SparseAdamOptions>, options: Partial<SparseAdamOptions> = {}) {
    super(params, { ...SPARSE_ADAM_DEFAULTS, ...options });
  }

  protected validate(o: Partial<SparseAdamOptions>): void {
    if (o.lr !== undefined) checkNonNegative(o.lr, 'learning rate');
    if (o.eps !== undefined) checkNonNegative(o.eps, 'epsilon value');
    if (o.betas !== undefined) checkBetas(o.betas);
  }

  protected updateGroup(group: ParamGroup<SparseAdamOptions>): void {
    const { lr, betas, eps, maximize } = group;
    const [beta1, beta2] = betas;
    for (const p of group.params) {
      const grad = p.grad as unknown;
      if (grad === null || grad === undefined) continue;
      this.withScope(() => {
        const state: ParamState = this.stateOf(p);
        if (state['step'] === undefined) {
          state['step'] = 0;
          state['exp_avg'] = this.keepState(zerosLike(p));
          state['exp_avg_sq'] = this.keepState(zerosLike(p));
        }
        const step = (state['step'] as number) + 1;
        state['step'] = step;
        const expAvg = state['exp_avg'] as Tensor;
        const expAvgSq = state['exp_avg_sq'] as Tensor;
        const stepSize = (lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
        if (isRowSparse(grad)) {
          sparseRows(p, expAvg, expAvgSq, grad, beta1, beta2, eps, stepSize, maximize);
          return;
        }
        const g = maximize ? (grad as Tensor).neg() : (grad as Tensor);
        expAvg.add_(g.sub(expAvg).mul_(1 - beta1));
        expAvgSq.add_(g.mul(g).sub_(expAvgSq).mul_(1 - beta2));
        const denom = expAvgSq.sqrt().add_(eps);
        p.add_(expAvg.div(denom), { alpha: -stepSize });
      });
    }
  }
}

function sparseRows(
  p: Tensor,
  expAvg: Tensor,
  expAvgSq: Tensor,
  grad: RowSparseGrad,
  beta1: number,
  beta2: number,
  eps: number,
  stepSize: number,
  maximize: boolean,
): void {
  const { indices, values } = coalesceRows(grad);
  if (maximize) values.neg_();
  const m = indexSelect(expAvg, 0, indices);
  const mUpd = values.sub(m).mul_(1 - beta1);
  addRows_(expAvg, indices, mUpd);
  const v = indexSelect(expAvgSq, 0, indices);
  const vUpd = values.mul(values).sub_(v).mul_(1 - beta2);
  addRows_(expAvgSq, indices, vUpd);
  const numer = mUpd.add_(m);
  const denom = vUpd.add_(v).sqrt_().add_(eps);
  addRows_(p, indices, numer.div_(denom), -stepSize);
}
