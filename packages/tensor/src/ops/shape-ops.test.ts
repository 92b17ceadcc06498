import { describe, expect, it } from 'vitest';
import {
  ShapeError,
  ValueError,
  arange,
  cat,
  chunk,
  diag,
  flip,
  memoryStats,
  pad,
  repeat,
  repeatInterleave,
  roll,
  split,
  stack,
  tensor,
  tril,
  triu,
  unbind,
  zeros,
  type Tensor,
} from '../index.js';

const int = (data: number[]): Tensor => tensor(data, { dtype: 'int32' });
const shapes = (ts: Tensor[]): number[][] => ts.map((t) => [...t.shape]);

describe('cat / stack', () => {
  it('cat joins along a dim and promotes dtypes', () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5], [6]]);
    expect(cat([a, b], 1).tolist()).toEqual([[1, 2, 5], [3, 4, 6]]);
    expect(cat([a, a], 0).shape).toEqual([4, 2]);
    expect(cat([a, b], -1).shape).toEqual([2, 3]);
    const mixed = cat([int([1]), tensor([2.5])]);
    expect(mixed.dtype).toBe('float32');
    expect(mixed.tolist()).toEqual([1, 2.5]);
    // legacy: 1-D empty tensors are skipped
    expect(cat([a, zeros([0])], 0).shape).toEqual([2, 2]);
  });

  it('cat errors in PyTorch words', () => {
    expect(() => cat([zeros([2, 3]), zeros([2, 4])], 0)).toThrow(
      'Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list.',
    );
    expect(() => cat([zeros([2, 3]), zeros([4, 4])], 1)).toThrow(
      'Sizes of tensors must match except in dimension 1. Expected size 2 but got size 4 for tensor number 1 in the list.',
    );
    expect(() => cat([zeros([2]), zeros([2, 2])])).toThrow('Tensors must have same number of dimensions: got 1 and 2');
    expect(() => cat([])).toThrow('expected a non-empty list of Tensors');
    expect(() => cat([zeros([])])).toThrow('zero-dimensional tensor (at position 0) cannot be concatenated');
  });

  it('stack adds a dim; shapes must be equal', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5, 6]);
    expect(stack([a, b]).tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(stack([a, b], 1).tolist()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(stack([a, b], -1).shape).toEqual([3, 2]);
    expect(() => stack([a, zeros([4])])).toThrow('stack expects each tensor to be equal size, but got [3] at entry 0 and [4] at entry 1');
  });
});

describe('split / chunk / unbind', () => {
  const x = arange(10).view(5, 2);

  it('split by size and by sections; parts are views', () => {
    const parts = split(x, 2);
    expect(shapes(parts)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(parts[2]!.storage).toBe(x.storage);
    expect(shapes(x.split([1, 4]))).toEqual([[1, 2], [4, 2]]);
    expect(shapes(x.split(1, 1))).toEqual([[5, 1], [5, 1]]);
    expect(() => x.split([1, 2])).toThrow('split_with_sizes expects split_sizes to sum exactly to 5');
  });

  it('chunk gives at most n parts (PyTorch sizes)', () => {
    expect(shapes(chunk(arange(5), 2))).toEqual([[3], [2]]);
    expect(shapes(chunk(arange(6), 4))).toEqual([[2], [2], [2]]);
    expect(() => chunk(x, 0)).toThrow('chunk expects `chunks` to be greater than 0, got: 0');
  });

  it('unbind removes the dim', () => {
    expect(unbind(x, 1).map((t) => t.tolist())).toEqual([[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]);
    expect(x.unbind().length).toBe(5);
  });
});

describe('flip / roll / repeat / repeatInterleave', () => {
  it('flip reverses the given dims (a copy)', () => {
    const x = arange(6).view(2, 3);
    expect(flip(x, 1).tolist()).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(x.flip([0, 1]).tolist()).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(x.t().flip(0).tolist()).toEqual([[2, 5], [1, 4], [0, 3]]);
    expect(flip(x, 0).storage).not.toBe(x.storage);
  });

  it('roll shifts cyclically, flattening without dims (PyTorch doc example)', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8]).view(4, 2);
    expect(roll(x, 1).tolist()).toEqual([[8, 1], [2, 3], [4, 5], [6, 7]]);
    expect(roll(x, 1, 0).tolist()).toEqual([[7, 8], [1, 2], [3, 4], [5, 6]]);
    expect(roll(x, -1, 0).tolist()).toEqual([[3, 4], [5, 6], [7, 8], [1, 2]]);
    expect(roll(x, [2, 1], [0, 1]).tolist()).toEqual([[6, 5], [8, 7], [2, 1], [4, 3]]);
  });

  it('repeat tiles (PyTorch doc example)', () => {
    const x = tensor([1, 2, 3]);
    expect(repeat(x, 4, 2).tolist()).toEqual([[1, 2, 3, 1, 2, 3], [1, 2, 3, 1, 2, 3], [1, 2, 3, 1, 2, 3], [1, 2, 3, 1, 2, 3]]);
    expect(x.repeat(4, 2, 1).shape).toEqual([4, 2, 3]);
    expect(() => zeros([2, 2]).repeat(2)).toThrow('Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor');
  });

  it('repeatInterleave with a number, a tensor, and alone (PyTorch doc examples)', () => {
    const x = tensor([1, 2, 3]);
    expect(x.repeatInterleave(2).tolist()).toEqual([1, 1, 2, 2, 3, 3]);
    const y = tensor([[1, 2], [3, 4]]);
    expect(repeatInterleave(y, 2).tolist()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(repeatInterleave(y, 3, 1).tolist()).toEqual([[1, 1, 1, 2, 2, 2], [3, 3, 3, 4, 4, 4]]);
    expect(repeatInterleave(y, int([1, 2]), 0).tolist()).toEqual([[1, 2], [3, 4], [3, 4]]);
    expect(repeatInterleave(int([2, 3])).tolist()).toEqual([0, 0, 1, 1, 1]);
  });
});

