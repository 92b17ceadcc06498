/** `ExponentialLR`: `lr = base_lr · gamma^epoch`. */
import { LRScheduler, type AnyOptimizer } from './lr-scheduler.js';

/** `torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)`. */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative decay per epoch. */
  gamma: number;

  constructor(optimizer: AnyOptimizer, gamma: number, options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    this.gamma = gamma;
    this.initialStep();
  }

  getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }

  protected override stateFields(): Record<string, string> {
    return { gamma: 'gamma', ...super.stateFields() };
  }
}
