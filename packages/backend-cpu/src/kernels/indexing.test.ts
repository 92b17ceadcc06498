import { describe, expect, it } from 'vitest';
import { allIndices, at, be, empty, expand, permute, tensor, values } from '../../test/helpers.js';

describe('gather', () => {
  it('gathers along each axis of a transposed input (torch.gather)', () => {
    const x = permute(tensor('float32', [3, 2], [1, 2, 3, 4, 5, 6]), [1, 0]); // [[1, 3, 5], [2, 4, 6]]
    const idx = tensor('int32', [2, 2], [2, 0, 1, 1]);
    const out = empty('float32', [2, 2]);
    be.gather(x, 1, idx, out);
    expect(values(out)).toEqual([5, 1, 4, 4]);
    const idx0 = tensor('int32', [1, 3], [1, 0, 1]);
    const out0 = empty('float32', [1, 3]);
    be.gather(x, 0, idx0, out0);
    expect(values(out0)).toEqual([2, 3, 6]);
  });

  it('matches a naive reference with a broadcast index', () => {
    const x = tensor('float64', [2, 4, 3], Array.from({ length: 24 }, (_, i) => i * 1.5));
    const idx = expand(tensor('int32', [1, 2, 1], [3, 1]), [2, 2, 3]);
    const out = empty('float64', [2, 2, 3]);
    be.gather(x, 1, idx, out);
    for (const [i, j, k] of allIndices(out.shape)) expect(at(out, [i!, j!, k!])).toBe(at(x, [i!, at(idx, [i!, j!, k!]), k!]));
  });

  it('rejects out-of-range indices', () => {
    const x = tensor('float32', [3], [1, 2, 3]);
    expect(() => be.gather(x, 0, tensor('int32', [1], [3]), empty('float32', [1]))).toThrow(RangeError);
    expect(() => be.gather(x, 0, tensor('int32', [1], [-1]), empty('float32', [1]))).toThrow(RangeError);
  });
});

describe('indexSelect', () => {
  it('selects rows and columns of a strided view, with repeats', () => {
    const x = permute(tensor('int32', [3, 4], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]), [1, 0]); // [4, 3]
    const index = { ...tensor('int32', [6], [2, 9, 0, 9, 2, 9]), shape: [3], strides: [2] }; // [2, 0, 2]
    const rows = empty('int32', [3, 3]);
    be.indexSelect(x, 0, index, rows);
    expect(values(rows)).toEqual([2, 12, 22, 0, 10, 20, 2, 12, 22]);
    const cols = empty('int32', [4, 3]);
    be.indexSelect(x, 1, index, cols);
    expect(values(cols)).toEqual([20, 0, 20, 21, 1, 21, 22, 2, 22, 23, 3, 23]);
    expect(() => be.indexSelect(x, 0, tensor('int32', [1], [4]), empty('int32', [1, 3]))).toThrow(RangeError);
  });

  it('handles an empty index', () => {
    be.indexSelect(tensor('float32', [2], [1, 2]), 0, empty('int32', [0]), empty('float32', [0]));
  });
});

describe('scatter', () => {
  it('set writes along the axis (torch.scatter_)', () => {
    const dst = tensor('float32', [2, 4], new Array(8).fill(0));
    const index = tensor('int32', [2, 2], [3, 0, 1, 2]);
    const src = tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]); // only [:, :2] is used
    be.scatter(dst, 1, index, src, 'set');
    expect(values(dst)).toEqual([2, 0, 0, 1, 0, 4, 5, 0]);
  });

  it('add accumulates duplicate indices in order, into a strided destination', () => {
    const base = tensor('float64', [4, 2], new Array(8).fill(0));
    const dst = permute(base, [1, 0]); // [2, 4]
    const index = tensor('int32', [2, 3], [1, 1, 1, 0, 3, 0]);
    const src = tensor('float64', [2, 3], [0.1, 0.2, 0.3, 1, 2, 3]);
    be.scatter(dst, 1, index, src, 'add');
    expect(values(dst)).toEqual([0, 0.1 + 0.2 + 0.3, 0, 0, 4, 0, 0, 2]);
  });

  it('rejects out-of-range indices', () => {
    const dst = tensor('float32', [3], [0, 0, 0]);
    expect(() => be.scatter(dst, 0, tensor('int32', [1], [5]), tensor('float32', [1], [1]), 'add')).toThrow(RangeError);
  });
});

describe('indexAdd', () => {
  it('adds slices of src at indices along the axis, duplicates included', () => {
    const dst = tensor('float32', [3, 2], [1, 1, 1, 1, 1, 1]);
    const index = tensor('int32', [4], [2, 0, 2, 2]);
    const src = permute(tensor('float32', [2, 4], [1, 2, 3, 4, 10, 20, 30, 40]), [1, 0]); // [4, 2]
    be.indexAdd(dst, 0, index, src);
    expect(values(dst)).toEqual([3, 21, 1, 1, 9, 81]);
    const cols = tensor('int32', [2, 3], [0, 0, 0, 0, 0, 0]);
    be.indexAdd(cols, 1, tensor('int32', [2], [1, 1]), tensor('int32', [2, 2], [1, 2, 3, 4]));
    expect(values(cols)).toEqual([0, 3, 0, 0, 7, 0]);
  });
});