describe('pad', () => {
  it('constant mode pads from the last dim, negative pads crop', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(pad(x, [1, 0]).tolist()).toEqual([[0, 1, 2], [0, 3, 4]]);
    expect(pad(x, [0, 1, 1, 0], { value: 9 }).tolist()).toEqual([[9, 9, 9], [1, 2, 9], [3, 4, 9]]);
    expect(pad(x, [-1, 1]).tolist()).toEqual([[2, 0], [4, 0]]);
    expect(() => pad(x, [1])).toThrow('Padding length must be divisible by 2');
    expect(() => pad(x, [1, 1, 1, 1, 1, 1])).toThrow('Padding length too large');
  });

  it('reflect, replicate and circular modes', () => {
    const x = tensor([[1, 2, 3]]);
    expect(pad(x, [2, 1], { mode: 'reflect' }).tolist()).toEqual([[3, 2, 1, 2, 3, 2]]);
    expect(pad(x, [2, 1], { mode: 'replicate' }).tolist()).toEqual([[1, 1, 1, 2, 3, 3]]);
    expect(pad(x, [1, 2], { mode: 'circular' }).tolist()).toEqual([[3, 1, 2, 3, 1, 2]]);
    expect(() => pad(x, [3, 0], { mode: 'reflect' })).toThrow('Padding size should be less than the corresponding input dimension');
  });
});

describe('tril / triu / diag', () => {
  const x = arange(1, 10, { dtype: 'float32' }).view(3, 3);

  it('tril and triu with diagonal offsets', () => {
    expect(tril(x).tolist()).toEqual([[1, 0, 0], [4, 5, 0], [7, 8, 9]]);
    expect(triu(x).tolist()).toEqual([[1, 2, 3], [0, 5, 6], [0, 0, 9]]);
    expect(x.tril(-1).tolist()).toEqual([[0, 0, 0], [4, 0, 0], [7, 8, 0]]);
    expect(x.triu(1).tolist()).toEqual([[0, 2, 3], [0, 0, 6], [0, 0, 0]]);
    expect(triu(zeros([2, 3, 4])).shape).toEqual([2, 3, 4]);
    expect(() => tril(zeros([3]))).toThrow(ShapeError);
  });

  it('diag builds a matrix from a vector and extracts a diagonal', () => {
    expect(diag(tensor([1, 2])).tolist()).toEqual([[1, 0], [0, 2]]);
    expect(diag(tensor([1, 2]), 1).tolist()).toEqual([[0, 1, 0], [0, 0, 2], [0, 0, 0]]);
    expect(diag(tensor([1, 2]), -1).tolist()).toEqual([[0, 0, 0], [1, 0, 0], [0, 2, 0]]);
    expect(diag(x).tolist()).toEqual([1, 5, 9]);
    expect(x.diag(1).tolist()).toEqual([2, 6]);
  });
});

describe('memory', () => {
  it('shape ops release their temporaries', () => {
    const x = arange(12, { dtype: 'float32' }).view(3, 4);
    const reps = int([1, 2, 0]);
    const row = x.index(0);
    const before = memoryStats();
    const results: Tensor[] = [
      cat([x, x], 1),
      stack([x, x], 2),
      ...split(x, 2),
      ...chunk(x, 3, 1),
      ...unbind(x),
      flip(x, [0, 1]),
      roll(x, 1),
      roll(x, [1, -2], [0, 1]),
      repeat(x, 2, 1, 3),
      repeatInterleave(x, 2, 1),
      repeatInterleave(x, reps, 0),
      pad(x, [1, 1, -1, 2]),
      pad(x, [1, 2], { mode: 'reflect' }),
      tril(x),
      triu(x, 1),
      diag(x),
      diag(row),
      diag(row, -2),
    ];
    for (const r of results) r.dispose();
    const after = memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveStorages).toBe(before.liveStorages);
  });

  it('refuses bad arguments with typed errors', () => {
    expect(() => roll(zeros([2]), [1, 2], [0])).toThrow(ValueError);
  });
});
