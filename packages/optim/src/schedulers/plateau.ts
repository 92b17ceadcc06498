/** `ReduceLROnPlateau`: cut the learning rate when a monitored metric stops improving. */
import { ValueError } from '@torchlet/tensor';
import { deepCopy, type AnyOptimizer, type SchedulerStateDict } from './lr-scheduler.js';

/** Options of `ReduceLROnPlateau`. */
export interface ReduceLROnPlateauOptions {
  /** `'min'`: the metric should decrease (a loss); `'max'`: increase (an accuracy). */
  mode?: 'min' | 'max';
  /** New lr = lr · factor (default 0.1, must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** What counts as an improvement (default 1e-4). */
  threshold?: number;
  /** `'rel'` (default): relative to the best; `'abs'`: absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the learning rate, one for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

const FIELDS: Record<string, string> = {
  factor: 'factor',
  min_lrs: 'minLrs',
  patience: 'patience',
  cooldown: 'cooldown',
  cooldown_counter: 'cooldownCounter',
  mode: 'mode',
  threshold: 'threshold',
  threshold_mode: 'thresholdMode',
  best: 'best',
  num_bad_epochs: 'numBadEpochs',
  mode_worse: 'modeWorse',
  eps: 'eps',
  last_epoch: 'lastEpoch',
  _last_lr: 'lastLr',
};

/**
 * `torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10,
 * threshold=1e-4, threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8)`; call `step(metric)`
 * once per epoch.
 */
export class ReduceLROnPlateau {
  /** The optimizer whose learning rates are reduced. */
  readonly optimizer: AnyOptimizer;
  /** New lr = lr · factor. */
  factor: number;
  /** Lower bound on each group's learning rate. */
  minLrs: number[];
  /** Epochs without improvement tolerated before reducing. */
  patience: number;
  /** Epochs to wait after a reduction before counting again. */
  cooldown: number;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** Whether lower (`'min'`) or higher (`'max'`) metrics are better. */
  mode: 'min' | 'max';
  /** What counts as an improvement. */
  threshold: number;
  /** Whether `threshold` is relative to the best (`'rel'`) or absolute (`'abs'`). */
  thresholdMode: 'rel' | 'abs';
  /** The best metric seen. */
  best = 0;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** The worst possible metric (±∞), the starting `best`. */
  modeWorse = Infinity;
  /** Reductions smaller than this are skipped. */
  eps: number;
  /** Epochs stepped so far. */
  lastEpoch = 0;
  protected lastLr: number[];

  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    if (!optimizer || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) {
      throw new TypeError('ReduceLROnPlateau: expected an Optimizer');
    }
    const factor = options.factor ?? 0.1;
    if (factor >= 1) throw new ValueError('Factor should be < 1.0.');
    this.optimizer = optimizer;
    this.factor = factor;
    const minLr = options.minLr ?? 0;
    const n = optimizer.paramGroups.length;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new ValueError(`expected ${n} min_lrs, got ${minLr.length}`);
      this.minLrs = [...minLr];
    } else this.minLrs = new Array<number>(n).fill(minLr);
    this.patience = options.patience ?? 10;
    this.cooldown = options.cooldown ?? 0;
    this.eps = options.eps ?? 1e-8;
    this.mode = options.mode ?? 'min';
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? 'rel';
    if (this.mode !== 'min' && this.mode !== 'max') throw new ValueError(`mode ${String(this.mode)} is unknown!`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new ValueError(`threshold mode ${String(this.thresholdMode)} is unknown!`);
    }
    this.modeWorse = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
    this.reset();
  }

  private reset(): void {
    this.best = this.modeWorse;
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
  }

  /** True when `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Whether a cooldown is running. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** `scheduler.step(metrics)`: records an epoch's metric (a number, or a 1-element tensor read with `item()`). */
  step(metric: number | { item(): number }): void {
    const current = typeof metric === 'number' ? metric : metric.item();
    if (typeof current !== 'number') throw new ValueError('ReduceLROnPlateau.step: metric must be a number');
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]!);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  /** The learning rate of each group after the last `step`. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's state under PyTorch's keys (`best`, `num_bad_epochs`, `cooldown_counter` …). */
  stateDict(): SchedulerStateDict {
    const self = this as unknown as Record<string, unknown>;
    const out: SchedulerStateDict = { verbose: false };
    for (const [key, field] of Object.entries(FIELDS)) out[key] = deepCopy(self[field]);
    return out;
  }

  /** Restores a state from `stateDict()` (or from PyTorch's keys). */
  loadStateDict(stateDict: SchedulerStateDict): void {
    if (typeof stateDict !== 'object' || stateDict === null) throw new ValueError('ReduceLROnPlateau.loadStateDict: expected an object');
    const self = this as unknown as Record<string, unknown>;
    for (const [key, field] of Object.entries(FIELDS)) if (key in stateDict) self[field] = deepCopy(stateDict[key]);
  }
}
