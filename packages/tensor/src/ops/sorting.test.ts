import { describe, expect, it } from 'vitest';
import { IndexError, argsort, kthvalue, memoryStats, sort, tensor, topk, unique, uniqueAsync, type Tensor } from '../index.js';

describe('sort / argsort', () => {
  it('sorts along the last dim by default, with int32 indices', () => {
    const x = tensor([[3, 1, 2], [0, 5, -1]]);
    const { values, indices } = sort(x);
    expect(values.tolist()).toEqual([[1, 2, 3], [-1, 0, 5]]);
    expect(indices.tolist()).toEqual([[1, 2, 0], [2, 0, 1]]);
    expect(indices.dtype).toBe('int32');
    expect(x.sort({ dim: 0, descending: true }).values.tolist()).toEqual([[3, 5, 2], [0, 1, -1]]);
  });

  it('is stable and puts NaN last (first when descending)', () => {
    const x = tensor([2, NaN, 1, 2, 1]);
    expect(argsort(x).tolist()).toEqual([2, 4, 0, 3, 1]);
    const d = sort(x, { descending: true });
    expect(d.indices.tolist()).toEqual([1, 0, 3, 2, 4]);
    expect(Number.isNaN((d.values.tolist() as number[])[0]!)).toBe(true);
  });

  it('sorts non-contiguous views', () => {
    const x = tensor([[3, 1], [1, 2], [2, 0]]).t();
    expect(sort(x).values.tolist()).toEqual([[1, 2, 3], [0, 1, 2]]);
  });
});

describe('topk / kthvalue', () => {
  it('topk largest and smallest (PyTorch doc example)', () => {
    const x = tensor([1, 2, 3, 4, 5]);
    const r = topk(x, 3);
    expect(r.values.tolist()).toEqual([5, 4, 3]);
    expect(r.indices.tolist()).toEqual([4, 3, 2]);
    expect(x.topk(2, { largest: false }).values.tolist()).toEqual([1, 2]);
    expect(topk(tensor([[1, 9], [8, 2]]), 1, { dim: 0 }).indices.tolist()).toEqual([[1, 0]]);
    expect(() => topk(x, 6)).toThrow(IndexError);
    expect(() => topk(x, 6)).toThrow('selected index k out of range');
  });

  it('kthvalue', () => {
    const r = kthvalue(tensor([3, 1, 4, 1, 5]), 2);
    expect(r.values.item()).toBe(1);
    expect(r.indices.item()).toBe(3);
  });
});

describe('unique', () => {
  it('sorted unique values, inverse and counts', async () => {
    const x = tensor([1, 3, 2, 3], { dtype: 'int32' });
    expect(unique(x).tolist()).toEqual([1, 2, 3]);
    const r = unique(x, { returnInverse: true, returnCounts: true });
    expect(r.values.tolist()).toEqual([1, 2, 3]);
    expect(r.values.dtype).toBe('int32');
    expect(r.inverse!.tolist()).toEqual([0, 2, 1, 2]);
    expect(r.counts!.tolist()).toEqual([1, 1, 2]);
    const m = tensor([[1, 3], [2, 3]]);
    expect(unique(m, { returnInverse: true }).inverse!.tolist()).toEqual([[0, 2], [1, 2]]);
    expect((await uniqueAsync(m)).tolist()).toEqual([1, 2, 3]);
  });

  it('unique slices along a dim', () => {
    const x = tensor([[1, 2], [0, 1], [1, 2]]);
    const r = unique(x, { dim: 0, returnInverse: true, returnCounts: true });
    expect(r.values.tolist()).toEqual([[0, 1], [1, 2]]);
    expect(r.inverse!.tolist()).toEqual([1, 0, 1]);
    expect(r.counts!.tolist()).toEqual([1, 2]);
    expect(unique(x, { dim: 1 }).tolist()).toEqual([[1, 2], [0, 1], [1, 2]]);
  });
});

describe('memory', () => {
  it('sorting ops release their temporaries', () => {
    const x = tensor([[3, 1, 2], [0, 5, -1]]);
    const xt = x.t();
    const before = memoryStats();
    const out: Tensor[] = [];
    const s = sort(x, { dim: 0 });
    out.push(s.values, s.indices, argsort(x));
    const t = topk(x, 2);
    out.push(t.values, t.indices);
    const u = unique(xt, { returnInverse: true, returnCounts: true });
    out.push(u.values, u.inverse!, u.counts!);
    const ud = unique(x, { dim: 1 });
    out.push(ud);
    for (const r of out) r.dispose();
    expect(memoryStats().liveTensors).toBe(before.liveTensors);
    expect(memoryStats().liveStorages).toBe(before.liveStorages);
  });
});
