import { philoxFill } from '@torchlet/backend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DTypeError, RuntimeError, ValueError } from '../core/errors.js';
import {
  bernoulli,
  getOp,
  memoryStats,
  multinomial,
  multinomialAsync,
  normal,
  rand,
  randLike,
  randint,
  randn,
  randnLike,
  randperm,
  tensor,
  zeros,
  type Tensor,
} from '../index.js';
import { Generator, manualSeed } from './generator.js';

function values(t: Tensor): number[] {
  try {
    return Array.from(t.dataSync());
  } finally {
    t.dispose();
  }
}

function stats(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
  return { mean, variance: v / xs.length };
}

const N = 100_000;
let baseline: ReturnType<typeof memoryStats>;

beforeEach(() => {
  baseline = memoryStats();
});

afterEach(() => {
  const now = memoryStats();
  expect(now.liveTensors).toBe(baseline.liveTensors);
  expect(now.liveStorages).toBe(baseline.liveStorages);
});

describe('registry', () => {
  it('registers every random creation op as a non-differentiable primitive', () => {
    for (const name of ['rand', 'randn', 'randint', 'randperm', 'normal', 'bernoulli', 'bernoulliScalar', 'multinomial']) {
      const op = getOp(name);
      expect(op.kind).toBe('primitive');
      expect(op.differentiable).toBe(false);
    }
  });
});

