import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  IndexError,
  ShapeError,
  arange,
  gather,
  indexAdd,
  indexSelect,
  maskedFill,
  maskedSelect,
  maskedSelectAsync,
  memoryStats,
  nonzero,
  nonzeroAsync,
  oneHot,
  scatter,
  scatterAdd,
  tensor,
  zeros,
  type Tensor,
} from '../index.js';

const int = (data: number[] | number[][]): Tensor => tensor(data, { dtype: 'int32' });
const grid = (rows: number, cols: number): Tensor => arange(rows * cols).view(rows, cols);

describe('x.index: basic items', () => {
  const x = grid(4, 5); // x[i][j] = 5i + j

  it('a number selects (removes the dim), negative counts from the end', () => {
    expect(x.index(1).tolist()).toEqual([5, 6, 7, 8, 9]);
    expect(x.index(-1, -2).item()).toBe(18);
    expect(x.index(1).storage).toBe(x.storage);
  });

  it('slice strings like PyTorch x[1:, ::2] and x[:-1]', () => {
    expect(x.index('1:', '::2').tolist()).toEqual([[5, 7, 9], [10, 12, 14], [15, 17, 19]]);
    expect(x.index(':-1', '1:5:2').tolist()).toEqual([[1, 3], [6, 8], [11, 13]]);
    expect(x.index(':').shape).toEqual([4, 5]);
    expect(x.index('2:100').shape).toEqual([2, 5]);
    expect(x.index('3:1').shape).toEqual([0, 5]);
    expect(x.index('-2:').tolist()).toEqual([[10, 11, 12, 13, 14], [15, 16, 17, 18, 19]]);
  });

  it('one string with commas, None and ellipsis', () => {
    expect(x.index('1:, ::2').tolist()).toEqual(x.index('1:', '::2').tolist());
    expect(x.index('None, 1').shape).toEqual([1, 5]);
    expect(x.index(null, '...', null).shape).toEqual([1, 4, 5, 1]);
    expect(x.index('..., 3').tolist()).toEqual([3, 8, 13, 18]);
    expect(x.index(1, null).shape).toEqual([1, 5]);
    expect(x.index('...').shape).toEqual([4, 5]);
  });

  it('slice objects', () => {
    expect(x.index({ start: 1, step: 2 }, { stop: 2 }).tolist()).toEqual([[5, 6], [15, 16]]);
    expect(x.index({}, { start: -1 }).tolist()).toEqual([[4], [9], [14], [19]]);
  });

  it('mixed PyTorch example x[1:, ::2, None, ..., 3] on 4-D', () => {
    const y = arange(2 * 3 * 4 * 5).view(2, 3, 4, 5);
    const r = y.index('1:', '::2', null, '...', 3);
    expect(r.shape).toEqual([1, 2, 1, 4]);
    // r[0][k][0][l] = y[1][2k][l][3]
    expect(r.tolist()).toEqual([[[[63, 68, 73, 78]], [[103, 108, 113, 118]]]]);
  });

  it('errors: out of bounds, too many indices, two ellipses, bad strings, float tensors', () => {
    expect(() => x.index(4)).toThrow(IndexError);
    expect(() => x.index(4)).toThrow('index 4 is out of bounds for dimension 0 with size 4');
    expect(() => x.index(0, -6)).toThrow('index -6 is out of bounds for dimension 1 with size 5');
    expect(() => x.index(0, 0, 0)).toThrow('too many indices for tensor of dimension 2');
    expect(() => x.index('...', '...')).toThrow("an index can only have a single ellipsis ('...')");
    expect(() => x.index('a:b')).toThrow(/cannot parse/);
    expect(() => x.index(tensor([0, 1]))).toThrow(DTypeError);
    expect(() => x.index(tensor([0, 1]))).toThrow(/float32/);
  });
});

