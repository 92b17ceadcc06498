import { describe, expect, it } from 'vitest';
import { memoryStats, tensor, type Tensor } from '@torchlet/tensor';
import { DataLoader } from '../dataset/dataloader.js';
import { MinMaxScaler, StandardScaler } from './scalers.js';
import { splitByTime } from './split.js';
import { windowed } from './windowed.js';

const vals = (t: Tensor) => Array.from(t.dataSync());

describe('windowed', () => {
  it('makes (input, target) windows with a stride, and batches them', () => {
    const ds = windowed([0, 1, 2, 3, 4, 5, 6], 3, 2);
    expect(ds.length).toBe(3);
    const [x, y] = ds.getItem(1);
    expect(vals(x)).toEqual([1, 2, 3]);
    expect(vals(y)).toEqual([4, 5]);
    const strided = windowed([0, 1, 2, 3, 4, 5, 6, 7], 2, 1, { stride: 3 });
    expect(strided.length).toBe(2); // starts 0 and 3 (6 would need a target at 8)
    const [sx, sy] = strided.getItem(1);
    expect(vals(sx)).toEqual([3, 4]);
    expect(vals(sy)).toEqual([5]);
    sx.dispose();
    sy.dispose();
    const before = memoryStats().liveTensors;
    const batches = [...new DataLoader(ds, { batchSize: 2 })];
    expect(batches[0]![0].shape).toEqual([2, 3]);
    expect(batches[0]![1].shape).toEqual([2, 2]);
    batches.flat().forEach((t) => t.dispose());
    expect(memoryStats().liveTensors).toBe(before);
    const multi = windowed(tensor([[1, 10], [2, 20], [3, 30], [4, 40]]), 2, 1);
    const { inputs, targets } = multi.all();
    expect(inputs.shape).toEqual([2, 2, 2]);
    expect(inputs.tolist()).toEqual([[[1, 10], [2, 20]], [[2, 20], [3, 30]]]);
    expect(targets.tolist()).toEqual([[[3, 30]], [[4, 40]]]);
    expect(windowed([1, 2], 3, 1).length).toBe(0);
    for (const t of [x, y, inputs, targets, multi.series]) t.dispose();
    ds.dispose();
    strided.dispose();
  });
});

describe('splitByTime', () => {
  it('splits in order with fractions or counts, with optional context', () => {
    const s = Array.from({ length: 10 }, (_, i) => i);
    const { train, val, test } = splitByTime(s, { train: 0.6, val: 0.2 });
    expect([train, val, test]).toEqual([[0, 1, 2, 3, 4, 5], [6, 7], [8, 9]]);
    const c = splitByTime(s, { train: 5, val: 3, context: 2 });
    expect(c.val).toEqual([3, 4, 5, 6, 7]);
    expect(c.test).toEqual([6, 7, 8, 9]);
    expect(c.starts).toEqual({ train: 0, val: 3, test: 6 });
    expect(() => splitByTime(s, { train: 8, val: 5 })).toThrow(/exceed/);
  });
});

describe('scalers', () => {
  it('StandardScaler: fit / transform / inverseTransform / stateDict like sklearn', () => {
    const x = tensor([[1, 5], [3, 5], [5, 5]]);
    const sc = new StandardScaler().fit(x);
    expect(vals(sc.mean)).toEqual([3, 5]);
    expect(vals(sc.scale)[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(vals(sc.scale)[1]).toBe(1); // constant feature
    const z = sc.transform(x);
    expect(vals(z)[0]).toBeCloseTo(-2 / Math.sqrt(8 / 3), 5);
    const back = sc.inverseTransform(z);
    vals(back).forEach((v, i) => expect(v).toBeCloseTo(vals(x)[i]!, 5));
    const state = sc.stateDict();
    const sc2 = new StandardScaler();
    sc2.loadStateDict(state);
    const z2 = sc2.transform(x);
    expect(vals(z2)).toEqual(vals(z));
    expect(() => new StandardScaler().transform(x)).toThrow(/not fitted/);
    expect(() => sc.transform(tensor([1, 2, 3]))).toThrow(/trailing feature shape \[2\]/);
    for (const t of [x, z, back, z2, state.mean!, state.scale!]) t.dispose();
    sc.dispose();
    sc2.dispose();
  });

  it('MinMaxScaler maps the fitted range onto featureRange; 1-D series work', () => {
    const before = memoryStats().liveTensors;
    const sc = new MinMaxScaler({ featureRange: [-1, 1] });
    const y = sc.fitTransform([10, 20, 30]);
    expect(vals(y)).toEqual([-1, 0, 1]);
    const out = sc.transform([40]);
    expect(vals(out)).toEqual([2]);
    const inv = sc.inverseTransform(y);
    expect(vals(inv)).toEqual([10, 20, 30]);
    expect(sc.dataMin.item()).toBe(10);
    expect(sc.dataMax.item()).toBe(30);
    for (const t of [y, out, inv]) t.dispose();
    sc.dispose();
    expect(memoryStats().liveTensors).toBe(before);
  });
});
