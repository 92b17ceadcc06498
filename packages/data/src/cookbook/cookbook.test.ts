import { describe, expect, it } from 'vitest';
import '@torchlet/autograd';
import { Generator, manualSeed, memoryStats, randn, tensor, type Tensor } from '@torchlet/tensor';
import { Dataset, TensorDataset } from '../dataset/dataset.js';
import { sampleBeta, sampleGamma } from './distributions.js';
import { accuracy, confusionMatrix, precisionRecallF1 } from './metrics.js';
import { mixup } from './mixup.js';
import { Normalize, compose, computeMeanStd } from './normalize.js';
import { profile } from './profiler.js';
import { ProgressBar, type ProgressStream } from './progress.js';
import { seedEverything } from './seed.js';
import { Timer } from './timer.js';

const vals = (t: Tensor) => Array.from(t.dataSync());

describe('seedEverything', () => {
  it('seeds the default generator', () => {
    seedEverything(7);
    const a = randn([4]);
    seedEverything(7);
    const b = randn([4]);
    expect(vals(a)).toEqual(vals(b));
    a.dispose();
    b.dispose();
  });
});

describe('Beta / Gamma samplers', () => {
  it('Gamma(k) and Beta(a, b) have the right moments and are reproducible', () => {
    const g = new Generator().manualSeed(11);
    for (const k of [0.3, 1, 4.5]) {
      let s = 0;
      let s2 = 0;
      const n = 20000;
      for (let i = 0; i < n; i++) {
        const x = sampleGamma(k, g);
        s += x;
        s2 += x * x;
      }
      const m = s / n;
      expect(m).toBeCloseTo(k, 1);
      expect(s2 / n - m * m).toBeGreaterThan(k * 0.9);
      expect(s2 / n - m * m).toBeLessThan(k * 1.1);
    }
    const draws = Array.from({ length: 20000 }, () => sampleBeta(0.4, 0.4, g));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(0.5, 1.5);
    expect(variance).toBeCloseTo((0.4 * 0.4) / (0.8 ** 2 * 1.8), 2); // ab / ((a+b)^2 (a+b+1))
    expect(draws.every((d) => d >= 0 && d <= 1)).toBe(true);
    const again = new Generator().manualSeed(3);
    const again2 = new Generator().manualSeed(3);
    expect(sampleBeta(0.2, 0.2, again)).toBe(sampleBeta(0.2, 0.2, again2));
  });
});

describe('mixup', () => {
  it('mixes the batch with a permutation of itself; λ·loss(yA) + (1−λ)·loss(yB) backpropagates', () => {
    const x = tensor([[1, 0], [0, 1], [2, 2], [3, -1]], { requiresGrad: true });
    const y = tensor(new Int32Array([0, 1, 1, 0]));
    const g = new Generator().manualSeed(5);
    const { mixedX, yA, yB, lambda, index } = mixup(x, y, 0.4, { generator: g });
    expect(lambda).toBeGreaterThanOrEqual(0);
    expect(lambda).toBeLessThanOrEqual(1);
    const perm = vals(index);
    expect([...perm].sort()).toEqual([0, 1, 2, 3]);
    const xv = vals(x);
    const mv = vals(mixedX);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) expect(mv[i * 2 + j]).toBeCloseTo(lambda * xv[i * 2 + j]! + (1 - lambda) * xv[perm[i]! * 2 + j]!, 5);
    }
    expect(vals(yA)).toEqual([0, 1, 1, 0]);
    expect(vals(yB)).toEqual(perm.map((p) => [0, 1, 1, 0][p]));
    // the mixed loss with an NLL built from tensor ops
    const logp = mixedX.logSoftmax(1);
    const nll = (target: Tensor) => logp.gather(1, target.unsqueeze(1)).neg().mean();
    const loss = nll(yA).mul(lambda).add(nll(yB).mul(1 - lambda));
    loss.backward();
    expect(x.grad).toBeTruthy();
    expect(x.grad!.shape).toEqual([4, 2]);
    const same = mixup(x, y, 0.4, { generator: new Generator().manualSeed(5) });
    expect(same.lambda).toBe(lambda);
    expect(vals(same.index)).toEqual(perm);
    const none = mixup(x, y, 0);
    expect(none.lambda).toBe(1);
  });
});

