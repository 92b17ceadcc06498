/** `SequentialLR` (warm-up then decay) and `ChainedScheduler` (several schedulers at once). */
import { ValueError } from '@torchlet/tensor';
import { LRScheduler, bisectRight, deepCopy, type AnyOptimizer, type Scheduler, type SchedulerStateDict } from './lr-scheduler.js';
import { ReduceLROnPlateau } from './plateau.js';

function checkSchedulers(kind: string, optimizer: AnyOptimizer, schedulers: readonly unknown[]): void {
  if (schedulers.length < 1) throw new ValueError(`${kind} expects at least one scheduler, but got no scheduler.`);
  schedulers.forEach((s, i) => {
    if (s instanceof ReduceLROnPlateau) {
      throw new ValueError(
        `${kind} does not support \`ReduceLROnPlateau\` scheduler as it requires additional kwargs to be specified when calling \`step\`, but got one at index ${i} in the given schedulers sequence.`,
      );
    }
    if (!s || typeof s !== 'object' || !('optimizer' in s)) throw new TypeError(`${kind} at index ${i} should have \`optimizer\` as its attribute.`);
    if ((s as Scheduler).optimizer !== optimizer) {
      throw new ValueError(
        `${kind} expects all schedulers to belong to the same optimizer, but got scheduler ${(s as object).constructor.name} at index ${i} which belongs to a different optimizer.`,
      );
    }
  });
}

/**
 * `torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers, milestones)`: runs `schedulers[0]`
 * until `milestones[0]`, then `schedulers[1]` (restarted at its epoch 0), and so on.
 * `new SequentialLR(opt, [new LinearLR(opt, { startFactor: 0.1, totalIters: 5 }), new CosineAnnealingLR(opt, 95)], [5])`.
 */
export class SequentialLR implements Scheduler {
  /** The optimizer every scheduler acts on. */
  readonly optimizer: AnyOptimizer;
  /** The schedulers, in the order they take over. */
  readonly schedulers: LRScheduler[];
  /** The epochs at which the next scheduler takes over. */
  milestones: number[];
  /** Epochs stepped so far. */
  lastEpoch: number;
  protected lastLr: number[];

  constructor(optimizer: AnyOptimizer, schedulers: readonly LRScheduler[], milestones: readonly number[], options: { lastEpoch?: number } = {}) {
    checkSchedulers('SequentialLR', optimizer, schedulers);
    if (milestones.length !== schedulers.length - 1) {
      throw new ValueError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    }
    this.optimizer = optimizer;
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    // Undo the initial steps the schedulers took, and restart from the first one.
    for (const g of optimizer.paramGroups) g.lr = g['initialLr'] as number;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!.initialStep();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  /** Advances one epoch with the scheduler in charge (restarting it at a milestone). */
  step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const scheduler = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  /** The learning rate of each group after the last `step`. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** `_milestones`, `last_epoch`, `_last_lr` and every scheduler's state dict under `_schedulers`. */
  stateDict(): SchedulerStateDict {
    return {
      _milestones: [...this.milestones],
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  /** Restores a state from `stateDict()`. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const subs = stateDict['_schedulers'];
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new ValueError(
        `SequentialLR.loadStateDict: expected ${this.schedulers.length} scheduler state dicts, got ${Array.isArray(subs) ? subs.length : 'none'}`,
      );
    }
    if (Array.isArray(stateDict['_milestones'])) this.milestones = deepCopy(stateDict['_milestones'] as number[]);
    if (typeof stateDict['last_epoch'] === 'number') this.lastEpoch = stateDict['last_epoch'];
    if (Array.isArray(stateDict['_last_lr'])) this.lastLr = deepCopy(stateDict['_last_lr'] as number[]);
    subs.forEach((s, i) => this.schedulers[i]!.loadStateDict(s as SchedulerStateDict));
  }
}

/**
 * `torch.optim.lr_scheduler.ChainedScheduler(schedulers)`: every `step()` steps each scheduler
 * in turn, so their (chainable) effects multiply.
 */
export class ChainedScheduler implements Scheduler {
  /** The optimizer every scheduler acts on. */
  readonly optimizer: AnyOptimizer;
  /** The schedulers stepped together. */
  readonly schedulers: LRScheduler[];
  protected lastLr: number[];

  constructor(schedulers: readonly LRScheduler[], optimizer?: AnyOptimizer) {
    const opt = optimizer ?? schedulers[0]?.optimizer;
    if (!opt) throw new ValueError('ChainedScheduler expects at least one scheduler, but got no scheduler.');
    checkSchedulers('ChainedScheduler', opt, schedulers);
    this.optimizer = opt;
    this.schedulers = [...schedulers];
    this.lastLr = opt.paramGroups.map((g) => g.lr);
  }

  /** Steps every scheduler once. */
  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rate of each group after the last `step`. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** `_last_lr` and every scheduler's state dict under `_schedulers`. */
  stateDict(): SchedulerStateDict {
    return { _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /** Restores a state from `stateDict()`. */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const subs = stateDict['_schedulers'];
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new ValueError(
        `ChainedScheduler.loadStateDict: expected ${this.schedulers.length} scheduler state dicts, got ${Array.isArray(subs) ? subs.length : 'none'}`,
      );
    }
    if (Array.isArray(stateDict['_last_lr'])) this.lastLr = deepCopy(stateDict['_last_lr'] as number[]);
    subs.forEach((s, i) => this.schedulers[i]!.loadStateDict(s as SchedulerStateDict));
  }
}
