/**
 * Optimizer behaviour beyond the PyTorch fixtures: state-dict layout and bit-exact resume,
 * parameter groups, zeroGrad, closures, memory over many steps, sparse rows and error paths.
 */
import { noGrad } from '@torchlet/autograd';
import { Tensor, fromTypedArray, matmul, mean, memoryStats, tensor, tidy, zeros } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import type { Optimizer, OptimizerStateDict } from './optimizer.js';
import { Adagrad, adagradSparseUpdate } from './optimizers/adagrad.js';
import { Adam, AdamW } from './optimizers/adam.js';
import { RMSprop } from './optimizers/rmsprop.js';
import { SGD, sgdSparseUpdate } from './optimizers/sgd.js';
import { SparseAdam } from './optimizers/sparse-adam.js';
import { isRowSparse, type RowSparseGrad } from './sparse.js';

/** A fixed least-squares problem: params p [3, 4], b [4]. */
function problem(seed = 1): { p: Tensor; b: Tensor; x: Tensor; y: Tensor } {
  let s = seed;
  const rnd = (n: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      a[i] = (s / 2147483648) * 2 - 1;
    }
    return a;
  };
  return {
    p: fromTypedArray(rnd(12), [3, 4]).requiresGrad_(),
    b: fromTypedArray(rnd(4), [4]).requiresGrad_(),
    x: fromTypedArray(rnd(18), [6, 3]),
    y: fromTypedArray(rnd(24), [6, 4]),
  };
}

function backward(x: Tensor, y: Tensor, p: Tensor, b: Tensor): void {
  tidy(() => {
    const d = matmul(x, p).add(b).sub(y);
    mean(d.mul(d)).backward();
  });
}

type Make = (params: Tensor[]) => Optimizer<any>;

const CONFIGS: Record<string, Make> = {
  'SGD momentum nesterov weightDecay': (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  'SGD dampening maximize': (ps) => new SGD(ps, { lr: 0.05, momentum: 0.5, dampening: 0.3, maximize: true }),
  'Adam amsgrad': (ps) => new Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 0.1 }),
  AdamW: (ps) => new AdamW(ps, { lr: 0.01, betas: [0.8, 0.99] }),
  'RMSprop centered momentum': (ps) => new RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.3, weightDecay: 0.01 }),
  'Adagrad lrDecay': (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1, weightDecay: 0.01 }),
  'SparseAdam (dense fallback)': (ps) => new SparseAdam(ps, { lr: 0.01 }),
};

function runSteps(opt: Optimizer<any>, pr: ReturnType<typeof problem>, n: number): void {
  for (let i = 0; i < n; i++) {
    opt.zeroGrad();
    backward(pr.x, pr.y, pr.p, pr.b);
    opt.step();
  }
}

function disposeProblem(pr: ReturnType<typeof problem>): void {
  for (const t of [pr.p, pr.b, pr.x, pr.y]) t.dispose();
}

