/** `OneCycleLR`: the 1cycle policy (warm-up to `maxLr`, anneal far below the start), with momentum cycling. */
import { ValueError } from '@torchlet/tensor';
import { LRScheduler, perGroup, type AnyOptimizer } from './lr-scheduler.js';

/** Options of `OneCycleLR`. */
export interface OneCycleLROptions {
  /** Total number of steps; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** Epochs of the cycle (with `stepsPerEpoch`, instead of `totalSteps`). */
  epochs?: number;
  /** Steps per epoch (with `epochs`). */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the learning rate (default 0.3). */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'`. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD's `momentum`, or Adam's `beta1`) inversely to the learning rate (default true). */
  cycleMomentum?: boolean;
  /** Lowest momentum, reached at the peak learning rate (default 0.85; one value or one per group). */
  baseMomentum?: number | number[];
  /** Highest momentum, at the start and end of the cycle (default 0.95; one value or one per group). */
  maxMomentum?: number | number[];
  /** `initial_lr = max_lr / divFactor` (default 25). */
  divFactor?: number;
  /** `min_lr = initial_lr / finalDivFactor` (default 1e4). */
  finalDivFactor?: number;
  /** A third phase that anneals from `initial_lr` to `min_lr` (fast.ai's schedule has two). */
  threePhase?: boolean;
  /** The index of the last step when resuming (default -1: start afresh). */
  lastEpoch?: number;
}

interface Phase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}

const PHASE_KEYS: Record<string, string> = {
  initial_lr: 'initialLr',
  max_lr: 'maxLr',
  min_lr: 'minLr',
  max_momentum: 'maxMomentum',
  base_momentum: 'baseMomentum',
};

function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2) * cosOut;
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

/**
 * `torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr, total_steps=None, epochs=None,
 * steps_per_epoch=None, pct_start=0.3, anneal_strategy='cos', cycle_momentum=True,
 * base_momentum=0.85, max_momentum=0.95, div_factor=25, final_div_factor=1e4, three_phase=False)`.
 * Step it after every batch.
 */
export class OneCycleLR extends LRScheduler {
  /** Steps in the whole cycle. */
  totalSteps: number;
  /** The cycle's phases: where each ends and which learning rates and momenta it moves between. */
  phases: Phase[];
  /** How each phase interpolates: cosine or linear. */
  annealStrategy: 'cos' | 'linear';
  /** Whether momentum cycles inversely to the learning rate. */
  cycleMomentum: boolean;
  /** Whether the optimizer's momentum is Adam's `beta1` (it has `betas`) rather than SGD's `momentum`. */
  useBeta1: boolean;

  constructor(optimizer: AnyOptimizer, maxLr: number | number[], options: OneCycleLROptions = {}) {
    const lastEpoch = options.lastEpoch ?? -1;
    let totalSteps: number;
    if (options.totalSteps === undefined && (options.epochs === undefined || options.stepsPerEpoch === undefined)) {
      throw new ValueError('You must define either total_steps OR (epochs AND steps_per_epoch)');
    } else if (options.totalSteps !== undefined) {
      if (!Number.isInteger(options.totalSteps) || options.totalSteps <= 0) {
        throw new ValueError(`Expected positive integer total_steps, but got ${options.totalSteps}`);
      }
      totalSteps = options.totalSteps;
    } else {
      if (!Number.isInteger(options.epochs) || options.epochs! <= 0) throw new ValueError(`Expected positive integer epochs, but got ${options.epochs}`);
      if (!Number.isInteger(options.stepsPerEpoch) || options.stepsPerEpoch! <= 0) {
        throw new ValueError(`Expected positive integer steps_per_epoch, but got ${options.stepsPerEpoch}`);
      }
      totalSteps = options.epochs! * options.stepsPerEpoch!;
    }
    const pctStart = options.pctStart ?? 0.3;
    if (!(pctStart >= 0 && pctStart <= 1)) throw new ValueError(`Expected float between 0 and 1 pct_start, but got ${pctStart}`);
    const annealStrategy = options.annealStrategy ?? 'cos';
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') {
      throw new ValueError(`anneal_strategy must be one of 'cos' or 'linear', instead got ${String(annealStrategy)}`);
    }
    const divFactor = options.divFactor ?? 25;
    const finalDivFactor = options.finalDivFactor ?? 1e4;
    const cycleMomentum = options.cycleMomentum ?? true;
    const maxLrs = perGroup(optimizer, 'max_lr', maxLr);
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g['initialLr'] = maxLrs[i]! / divFactor;
        g['maxLr'] = maxLrs[i]!;
        g['minLr'] = (g['initialLr'] as number) / finalDivFactor;
      });
    }
    let useBeta1 = false;
    if (cycleMomentum) {
      const defaults = optimizer.defaults as Record<string, unknown>;
      if (!('momentum' in defaults) && !('betas' in defaults)) {
        throw new ValueError('optimizer must support momentum or beta1 with `cycle_momentum` option enabled');
      }
      useBeta1 = 'betas' in defaults;
      const maxMomentums = perGroup(optimizer, 'max_momentum', options.maxMomentum ?? 0.95);
      const baseMomentums = perGroup(optimizer, 'base_momentum', options.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g['betas'] = [maxMomentums[i]!, ...(g['betas'] as number[]).slice(1)];
          else g['momentum'] = maxMomentums[i]!;
          g['maxMomentum'] = maxMomentums[i]!;
          g['baseMomentum'] = baseMomentums[i]!;
        });
      }
    }
    super(optimizer, lastEpoch);
    this.totalSteps = totalSteps;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.phases = options.threePhase
      ? [
          { end_step: pctStart * totalSteps - 1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
          { end_step: 2 * pctStart * totalSteps - 2, start_lr: 'max_lr', end_lr: 'initial_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
          { end_step: totalSteps - 1, start_lr: 'initial_lr', end_lr: 'min_lr', start_momentum: 'max_momentum', end_momentum: 'max_momentum' },
        ]
      : [
          { end_step: pctStart * totalSteps - 1, start_lr: 'initial_lr', end_lr: 'max_lr', start_momentum: 'max_momentum', end_momentum: 'base_momentum' },
          { end_step: totalSteps - 1, start_lr: 'max_lr', end_lr: 'min_lr', start_momentum: 'base_momentum', end_momentum: 'max_momentum' },
        ];
    this.initialStep();
  }

  getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ValueError(`Tried to step ${stepNum} times. The specified number of total steps is ${this.totalSteps}`);
    }
    const anneal = this.annealStrategy === 'cos' ? annealCos : annealLinear;
    return this.groups.map((g) => {
      const get = (key: string): number => g[PHASE_KEYS[key]!] as number;
      let startStep = 0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i]!;
        const endStep = phase.end_step;
        if (stepNum <= endStep || i === this.phases.length - 1) {
          const pct = (stepNum - startStep) / (endStep - startStep);
          lr = anneal(get(phase.start_lr), get(phase.end_lr), pct);
          if (this.cycleMomentum) momentum = anneal(get(phase.start_momentum), get(phase.end_momentum), pct);
          break;
        }
        startStep = phase.end_step;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g['betas'] = [momentum, ...(g['betas'] as number[]).slice(1)];
        else g['momentum'] = momentum;
      }
      return lr;
    });
  }

  protected override stateFields(): Record<string, string> {
    return {
      total_steps: 'totalSteps',
      _schedule_phases: 'phases',
      anneal_strategy: 'annealStrategy',
      cycle_momentum: 'cycleMomentum',
      use_beta1: 'useBeta1',
      ...super.stateFields(),
    };
  }
}
