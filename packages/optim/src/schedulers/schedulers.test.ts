/**
 * Scheduler sequences against real PyTorch (test-data/scheduler-refs.json, made by
 * tools/scheduler_refs.py), state-dict round trips and the error paths.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import '@torchlet/autograd';
import { zeros, type Tensor } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import type { Optimizer } from '../optimizer.js';
import { Adagrad } from '../optimizers/adagrad.js';
import { Adam } from '../optimizers/adam.js';
import { SGD } from '../optimizers/sgd.js';
import { CosineAnnealingLR, CosineAnnealingWarmRestarts } from './cosine.js';
import { ExponentialLR } from './exponential.js';
import { LambdaLR, MultiplicativeLR } from './lambda.js';
import { ConstantLR, LinearLR, PolynomialLR } from './linear.js';
import type { Scheduler } from './lr-scheduler.js';
import { OneCycleLR } from './one-cycle.js';
import { ReduceLROnPlateau } from './plateau.js';
import { ChainedScheduler, SequentialLR } from './sequential.js';
import { MultiStepLR, StepLR } from './step.js';

interface Ref {
  lr: number[][];
  momentum: number[][];
  last_lr: number[];
}
const REFS = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../test-data/scheduler-refs.json', import.meta.url)), 'utf8')) as {
    cases: Record<string, Ref>;
  }
).cases;

const p = (): Tensor => zeros([1]).requiresGrad_();
const sgd = (groups = 1, lr = 0.1, momentum = 0.9): SGD =>
  groups === 1 ? new SGD([p()], { lr, momentum }) : new SGD(Array.from({ length: groups }, (_, i) => ({ params: [p()], lr: lr * (i + 1) })), { lr, momentum });

interface Entry {
  opt: () => Optimizer<any>;
  sched: (o: Optimizer<any>) => Scheduler | ReduceLROnPlateau;
  steps?: number;
  metrics?: number[];
}

/** The Torchlet form of each case of tools/scheduler_refs.py. */
const TABLE: Record<string, Entry> = {
  step_lr_two_groups: { opt: () => sgd(2), sched: (o) => new StepLR(o, 2, { gamma: 0.7 }) },
  multistep_repeated_milestone: { opt: () => sgd(), sched: (o) => new MultiStepLR(o, [3, 3, 7], { gamma: 0.5 }) },
  constant_lr: { opt: () => sgd(), sched: (o) => new ConstantLR(o, { factor: 0.25, totalIters: 4 }) },
  linear_lr_decay: { opt: () => sgd(), sched: (o) => new LinearLR(o, { startFactor: 1, endFactor: 0.2, totalIters: 6 }) },
  polynomial_lr: { opt: () => sgd(), sched: (o) => new PolynomialLR(o, { totalIters: 8, power: 2 }) },
  exponential_lr: { opt: () => sgd(), sched: (o) => new ExponentialLR(o, 0.8) },
  cosine_past_t_max: { opt: () => sgd(), sched: (o) => new CosineAnnealingLR(o, 4, { etaMin: 0.01 }), steps: 20 },
  cosine_warm_restarts_tmult1: { opt: () => sgd(), sched: (o) => new CosineAnnealingWarmRestarts(o, 4, { etaMin: 0.005 }), steps: 14 },
  lambda_lr_two_groups: { opt: () => sgd(2), sched: (o) => new LambdaLR(o, [(e) => 0.9 ** e, (e) => 1 / (e + 1)]) },
  multiplicative_lr: { opt: () => sgd(), sched: (o) => new MultiplicativeLR(o, () => 0.95) },
  one_cycle_linear_three_phase: {
    opt: () => sgd(),
    sched: (o) => new OneCycleLR(o, 0.5, { totalSteps: 12, annealStrategy: 'linear', threePhase: true }),
  },
  one_cycle_adam_beta1: {
    opt: () => new Adam([p()], { lr: 0.01 }),
    sched: (o) => new OneCycleLR(o, 0.02, { epochs: 3, stepsPerEpoch: 4, pctStart: 0.25 }),
  },
  one_cycle_no_momentum_cycle: {
    opt: () => sgd(),
    sched: (o) => new OneCycleLR(o, [0.3], { totalSteps: 12, cycleMomentum: false, divFactor: 10, finalDivFactor: 100 }),
  },
  sequential_warmup_cosine: {
    opt: () => sgd(),
    sched: (o) => new SequentialLR(o, [new LinearLR(o, { startFactor: 0.1, totalIters: 3 }), new CosineAnnealingLR(o, 8)], [3]),
  },
  sequential_three: {
    opt: () => sgd(),
    sched: (o) =>
      new SequentialLR(o, [new ConstantLR(o, { factor: 0.5, totalIters: 2 }), new ExponentialLR(o, 0.9), new StepLR(o, 2, { gamma: 0.5 })], [2, 6]),
    steps: 14,
  },
  chained_exponential_step: {
    opt: () => sgd(),
    sched: (o) => new ChainedScheduler([new ExponentialLR(o, 0.9), new StepLR(o, 3, { gamma: 0.5 })]),
  },
  plateau_max_abs_cooldown: {
    opt: () => new SGD([p()], { lr: 1 }),
    sched: (o) =>
      new ReduceLROnPlateau(o, { mode: 'max', factor: 0.5, patience: 0, threshold: 0.05, thresholdMode: 'abs', cooldown: 2, minLr: 0.1 }),
    metrics: [0.5, 0.52, 0.6, 0.6, 0.61, 0.59, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7],
  },
  plateau_min_rel_eps: {
    opt: () => new SGD([p()], { lr: 1e-7 }),
    sched: (o) => new ReduceLROnPlateau(o, { factor: 0.5, patience: 0, eps: 1e-7 }),
    metrics: [1, 1, 1],
  },
};

