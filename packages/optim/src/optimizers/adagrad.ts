/**
 * `Adagrad`, as `torch.optim.Adagrad` (PyTorch 2.x, single-tensor form):
 *
 * ```
 * t ← t + 1;  g ← ±grad (+ weightDecay·p);  clr ← lr / (1 + (t − 1)·lrDecay)
 * s ← s + g²                          (sum, starts at initialAccumulatorValue)
 * p ← p − clr · g / (√s + eps)
 * ```
 *
 * A dense gradient's update is the `adagradStep_` op (../updates.ts): the backend's fused kernel
 * where it has one, else composed tensor ops.
 *
 * State is created when a parameter joins the optimizer, as in PyTorch. A row-sparse gradient
 * (see `isRowSparse`) updates only its rows (repeated rows are summed first); it refuses
 * `weightDecay`, as PyTorch does.
 */
import { noGrad } from '@torchlet/autograd';
import { RuntimeError, ValueError, fullLike, indexSelect, unique, zeros, type Tensor } from '@torchlet/tensor';
import { Optimizer, checkNonNegative, type ParamGroup, type ParamState, type Params } from '../optimizer.js';
import { addRows_, isRowSparse, type RowSparseGrad } from '../sparse.js';
import { adagradStep_ } from '../updates.js';

/** Options of `Adagrad` (PyTorch's keyword arguments, camelCase). */
export interface AdagradOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Learning-rate decay per step. */
  lrDecay: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the squared-gradient sum. */
  initialAccumulatorValue: number;
  /** Added to the denominator for stability (default 1e-10). */
  eps: number;
  /** Maximise the objective instead of minimising it (default false). */
  maximize: boolean;
}

/** `Adagrad`'s defaults. */
export const ADAGRAD_DEFAULTS: Readonly<AdagradOptions> = Object.freeze({
  lr: 1e-2,
  lrDecay: 0,
  weightDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  maximize: false,
});

/** Sums the rows of a row-sparse gradient that share an index (PyTorch's `coalesce()`). */
export function coalesceRows(grad: RowSparseGrad): {
  /** The distinct row indices, sorted (int32). */
  indices: Tensor;
  /** The summed rows, one per index. */
  values: Tensor;
} {
  const { values: idx, inverse } = unique(grad.indices, { sorted: true, returnInverse: true }) as { values: Tensor; inverse: Tensor };
  try {
    const values = zeros([idx.numel(), ...grad.values.shape.slice(1)], { dtype: grad.values.dtype, device: grad.values.device });
    values.indexAdd_(0, inverse, grad.values);
    return { indices: idx, values };
  } finally {
    inverse.dispose();
  }
}

/** The Adagrad update restricted to the rows of a row-sparse gradient. */
export function adagradSparseUpdate(param: Tensor, sum: Tensor, grad: RowSparseGrad, clr: number, eps: number, maximize = false): void {
  noGrad(() => adagradSparseRows(param, sum, grad, clr, eps, maximize));
}

function adagradSparseRows(param: Tensor, sum: Tensor, grad: RowSparseGrad, clr: number, eps: number, maximize: boolean): void {
  const { indices, values } = coalesceRows(grad);
  const temps: Tensor[] = [indices, values];
  try {
    if (maximize) values.neg_();
    const sq = values.mul(values);
    temps.push(sq);
    addRows_(sum, indices, sq);
    const rows = indexSelect(sum, 0, indices);
    temps.push(rows);
    rows.sqrt_().add_(eps);
    const upd = values.div(rows);
    temps.push(upd);
    addRows_(param, indices, upd, -clr);
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** `torch.optim.Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False)`. */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, { ...ADAGRAD_DEFAULTS, ...options });
  }

  protected validate(o: Partial<AdagradOptions>): void {
    if (o.lr !== undefined) checkNonNegative(o.lr, 'learning rate');
    if (o.lrDecay !== undefined) checkNonNegative(o.lrDecay, 'lr_decay value');
    if (o.weightDecay !== undefined) checkNonNegative(o.weightDecay, 'weight_decay value');
    if (o.initialAccumulatorValue !== undefined) checkNonNegative(o.initialAccumulatorValue, 'initial_accumulator_value value');
    if (o.eps !== undefined) checkNonNegative(o.eps, 'epsilon value');
  }

  protected override initState(p: Tensor, group: ParamGroup<AdagradOptions>): ParamState {
    return { step: 0, sum: fullLike(p, group.initialAccumulatorValue) };
  }

  protected updateGroup(group: ParamGroup<AdagradOptions>): void {
    const { lr, lrDecay, weightDecay, eps, maximize } = group;
    for (const p of group.params) {
      const grad = p.grad as unknown;
      if (grad === null || grad === undefined) continue;
      const state = this.stateOf(p);
      if (state['sum'] === undefined) Object.assign(state, { step: 0, sum: this.keepState(fullLike(p, group.initialAccumulatorValue)) });
      const step = (state['step'] as number) + 1;
      state['step'] = step;
      const clr = lr / (1 + (step - 1) * lrDecay);
      const sum = state['sum'] as Tensor;
      if (isRowSparse(grad)) {
        if (weightDecay !== 0) throw new RuntimeError('weight_decay option is not compatible with sparse gradients');
        adagradSparseUpdate(p, sum, grad, clr, eps, maximize);
        continue;
      }
      if (!(grad as Tensor).shape) throw new ValueError('Adagrad: unsupported gradient');
      adagradStep_(p, grad as Tensor, sum, { clr, eps, weightDecay, maximize });
    }
  }
}
