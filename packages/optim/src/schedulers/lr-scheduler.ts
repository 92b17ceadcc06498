/**
 * `LRScheduler`: the base of the epoch-driven learning-rate schedulers, as
 * `torch.optim.lr_scheduler.LRScheduler` in PyTorch 2.x.
 *
 * - Constructing a scheduler records `initialLr` in every parameter group (when `lastEpoch` is
 *   -1) and takes the initial step, which sets the epoch-0 learning rate.
 * - `step()` advances `lastEpoch` and applies the *chainable* form (`getLr()`, computed from the
 *   groups' current `lr`), so several schedulers can act on one optimizer; `step(epoch)` jumps
 *   to an epoch with the closed form where the scheduler has one (what `SequentialLR` uses).
 * - `stateDict()` holds the scheduler's fields under PyTorch's keys (`base_lrs`, `last_epoch`,
 *   `_step_count`, `_last_lr`, `step_size`, `T_max` …), never the optimizer.
 */
import { ValueError } from '@torchlet/tensor';
import type { Optimizer, ParamGroup } from '../optimizer.js';

/** Any optimizer (schedulers only touch `paramGroups` and `defaults`). */
export type AnyOptimizer = Optimizer<any>;

/** A scheduler's state dict: plain values under PyTorch's keys. */
export type SchedulerStateDict = Record<string, unknown>;

export function deepCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(deepCopy) as T;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepCopy(x);
    return out as T;
  }
  return v;
}

/** PyTorch's `_format_param`: one value per parameter group. */
export function perGroup(optimizer: AnyOptimizer, name: string, value: number | readonly number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(value)) {
    if (value.length !== n) throw new ValueError(`expected ${n} values for ${name}, got ${value.length}`);
    return [...value];
  }
  return new Array<number>(n).fill(value as number);
}

/** Python's `bisect.bisect_right` on a sorted array. */
export function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** What every scheduler offers (`SequentialLR`/`ChainedScheduler` hold these). */
export interface Scheduler {
  /** The optimizer whose parameter groups' `lr` it sets. */
  readonly optimizer: AnyOptimizer;
  /** Advances one epoch (or step, for per-batch schedulers) and sets the learning rates. */
  step(): void;
  /** `get_last_lr()`: the learning rate of each group after the last `step`. */
  getLastLr(): number[];
  /** The scheduler's state under PyTorch's keys (never the optimizer's). */
  stateDict(): SchedulerStateDict;
  /** Restores a state from `stateDict()`. */
  loadStateDict(stateDict: SchedulerStateDict): void;
}

/** The base of the epoch-driven schedulers (`torch.optim.lr_scheduler.LRScheduler`). */
export abstract class LRScheduler implements Scheduler {
  /** The optimizer whose parameter groups' `lr` it sets. */
  readonly optimizer: AnyOptimizer;
  /** `base_lrs`: each group's `initialLr`. */
  baseLrs: number[];
  /** `last_epoch`: the index of the last step (−1 before the initial step). */
  lastEpoch: number;
  /** `_step_count`. */
  stepCount = 0;
  /** `_last_lr`. */
  protected lastLr: number[] = [];

  /**
   * Subclasses set their own fields after `super(...)` and then call `this.initialStep()`
   * (PyTorch sets them before `super().__init__`, which takes the step).
   */
  constructor(optimizer: AnyOptimizer, lastEpoch = -1) {
    if (!optimizer || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) {
      throw new TypeError(`${new.target.name}: expected an Optimizer`);
    }
    this.optimizer = optimizer;
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) if (g['initialLr'] === undefined) g['initialLr'] = g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g['initialLr'] === undefined) {
          throw new ValueError(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
        }
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g['initialLr'] as number);
    this.lastEpoch = lastEpoch;
  }

  protected get groups(): ParamGroup[] {
    return this.optimizer.paramGroups;
  }

  /** Internal: resets the step count and takes the initial step (`_initial_step`). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The chainable form: the next learning rates from the groups' current ones and `lastEpoch`. */
  abstract getLr(): number[];

  /** The closed form at `lastEpoch`, for schedulers that have one (`_get_closed_form_lr`). */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** `scheduler.step()`; `step(epoch)` (deprecated in PyTorch) jumps to `epoch`. */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.groups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** `get_last_lr()`: the learning rates the last step set. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** State-dict keys (PyTorch's) mapped to this object's fields. */
  protected stateFields(): Record<string, string> {
    return { base_lrs: 'baseLrs', last_epoch: 'lastEpoch', _step_count: 'stepCount', _last_lr: 'lastLr' };
  }

  /** `scheduler.state_dict()`: every field under PyTorch's key (never the optimizer). */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = { verbose: false, _get_lr_called_within_step: false };
    const self = this as unknown as Record<string, unknown>;
    for (const [key, field] of Object.entries(this.stateFields())) out[key] = deepCopy(self[field]);
    return out;
  }

  /** `scheduler.load_state_dict(sd)`. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    if (typeof stateDict !== 'object' || stateDict === null) throw new ValueError(`${this.constructor.name}.loadStateDict: expected an object`);
    const self = this as unknown as Record<string, unknown>;
    for (const [key, field] of Object.entries(this.stateFields())) {
      if (key in stateDict) self[field] = deepCopy(stateDict[key]);
    }
  }
}
