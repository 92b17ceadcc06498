/** `ConstantLR`, `LinearLR` (warm-up) and `PolynomialLR`. */
import { ValueError } from '@torchlet/tensor';
import { LRScheduler, type AnyOptimizer } from './lr-scheduler.js';

/** Options of `ConstantLR`. */
export interface ConstantLROptions {
  /** Factor applied until `totalIters` (default 1/3). */
  factor?: number;
  /** Epochs the factor applies for (default 5). */
  totalIters?: number;
  /** The index of the last epoch when resuming (default -1: start afresh; the groups then need `initialLr`). */
  lastEpoch?: number;
}

/** `torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1/3, total_iters=5)`. */
export class ConstantLR extends LRScheduler {
  /** The factor applied to the base learning rate until `totalIters`. */
  factor: number;
  /** Epochs the factor applies for. */
  totalIters: number;

  constructor(optimizer: AnyOptimizer, options: ConstantLROptions = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    const factor = options.factor ?? 1 / 3;
    if (factor > 1 || factor < 0) throw new ValueError('Constant multiplicative factor expected to be between 0 and 1.');
    this.factor = factor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 / this.factor));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }

  protected override stateFields(): Record<string, string> {
    return { factor: 'factor', total_iters: 'totalIters', ...super.stateFields() };
  }
}

/** Options of `LinearLR`. */
export interface LinearLROptions {
  /** Factor at epoch 0 (default 1/3; in (0, 1]). */
  startFactor?: number;
  /** Factor from `totalIters` on (default 1; in [0, 1]). */
  endFactor?: number;
  /** Epochs to go from start to end (default 5). */
  totalIters?: number;
  /** The index of the last epoch when resuming (default -1: start afresh; the groups then need `initialLr`). */
  lastEpoch?: number;
}

/** `torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1/3, end_factor=1.0, total_iters=5)`: linear warm-up (or decay). */
export class LinearLR extends LRScheduler {
  /** Factor at epoch 0. */
  startFactor: number;
  /** Factor from `totalIters` on. */
  endFactor: number;
  /** Epochs to go from start to end. */
  totalIters: number;

  constructor(optimizer: AnyOptimizer, options: LinearLROptions = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    const startFactor = options.startFactor ?? 1 / 3;
    const endFactor = options.endFactor ?? 1;
    if (startFactor > 1 || startFactor <= 0) {
      throw new ValueError('Starting multiplicative factor expected to be greater than 0 and less or equal to 1.');
    }
    if (endFactor > 1 || endFactor < 0) throw new ValueError('Ending multiplicative factor expected to be between 0 and 1.');
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    if (t === 0) return this.groups.map((g) => g.lr * s);
    if (t > n) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, t)) / n));
  }

  protected override stateFields(): Record<string, string> {
    return { start_factor: 'startFactor', end_factor: 'endFactor', total_iters: 'totalIters', ...super.stateFields() };
  }
}

/** Options of `PolynomialLR`. */
export interface PolynomialLROptions {
  /** Epochs of the decay to zero (default 5). */
  totalIters?: number;
  /** The polynomial's power (default 1: linear). */
  power?: number;
  /** The index of the last epoch when resuming (default -1: start afresh; the groups then need `initialLr`). */
  lastEpoch?: number;
}

/** `torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=5, power=1.0)`. */
export class PolynomialLR extends LRScheduler {
  /** Epochs of the decay to zero. */
  totalIters: number;
  /** The polynomial's power. */
  power: number;

  constructor(optimizer: AnyOptimizer, options: PolynomialLROptions = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    this.totalIters = options.totalIters ?? 5;
    this.power = options.power ?? 1;
    this.initialStep();
  }

  getLr(): number[] {
    const { totalIters: n, lastEpoch: t } = this;
    if (t === 0 || t > n) return this.groups.map((g) => g.lr);
    const decay = ((1 - t / n) / (1 - (t - 1) / n)) ** this.power;
    return this.groups.map((g) => g.lr * decay);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }

  protected override stateFields(): Record<string, string> {
    return { total_iters: 'totalIters', power: 'power', ...super.stateFields() };
  }
}