describe('state dict round trip', () => {
  for (const [name, make] of Object.entries(CONFIGS)) {
    test(`${name}: save after 3 steps, load into a fresh optimizer, continue bit for bit`, async () => {
      const a = problem();
      const optA = make([a.p, a.b]);
      runSteps(optA, a, 7);

      const b = problem();
      const optB = make([b.p, b.b]);
      runSteps(optB, b, 3);
      const sd = optB.stateDict();
      const c = problem();
      noGrad(() => {
        c.p.copy_(b.p);
        c.b.copy_(b.b);
      });
      const optC = make([c.p, c.b]);
      optC.loadStateDict(sd);
      optB.dispose();
      runSteps(optC, c, 4);

      expect(Array.from(await c.p.data())).toEqual(Array.from(await a.p.data()));
      expect(Array.from(await c.b.data())).toEqual(Array.from(await a.b.data()));
      for (const [o, pr] of [[optA, a], [optC, c]] as const) {
        o.zeroGrad();
        o.dispose();
        disposeProblem(pr);
      }
      disposeProblem(b);
    });
  }

  test('PyTorch layout: state keyed by index across groups, snake_case hyper-parameters', () => {
    const pr = problem();
    const opt = new Adam(
      [
        { params: [pr.p], weightDecay: 0.1 },
        { params: [pr.b], lr: 0.5 },
      ],
      { lr: 0.01, amsgrad: true },
    );
    runSteps(opt, pr, 2);
    const sd = opt.stateDict();
    expect(sd.param_groups).toEqual([
      { params: [0], lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.1, amsgrad: true, maximize: false },
      { params: [1], lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: true, maximize: false },
    ]);
    expect(Object.keys(sd.state).sort()).toEqual(['0', '1']);
    expect(Object.keys(sd.state[1]!).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    expect(sd.state[0]!['step']).toBe(2);
    expect((sd.state[1]!['exp_avg'] as Tensor).shape).toEqual([4]);

    const sgd = new SGD([pr.p], { lr: 0.1, momentum: 0.9 });
    runSteps(sgd, pr, 1);
    expect(Object.keys(sgd.stateDict().state[0]!)).toEqual(['momentum_buffer']);
    expect(new SGD([pr.b], { lr: 0.1 }).stateDict().param_groups[0]).toEqual({
      params: [0], lr: 0.1, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false,
    });
    const ada = new Adagrad([pr.b], { lrDecay: 0.1, initialAccumulatorValue: 0.5 });
    const adaSd = ada.stateDict();
    expect(adaSd.param_groups[0]).toMatchObject({ lr_decay: 0.1, initial_accumulator_value: 0.5 });
    expect(Object.keys(adaSd.state[0]!).sort()).toEqual(['step', 'sum']);
    for (const o of [opt, sgd, ada]) o.dispose();
    pr.p.grad = null;
    disposeProblem(pr);
  });

  test('loads hyper-parameters and a 0-d step tensor from a saved dict', () => {
    const pr = problem();
    const opt = new SGD([pr.p, pr.b], { lr: 0.1 });
    const sd = opt.stateDict();
    sd.param_groups[0]!['lr'] = 0.25;
    sd.param_groups[0]!['momentum'] = 0.5;
    opt.loadStateDict(sd);
    expect(opt.paramGroups[0]!.lr).toBe(0.25);
    expect(opt.paramGroups[0]!.momentum).toBe(0.5);
    const adam = new Adam([pr.b]);
    const step = tensor(4);
    const m = zeros([4]);
    adam.loadStateDict({ state: { 0: { step, exp_avg: m, exp_avg_sq: m } }, param_groups: [{ params: [0], lr: 0.01, betas: [0.9, 0.999] }] });
    expect(adam.state.get(pr.b)!['step']).toBe(4);
    expect(adam.state.get(pr.b)!['exp_avg']).not.toBe(m);
    step.dispose();
    m.dispose();
    adam.dispose();
    disposeProblem(pr);
  });
});

describe('optimizer basics', () => {
  test('parameter groups: per-group options over defaults (no weight decay on the bias)', () => {
    const pr = problem();
    const opt = new SGD(
      [
        { params: [pr.p], weightDecay: 1e-4 },
        { params: [pr.b], weightDecay: 0, lr: 0.5 },
      ],
      { lr: 0.1, momentum: 0.9 },
    );
    expect(opt.paramGroups.map((g) => [g.lr, g.weightDecay, g.momentum])).toEqual([
      [0.1, 1e-4, 0.9],
      [0.5, 0, 0.9],
    ]);
    const extra = zeros([2]).requiresGrad_();
    opt.addParamGroup({ params: extra, lr: 0.01 });
    expect(opt.paramGroups[2]!.params).toEqual([extra]);
    expect(opt.paramGroups[2]!.momentum).toBe(0.9);
    expect(() => opt.addParamGroup({ params: [pr.p] })).toThrow('some parameters appear in more than one parameter group');
    extra.dispose();
    disposeProblem(pr);
  });

  test('accepts any iterable of tensors (a generator like model.parameters())', () => {
    const pr = problem();
    function* params(): Generator<Tensor> {
      yield pr.p;
      yield pr.b;
    }
    const opt = new Adam(params());
    expect(opt.paramGroups[0]!.params).toEqual([pr.p, pr.b]);
    expect(new AdamW([pr.p]).defaults.weightDecay).toBe(1e-2);
    disposeProblem(pr);
  });

  test('zeroGrad: setToNone (default) drops the gradient, setToNone false zeroes it', async () => {
    const pr = problem();
    const opt = new SGD([pr.p, pr.b], { lr: 0.1 });
    backward(pr.x, pr.y, pr.p, pr.b);
    const g = pr.p.grad!;
    opt.zeroGrad({ setToNone: false });
    expect(pr.p.grad).toBe(g);
    expect(Array.from(await g.data())).toEqual(new Array(12).fill(0));
    opt.zeroGrad();
    expect(pr.p.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    disposeProblem(pr);
  });

  test('step(closure) evaluates the loss with grad enabled and returns it', () => {
    const pr = problem();
    const opt = new SGD([pr.p, pr.b], { lr: 0.1 });
    const before = Array.from(pr.p.dataSync());
    const loss = opt.step(() => {
      opt.zeroGrad();
      return tidy(() => {
        const d = matmul(pr.x, pr.p).add(pr.b).sub(pr.y);
        const l = mean(d.mul(d));
        l.backward();
        return l.item();
      });
    });
    expect(typeof loss).toBe('number');
    expect(Array.from(pr.p.dataSync())).not.toEqual(before);
    opt.zeroGrad();
    disposeProblem(pr);
  });

  test('parameters without a gradient are skipped', async () => {
    const pr = problem();
    const opt = new Adam([pr.p, pr.b]);
    const before = Array.from(await pr.p.data());
    opt.step();
    expect(Array.from(await pr.p.data())).toEqual(before);
    expect(opt.state.size).toBe(0);
    disposeProblem(pr);
  });

  test('maximize ascends: SGD(maximize) equals SGD on the negated gradient', async () => {
    const a = zeros([3]).requiresGrad_();
    const b = zeros([3]).requiresGrad_();
    a.grad = tensor([1, -2, 3]);
    b.grad = tensor([-1, 2, -3]);
    new SGD([a], { lr: 0.5, maximize: true }).step();
    new SGD([b], { lr: 0.5 }).step();
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    expect(Array.from(await a.data())).toEqual([0.5, -1, 1.5]);
    for (const t of [a, b]) t.dispose();
  });

  test('SparseAdam on a dense gradient follows its formula (eps outside the bias correction)', async () => {
    const p = tensor([1, -1]).requiresGrad_();
    p.grad = tensor([0.5, 2]);
    const opt = new SparseAdam([p], { lr: 0.1 });
    opt.step();
    opt.step();
    const g = [0.5, 2];
    const out = [1, -1].map((v, i) => {
      let m = 0;
      let s = 0;
      for (let t = 1; t <= 2; t++) {
        m += (g[i]! - m) * 0.1;
        s += (g[i]! * g[i]! - s) * 0.001;
        v -= ((0.1 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t)) * (m / (Math.sqrt(s) + 1e-8));
      }
      return v;
    });
    const got = Array.from(await p.data());
    got.forEach((v, i) => expect(v).toBeCloseTo(out[i]!, 6));
    opt.dispose();
    p.dispose();
  });
});

describe('memory', () => {
  test('live tensors and storages stay flat over 1,000 steps', () => {
    const pr = problem();
    const q = problem(7);
    const opts: Optimizer<any>[] = [
      new Adam([pr.p], { amsgrad: true, weightDecay: 0.01 }),
      new SGD([pr.b], { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
      new RMSprop([q.p], { centered: true, momentum: 0.5 }),
      new Adagrad([q.b], { lrDecay: 0.01 }),
    ];
    const once = (): void => {
      for (const o of opts) o.zeroGrad();
      backward(pr.x, pr.y, pr.p, pr.b);
      backward(q.x, q.y, q.p, q.b);
      for (const o of opts) o.step();
    };
    once();
    once();
    const base = memoryStats();
    for (let i = 0; i < 1000; i++) once();
    const after = memoryStats();
    expect(after.liveTensors).toBe(base.liveTensors);
    expect(after.liveStorages).toBe(base.liveStorages);
    expect(after.liveBytes).toBe(base.liveBytes);
    for (const o of opts) {
      o.zeroGrad();
      o.dispose();
    }
    disposeProblem(pr);
    disposeProblem(q);
  }, 60_000);

  test('dispose frees the state', () => {
    const pr = problem();
    const start = memoryStats().liveTensors;
    const opt = new Adam([pr.p, pr.b]);
    runSteps(opt, pr, 2);
    opt.zeroGrad();
    expect(memoryStats().liveTensors).toBe(start + 4);
    opt.dispose();
    expect(memoryStats().liveTensors).toBe(start);
    disposeProblem(pr);
  });
});

describe('row-sparse gradients', () => {
  const rows = (): RowSparseGrad => ({
    layout: 'rowSparse',
    indices: tensor(new Int32Array([2, 0, 2])),
    values: tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]),
    shape: [4, 2],
  });

  test('isRowSparse recognises only the row-sparse layout', () => {
    const t = zeros([2]);
    expect(isRowSparse(t)).toBe(false);
    expect(isRowSparse(null)).toBe(false);
    const r = rows();
    expect(isRowSparse(r)).toBe(true);
    for (const x of [t, r.indices, r.values]) x.dispose();
  });

  test('SGD updates only the named rows (repeated rows add up), through step()', async () => {
    const p = zeros([4, 2]).requiresGrad_();
    const r = rows();
    sgdSparseUpdate(p, r, 0.5);
    expect(Array.from(await p.data())).toEqual([-1.5, -2, 0, 0, -3, -4, 0, 0]);
    p.grad = r as unknown as Tensor;
    new SGD([p], { lr: 0.5 }).step();
    p.grad = null;
    expect(Array.from(await p.data())).toEqual([-3, -4, 0, 0, -6, -8, 0, 0]);
    expect(() => {
      p.grad = r as unknown as Tensor;
      try {
        new SGD([p], { lr: 0.5, momentum: 0.9 }).step();
      } finally {
        p.grad = null;
      }
    }).toThrow(/sparse gradients/);
    for (const x of [p, r.indices, r.values]) x.dispose();
  });

  test('Adagrad sparse equals the dense update on the touched rows and leaves the others', async () => {
    const r = rows();
    const dense = tensor([
      [3, 4],
      [0, 0],
      [6, 8],
      [0, 0],
    ]);
    const a = tensor([
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 1],
    ]).requiresGrad_();
    const b = a.detach().clone().requiresGrad_();
    const sum = zeros([4, 2]);
    adagradSparseUpdate(a, sum, r, 0.1, 1e-10);
    b.grad = dense;
    new Adagrad([b], { lr: 0.1 }).step();
    const ga = Array.from(await a.data());
    const gb = Array.from(await b.data());
    ga.forEach((v, i) => expect(v).toBeCloseTo(gb[i]!, 6));
    expect(Array.from(await sum.data())).toEqual([9, 16, 0, 0, 36, 64, 0, 0]);
    const c = zeros([4, 2]).requiresGrad_();
    c.grad = r as unknown as Tensor;
    expect(() => new Adagrad([c], { weightDecay: 0.1 }).step()).toThrow('weight_decay option is not compatible with sparse gradients');
    c.grad = null;
    for (const x of [a, b, c, sum, r.indices, r.values]) x.dispose();
  });
});

describe('row-sparse gradients: SparseAdam', () => {
  test('touches only the rows present and matches its dense formula on them', async () => {
    const p = tensor([
      [1, 1],
      [2, 2],
      [3, 3],
    ]).requiresGrad_();
    const g: RowSparseGrad = { layout: 'rowSparse', indices: tensor(new Int32Array([2])), values: tensor([[0.5, -1]]), shape: [3, 2] };
    const opt = new SparseAdam([p], { lr: 0.1 });
    p.grad = g as unknown as Tensor;
    opt.step();
    p.grad = null;
    const got = Array.from(await p.data());
    expect(got.slice(0, 4)).toEqual([1, 1, 2, 2]);
    // First step: m = 0.1·g, v = 0.001·g², p -= lr·√(1−β2)/(1−β1) · m/(√v + eps) = lr·sign(g) (up to eps).
    expect(got[4]).toBeCloseTo(3 - 0.1, 5);
    expect(got[5]).toBeCloseTo(3 + 0.1, 5);
    opt.dispose();
    for (const x of [p, g.indices, g.values]) x.dispose();
  });
});

describe('errors', () => {
  const t = (): Tensor => zeros([2]).requiresGrad_();

  test('bad hyper-parameters', () => {
    expect(() => new SGD([t()], { lr: -0.1 })).toThrow('Invalid learning rate: -0.1');
    expect(() => new Adam([t()], { lr: Number.NaN })).toThrow('Invalid learning rate: NaN');
    expect(() => new SGD([t()], { momentum: -1 })).toThrow('Invalid momentum value: -1');
    expect(() => new SGD([t()], { weightDecay: -1 })).toThrow('Invalid weight_decay value: -1');
    expect(() => new SGD([t()], { lr: 0.1, nesterov: true })).toThrow('Nesterov momentum requires a momentum and zero dampening');
    expect(() => new SGD([t()], { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/Nesterov/);
    expect(() => new Adam([t()], { betas: [1, 0.999] })).toThrow('Invalid beta parameter at index 0: 1');
    expect(() => new AdamW([t()], { betas: [0.9, -0.1] })).toThrow('Invalid beta parameter at index 1: -0.1');
    expect(() => new Adam([t()], { betas: [0.9] as unknown as [number, number] })).toThrow(/Invalid betas/);
    expect(() => new Adam([t()], { eps: -1 })).toThrow('Invalid epsilon value: -1');
    expect(() => new SparseAdam([t()], { betas: [0.9, 1] })).toThrow(/index 1/);
    expect(() => new RMSprop([t()], { alpha: -0.5 })).toThrow('Invalid alpha value: -0.5');
    expect(() => new Adagrad([t()], { lrDecay: -1 })).toThrow('Invalid lr_decay value: -1');
    expect(() => new Adagrad([t()], { initialAccumulatorValue: -1 })).toThrow('Invalid initial_accumulator_value value: -1');
    expect(() => new SGD([{ params: [t()], lr: -1 }], { lr: 0.1 })).toThrow('Invalid learning rate: -1');
  });

  test('wrong parameter types', () => {
    const p = t();
    expect(() => new SGD(p as unknown as Tensor[])).toThrow(/should be an iterable of Tensors or dicts, but got Tensor/);
    expect(() => new SGD([])).toThrow('optimizer got an empty parameter list');
    expect(() => new SGD([p, 3] as unknown as Tensor[])).toThrow('optimizer can only optimize Tensors, but one of the params is number');
    expect(() => new SGD(new Set([p]))).toThrow(/ordering of tensors in sets/);
    expect(() => new SGD(5 as unknown as Tensor[])).toThrow(/iterable of Tensors or dicts, but got number/);
    expect(() => new SGD([p, p])).toThrow(/duplicate parameters/);
    const q = t();
    expect(() => new SGD([{ params: [p] }, { params: [q, p] }])).toThrow('some parameters appear in more than one parameter group');
    const nonLeaf = p.mul(2);
    expect(() => new SGD([nonLeaf])).toThrow("can't optimize a non-leaf Tensor");
    for (const x of [p, q, nonLeaf]) x.dispose();
  });

  test('loadStateDict mismatches throw and change nothing', () => {
    const pr = problem();
    const opt = new Adam([{ params: [pr.p] }, { params: [pr.b] }], { lr: 0.01 });
    runSteps(opt, pr, 1);
    const sd = opt.stateDict();
    const before = opt.state.get(pr.p)!['exp_avg'];
    const one = new Adam([pr.p, pr.b]);
    expect(() => one.loadStateDict(sd)).toThrow(/different number of parameter groups/);
    const wrongSize: OptimizerStateDict = { ...sd, param_groups: [{ ...sd.param_groups[0]!, params: [0, 1] }, sd.param_groups[1]!] };
    expect(() => opt.loadStateDict(wrongSize)).toThrow(/doesn't match the size of optimizer's group/);
    const unknownIndex: OptimizerStateDict = { ...sd, state: { ...sd.state, 7: sd.state[0]! } };
    expect(() => opt.loadStateDict(unknownIndex)).toThrow(/parameter index 7 matches no parameter/);
    const badShape: OptimizerStateDict = { ...sd, state: { 0: sd.state[1]!, 1: sd.state[1]! } };
    expect(() => opt.loadStateDict(badShape)).toThrow(/state 'exp_avg' of parameter 0 has shape \[4\], but the parameter has shape \[3, 4\]/);
    const badValue: OptimizerStateDict = { ...sd, state: { 0: { ...sd.state[0]!, step: 'x' as unknown as number } } };
    expect(() => opt.loadStateDict(badValue)).toThrow(/must be a Tensor or a number/);
    const badLr: OptimizerStateDict = { ...sd, param_groups: [{ ...sd.param_groups[0]!, lr: -1 }, sd.param_groups[1]!] };
    expect(() => opt.loadStateDict(badLr)).toThrow('Invalid learning rate: -1');
    expect(() => opt.loadStateDict({} as OptimizerStateDict)).toThrow(/expected an object with 'state' and 'param_groups'/);
    expect(opt.state.get(pr.p)!['exp_avg']).toBe(before);
    expect((before as Tensor).isDisposed).toBe(false);
    opt.zeroGrad();
    opt.dispose();
    disposeProblem(pr);
  });
});