function momentumOf(o: Optimizer<any>): number[] {
  return o.paramGroups.map((g) => (Array.isArray(g['betas']) ? (g['betas'] as number[])[0]! : ((g['momentum'] as number | undefined) ?? 0)));
}

function run(e: Entry): { lr: number[][]; momentum: number[][]; lastLr: number[]; opt: Optimizer<any> } {
  const opt = e.opt();
  const s = e.sched(opt);
  const lr: number[][] = [];
  const momentum: number[][] = [];
  const record = (): void => {
    lr.push(opt.paramGroups.map((g) => g.lr));
    momentum.push(momentumOf(opt));
  };
  if (e.metrics) {
    for (const m of e.metrics) {
      (s as ReduceLROnPlateau).step(m);
      record();
    }
  } else {
    for (let i = 0; i < (e.steps ?? 12); i++) {
      record();
      opt.step();
      (s as Scheduler).step();
    }
  }
  return { lr, momentum, lastLr: s.getLastLr(), opt };
}

function expectSeq(actual: number[][], expected: number[][], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((row, i) =>
    row.forEach((v, j) => {
      const e = expected[i]![j]!;
      if (!(Math.abs(v - e) <= 1e-12 + 1e-9 * Math.abs(e))) throw new Error(`${what}[${i}][${j}]: got ${v}, PyTorch ${e}`);
    }),
  );
}

describe('schedulers match PyTorch sequences', () => {
  test('every reference case has an entry', () => {
    expect(Object.keys(REFS).sort()).toEqual(Object.keys(TABLE).sort());
  });
  for (const [name, ref] of Object.entries(REFS)) {
    test(name, () => {
      const e = TABLE[name];
      if (!e) throw new Error(`${name}: no entry in the table`);
      const r = run(e);
      expectSeq(r.lr, ref.lr, `${name} lr`);
      expectSeq(r.momentum, ref.momentum, `${name} momentum`);
      expectSeq([r.lastLr], [ref.last_lr], `${name} last lr`);
      r.opt.dispose();
    });
  }
});

