/**
 * `fit`'s callbacks: a progress bar, early stopping, learning-rate schedules, resumable
 * checkpoints and a CSV/JSON history log. Each keeps what a resumed run needs in its
 * `stateDict()`, which `ModelCheckpoint` saves with the model and optimizer.
 */
import { noGrad } from '@torchlet/autograd';
import { ProgressBar, type ProgressBarOptions } from '@torchlet/data';
import { save } from '@torchlet/io';
import { EarlyStopping, ReduceLROnPlateau, type EarlyStoppingStateDict, type Scheduler } from '@torchlet/optim';
import { ValueError, clone, keep, type Tensor } from '@torchlet/tensor';
import type { Callback, FitContext, Logs } from './fit.js';

/** 'min' or 'max' for `monitor` under 'auto': accuracies and the like are maximised. */
function autoMode(monitor: string): 'min' | 'max' {
  return /acc|auc|precision|recall|f1/i.test(monitor) ? 'max' : 'min';
}

function monitored(logs: Logs, monitor: string, who: string): number {
  const v = logs[monitor];
  if (v === undefined) throw new ValueError(`${who}: '${monitor}' is not in the epoch's logs (${Object.keys(logs).join(', ')})`);
  return v;
}

// ---- progress -----------------------------------------------------------------------------------

/** A progress bar per epoch (data's `ProgressBar`): batches, rate, ETA, running loss; the epoch's metrics when it ends. */
export class ProgressBarCallback implements Callback {
  readonly name = 'ProgressBarCallback';
  #bar: ProgressBar | null = null;
  constructor(readonly options: Omit<ProgressBarOptions, 'total' | 'label'> = {}) {}

  onEpochBegin(epoch: number, ctx: FitContext): void {
    this.#bar = new ProgressBar({ ...this.options, total: ctx.stepsPerEpoch, label: `epoch ${epoch + 1}/${ctx.epochs}`, unit: 'batch' });
  }

  onBatchEnd(_batch: number, logs: Logs): void {
    const { size: _size, ...rest } = logs;
    this.#bar?.update(1, rest);
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const shown: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) if (k !== 'loss') shown[k] = v;
    this.#bar?.update(0, shown);
    this.#bar?.close();
    this.#bar = null;
  }

  onTrainEnd(): void {
    this.#bar?.close();
    this.#bar = null;
  }
}

// ---- early stopping -------------------------------------------------------------------------------

export interface EarlyStoppingCallbackOptions {
  /** The logged value to watch (default `val_loss`, or `loss` without validation data). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 10). */
  patience?: number;
  /** The smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** 'min', 'max' or 'auto' (default: 'max' for accuracies, else 'min'). */
  mode?: 'min' | 'max' | 'auto';
  /** Put the best epoch's weights back when stopping (and at the end of training). */
  restoreBest?: boolean;
}

/** Stops `fit` when `monitor` stops improving (optim's `EarlyStopping`), optionally restoring the best weights. */
export class EarlyStoppingCallback implements Callback {
  readonly name = 'EarlyStoppingCallback';
  readonly options: EarlyStoppingCallbackOptions;
  monitor = '';
  stopper: EarlyStopping | null = null;
  /** The epoch training stopped after (null if it did not). */
  stoppedEpoch: number | null = null;
  #best: Map<string, Tensor> | null = null;
  #pending: { stopper: EarlyStoppingStateDict; monitor: string; stoppedEpoch: number | null } | null = null;

  constructor(options: EarlyStoppingCallbackOptions = {}) {
    this.options = options;
  }

  onTrainBegin(ctx: FitContext): void {
    this.monitor = this.options.monitor ?? (ctx.hasValidation ? 'val_loss' : 'loss');
    const mode = this.options.mode === undefined || this.options.mode === 'auto' ? autoMode(this.monitor) : this.options.mode;
    this.stopper = new EarlyStopping({ patience: this.options.patience ?? 10, minDelta: this.options.minDelta ?? 0, mode });
    if (this.#pending) {
      this.stopper.loadStateDict(this.#pending.stopper);
      this.stoppedEpoch = this.#pending.stoppedEpoch;
      this.#pending = null;
    }
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: FitContext): void {
    const s = this.stopper!;
    const stop = s.step(monitored(logs, this.monitor, 'EarlyStoppingCallback'));
    if (this.options.restoreBest && s.bestEpoch === s.lastEpoch) this.#snapshot(ctx);
    if (stop) {
      ctx.stopTraining = true;
      this.stoppedEpoch = epoch;
    }
  }

  onTrainEnd(ctx: FitContext): void {
    if (this.options.restoreBest && this.#best) {
      const best = this.#best;
      noGrad(() => {
        for (const [k, t] of Object.entries(ctx.model.stateDict())) {
          const b = best.get(k);
          if (b) t.copy_(b);
        }
      });
    }
    this.#dropSnapshot();
  }

  #snapshot(ctx: FitContext): void {
    this.#dropSnapshot();
    const m = new Map<string, Tensor>();
    noGrad(() => {
      for (const [k, t] of Object.entries(ctx.model.stateDict())) m.set(k, keep(clone(t)));
    });
    this.#best = m;
  }