describe('x.index: advanced items', () => {
  const x = grid(4, 5);

  it('an int32 tensor selects rows like indexSelect, negatives wrapped', () => {
    expect(x.index(int([2, 0, -1])).tolist()).toEqual([[10, 11, 12, 13, 14], [0, 1, 2, 3, 4], [15, 16, 17, 18, 19]]);
    expect(x.index(':', int([4, 0])).tolist()).toEqual([[4, 0], [9, 5], [14, 10], [19, 15]]);
    expect(x.index([1, 3]).tolist()).toEqual([[5, 6, 7, 8, 9], [15, 16, 17, 18, 19]]);
  });

  it('a 2-D index tensor gives its shape in place of the dim', () => {
    const r = x.index(':', int([[0, 1], [2, 3]]));
    expect(r.shape).toEqual([4, 2, 2]);
    expect(r.index(1).tolist()).toEqual([[5, 6], [7, 8]]);
  });

  it('two index tensors pick elements (x[rows, cols])', () => {
    expect(x.index(int([0, 1, 3]), int([4, 0, 2])).tolist()).toEqual([4, 5, 17]);
    // broadcasting of index tensors
    expect(x.index(int([[0], [3]]), int([1, 2])).tolist()).toEqual([[1, 2], [16, 17]]);
  });

  it('non-adjacent advanced indices go first, as in PyTorch', () => {
    const y = arange(2 * 3 * 4).view(2, 3, 4);
    const r = y.index(int([0, 1]), ':', int([3, 0]));
    expect(r.shape).toEqual([2, 3]);
    expect(r.tolist()).toEqual([[3, 7, 11], [12, 16, 20]]);
    const adj = y.index(':', int([0, 2]), int([1, 1]));
    expect(adj.shape).toEqual([2, 2]);
    expect(adj.tolist()).toEqual([[1, 9], [13, 21]]);
  });

  it('index tensors are bounds-checked with IndexError', () => {
    expect(() => x.index(int([5]))).toThrow('index 5 is out of bounds for dimension 0 with size 4');
    expect(() => x.index(':', int([-6]))).toThrow('index -6 is out of bounds for dimension 1 with size 5');
  });

  it('a bool mask selects elements (maskedSelect semantics)', () => {
    const m = x.gt(14);
    expect(x.index(m).tolist()).toEqual([15, 16, 17, 18, 19]);
    const rows = tensor([true, false, true, false]);
    expect(x.index(rows).tolist()).toEqual([[0, 1, 2, 3, 4], [10, 11, 12, 13, 14]]);
    expect(x.index(':', tensor([true, false, false, false, true])).tolist()).toEqual([[0, 4], [5, 9], [10, 14], [15, 19]]);
    expect(() => x.index(tensor([true, false]))).toThrow('The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [4, 5] at index 0');
  });
});

describe('x.set (index assignment)', () => {
  it('x[1:, ::2] = v writes through the view and bumps the version', () => {
    const x = zeros([3, 4]);
    const v0 = x.version;
    x.set(['1:', '::2'], 7);
    expect(x.tolist()).toEqual([[0, 0, 0, 0], [7, 0, 7, 0], [7, 0, 7, 0]]);
    expect(x.version).toBe(v0 + 1);
    x.set('0', tensor([1, 2, 3, 4]));
    expect(x.index(0).tolist()).toEqual([1, 2, 3, 4]);
    x.set([':', 1], tensor([9, 8, 7]));
    expect(x.index(':', 1).tolist()).toEqual([9, 8, 7]);
  });

  it('x[mask] = number and x[mask] = broadcast row', () => {
    const x = arange(6, { dtype: 'float32' }).view(2, 3);
    x.set(x.gt(3), -1);
    expect(x.tolist()).toEqual([[0, 1, 2], [3, -1, -1]]);
    const y = zeros([3, 2]);
    y.set(tensor([true, false, true]), tensor([5, 6]));
    expect(y.tolist()).toEqual([[5, 6], [0, 0], [5, 6]]);
  });

  it('x[mask] = values (one per selected element)', () => {
    const x = zeros([2, 3]);
    x.set(tensor([[true, false, true], [false, true, false]]), tensor([1, 2, 3]));
    expect(x.tolist()).toEqual([[1, 0, 2], [0, 3, 0]]);
  });

  it('x[idx] = v with int tensors (rows, elements, non-adjacent)', () => {
    const x = zeros([3, 4]);
    x.set(int([2, 0]), tensor([[1, 1, 1, 1], [2, 2, 2, 2]]));
    expect(x.tolist()).toEqual([[2, 2, 2, 2], [0, 0, 0, 0], [1, 1, 1, 1]]);
    x.set([int([0, 1]), int([3, -4])], tensor([8, 9]));
    expect(x.index(0, 3).item()).toBe(8);
    expect(x.index(1, 0).item()).toBe(9);
    x.set([':', int([1])], 5);
    expect(x.index(':', 1).tolist()).toEqual([5, 5, 5]);
    const y = zeros([2, 3, 4]);
    y.set([int([0, 1]), ':', int([3, 0])], tensor([[1, 2, 3], [4, 5, 6]]));
    expect(y.index(0, ':', 3).tolist()).toEqual([1, 2, 3]);
    expect(y.index(1, ':', 0).tolist()).toEqual([4, 5, 6]);
  });

  it('converts the value to x dtype and refuses a non-broadcastable value', () => {
    const x = zeros([3], { dtype: 'int32' });
    x.set([0], 2.7);
    expect(x.tolist()).toEqual([2, 0, 0]);
    expect(() => x.set([int([0, 1])], tensor([1, 2, 3]))).toThrow('shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape [2]');
    expect(() => zeros([3]).set(['1:'], tensor([1, 2, 3]))).toThrow(ShapeError);
  });

  it('refuses writes into an expanded view', () => {
    const e = zeros([1, 3]).expand(4, 3);
    e.set([0], 1); // one row of the expanded view has no self-overlap: allowed, as in PyTorch
    expect(() => e.set([':', 0], 1)).toThrow('unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.');
  });
});

