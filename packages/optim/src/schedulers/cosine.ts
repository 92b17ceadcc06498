/** `CosineAnnealingLR` and `CosineAnnealingWarmRestarts` (SGDR). */
import { ValueError } from '@torchlet/tensor';
import { LRScheduler, type AnyOptimizer } from './lr-scheduler.js';

/** Options of `CosineAnnealingLR`. */
export interface CosineAnnealingLROptions {
  /** Minimum learning rate (default 0). */
  etaMin?: number;
  /** The index of the last epoch when resuming (default -1: start afresh; the groups then need `initialLr`). */
  lastEpoch?: number;
}

/**
 * `torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min=0)`: the chainable
 * recursion of PyTorch, which follows `eta_min + (base_lr − eta_min)(1 + cos(π·t/T_max))/2`
 * and keeps oscillating past `T_max`.
 */
export class CosineAnnealingLR extends LRScheduler {
  /** The half-period T_max, in epochs. */
  tMax: number;
  /** The minimum learning rate. */
  etaMin: number;

  constructor(optimizer: AnyOptimizer, tMax: number, options: CosineAnnealingLROptions = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    if (!(tMax > 0)) throw new ValueError(`CosineAnnealingLR: T_max must be positive, got ${tMax}`);
    this.tMax = tMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  getLr(): number[] {
    const { tMax, etaMin, lastEpoch: t } = this;
    if (t === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && t > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((t * Math.PI) / tMax))) / 2);
    }
    if ((t - 1 - tMax) % (2 * tMax) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return this.groups.map(
      (g) => ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (g.lr - etaMin) + etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }

  protected override stateFields(): Record<string, string> {
    return { T_max: 'tMax', eta_min: 'etaMin', ...super.stateFields() };
  }
}

/** Options of `CosineAnnealingWarmRestarts`. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Factor by which the period grows after a restart (integer ≥ 1, default 1). */
  tMult?: number;
  /** Minimum learning rate (default 0). */
  etaMin?: number;
  /** The index of the last epoch when resuming (default -1: start afresh; the groups then need `initialLr`). */
  lastEpoch?: number;
}

/**
 * `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0)`:
 * `lr = eta_min + (base_lr − eta_min)(1 + cos(π·T_cur/T_i))/2`, restarting when `T_cur` reaches
 * `T_i`; `step(epoch)` accepts fractional epochs.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** Epochs of the first period, T_0. */
  t0: number;
  /** Epochs of the current period, T_i. */
  tI: number;
  /** Factor by which the period grows after a restart. */
  tMult: number;
  /** The minimum learning rate. */
  etaMin: number;
  /** Epochs since the last restart, T_cur (fractional with `step(epoch)`). */
  tCur: number;

  constructor(optimizer: AnyOptimizer, t0: number, options: CosineAnnealingWarmRestartsOptions = {}) {
    const lastEpoch = options.lastEpoch ?? -1;
    super(optimizer, lastEpoch);
    const tMult = options.tMult ?? 1;
    if (!Number.isInteger(t0) || t0 <= 0) throw new ValueError(`Expected positive integer T_0, but got ${t0}`);
    if (!Number.isInteger(tMult) || tMult < 1) throw new ValueError(`Expected integer T_mult >= 1, but got ${tMult}`);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = options.etaMin ?? 0;
    this.tCur = lastEpoch;
    this.initialStep();
  }

  getLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  override step(epoch?: number): void {
    this.stepCount++;
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    } else {
      if (epoch < 0) throw new ValueError(`Expected non-negative epoch, but got ${epoch}`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) this.tCur = epoch % this.t0;
        else {
          const n = Math.floor(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    const values = this.getLr();
    this.groups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.groups.map((g) => g.lr);
  }

  protected override stateFields(): Record<string, string> {
    return { T_0: 't0', T_i: 'tI', T_mult: 'tMult', eta_min: 'etaMin', T_cur: 'tCur', ...super.stateFields() };
  }
}