describe('scheduler state dicts', () => {
  const roundTrip: Record<string, Entry> = {
    StepLR: TABLE['step_lr_two_groups']!,
    MultiStepLR: TABLE['multistep_repeated_milestone']!,
    CosineAnnealingLR: TABLE['cosine_past_t_max']!,
    CosineAnnealingWarmRestarts: { opt: () => sgd(), sched: (o) => new CosineAnnealingWarmRestarts(o, 2, { tMult: 2 }) },
    OneCycleLR: TABLE['one_cycle_adam_beta1']!,
    SequentialLR: TABLE['sequential_three']!,
    ChainedScheduler: TABLE['chained_exponential_step']!,
    LambdaLR: TABLE['lambda_lr_two_groups']!,
    ReduceLROnPlateau: TABLE['plateau_max_abs_cooldown']!,
  };
  for (const [name, e] of Object.entries(roundTrip)) {
    test(`${name}: save after 3 steps, load into a fresh optimizer and scheduler, continue identically`, () => {
      const full = run(e);
      const opt = e.opt();
      const s = e.sched(opt);
      const metrics = e.metrics;
      const stepOnce = (sch: Scheduler | ReduceLROnPlateau, o: Optimizer<any>, i: number): void => {
        if (metrics) (sch as ReduceLROnPlateau).step(metrics[i]!);
        else {
          o.step();
          (sch as Scheduler).step();
        }
      };
      const lrs: number[][] = [];
      for (let i = 0; i < 3; i++) {
        if (!metrics) lrs.push(opt.paramGroups.map((g) => g.lr));
        stepOnce(s, opt, i);
        if (metrics) lrs.push(opt.paramGroups.map((g) => g.lr));
      }
      const savedOpt = structuredClone(opt.stateDict());
      const savedSched = structuredClone(s.stateDict());
      const opt2 = e.opt();
      const s2 = e.sched(opt2);
      opt2.loadStateDict(savedOpt);
      s2.loadStateDict(savedSched);
      const total = full.lr.length;
      for (let i = 3; i < total; i++) {
        if (!metrics) lrs.push(opt2.paramGroups.map((g) => g.lr));
        stepOnce(s2, opt2, i);
        if (metrics) lrs.push(opt2.paramGroups.map((g) => g.lr));
      }
      expect(lrs).toEqual(full.lr);
      expect(s2.getLastLr()).toEqual(full.lastLr);
    });
  }

  test('state dicts use PyTorch keys', () => {
    const o = sgd();
    const s = new StepLR(o, 3, { gamma: 0.5 });
    s.step();
    expect(s.stateDict()).toMatchObject({ step_size: 3, gamma: 0.5, base_lrs: [0.1], last_epoch: 1, _step_count: 2, _last_lr: [0.1] });
    expect(new CosineAnnealingLR(sgd(), 5).stateDict()).toMatchObject({ T_max: 5, eta_min: 0 });
    expect(o.stateDict().param_groups[0]).toMatchObject({ initial_lr: 0.1, lr: 0.1, weight_decay: 0 });
    const plateau = new ReduceLROnPlateau(sgd(), { patience: 2 }).stateDict();
    expect(plateau).toMatchObject({ patience: 2, mode: 'min', threshold_mode: 'rel', best: Infinity, num_bad_epochs: 0, min_lrs: [0] });
  });

  test('step(epoch) jumps with the closed form', () => {
    const o = sgd();
    const s = new StepLR(o, 2, { gamma: 0.5 });
    s.step(5);
    expect(o.paramGroups[0]!.lr).toBeCloseTo(0.1 * 0.5 ** 2, 15);
    const w = new CosineAnnealingWarmRestarts(sgd(), 2, { tMult: 2 });
    w.step(2.5); // second period: T_i = 4, T_cur = 0.5
    expect(w.tI).toBe(4);
    expect(w.tCur).toBeCloseTo(0.5, 12);
  });
});