describe('computeMeanStd and Normalize', () => {
  it('per-channel statistics over the whole dataset, then normalized to mean 0 / std 1', async () => {
    manualSeed(0);
    const imgs = randn([20, 3, 4, 4]).mul(tensor([2, 3, 0.5]).reshape([1, 3, 1, 1])).add(tensor([1, -2, 5]).reshape([1, 3, 1, 1]));
    const ds = new TensorDataset(imgs);
    class First extends Dataset<Tensor> {
      get length() {
        return ds.length;
      }
      getItem(i: number) {
        return ds.getItem(i)[0]!;
      }
    }
    const before = memoryStats().liveTensors;
    const { mean, std } = await computeMeanStd(new First());
    expect(memoryStats().liveTensors).toBe(before + 2);
    // reference: torch.std over all elements of each channel (correction 1)
    const all = vals(imgs);
    for (let c = 0; c < 3; c++) {
      const xs: number[] = [];
      for (let n = 0; n < 20; n++) for (let k = 0; k < 16; k++) xs.push(all[n * 48 + c * 16 + k]!);
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const s = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
      expect(vals(mean)[c]).toBeCloseTo(m, 4);
      expect(vals(std)[c]).toBeCloseTo(s, 4);
    }
    const norm = new Normalize(mean, std);
    const z = norm.forward(imgs);
    const { mean: m2, std: s2 } = await computeMeanStd({ length: 20, getItem: (i) => z.select(0, i) });
    vals(m2).forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-4));
    vals(s2).forEach((v) => expect(v).toBeCloseTo(1, 4));
    // tabular features: channel = last dim
    const feats = tensor([[1, 10], [3, 30]]);
    const fz = new Normalize([2, 20], [1, 10]).forward(feats);
    expect(vals(fz)).toEqual([-1, -1, 1, 1]);
    const pipeline = compose((t: Tensor) => t.mul(2), (t: Tensor) => t.add(1));
    const p = pipeline(feats) as Tensor;
    expect(vals(p)).toEqual([3, 21, 7, 61]);
    expect(() => new Normalize([0], [0])).toThrow(/std evaluated to zero/);
    for (const t of [imgs, mean, std, z, m2, s2, feats, fz, p]) t.dispose();
    norm.dispose();
  });
});

describe('metrics', () => {
  it('confusion matrix, accuracy (top-k) and precision / recall / F1 like sklearn', async () => {
    const preds = [0, 2, 1, 2, 0, 1, 1];
    const target = [0, 1, 1, 2, 0, 2, 1];
    const cm = await confusionMatrix(preds, target, 3);
    expect(cm.tolist()).toEqual([[2, 0, 0], [0, 2, 1], [0, 1, 1]]);
    expect(await accuracy(tensor(new Int32Array(preds)), tensor(new Int32Array(target)))).toBeCloseTo(5 / 7);
    const scores = tensor([[0.1, 0.5, 0.4], [0.8, 0.15, 0.05]]);
    expect(await accuracy(scores, [2, 2])).toBe(0);
    expect(await accuracy(scores, [2, 2], { topk: 2 })).toBe(0.5);
    const r = await precisionRecallF1(preds, target);
    // sklearn.metrics.precision_recall_fscore_support(target, preds)
    expect(r.precision).toEqual([1, 2 / 3, 0.5]);
    expect(r.recall).toEqual([1, 2 / 3, 0.5]);
    expect(r.support).toEqual([2, 3, 2]);
    expect(r.macro.f1).toBeCloseTo((1 + 2 / 3 + 0.5) / 3);
    expect(r.weighted.precision).toBeCloseTo((2 * 1 + 3 * (2 / 3) + 2 * 0.5) / 7);
    expect(r.accuracy).toBeCloseTo(5 / 7);
    const zero = await precisionRecallF1([0, 0], [0, 1], 3);
    expect(zero.precision).toEqual([0.5, 0, 0]);
    expect(zero.f1[2]).toBe(0);
    await expect(confusionMatrix([0, 5], [0, 1], 3)).rejects.toThrow(/preds\[1\] = 5 is not a class index in \[0, 3\)/);
    cm.dispose();
    scores.dispose();
  });
});