  #dropSnapshot(): void {
    if (this.#best) for (const t of this.#best.values()) t.dispose();
    this.#best = null;
  }

  stateDict(): unknown {
    return {
      monitor: this.monitor,
      stopper: this.stopper?.stateDict() ?? null,
      stopped_epoch: this.stoppedEpoch,
      best_weights: this.#best ? Object.fromEntries(this.#best) : null,
    };
  }

  loadStateDict(state: unknown): void {
    const s = state as { monitor: string; stopper: EarlyStoppingStateDict | null; stopped_epoch: number | null; best_weights: Record<string, Tensor> | null };
    if (s.stopper) this.#pending = { stopper: s.stopper, monitor: s.monitor, stoppedEpoch: s.stopped_epoch };
    this.#dropSnapshot();
    if (s.best_weights) {
      const m = new Map<string, Tensor>();
      noGrad(() => {
        for (const [k, t] of Object.entries(s.best_weights!)) m.set(k, keep(clone(t)));
      });
      this.#best = m;
    }
  }
}

// ---- learning-rate schedules ----------------------------------------------------------------------

export interface LRSchedulerCallbackOptions {
  /** Step after every epoch (default) or after every optimizer step. */
  interval?: 'epoch' | 'step';
  /** `ReduceLROnPlateau`'s metric (default `val_loss`, or `loss` without validation data). */
  monitor?: string;
}

/** Steps an optim LR scheduler per epoch or per batch (`ReduceLROnPlateau` with the monitored value). */
export class LRSchedulerCallback implements Callback {
  readonly name: string;
  readonly interval: 'epoch' | 'step';
  constructor(
    readonly scheduler: Scheduler | ReduceLROnPlateau,
    readonly options: LRSchedulerCallbackOptions = {},
  ) {
    this.interval = options.interval ?? 'epoch';
    if (this.interval !== 'epoch' && this.interval !== 'step') throw new ValueError(`LRSchedulerCallback: interval must be 'epoch' or 'step', got ${String(this.interval)}`);
    if (scheduler instanceof ReduceLROnPlateau && this.interval !== 'epoch') throw new ValueError('LRSchedulerCallback: ReduceLROnPlateau steps per epoch (it needs the epoch metric)');
    this.name = `LRSchedulerCallback(${scheduler.constructor.name})`;
  }

  onBatchEnd(): void {
    if (this.interval === 'step') (this.scheduler as Scheduler).step();
  }

  onEpochEnd(_epoch: number, logs: Logs, ctx: FitContext): void {
    if (this.interval !== 'epoch') return;
    if (this.scheduler instanceof ReduceLROnPlateau) {
      const monitor = this.options.monitor ?? (ctx.hasValidation ? 'val_loss' : 'loss');
      this.scheduler.step(monitored(logs, monitor, 'LRSchedulerCallback'));
    } else this.scheduler.step();
  }

  stateDict(): unknown {
    return this.scheduler.stateDict();
  }

  loadStateDict(state: unknown): void {
    this.scheduler.loadStateDict(state as Record<string, unknown>);
  }
}

// ---- checkpoints ----------------------------------------------------------------------------------

export interface ModelCheckpointOptions {
  /** File to write (`{epoch}` is replaced by the 1-based epoch number). */
  path: string;
  /** Write every this many epochs (default 1); the last epoch is always written. */
  every?: number;
  /** Write only when `monitor` improves. */
  saveBestOnly?: boolean;
  monitor?: string;
  mode?: 'min' | 'max' | 'auto';
}

