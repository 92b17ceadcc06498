import * as torch from '@torchlet/tensor';
import { memoryStats, type Tensor } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import { Function, RowSparseTensor, addGradients, grad, isRowSparse, type FunctionCtx } from './index.js';

const data = (t: Tensor): number[] => Array.from(t.dataSync());

/** A row lookup whose weight gradient is row-sparse (what nn's sparse embedding does). */
class SparseLookup extends Function {
  static override forward(ctx: FunctionCtx, weight: Tensor, idx: Tensor): Tensor {
    ctx.saveForBackward(idx);
    ctx.shape = weight.shape;
    return torch.indexSelect(weight, 0, idx);
  }

  static override backward(ctx: FunctionCtx, g: Tensor | null): (Tensor | null)[] {
    const [idx] = ctx.savedTensors;
    return [new RowSparseTensor(torch.alias(idx!), torch.clone(g!), ctx.shape as number[]), null];
  }
}

const idx = (...v: number[]): Tensor => torch.tensor(new Int32Array(v));

describe('RowSparseTensor', () => {
  test('toDense adds repeated rows; coalesce sums them into sorted unique rows', () => {
    const s = new RowSparseTensor(idx(2, 0, 2), torch.tensor([[1, 2], [3, 4], [5, 6]]), [4, 2]);
    expect(s.isSparse).toBe(true);
    expect(s.layout).toBe('rowSparse');
    expect(s.shape).toEqual([4, 2]);
    expect(s.nnz).toBe(3);
    expect(isRowSparse(s)).toBe(true);
    expect(torch.zeros([1]).isSparse).toBe(false);
    const d = s.toDense();
    expect(data(d)).toEqual([3, 4, 0, 0, 6, 8, 0, 0]);
    expect(data(s)).toEqual([3, 4, 0, 0, 6, 8, 0, 0]);
    const c = s.coalesce();
    expect(data(c.indices)).toEqual([0, 2]);
    expect(data(c.values)).toEqual([3, 4, 6, 8]);
    expect(c.isCoalesced).toBe(true);
    for (const t of [s, d, c]) t.dispose();
  });

  test('dense ops refuse it with a message that names toDense()', () => {
    const s = new RowSparseTensor(idx(1), torch.ones([1, 3]), [2, 3]);
    expect(() => torch.add(s, 1)).toThrow(/row-sparse tensor of shape \[2, 3\].*toDense\(\)/);
    expect(() => torch.reshape(s, [6])).toThrow(/toDense/);
    s.mul_(2);
    expect(data(s.values)).toEqual([2, 2, 2]);
    s.zero_();
    expect(data(s)).toEqual([0, 0, 0, 0, 0, 0]);
    s.dispose();
  });

  test('checks its parts', () => {
    const i = idx(0, 1);
    const v = torch.ones([3, 2]);
    expect(() => new RowSparseTensor(i, v, [4, 2])).toThrow(/do not fit 2 rows/);
    expect(() => new RowSparseTensor(torch.ones([2]), v, [4, 2])).toThrow(/int32/);
    i.dispose();
    v.dispose();
  });

  test('dispose frees indices and values; tidy keeps the parts with the tensor', () => {
    const before = memoryStats();
    const s = torch.tidy(() => new RowSparseTensor(idx(1, 1), torch.ones([2, 2]), [3, 2]));
    expect(data(s)).toEqual([0, 0, 2, 2, 0, 0]);
    s.dispose();
    expect(memoryStats().liveTensors).toBe(before.liveTensors);
    expect(memoryStats().liveStorages).toBe(before.liveStorages);
  });
});

describe('autograd accumulation of row-sparse gradients', () => {
  test('a leaf gets a RowSparseTensor; a second backward concatenates rows', () => {
    const w = torch.arange(8, { dtype: 'float32' }).reshape([4, 2]).requiresGrad_();
    SparseLookup.apply(w, idx(1, 3)).sum().backward();
    const g1 = w.grad!;
    expect(g1).toBeInstanceOf(RowSparseTensor);
    expect(data(g1)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    SparseLookup.apply(w, idx(3)).mul(2).sum().backward();
    expect(w.grad).toBeInstanceOf(RowSparseTensor);
    expect((w.grad as RowSparseTensor).nnz).toBe(3);
    expect(data(w.grad!)).toEqual([0, 0, 1, 1, 0, 0, 3, 3]);
    w.dispose();
  });

  test('sparse + dense in one graph densifies (indexAdd), in either order', () => {
    for (const order of [0, 1]) {
      const w = torch.ones([3, 2]).requiresGrad_();
      const a = SparseLookup.apply(w, idx(0, 0)).sum();
      const b = w.mul(3).sum();
      const loss = order ? a.add(b) : b.add(a);
      loss.backward();
      expect(w.grad!.isSparse).toBe(false);
      expect(data(w.grad!)).toEqual([5, 5, 3, 3, 3, 3]);
      // and a dense .grad plus a later sparse one stays dense
      SparseLookup.apply(w, idx(2)).sum().backward();
      expect(w.grad!.isSparse).toBe(false);
      expect(data(w.grad!)).toEqual([5, 5, 3, 3, 4, 4]);
      for (const t of [w, a, b, loss]) t.dispose();
    }
  });

  test('a sparse gradient flowing into a non-leaf is densified for its backward', () => {
    const w0 = torch.ones([3, 2]).requiresGrad_();
    const w = w0.mul(2);
    SparseLookup.apply(w, idx(1)).sum().backward();
    expect(w0.grad!.isSparse).toBe(false);
    expect(data(w0.grad!)).toEqual([0, 0, 2, 2, 0, 0]);
    for (const t of [w0, w]) t.dispose();
  });

  test('grad() returns the sparse gradient; addGradients covers every pairing', () => {
    const w = torch.ones([3, 2]).requiresGrad_();
    const [g] = grad(SparseLookup.apply(w, idx(2, 2)).sum(), w);
    expect(g!.isSparse).toBe(true);
    expect(data(g!)).toEqual([0, 0, 0, 0, 2, 2]);
    const dense = torch.ones([3, 2]);
    const s1 = addGradients(g!, dense);
    const s2 = addGradients(dense, g!);
    const s3 = addGradients(g!, g!);
    expect(data(s1)).toEqual([1, 1, 1, 1, 3, 3]);
    expect(data(s2)).toEqual([1, 1, 1, 1, 3, 3]);
    expect(s3.isSparse).toBe(true);
    expect(data(s3)).toEqual([0, 0, 0, 0, 4, 4]);
    for (const t of [w, g!, dense, s1, s2, s3]) t.dispose();
  });

  test('no tensors leak across forward, backward and dispose', () => {
    const before = memoryStats();
    const w = torch.ones([5, 3]).requiresGrad_();
    for (let i = 0; i < 3; i++) {
      const ix = idx(i, 4);
      const y = SparseLookup.apply(w, ix);
      const l = y.sum();
      l.backward();
      for (const t of [ix, y, l]) t.dispose();
    }
    w.dispose();
    expect(memoryStats().liveTensors).toBe(before.liveTensors);
    expect(memoryStats().liveStorages).toBe(before.liveStorages);
  });
});