describe('gather / scatter / indexSelect / indexAdd', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);

  it('gather picks along dim (PyTorch doc example)', () => {
    const t = tensor([[1, 2], [3, 4]]);
    expect(gather(t, 1, int([[0, 0], [1, 0]])).tolist()).toEqual([[1, 1], [4, 3]]);
    expect(x.gather(0, int([[1, 0, 1]])).tolist()).toEqual([[4, 2, 6]]);
  });

  it('gather errors: dtype, rank, size, bounds', () => {
    expect(() => gather(x, 1, tensor([[0]]))).toThrow(DTypeError);
    expect(() => gather(x, 1, int([0]))).toThrow('Index tensor must have the same number of dimensions as input tensor');
    expect(() => gather(x, 1, int([[0], [0], [0]]))).toThrow('expected index [3, 1] to be smaller than self [2, 3] apart from dimension 1');
    expect(() => gather(x, 1, int([[5]]))).toThrow(IndexError);
    expect(() => gather(x, 1, int([[5]]))).toThrow('index 5 is out of bounds for dimension 1 with size 3');
  });

  it('scatter (tensor and value) and scatterAdd are out of place', () => {
    const z = zeros([3, 5]);
    const src = arange(1, 11, { dtype: 'float32' }).view(2, 5);
    const r = scatter(z, 0, int([[0, 1, 2, 0, 0]]), src);
    expect(r.tolist()).toEqual([[1, 0, 0, 4, 5], [0, 2, 0, 0, 0], [0, 0, 3, 0, 0]]);
    expect(z.tolist()).toEqual([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
    expect((zeros([2, 4]).scatter(1, int([[2], [3]]), 1.23).tolist() as number[][])[0]).toEqual([0, 0, Math.fround(1.23), 0]);
    const a = scatterAdd(zeros([3]), 0, int([0, 1, 0, 2, 0]), tensor([1, 2, 3, 4, 5]));
    expect(a.tolist()).toEqual([9, 2, 4]);
    expect(() => scatter(z, 0, int([[0]]), int([[1]]))).toThrow(DTypeError);
    expect(() => scatter(z, 0, int([[7]]), src)).toThrow('index 7 is out of bounds for dimension 0 with size 3');
  });

  it('indexSelect and indexAdd', () => {
    expect(indexSelect(x, 1, int([2, 0])).tolist()).toEqual([[3, 1], [6, 4]]);
    expect(() => indexSelect(x, 0, int([2]))).toThrow('index 2 is out of bounds for dimension 0 with size 2');
    expect(() => indexSelect(x, 0, int([[0]]))).toThrow('Index is supposed to be a vector');
    const r = indexAdd(zeros([3, 2]), 0, int([0, 2, 0]), tensor([[1, 1], [2, 2], [3, 3]]), { alpha: 2 });
    expect(r.tolist()).toEqual([[8, 8], [0, 0], [4, 4]]);
  });
});