describe('rand', () => {
  it('draws the Philox reference stream at the generator position', () => {
    const g = new Generator().manualSeed(1234);
    const ref = new Float32Array(23);
    philoxFill('uniform', ref, 23, 1234, 0);
    expect(values(rand([23], { generator: g }))).toEqual(Array.from(ref));
    const next = new Float32Array(5);
    philoxFill('uniform', next, 5, 1234, 6); // ceil(23 / 4) blocks were consumed
    expect(values(rand(5, { generator: g }))).toEqual(Array.from(next));
  });

  it('has the requested shape, dtype and requiresGrad', () => {
    const t = rand([2, 3], { dtype: 'float64', requiresGrad: true });
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float64');
    expect(t.requiresGrad).toBe(true);
    expect(t.gradFn).toBeNull();
    t.dispose();
  });

  it('is uniform on [0, 1): mean 1/2, variance 1/12', () => {
    manualSeed(0);
    const xs = values(rand([N]));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const { mean, variance } = stats(xs);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  it('refuses integer dtypes', () => {
    expect(() => rand([2], { dtype: 'int32' })).toThrow(DTypeError);
  });

  it('handles empty shapes without consuming the stream', () => {
    const g = new Generator().manualSeed(1);
    const t = rand([0, 3], { generator: g });
    expect(t.shape).toEqual([0, 3]);
    expect(g.offset).toBe(0);
    t.dispose();
  });
});

describe('randn / normal', () => {
  it('randn draws the Philox normal reference stream', () => {
    const ref = new Float32Array(9);
    philoxFill('normal', ref, 9, 77, 0);
    const got = values(randn([3, 3], { generator: new Generator().manualSeed(77) }));
    for (let i = 0; i < 9; i++) expect(got[i]).toBeCloseTo(ref[i]!, 5);
  });

  it('randn has mean 0 and variance 1', () => {
    manualSeed(1);
    const { mean, variance } = stats(values(randn([N])));
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('normal(mean, std, size) scales and shifts', () => {
    manualSeed(2);
    const { mean, variance } = stats(values(normal(2, 3, [N])));
    expect(Math.abs(mean - 2)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(variance) - 3)).toBeLessThan(0.05);
  });

  it('normal with the same seed equals std * randn + mean', () => {
    const z = values(randn([7], { generator: new Generator().manualSeed(5) }));
    const x = values(normal(1, 0.5, [7], { generator: new Generator().manualSeed(5) }));
    for (let i = 0; i < 7; i++) expect(x[i]).toBeCloseTo(1 + 0.5 * z[i]!, 5);
  });

  it('normal with tensor mean and std broadcasts them', () => {
    const mean = tensor([[0], [10], [-10]]);
    const std = tensor([1, 0.1]);
    const g = new Generator().manualSeed(9);
    const out = normal(mean, std, { generator: g });
    expect(out.shape).toEqual([3, 2]);
    expect(out.dtype).toBe('float32');
    const z = values(randn([6], { generator: new Generator().manualSeed(9) }));
    const got = values(out);
    const m = [0, 0, 10, 10, -10, -10];
    const s = [1, 0.1, 1, 0.1, 1, 0.1];
    for (let i = 0; i < 6; i++) expect(got[i]).toBeCloseTo(m[i]! + s[i]! * z[i]!, 5);
    mean.dispose();
    std.dispose();
  });

  it('normal with a tensor mean and number std', () => {
    const mean = zeros([N], { dtype: 'float64' });
    manualSeed(3);
    const out = normal(mean, 2);
    expect(out.dtype).toBe('float64');
    const { variance } = stats(values(out));
    expect(Math.abs(Math.sqrt(variance) - 2)).toBeLessThan(0.05);
    mean.dispose();
  });

  it('rejects a negative std and a missing size', () => {
    expect(() => normal(0, -1, [2])).toThrow(ValueError);
    expect(() => randn([2]).dispose()).not.toThrow();
    expect(() => (normal as (a: number, b: number) => Tensor)(0, 1)).toThrow(ValueError);
  });
});

describe('rand_like / randn_like', () => {
  it('copy shape, dtype and device', () => {
    const x = zeros([2, 5], { dtype: 'float64' });
    const a = randLike(x);
    const b = randnLike(x, { dtype: 'float32' });
    expect([a.shape, a.dtype, a.device]).toEqual([[2, 5], 'float64', 'cpu']);
    expect([b.shape, b.dtype]).toEqual([[2, 5], 'float32']);
    for (const t of [x, a, b]) t.dispose();
  });
});

describe('randint', () => {
  it('draws int32 values in [low, high), every value reached, uniformly', () => {
    manualSeed(4);
    const t = randint(-3, 7, [N]);
    expect(t.dtype).toBe('int32');
    const xs = values(t);
    const counts = new Map<number, number>();
    for (const v of xs) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6]);
    for (const c of counts.values()) expect(Math.abs(c / N - 0.1)).toBeLessThan(0.006);
  });

  it('equals floor(low + u (high - low)) of the uniform stream', () => {
    const u = new Float32Array(10);
    philoxFill('uniform', u, 10, 21, 0);
    const got = values(randint(5, 1000, [10], { generator: new Generator().manualSeed(21) }));
    expect(got).toEqual(Array.from(u, (x) => Math.floor(5 + x * 995)));
  });

  it('randint(high, size) starts at 0; dtype can be float', () => {
    const t = randint(3, [2, 4], { dtype: 'float32' });
    expect(t.shape).toEqual([2, 4]);
    expect(t.dtype).toBe('float32');
    for (const v of values(t)) expect([0, 1, 2]).toContain(v);
  });

  it('stays below high over a large range', () => {
    const xs = values(randint(-(2 ** 31), 2 ** 31 - 1, [1000]));
    for (const v of xs) {
      expect(v).toBeGreaterThanOrEqual(-(2 ** 31));
      expect(v).toBeLessThan(2 ** 31 - 1);
    }
  });

  it('rejects empty ranges', () => {
    expect(() => randint(5, 5, [2])).toThrow(/from=5 >= to=5/);
    expect(() => randint(0, 2 ** 40, [2])).toThrow(ValueError);
  });
});

describe('randperm', () => {
  it('is a permutation of 0..n-1, int32', () => {
    manualSeed(5);
    const t = randperm(1000);
    expect(t.dtype).toBe('int32');
    const xs = values(t);
    expect([...xs].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(xs).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('is reproducible and advances the generator', () => {
    const g = new Generator().manualSeed(6);
    const a = values(randperm(20, { generator: g }));
    expect(g.offset).toBe(10); // 19 doubles, two per block
    g.manualSeed(6);
    expect(values(randperm(20, { generator: g }))).toEqual(a);
  });

  it('puts each element in each place equally often', () => {
    manualSeed(7);
    const counts = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    const trials = 8000;
    for (let t = 0; t < trials; t++) {
      const p = values(randperm(4));
      p.forEach((v, i) => counts[i]![v]!++);
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c / trials - 0.25)).toBeLessThan(0.025);
  });

  it('handles n = 0 and 1, and float dtypes', () => {
    expect(values(randperm(0))).toEqual([]);
    expect(values(randperm(1))).toEqual([0]);
    const f = randperm(3, { dtype: 'float64' });
    expect(f.dtype).toBe('float64');
    expect(values(f).sort()).toEqual([0, 1, 2]);
    expect(() => randperm(-1)).toThrow(ValueError);
  });
});

describe('bernoulli', () => {
  it('draws ones at the probability of each element, in its dtype', () => {
    manualSeed(8);
    const p = tensor(new Float32Array(N).map((_, i) => (i % 2 === 0 ? 0.2 : 0.9)));
    const out = bernoulli(p);
    expect(out.dtype).toBe('float32');
    const xs = values(out);
    let even = 0;
    let odd = 0;
    let other = 0;
    for (let i = 0; i < N; i++) {
      if (xs[i] !== 0 && xs[i] !== 1) other++;
      if (i % 2 === 0) even += xs[i]!;
      else odd += xs[i]!;
    }
    expect(other).toBe(0);
    expect(Math.abs(even / (N / 2) - 0.2)).toBeLessThan(0.01);
    expect(Math.abs(odd / (N / 2) - 0.9)).toBeLessThan(0.01);
    p.dispose();
  });

  it('tensor and number forms draw the same stream (u < p)', () => {
    const p = tensor(new Float32Array(50).fill(0.3));
    const a = values(bernoulli(p, { generator: new Generator().manualSeed(3) }));
    const b = values(bernoulli(0.3, [50], { generator: new Generator().manualSeed(3) }));
    const ref = new Float32Array(50);
    philoxFill('bernoulli', ref, 50, 3, 0, 0.3);
    expect(a).toEqual(b);
    expect(b).toEqual(Array.from(ref));
    p.dispose();
  });

  it('gives bool results on request, and the rate of a number p', () => {
    manualSeed(9);
    const t = bernoulli(0.25, [N], { dtype: 'bool' });
    expect(t.dtype).toBe('bool');
    const rate = values(t).reduce((s, v) => s + v, 0) / N;
    expect(Math.abs(rate - 0.25)).toBeLessThan(0.006);
    const i = bernoulli(1, [3], { dtype: 'int32' });
    expect(i.dtype).toBe('int32');
    expect(values(i)).toEqual([1, 1, 1]);
  });

  it('rejects bad probabilities', () => {
    expect(() => bernoulli(1.5, [2])).toThrow(/p to be in \[0, 1\]/);
    const ip = tensor([1, 0], { dtype: 'int32' });
    expect(() => bernoulli(ip)).toThrow(DTypeError);
    ip.dispose();
  });
});

describe('multinomial', () => {
  it('samples with replacement at the given (unnormalised) weights', () => {
    manualSeed(10);
    const w = tensor([1, 0, 3, 6]);
    const out = multinomial(w, N, { replacement: true });
    expect(out.shape).toEqual([N]);
    expect(out.dtype).toBe('int32');
    const counts = [0, 0, 0, 0];
    for (const v of values(out)) counts[v]!++;
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[0]! / N - 0.1)).toBeLessThan(0.006);
    expect(Math.abs(counts[2]! / N - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(counts[3]! / N - 0.6)).toBeLessThan(0.01);
    w.dispose();
  });

  it('samples without replacement: distinct categories, never a zero weight', () => {
    manualSeed(11);
    const w = tensor([[0.1, 0, 0.5, 0.2, 0.2], [1, 1, 1, 1, 1]]);
    const out = multinomial(w, 4);
    expect(out.shape).toEqual([2, 4]);
    const xs = values(out);
    expect(new Set(xs.slice(0, 4)).size).toBe(4);
    expect(xs.slice(0, 4)).not.toContain(1);
    expect(new Set(xs.slice(4)).size).toBe(4);
    w.dispose();
  });

  it('without replacement, the first draw follows the weights', () => {
    manualSeed(12);
    const w = tensor([[1, 2, 7]]);
    const firsts = [0, 0, 0];
    const trials = 20000;
    const probs = tensor(new Float32Array(3 * trials).map((_, i) => [1, 2, 7][i % 3]!), { shape: [trials, 3] });
    const out = values(multinomial(probs, 2));
    for (let t = 0; t < trials; t++) firsts[out[2 * t]!]!++;
    expect(Math.abs(firsts[0]! / trials - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(firsts[2]! / trials - 0.7)).toBeLessThan(0.015);
    // Second draw given the first was 2: 1 vs 2 in ratio 1:2.
    let after2 = 0;
    let second1 = 0;
    for (let t = 0; t < trials; t++) {
      if (out[2 * t] === 2) {
        after2++;
        if (out[2 * t + 1] === 1) second1++;
      }
    }
    expect(Math.abs(second1 / after2 - 2 / 3)).toBeLessThan(0.02);
    w.dispose();
    probs.dispose();
  });

  it('is reproducible, and multinomialAsync matches', async () => {
    const w = tensor([0.2, 0.3, 0.5]);
    const a = values(multinomial(w, 10, { replacement: true, generator: new Generator().manualSeed(4) }));
    const b = values(await multinomialAsync(w, 10, { replacement: true, generator: new Generator().manualSeed(4) }));
    expect(a).toEqual(b);
    w.dispose();
  });

  it('reports invalid distributions as PyTorch does', () => {
    const neg = tensor([0.5, -0.1]);
    const zero = tensor([0, 0]);
    const one = tensor([0, 1, 0]);
    const cube = zeros([1, 1, 2]);
    expect(() => multinomial(neg, 1)).toThrow(/contains either `inf`, `nan` or element < 0/);
    expect(() => multinomial(zero, 1)).toThrow(/sum of probabilities <= 0/);
    expect(() => multinomial(one, 2)).toThrow(RuntimeError);
    expect(() => multinomial(one, 4)).toThrow(/cannot sample n_sample > prob_dist.size\(-1\)/);
    expect(() => multinomial(one, 0)).toThrow(/n_sample <= 0/);
    expect(() => multinomial(cube, 1)).toThrow(/1 or 2 dim/);
    for (const t of [neg, zero, one, cube]) t.dispose();
  });
});