describe('Timer', () => {
  it('accumulates across start/stop and records laps', () => {
    let t = 0;
    const timer = new Timer({ clock: () => t });
    timer.start();
    t = 5;
    expect(timer.lap()).toBe(5);
    t = 8;
    expect(timer.stop()).toBe(8);
    t = 100;
    expect(timer.elapsed).toBe(8);
    timer.start();
    t = 102;
    expect(timer.elapsed).toBe(10);
    expect(timer.laps).toEqual([5]);
    const { result, ms } = Timer.time(() => 42);
    expect(result).toBe(42);
    expect(ms).toBeGreaterThanOrEqual(0);
  });
});

describe('profile', () => {
  it('counts calls and time per op name through the interceptor chain, and refuses async callbacks', () => {
    const a = tensor([1, 2, 3]);
    const { result, report } = profile(() => {
      const b = a.add(1);
      const c = b.mul(2);
      const d = c.add(a);
      b.dispose();
      c.dispose();
      return d;
    });
    expect(vals(result)).toEqual([5, 8, 11]);
    const add = report.get('add');
    expect(add?.calls).toBe(2);
    expect(report.get('mul')?.calls).toBe(1);
    expect(report.calls).toBeGreaterThanOrEqual(3);
    expect(add!.totalMs).toBeGreaterThanOrEqual(add!.selfMs);
    expect(report.table()).toMatch(/^op\s+calls\s+self ms/);
    expect(() => profile(async () => 1)).toThrow(/returned a Promise/);
    // the profiler is removed afterwards: a later op is not counted anywhere
    const after = profile(() => 0).report;
    expect(after.calls).toBe(0);
    result.dispose();
    a.dispose();
  });
});

describe('ProgressBar', () => {
  function fakeStream(isTTY: boolean): ProgressStream & { out: string } {
    return { isTTY, columns: 100, out: '', write(s: string) { this.out += s; return true; } };
  }

  it('draws rate, ETA and the running loss on a TTY', () => {
    let t = 0;
    const stream = fakeStream(true);
    const bar = new ProgressBar({ total: 10, label: 'epoch 1', stream, clock: () => t, minIntervalMs: 0, width: 10 });
    t = 1000;
    bar.update(2, { loss: 1.0 });
    t = 2000;
    bar.update(2, { loss: 0.5 });
    expect(bar.runningLoss).toBe(0.75);
    const line = bar.render(2000);
    expect(line).toBe('epoch 1  40%|████      | 4/10 [00:02<00:03, 2.00 it/s, loss=0.7500]');
    bar.update(6);
    bar.close();
    expect(stream.out.startsWith('\r')).toBe(true);
    expect(stream.out).toMatch(/100%\|██████████\| 10\/10/);
    expect(stream.out.endsWith('\n')).toBe(true);
  });

  it('stays quiet when the stream is not a terminal, and wraps iterables', () => {
    const stream = fakeStream(false);
    const wrapped = ProgressBar.wrap([1, 2, 3], { stream });
    expect([...wrapped]).toEqual([1, 2, 3]);
    expect(wrapped.bar.n).toBe(3);
    expect(wrapped.bar.total).toBe(3);
    expect(stream.out).toBe('');
    const forced = fakeStream(false);
    const bar = new ProgressBar({ stream: forced, enabled: true, minIntervalMs: 0 });
    bar.update(1);
    expect(forced.out).toMatch(/1 it/);
  });
});
