/**
 * `EarlyStopping`: stop training when a monitored metric (a validation loss, an accuracy) has
 * not improved for `patience` epochs — the PyTorch Cookbook's early stopping, beside
 * `ReduceLROnPlateau`. With `restoreBest` and a `model`, the weights of the best epoch are
 * kept (cloned) and copied back when training stops.
 *
 * ```ts
 * const stopper = new EarlyStopping({ patience: 5, mode: 'min', restoreBest: true, model });
 * for (let epoch = 0; ; epoch++) { train(); if (stopper.step(await validationLoss())) break; }
 * ```
 */
import { noGrad } from '@torchlet/autograd';
import { ValueError, clone, isTensor, keep, type Tensor } from '@torchlet/tensor';

/** What `restoreBest` can snapshot: a module (its `stateDict()` tensors share the parameters' storage) or a list of tensors. */
export type WeightsSource =
  | {
      /** The tensors to snapshot, by name. */
      stateDict(): Record<string, Tensor>;
    }
  | Iterable<Tensor>;

/** Options of `EarlyStopping`. */
export interface EarlyStoppingOptions {
  /** Epochs without improvement tolerated (default 10). */
  patience?: number;
  /** The smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** `'min'` (default): lower is better; `'max'`: higher is better. */
  mode?: 'min' | 'max';
  /** Keep the best epoch's weights and restore them when stopping (needs `model`). */
  restoreBest?: boolean;
  /** The weights to snapshot for `restoreBest`. */
  model?: WeightsSource;
}

/** `earlyStopping.stateDict()`, in the snake_case style of PyTorch's scheduler state dicts (the weight snapshot is not included). */
export interface EarlyStoppingStateDict {
  /** Epochs without improvement tolerated. */
  patience: number;
  /** The smallest change that counts as an improvement. */
  min_delta: number;
  /** Whether lower or higher is better. */
  mode: 'min' | 'max';
  /** The best metric so far. */
  best: number;
  /** The epoch of the best metric. */
  best_epoch: number;
  /** Epochs since the last improvement. */
  num_bad_epochs: number;
  /** The epoch index of the last `step`. */
  last_epoch: number;
  /** Whether training should stop. */
  stopped: boolean;
}

function weightsOf(model: WeightsSource): [string, Tensor][] {
  if (typeof (model as { stateDict?: unknown }).stateDict === 'function') {
    return Object.entries((model as { stateDict(): Record<string, Tensor> }).stateDict());
  }
  return [...(model as Iterable<Tensor>)].map((t, i) => [String(i), t]);
}

