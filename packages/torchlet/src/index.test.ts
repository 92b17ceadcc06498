import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as torch from './index.js';

describe('torchlet umbrella', () => {
  it('gives PyTorch-shaped names: torch.nn, torch.optim, torch.utils.data, torch.autograd', () => {
    expect(typeof torch.tensor).toBe('function');
    expect(typeof torch.nn.Linear).toBe('function');
    expect(typeof torch.nn.functional.crossEntropy).toBe('function');
    expect(typeof torch.optim.Adam).toBe('function');
    expect(typeof torch.optim.lrScheduler.StepLR).toBe('function');
    expect(typeof torch.utils.data.DataLoader).toBe('function');
    expect(typeof torch.autograd.grad).toBe('function');
    expect(typeof torch.save).toBe('function');
    expect(torch.io.loadTfjsLayers).toBe(torch.nn.loadTfjsLayers);
    expect(typeof torch.train.fit).toBe('function');
    expect(typeof torch.train.ModelCheckpoint).toBe('function');
    expect(typeof torch.io.loadSafetensors).toBe('function');
  });

  it('runs the README quick start: a tiny classifier learns', () => {
    torch.manualSeed(0);
    const x = torch.randn([64, 4]);
    const y = x.index(':, 0').gt(0).long(); // label: sign of the first feature
    const model = new torch.nn.Sequential(new torch.nn.Linear(4, 16), new torch.nn.ReLU(), new torch.nn.Linear(16, 2));
    const opt = new torch.optim.Adam(model.parameters(), { lr: 0.05 });
    let first = 0;
    let last = 0;
    for (let step = 0; step < 60; step++) {
      opt.zeroGrad();
      const loss = torch.nn.functional.crossEntropy(model.call(x) as torch.Tensor, y);
      loss.backward();
      opt.step();
      if (step === 0) first = loss.item();
      last = loss.item();
      loss.dispose();
    }
    expect(last).toBeLessThan(first * 0.3);
    const acc = torch.noGrad(() => (model.call(x) as torch.Tensor).argmax(1).eq(y).float().mean().item());
    expect(acc).toBeGreaterThan(0.95);
  });

  it('torch.load reads a .pt file written by PyTorch, and a model takes its state dict', async () => {
    // num_batches_tracked is stored with shape [1] in this file, as in older PyTorch files
    const path = fileURLToPath(new URL('../../io/test-data/bn-1d-count.pt', import.meta.url));
    const sd = await torch.load<Record<string, torch.Tensor>>(path);
    const bn = new torch.nn.BatchNorm1d(3);
    expect(bn.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(bn.weight!.dataSync())).toEqual([1, 2, 3]);
    expect(bn.getBuffer('num_batches_tracked')!.item()).toBe(4);
    for (const t of Object.values(sd)) t.dispose();
    bn.dispose();
  });
});