describe('masks, nonzero, oneHot', () => {
  it('maskedFill keeps the dtype and broadcasts the mask', () => {
    const x = arange(6).view(2, 3);
    const r = maskedFill(x, tensor([true, false, true]), 2.9);
    expect(r.dtype).toBe('int32');
    expect(r.tolist()).toEqual([[2, 1, 2], [2, 4, 2]]);
    expect(() => maskedFill(x, int([1, 0, 1]), 0)).toThrow('masked_fill_ only supports boolean masks, but got mask with dtype int32');
  });

  it('maskedSelect (sync and async) returns 1-D of the selected elements', async () => {
    const x = tensor([[1, 2], [3, 4]]);
    const m = tensor([true, false]);
    expect(maskedSelect(x, m).tolist()).toEqual([1, 3]);
    expect((await maskedSelectAsync(x, x.gt(1))).tolist()).toEqual([2, 3, 4]);
    expect(x.maskedSelect(x.gt(10)).shape).toEqual([0]);
  });

  it('nonzero gives coordinates, asTuple one tensor per dim', async () => {
    const x = tensor([[0, 1.5], [2, 0], [0, 3]]);
    expect(nonzero(x).tolist()).toEqual([[0, 1], [1, 0], [2, 1]]);
    expect(nonzero(x).dtype).toBe('int32');
    const [r, c] = nonzero(x, { asTuple: true });
    expect(r!.tolist()).toEqual([0, 1, 2]);
    expect(c!.tolist()).toEqual([1, 0, 1]);
    expect((await nonzeroAsync(x)).shape).toEqual([3, 2]);
  });

  it('oneHot: int32 output, inferred class count, errors', () => {
    expect(oneHot(int([0, 2, 1])).tolist()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    expect(oneHot(int([1]), 4).dtype).toBe('int32');
    expect(oneHot(int([[1], [0]]), 2).shape).toEqual([2, 1, 2]);
    expect(() => oneHot(tensor([1]))).toThrow(DTypeError);
    expect(() => oneHot(int([3]), 3)).toThrow('Class values must be smaller than num_classes.');
    expect(() => oneHot(int([-1]), 3)).toThrow('Class values must be non-negative.');
  });
});

describe('memory', () => {
  it('indexing ops release their temporaries', () => {
    const x = arange(20, { dtype: 'float32' });
    const y = x.view(4, 5);
    const i1 = int([0, -1]);
    const i2 = int([1, 2]);
    const m = y.gt(7);
    const col = int([[0], [1], [2], [3]]);
    const labels = int([1, 2]);
    const one = tensor([1]);
    const i0 = int([0]);
    const colVals = tensor([[1], [2], [3], [4]]);
    const before = memoryStats();
    const results = [
      y.index(i1, i2),
      y.index(':', i1),
      y.index(m),
      y.index('1:', null, '::2'),
      y.index([0, 2]),
      y.gather(1, col),
      y.scatter(1, col, 0),
      y.maskedFill(m, 1),
      nonzero(m),
      oneHot(labels),
      maskedSelect(y, m),
    ];
    y.set([i1, i2], 3);
    y.set(m, 0);
    y.set(m, one);
    y.set([':', i0], colVals);
    y.set('1:, ::2', 4);
    for (const r of results) r.dispose();
    const after = memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveStorages).toBe(before.liveStorages);
  });
});

describe('devices without synchronous reads', () => {
  /** Runs `fn` with the CPU backend pretending it cannot read synchronously (like WebGPU). */
  async function asyncOnly(fn: () => Promise<void> | void): Promise<void> {
    const backend = zeros([1]).backend as unknown as { canReadSync: boolean };
    backend.canReadSync = false;
    try {
      await fn();
    } finally {
      backend.canReadSync = true;
    }
  }

  it('value-dependent shapes throw a DeviceError naming the async form', async () => {
    const x = tensor([1, 2, 3]);
    const m = x.gt(1);
    await asyncOnly(async () => {
      expect(() => maskedSelect(x, m)).toThrow(/maskedSelectAsync/);
      expect(() => maskedSelect(x, m)).toThrow(expect.objectContaining({ name: 'DeviceError' }));
      expect(() => nonzero(x)).toThrow(/nonzeroAsync/);
      expect(() => x.index(m)).toThrow(/maskedSelectAsync/);
      expect(await (await maskedSelectAsync(x, m)).data()).toEqual(new Float32Array([2, 3]));
      expect(await (await nonzeroAsync(m)).data()).toEqual(new Int32Array([1, 2]));
    });
  });

  it('index tensors and mask assignment work without a host read', async () => {
    const x = arange(6, { dtype: 'float32' }).view(2, 3);
    const idx = int([-1, 0]);
    const m = x.gt(3);
    await asyncOnly(async () => {
      expect(await x.index(':', idx).data()).toEqual(new Float32Array([2, 0, 5, 3]));
      x.set(m, 0);
      x.set([':', idx], tensor([9]));
      expect(await x.data()).toEqual(new Float32Array([9, 1, 9, 9, 0, 9]));
    });
  });
});