describe('scheduler errors', () => {
  test('bad constructor arguments', () => {
    expect(() => new LinearLR(sgd(), { startFactor: 0 })).toThrow(/Starting multiplicative factor/);
    expect(() => new LinearLR(sgd(), { endFactor: 1.5 })).toThrow(/Ending multiplicative factor/);
    expect(() => new ConstantLR(sgd(), { factor: 2 })).toThrow(/between 0 and 1/);
    expect(() => new StepLR(sgd(), 0)).toThrow(/step_size/);
    expect(() => new CosineAnnealingWarmRestarts(sgd(), 0)).toThrow(/positive integer T_0/);
    expect(() => new CosineAnnealingWarmRestarts(sgd(), 2, { tMult: 0.5 })).toThrow(/T_mult >= 1/);
    expect(() => new LambdaLR(sgd(2), [() => 1])).toThrow(/Expected 2 lr_lambdas, but got 1/);
    expect(() => new StepLR(sgd(), 2, { lastEpoch: 3 })).toThrow(/initial_lr/);
  });

  test('OneCycleLR', () => {
    expect(() => new OneCycleLR(sgd(), 1)).toThrow(/total_steps OR \(epochs AND steps_per_epoch\)/);
    expect(() => new OneCycleLR(sgd(), 1, { totalSteps: 0 })).toThrow(/positive integer total_steps/);
    expect(() => new OneCycleLR(sgd(), 1, { totalSteps: 5, annealStrategy: 'exp' as 'cos' })).toThrow(/anneal_strategy/);
    expect(() => new OneCycleLR(sgd(), 1, { totalSteps: 5, pctStart: 1.5 })).toThrow(/pct_start/);
    expect(() => new OneCycleLR(sgd(), [1, 2], { totalSteps: 5 })).toThrow(/expected 1 values for max_lr, got 2/);
    expect(() => new OneCycleLR(new Adagrad([p()]), 1, { totalSteps: 5 })).toThrow(/momentum or beta1/);
    const s = new OneCycleLR(sgd(), 1, { totalSteps: 3 });
    s.step();
    s.step();
    s.step();
    expect(() => s.step()).toThrow(/Tried to step 4 times. The specified number of total steps is 3/);
  });

  test('ReduceLROnPlateau', () => {
    expect(() => new ReduceLROnPlateau(sgd(), { factor: 1 })).toThrow('Factor should be < 1.0.');
    expect(() => new ReduceLROnPlateau(sgd(), { mode: 'up' as 'min' })).toThrow(/mode up is unknown/);
    expect(() => new ReduceLROnPlateau(sgd(), { thresholdMode: 'pct' as 'rel' })).toThrow(/threshold mode pct is unknown/);
    expect(() => new ReduceLROnPlateau(sgd(), { minLr: [0, 0] })).toThrow(/expected 1 min_lrs, got 2/);
  });

  test('SequentialLR and ChainedScheduler', () => {
    const o = sgd();
    expect(() => new SequentialLR(o, [], [])).toThrow(/at least one scheduler/);
    expect(() => new SequentialLR(o, [new StepLR(o, 2), new StepLR(o, 3)], [])).toThrow(/one more than the number of milestone points/);
    const other = sgd();
    expect(() => new SequentialLR(o, [new StepLR(o, 2), new StepLR(other, 3)], [2])).toThrow(/same optimizer/);
    expect(() => new SequentialLR(o, [new StepLR(o, 2), new ReduceLROnPlateau(o) as unknown as StepLR], [2])).toThrow(/ReduceLROnPlateau/);
    expect(() => new ChainedScheduler([new StepLR(o, 2), new StepLR(other, 3)])).toThrow(/same optimizer/);
    const seq = new SequentialLR(o, [new StepLR(o, 2), new StepLR(o, 3)], [2]);
    expect(() => seq.loadStateDict({ _schedulers: [] })).toThrow(/expected 2 scheduler state dicts/);
  });
});