/**
 * Saves the run's whole state after an epoch with `torch.io.save` (atomically): model,
 * optimizer, every callback's state (schedulers, early stopping), the global RNG, the loaders'
 * shuffle generators and the history — what `fit(…, { resumeFrom: path })` continues from.
 */
export class ModelCheckpoint implements Callback {
  readonly name = 'ModelCheckpoint';
  readonly runsLast = true;
  readonly options: ModelCheckpointOptions;
  /** Paths written, in order. */
  readonly written: string[] = [];
  best: number | null = null;

  constructor(options: ModelCheckpointOptions) {
    if (!options || typeof options.path !== 'string' || options.path === '') throw new ValueError('ModelCheckpoint: a path is required');
    const every = options.every ?? 1;
    if (!Number.isInteger(every) || every < 1) throw new ValueError(`ModelCheckpoint: every must be a positive integer, got ${every}`);
    this.options = options;
  }

  async onEpochEnd(epoch: number, logs: Logs, ctx: FitContext): Promise<void> {
    const o = this.options;
    if (o.saveBestOnly) {
      const monitor = o.monitor ?? (ctx.hasValidation ? 'val_loss' : 'loss');
      const v = monitored(logs, monitor, 'ModelCheckpoint');
      const mode = o.mode === undefined || o.mode === 'auto' ? autoMode(monitor) : o.mode;
      if (this.best !== null && !(mode === 'min' ? v < this.best : v > this.best)) return;
      this.best = v;
    } else if ((epoch + 1) % (o.every ?? 1) !== 0 && epoch !== ctx.epochs - 1 && !ctx.stopTraining) return;
    const path = o.path.replace(/\{epoch\}/g, String(epoch + 1));
    await save(ctx.checkpoint(epoch), path);
    this.written.push(path);
  }

  stateDict(): unknown {
    return { best: this.best };
  }

  loadStateDict(state: unknown): void {
    this.best = (state as { best: number | null }).best;
  }
}

// ---- history log ----------------------------------------------------------------------------------

export interface HistoryLoggerOptions {
  /** File to (re)write after every epoch: CSV, or JSON when it ends in `.json`. */
  path?: string;
  /** 'csv' or 'json' (default: from the extension). */
  format?: 'csv' | 'json';
  /** Where the text goes instead of a file (e.g. in a browser). */
  write?: (text: string) => void | Promise<void>;
  /** CSV field separator (default ','). */
  separator?: string;
}

/**
 * Writes the whole history after each epoch (Keras's CSVLogger, rewritten rather than appended,
 * so a resumed run's file holds exactly its history): CSV with a header `epoch,loss,…`, or
 * JSON `{ "epoch": […], "history": { "loss": […], … } }`.
 */
export class HistoryLogger implements Callback {
  readonly name = 'HistoryLogger';
  readonly runsLast = true;
  readonly format: 'csv' | 'json';
  constructor(readonly options: HistoryLoggerOptions) {
    if (!options || (options.path === undefined) === (options.write === undefined)) throw new ValueError('HistoryLogger: give exactly one of path and write');
    this.format = options.format ?? (options.path?.toLowerCase().endsWith('.json') ? 'json' : 'csv');
    if (this.format !== 'csv' && this.format !== 'json') throw new ValueError(`HistoryLogger: format must be 'csv' or 'json', got ${String(this.format)}`);
  }

  /** The text for `ctx`'s history. */
  render(ctx: Pick<FitContext, 'history'>): string {
    const h = ctx.history;
    if (this.format === 'json') return `${JSON.stringify(h.toJSON(), null, 2)}\n`;
    const sep = this.options.separator ?? ',';
    const keys = ['epoch', ...Object.keys(h.history)];
    const lines = [keys.join(sep), ...h.rows().map((r) => keys.map((k) => (r[k] === undefined ? '' : String(r[k]))).join(sep))];
    return `${lines.join('\n')}\n`;
  }

  async onEpochEnd(_epoch: number, _logs: Logs, ctx: FitContext): Promise<void> {
    const text = this.render(ctx);
    if (this.options.write) return void (await this.options.write(text));
    // process.getBuiltinModule, not import(): a browser bundler would try to resolve 'node:fs/promises'
    const fs = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:fs/promises') as
      | typeof import('node:fs/promises')
      | undefined;
    if (!fs) throw new ValueError('HistoryLogger: a file path needs Node.js; pass `write` elsewhere');
    await fs.writeFile(this.options.path!, text);
  }
}
