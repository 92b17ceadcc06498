import '@torchlet/autograd';
import { memoryStats, tensor, zeros } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import { EarlyStopping } from './early-stopping.js';

describe('EarlyStopping', () => {
  test("mode 'min': stops after `patience` epochs without improvement beyond minDelta", () => {
    const s = new EarlyStopping({ patience: 2, minDelta: 0.01 });
    const losses = [1.0, 0.8, 0.795, 0.79, 0.7, 0.75, 0.71];
    const stops: boolean[] = [];
    for (const l of losses.slice(0, 4)) stops.push(s.step(l));
    // 0.795 and 0.79 improve on 0.8 by less than 0.01: two bad epochs → stop at index 3.
    expect(stops).toEqual([false, false, false, true]);
    expect(s.best).toBe(0.8);
    expect(s.bestEpoch).toBe(1);
    expect(s.stopped).toBe(true);
    // Once stopped it stays stopped (the metric is still tracked).
    expect(losses.slice(4).map((l) => s.step(l))).toEqual([true, true, true]);
    expect(s.best).toBe(0.7);
  });

  test("mode 'max' with a tensor metric; NaN never improves", () => {
    const s = new EarlyStopping({ patience: 3, mode: 'max' });
    const acc = tensor(0.75);
    expect(s.step(0.5)).toBe(false);
    expect(s.step(acc)).toBe(false);
    expect(s.step(Number.NaN)).toBe(false);
    expect(s.step(0.75)).toBe(false);
    expect(s.step(0.7)).toBe(true);
    expect(s.bestEpoch).toBe(1);
    expect(s.best).toBe(0.75);
    acc.dispose();
  });

  test('restoreBest copies the best epoch weights back when stopping', async () => {
    const w = zeros([2]).requiresGrad_();
    const start = memoryStats().liveTensors;
    const s = new EarlyStopping({ patience: 1, restoreBest: true, model: [w] });
    const set = (v: number): void => {
      w.requiresGrad = false;
      w.fill_(v);
      w.requiresGrad = true;
    };
    set(1);
    s.step(0.5); // best: weights 1
    set(2);
    expect(s.step(0.6)).toBe(true);
    expect(Array.from(await w.data())).toEqual([1, 1]);
    s.dispose();
    expect(memoryStats().liveTensors).toBe(start);
    w.dispose();
  });

  test('restoreBest works with a module-like stateDict() source', async () => {
    const weight = zeros([3]);
    const model = { stateDict: () => ({ 'fc.weight': weight }) };
    const s = new EarlyStopping({ patience: 1, restoreBest: true, model });
    weight.fill_(4);
    s.step(1);
    weight.fill_(5);
    s.step(2);
    expect(Array.from(await weight.data())).toEqual([4, 4, 4]);
    s.dispose();
    weight.dispose();
  });

  test('state dict round trip', () => {
    const a = new EarlyStopping({ patience: 3 });
    for (const l of [3, 2, 2.5]) a.step(l);
    const b = new EarlyStopping({ patience: 3 });
    b.loadStateDict(structuredClone(a.stateDict()));
    expect(b.stateDict()).toEqual(a.stateDict());
    expect(a.stateDict()).toEqual({ patience: 3, min_delta: 0, mode: 'min', best: 2, best_epoch: 1, num_bad_epochs: 1, last_epoch: 2, stopped: false });
    expect([a.step(2.4), a.step(2.3)]).toEqual([b.step(2.4), b.step(2.3)]);
    expect(() => new EarlyStopping({ mode: 'max' }).loadStateDict(a.stateDict())).toThrow(/mode 'min'/);
  });

  test('bad options', () => {
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(/patience/);
    expect(() => new EarlyStopping({ minDelta: -0.1 })).toThrow(/minDelta/);
    expect(() => new EarlyStopping({ mode: 'up' as 'min' })).toThrow(/mode up is unknown/);
    expect(() => new EarlyStopping({ restoreBest: true })).toThrow(/restoreBest needs the model/);
  });
});
