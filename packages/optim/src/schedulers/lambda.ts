/** `LambdaLR` and `MultiplicativeLR`: learning rates from user functions of the epoch. */
import { ValueError } from '@torchlet/tensor';
import { LRScheduler, type AnyOptimizer } from './lr-scheduler.js';

/** A function of the epoch (`lr_lambda`). */
export type LrLambda = (epoch: number) => number;

function lambdas(optimizer: AnyOptimizer, fn: LrLambda | readonly LrLambda[]): LrLambda[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(fn)) {
    if (fn.length !== n) throw new ValueError(`Expected ${n} lr_lambdas, but got ${fn.length}`);
    return [...fn];
  }
  if (typeof fn !== 'function') throw new TypeError('lr_lambda must be a function or a list of functions');
  return new Array<LrLambda>(n).fill(fn as LrLambda);
}

/** `torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)`: `lr = base_lr · lr_lambda(epoch)`. */
export class LambdaLR extends LRScheduler {
  /** One function per parameter group. */
  readonly lrLambdas: LrLambda[];

  constructor(optimizer: AnyOptimizer, lrLambda: LrLambda | readonly LrLambda[], options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    this.lrLambdas = lambdas(optimizer, lrLambda);
    this.initialStep();
  }

  getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }

  /** As PyTorch, functions are not saved (`lr_lambdas` holds null for each). */
  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

/** `torch.optim.lr_scheduler.MultiplicativeLR(optimizer, lr_lambda)`: `lr ← lr · lr_lambda(epoch)` from epoch 1 on. */
export class MultiplicativeLR extends LRScheduler {
  /** One function per parameter group. */
  readonly lrLambdas: LrLambda[];

  constructor(optimizer: AnyOptimizer, lrLambda: LrLambda | readonly LrLambda[], options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    this.lrLambdas = lambdas(optimizer, lrLambda);
    this.initialStep();
  }

  getLr(): number[] {
    if (this.lastEpoch > 0) return this.groups.map((g, i) => g.lr * this.lrLambdas[i]!(this.lastEpoch));
    return this.groups.map((g) => g.lr);
  }

  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}
