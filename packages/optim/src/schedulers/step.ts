/** `StepLR` and `MultiStepLR`: decay by `gamma` every `stepSize` epochs, or at each milestone. */
import { ValueError } from '@torchlet/tensor';
import { LRScheduler, bisectRight, type AnyOptimizer } from './lr-scheduler.js';

/** Options of `StepLR` and `MultiStepLR`. */
export interface StepLROptions {
  /** Multiplicative decay (default 0.1). */
  gamma?: number;
  /** The index of the last epoch when resuming (default -1: start afresh; the groups then need `initialLr`). */
  lastEpoch?: number;
}

/** `torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=0.1)`: `lr = base_lr · gamma^⌊epoch / step_size⌋`. */
export class StepLR extends LRScheduler {
  /** Epochs between decays. */
  stepSize: number;
  /** Multiplicative decay. */
  gamma: number;

  constructor(optimizer: AnyOptimizer, stepSize: number, options: StepLROptions = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    if (!Number.isInteger(stepSize) || stepSize <= 0) throw new ValueError(`StepLR: step_size must be a positive integer, got ${stepSize}`);
    this.stepSize = stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  protected override stateFields(): Record<string, string> {
    return { step_size: 'stepSize', gamma: 'gamma', ...super.stateFields() };
  }
}

/** `torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1)`: decay by `gamma` at each milestone. */
export class MultiStepLR extends LRScheduler {
  /** Milestone → how many times it was given (PyTorch's `Counter`). */
  milestones: Record<string, number>;
  /** Multiplicative decay at each milestone. */
  gamma: number;

  constructor(optimizer: AnyOptimizer, milestones: readonly number[], options: StepLROptions = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    if (!Array.isArray(milestones)) throw new ValueError('MultiStepLR: milestones must be a list of epochs');
    this.milestones = {};
    for (const m of milestones) {
      if (!Number.isInteger(m)) throw new ValueError(`MultiStepLR: milestones must be integers, got ${m}`);
      this.milestones[String(m)] = (this.milestones[String(m)] ?? 0) + 1;
    }
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  getLr(): number[] {
    const count = this.milestones[String(this.lastEpoch)];
    if (count === undefined) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    const sorted: number[] = [];
    for (const [m, n] of Object.entries(this.milestones)) for (let i = 0; i < n; i++) sorted.push(Number(m));
    sorted.sort((a, b) => a - b);
    const k = bisectRight(sorted, this.lastEpoch);
    return this.baseLrs.map((b) => b * this.gamma ** k);
  }

  protected override stateFields(): Record<string, string> {
    return { milestones: 'milestones', gamma: 'gamma', ...super.stateFields() };
  }
}
