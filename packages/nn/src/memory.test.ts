/**
 * Memory of a recurrent training loop (GRU + Linear, Adam, MSE), as PyTorch code writes it.
 * The library keeps nothing of a step: backward frees the graph and its saved tensors, the
 * optimizer's state is allocated once. What stays is exactly what the step's own code holds
 * and does not dispose (tidy or dispose() frees it; see tooling/bench/src/memory/gru-loop.ts
 * for 20,000 steps).
 */
import { getBackend } from '@torchlet/backend';
import { Adam } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { afterAll, describe, expect, test, vi } from 'vitest';
import * as nn from './index.js';

type Mode = 'dispose' | 'tidy' | 'nothing';

/** Wasm heap bytes in use (null with the TypeScript kernels). */
function heapBytes(): number | null {
  const cpu = getBackend('cpu') as { heapStats?: () => { allocatedBytes: number } | null };
  return cpu.heapStats?.()?.allocatedBytes ?? null;
}

describe('a GRU training loop', () => {
  torch.manualSeed(0);
  const gru = new nn.GRU(8, 16, { batchFirst: true });
  const head = new nn.Linear(16, 1);
  const crit = new nn.MSELoss();
  const opt = new Adam([...gru.parameters(), ...head.parameters()], { lr: 0.01 });
  const x = torch.randn([4, 10, 8]);
  const y = torch.randn([4, 1]);
  // a loop that never disposes would warn once (see autograd's growth watch): not what these tests check
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  afterAll(() => {
    warn.mockRestore();
    for (const t of [x, y]) t.dispose();
    gru.dispose();
    head.dispose();
  });

  /** One step; returns the tensors its code received and did not dispose. */
  function step(mode: Mode): Tensor[] {
    opt.zeroGrad();
    if (mode === 'tidy') {
      torch.tidy(() => {
        const [out] = gru.call(x);
        crit.call(head.call(torch.select(out, 1, -1)), y).backward();
      });
      opt.step();
      return [];
    }
    const [out, hN] = gru.call(x);
    const last = torch.select(out, 1, -1);
    const pred = head.call(last);
    const loss = crit.call(pred, y);
    loss.backward();
    opt.step();
    const made = [out, hN, last, pred, loss];
    if (mode === 'nothing') return made;
    for (const t of made) t.dispose();
    return [];
  }

  for (const mode of ['dispose', 'tidy'] as const) {
    test(`${mode === 'tidy' ? 'in torch.tidy' : 'disposing its outputs'}: no growth after warm-up (live tensors, bytes, Wasm heap)`, () => {
      for (let i = 0; i < 20; i++) step(mode);
      const before = { ...torch.memoryStats(), heap: heapBytes() };
      for (let i = 0; i < 200; i++) step(mode);
      expect({ ...torch.memoryStats(), heap: heapBytes() }).toEqual(before);
    });
  }

  test('disposing nothing: each step keeps exactly the five tensors its code held, nothing of the graph', () => {
    const held: Tensor[] = [];
    for (let i = 0; i < 5; i++) held.push(...step('nothing'));
    const before = torch.memoryStats();
    const steps = 200;
    for (let i = 0; i < steps; i++) held.push(...step('nothing'));
    const after = torch.memoryStats();
    expect(after.liveTensors - before.liveTensors).toBe(5 * steps); // out, hN, its last step (a view), pred, loss
    // out [4, 10, 16] + hN [1, 4, 16] + pred [4, 1] + loss (a scalar), in float32; the view shares out's storage
    expect(after.liveBytes - before.liveBytes).toBe((640 + 64 + 4 + 1) * 4 * steps);
    const stats = torch.memoryStats();
    for (const t of held) t.dispose();
    expect(torch.memoryStats().liveTensors).toBe(stats.liveTensors - held.length);
  });
});