/** Stops training when a monitored metric has not improved for `patience` epochs (the PyTorch Cookbook's early stopping); `step(metric)` returns true when it is time to stop. */
export class EarlyStopping {
  /** Epochs without improvement tolerated. */
  readonly patience: number;
  /** The smallest change that counts as an improvement. */
  readonly minDelta: number;
  /** Whether lower (`'min'`) or higher (`'max'`) is better. */
  readonly mode: 'min' | 'max';
  /** Whether the best weights are snapshotted and restored when stopping. */
  readonly restoreBest: boolean;
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  /** The epoch (0-based index of the `step` call) of the best metric; −1 before the first step. */
  bestEpoch = -1;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** The epoch index of the last `step` (−1 before the first). */
  lastEpoch = -1;
  /** True once `step` has returned true. */
  stopped = false;
  private readonly model: WeightsSource | undefined;
  private readonly tensors: Tensor[] | undefined;
  private snapshot: Map<string, Tensor> | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    const patience = options.patience ?? 10;
    if (!Number.isInteger(patience) || patience < 0) throw new ValueError(`EarlyStopping: patience must be a non-negative integer, got ${patience}`);
    const minDelta = options.minDelta ?? 0;
    if (typeof minDelta !== 'number' || !(minDelta >= 0)) throw new ValueError(`EarlyStopping: minDelta must be >= 0, got ${String(minDelta)}`);
    const mode = options.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new ValueError(`EarlyStopping: mode ${String(mode)} is unknown! (expected 'min' or 'max')`);
    this.patience = patience;
    this.minDelta = minDelta;
    this.mode = mode;
    this.restoreBest = options.restoreBest ?? false;
    if (this.restoreBest && !options.model) throw new ValueError('EarlyStopping: restoreBest needs the model (or its parameters) to snapshot');
    // A generator of parameters can be read once: keep the tensors.
    const model = options.model;
    if (model && typeof (model as { stateDict?: unknown }).stateDict !== 'function') this.tensors = [...(model as Iterable<Tensor>)];
    this.model = model;
    this.best = mode === 'min' ? Infinity : -Infinity;
  }

  /** True when `metric` improves on the best by more than `minDelta`. */
  isImprovement(metric: number): boolean {
    return this.mode === 'min' ? metric < this.best - this.minDelta : metric > this.best + this.minDelta;
  }

  /**
   * Records one epoch's metric (a number or a 1-element tensor); returns true when training
   * should stop (`patience` epochs in a row without improvement). A NaN metric never improves.
   */
  step(metric: number | { item(): number }): boolean {
    const value = typeof metric === 'number' ? metric : metric.item();
    if (typeof value !== 'number') throw new ValueError('EarlyStopping.step: metric must be a number');
    this.lastEpoch += 1;
    if (!Number.isNaN(value) && this.isImprovement(value)) {
      this.best = value;
      this.bestEpoch = this.lastEpoch;
      this.numBadEpochs = 0;
      if (this.restoreBest) this.takeSnapshot();
    } else this.numBadEpochs += 1;
    if (this.numBadEpochs > 0 && this.numBadEpochs >= this.patience) {
      if (!this.stopped && this.restoreBest) this.restore();
      this.stopped = true;
    }
    return this.stopped;
  }

  private sources(): [string, Tensor][] {
    if (this.tensors) return this.tensors.map((t, i) => [String(i), t]);
    return this.model ? weightsOf(this.model) : [];
  }

  private takeSnapshot(): void {
    this.disposeSnapshot();
    const snap = new Map<string, Tensor>();
    noGrad(() => {
      for (const [k, t] of this.sources()) if (isTensor(t)) snap.set(k, keep(clone(t)));
    });
    this.snapshot = snap;
  }

  /** Copies the best epoch's weights back into the model (done automatically when stopping with `restoreBest`). */
  restore(): void {
    const snap = this.snapshot;
    if (!snap) return;
    noGrad(() => {
      for (const [k, t] of this.sources()) {
        const s = snap.get(k);
        if (s && isTensor(t)) t.copy_(s);
      }
    });
  }

  private disposeSnapshot(): void {
    if (this.snapshot) for (const t of this.snapshot.values()) t.dispose();
    this.snapshot = null;
  }

  /** Frees the snapshot of the best weights. */
  dispose(): void {
    this.disposeSnapshot();
  }

  /** The counters and the best metric (not the weight snapshot). */
  stateDict(): EarlyStoppingStateDict {
    return {
      patience: this.patience,
      min_delta: this.minDelta,
      mode: this.mode,
      best: this.best,
      best_epoch: this.bestEpoch,
      num_bad_epochs: this.numBadEpochs,
      last_epoch: this.lastEpoch,
      stopped: this.stopped,
    };
  }

  /** Restores the counters (the best weights' snapshot is not part of the state dict: save the model for that). */
  loadStateDict(sd: EarlyStoppingStateDict): void {
    if (typeof sd !== 'object' || sd === null || typeof sd.best !== 'number') throw new ValueError('EarlyStopping.loadStateDict: expected an EarlyStopping state dict');
    if (sd.mode !== this.mode) throw new ValueError(`EarlyStopping.loadStateDict: state dict has mode '${sd.mode}', this stopper has '${this.mode}'`);
    this.best = sd.best;
    this.bestEpoch = sd.best_epoch;
    this.numBadEpochs = sd.num_bad_epochs;
    this.lastEpoch = sd.last_epoch;
    this.stopped = sd.stopped;
  }
}
