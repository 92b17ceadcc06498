/**
 * optim's PyTorch fixture tables: the Torchlet form of each `optim` case's optimizer (the
 * PyTorch call is in the generator's `optim_cases`), of each `scheduler` case's scheduler,
 * and the quadratic loss every optim case steps on. Driven over every device by
 * `src/fixtures.test.ts` (optimizers run on the device of their parameters).
 */
import { matmul, mean, tidy, type Tensor } from '@torchlet/tensor';
import type { Optimizer } from '../src/optimizer.js';
import { Adagrad } from '../src/optimizers/adagrad.js';
import { Adam, AdamW } from '../src/optimizers/adam.js';
import { RMSprop } from '../src/optimizers/rmsprop.js';
import { SGD } from '../src/optimizers/sgd.js';
import { CosineAnnealingLR, CosineAnnealingWarmRestarts } from '../src/schedulers/cosine.js';
import { ExponentialLR } from '../src/schedulers/exponential.js';
import { LinearLR } from '../src/schedulers/linear.js';
import type { LRScheduler } from '../src/schedulers/lr-scheduler.js';
import { OneCycleLR } from '../src/schedulers/one-cycle.js';
import { ReduceLROnPlateau } from '../src/schedulers/plateau.js';
import { MultiStepLR, StepLR } from '../src/schedulers/step.js';

export type MakeOptimizer = (p: Tensor, b: Tensor) => Optimizer<any>;

/** Torchlet's form of each optimizer case (the PyTorch call is in the generator's `optim_cases`). */
export const OPTIM_FIXTURES: Record<string, MakeOptimizer> = {
  optim_sgd: (p, b) => new SGD([p, b], { lr: 0.1 }),
  optim_sgd_momentum_nesterov_wd: (p, b) => new SGD([p, b], { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  optim_adam: (p, b) => new Adam([p, b], { lr: 0.01 }),
  optim_adam_amsgrad_wd: (p, b) => new Adam([p, b], { lr: 0.01, amsgrad: true, weightDecay: 0.1 }),
  optim_adamw: (p, b) => new AdamW([p, b], { lr: 0.01, weightDecay: 0.05 }),
  optim_rmsprop: (p, b) => new RMSprop([p, b], { lr: 0.01, momentum: 0.5 }),
  optim_adagrad: (p, b) => new Adagrad([p, b], { lr: 0.1 }),
  optim_param_groups: (p, b) =>
    new SGD(
      [
        { params: [p], weightDecay: 0.1 },
        { params: [b], weightDecay: 0 },
      ],
      { lr: 0.1, momentum: 0.9 },
    ),
};

export type MakeScheduler = (opt: SGD) => LRScheduler;

export const SCHEDULER_FIXTURES: Record<string, MakeScheduler> = {
  sched_step_lr: (o) => new StepLR(o, 3, { gamma: 0.5 }),
  sched_multistep_lr: (o) => new MultiStepLR(o, [2, 5], { gamma: 0.1 }),
  sched_exponential_lr: (o) => new ExponentialLR(o, 0.9),
  sched_cosine_annealing_lr: (o) => new CosineAnnealingLR(o, 6, { etaMin: 0.001 }),
  sched_linear_lr_warmup: (o) => new LinearLR(o, { startFactor: 0.1, totalIters: 4 }),
  sched_one_cycle_lr: (o) => new OneCycleLR(o, 1.0, { totalSteps: 10 }),
  sched_cosine_warm_restarts: (o) => new CosineAnnealingWarmRestarts(o, 3, { tMult: 2 }),
};

/** Driven by `config.metrics` instead of a fixed loop. */
export const PLATEAU_FIXTURES: Record<string, (opt: SGD) => ReduceLROnPlateau> = {
  sched_reduce_on_plateau: (o) => new ReduceLROnPlateau(o, { mode: 'min', factor: 0.5, patience: 1 }),
};

/** `mean((x @ p + b − y)²)` → backward, freeing every temporary. */
export function quadraticBackward(x: Tensor, y: Tensor, p: Tensor, b: Tensor): void {
  tidy(() => {
    const d = matmul(x, p).add(b).sub(y);
    mean(d.mul(d)).backward();
  });
}
