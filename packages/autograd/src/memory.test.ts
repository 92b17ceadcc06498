/**
 * Exact memory: the graph, its saved tensors and every temporary are freed, by backward
 * (without retainGraph) and by disposing outputs — nothing is left to the GC backstop.
 */
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { resetGrowthWatch } from './growth-watch.js';
import { grad, noGrad } from './index.js';

function param(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = ((s / 4294967296) * 2 - 1) * 0.5;
  }
  return torch.tensor(data, { shape, requiresGrad: true });
}

describe('memory', () => {
  test('10,000 steps of forward + backward + SGD on an MLP keep the live storages constant, nothing reclaimed by GC', () => {
    const w1 = param([4, 8], 1);
    const b1 = param([8], 2);
    const w2 = param([8, 3], 3);
    const b2 = param([3], 4);
    const params = [w1, b1, w2, b2];
    const x = torch.tensor([
      [0.1, -0.2, 0.3, 0.5],
      [0.7, 0.1, -0.4, 0.2],
      [-0.3, 0.8, 0.6, -0.1],
      [0.2, 0.2, -0.9, 0.4],
    ]);
    const y = torch.tensor([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const gcBefore = torch.memoryStats().reclaimedByGC;
    let atTen = -1;
    let firstLoss = 0;
    let lastLoss = 0;
    for (let it = 1; it <= 10_000; it++) {
      const loss = torch.tidy(() => {
        const h = torch.relu(torch.add(torch.matmul(x, w1), b1));
        const out = torch.add(torch.matmul(h, w2), b2);
        return torch.mean(torch.square(torch.sub(out, y)));
      });
      loss.backward();
      if (it === 1) firstLoss = loss.item();
      lastLoss = it === 10_000 ? loss.item() : lastLoss;
      loss.dispose();
      noGrad(() => {
        for (const p of params) {
          const step = torch.mul(p.grad!, 0.05);
          torch.sub_(p, step);
          step.dispose();
          p.grad!.dispose();
          p.grad = null;
        }
      });
      if (it === 10) atTen = torch.memoryStats().liveStorages;
    }
    const stats = torch.memoryStats();
    expect(stats.liveStorages).toBe(atTen);
    expect(stats.reclaimedByGC).toBe(gcBefore);
    expect(lastLoss).toBeLessThan(firstLoss); // it trained
    for (const t of [...params, x, y]) t.dispose();
  }, 120_000); // 10,000 steps: ~5–10 s alone, far more on a loaded 2-core machine

  test('a forward without backward frees everything once its outputs are disposed', () => {
    const before = torch.memoryStats();
    const w = torch.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const a = torch.exp(w);
    const b = torch.mul(a, w);
    const t = torch.tanh(b);
    const c = torch.sum(t);
    a.dispose();
    b.dispose();
    t.dispose();
    // c's graph (exp, mul, tanh, sum with their saved tensors) is still alive here.
    expect(torch.memoryStats().liveStorages).toBeGreaterThan(before.liveStorages + 2);
    c.dispose();
    expect(torch.memoryStats().liveStorages).toBe(before.liveStorages + 1); // only w
    w.dispose();
    expect(torch.memoryStats().liveStorages).toBe(before.liveStorages);
    expect(torch.memoryStats().liveTensors).toBe(before.liveTensors);
  });

  test('backward frees saved tensors at once; retainGraph keeps them until the outputs go', () => {
    const w = torch.tensor([1, 2, 3], { requiresGrad: true });
    const base = torch.memoryStats().liveStorages;
    const y = torch.tidy(() => torch.sum(torch.exp(torch.mul(w, w))));
    const withGraph = torch.memoryStats().liveStorages;
    y.backward(undefined, { retainGraph: true });
    expect(torch.memoryStats().liveStorages).toBe(withGraph + 1); // + w.grad
    y.backward(undefined, {});
    expect(torch.memoryStats().liveStorages).toBe(base + 2); // y + w.grad
    y.dispose();
    w.dispose();
  });

  test('ops whose outputs cannot carry a gradient (cast to int32) record nothing and leak nothing', () => {
    const before = torch.memoryStats();
    const x = torch.tensor([1.5, 2.5], { requiresGrad: true });
    const e = torch.exp(x);
    const i = e.int();
    expect(i.requiresGrad).toBe(false);
    for (const t of [i, e, x]) t.dispose();
    expect(torch.memoryStats().liveStorages).toBe(before.liveStorages);
  });

  test('property: any chain of ops, with or without backward / grad / createGraph, frees everything', () => {
    const unary = ['exp', 'tanh', 'sigmoid', 'square', 'sin', 'relu'] as const;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('unary' as const), name: fc.constantFrom(...unary) }),
      fc.record({ kind: fc.constantFrom('add' as const, 'mul' as const, 'matmul' as const), other: fc.nat(10) }),
      fc.record({ kind: fc.constantFrom('sum' as const, 'transpose' as const, 'slice' as const, 'inplace' as const, 'viewInplace' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), fc.constantFrom('none', 'backward', 'grad', 'createGraph'), (ops, mode) => {
        const before = torch.memoryStats();
        const x = torch.tensor([[0.5, -0.2], [0.3, 0.8]], { requiresGrad: true });
        const made: Tensor[] = [];
        let cur: Tensor = x;
        const push = (t: Tensor): void => {
          made.push(t);
          cur = t;
        };
        for (const o of ops) {
          if (o.kind === 'unary') push(torch.unary(o.name, cur));
          else if (o.kind === 'add') push(torch.add(cur, made[o.other % (made.length || 1)] ?? x));
          else if (o.kind === 'mul') push(torch.mul(cur, made[o.other % (made.length || 1)] ?? x));
          else if (o.kind === 'matmul') push(torch.matmul(cur, x));
          else if (o.kind === 'sum') push(torch.tidy(() => torch.expand(torch.sum(cur, 0, { keepdim: true }), [2, 2])));
          else if (o.kind === 'transpose') push(torch.transpose(cur, 0, 1));
          else if (o.kind === 'slice') push(torch.tidy(() => torch.expand(torch.slice(cur, 1, 0, 1), [2, 2])));
          else if (o.kind === 'viewInplace') {
            const c = torch.mul(cur, 1);
            torch.tidy(() => {
              torch.mul_(torch.select(torch.transpose(c, 0, 1), 0, 1), torch.select(cur, 0, 0));
            });
            push(c);
          } else if (o.kind === 'inplace') {
            const c = torch.clone(cur);
            torch.mul_(torch.add_(c, 1), cur);
            push(c);
          }
        }
        const loss = torch.sum(cur);
        if (mode === 'backward') loss.backward();
        else if (mode === 'grad') for (const g of grad(loss, x)) g?.dispose();
        else if (mode === 'createGraph') {
          const [g] = grad(loss, x, { createGraph: true });
          const s = torch.tidy(() => torch.sum(torch.mul(g!, g!)));
          if (s.requiresGrad) s.backward(); // a linear chain's gradient is constant
          s.dispose();
          g!.dispose();
        }
        loss.dispose();
        for (const t of made) t.dispose();
        x.dispose();
        const after = torch.memoryStats();
        return after.liveStorages === before.liveStorages && after.liveTensors === before.liveTensors;
      }),
      { numRuns: 200 },
    );
  });

  test('a loop that disposes nothing warns once, naming torch.tidy; only the tensors the loop holds stay (2 a step)', () => {
    resetGrowthWatch();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const w = torch.tensor([0.5, -1, 2, 0.25], { requiresGrad: true });
    const x = torch.tensor([1, 2, 3, 4]);
    const held: Tensor[] = []; // what a PyTorch-style loop drops (kept here only to dispose at the end)
    const step = (): void => {
      const y = torch.mul(x, w);
      const loss = torch.sum(y);
      loss.backward();
      held.push(y, loss);
    };
    try {
      for (let i = 0; i < 100; i++) step();
      const start = torch.memoryStats();
      for (let i = 0; i < 1_099; i++) step(); // 1,199 backward calls: five windows of 200 not yet complete
      expect(torch.memoryStats().liveTensors - start.liveTensors).toBe(2 * 1_099); // y and loss; the graph is gone
      expect(warn).not.toHaveBeenCalled();
      step(); // the 1,200th
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/tensors are alive.*grows every step.*synchronous loop.*torch\.tidy.*\.dispose\(\)/);
      for (let i = 0; i < 1_000; i++) step();
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
      for (const t of [...held, w, x]) t.dispose();
    }
  });

  test('the same loop in tidy (or disposing its outputs) stays flat and does not warn', () => {
    resetGrowthWatch();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const w = torch.tensor([0.5, -1, 2, 0.25], { requiresGrad: true });
    const x = torch.tensor([1, 2, 3, 4]);
    try {
      const start = torch.memoryStats();
      for (let i = 0; i < 1_500; i++) {
        if (i % 2 === 0) torch.tidy(() => torch.sum(torch.mul(x, w)).backward());
        else {
          const y = torch.mul(x, w);
          const loss = torch.sum(y);
          loss.backward();
          y.dispose();
          loss.dispose();
        }
      }
      expect(torch.memoryStats().liveTensors).toBe(start.liveTensors + 1); // w.grad
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      for (const t of [w, x]) t.dispose();
    }
  });

  test('a loop that disposes nothing but awaits the event loop each step does not warn (the backstop can run there)', async () => {
    resetGrowthWatch();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const w = torch.tensor([0.5, -1, 2, 0.25], { requiresGrad: true });
    const x = torch.tensor([1, 2, 3, 4]);
    const held: Tensor[] = [];
    try {
      for (let i = 0; i < 1_400; i++) {
        const y = torch.mul(x, w);
        const loss = torch.sum(y);
        loss.backward();
        held.push(y, loss);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      for (const t of [...held, w, x]) t.dispose();
    }
  });

  test('a 20,000-node chain backpropagates and frees without deep recursion', () => {
    const before = torch.memoryStats();
    const x = torch.tensor([1], { requiresGrad: true });
    let cur = torch.mul(x, 1);
    for (let i = 0; i < 20_000; i++) {
      const next = torch.mul(cur, 1.00001);
      cur.dispose();
      cur = next;
    }
    const keepGraph = torch.alias(cur);
    cur.backward(undefined, { retainGraph: true });
    expect(x.grad!.item()).toBeCloseTo(Math.pow(1.00001, 20_000), 3);
    cur.dispose();
    keepGraph.dispose(); // the last reference: the whole chain is released iteratively
    x.dispose();
    expect(torch.memoryStats().liveStorages).toBe(before.liveStorages);
  });
});
