import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  RuntimeError,
  ShapeError,
  UNARY_INPLACE_OPS,
  arange,
  copy_,
  getOp,
  memoryStats,
  ones,
  tensor,
  zeros,
  type Tensor,
} from '../index.js';

const int = (data: number[]): Tensor => tensor(data, { dtype: 'int32' });

describe('copy_', () => {
  it('copies with broadcasting and dtype conversion, returns dst, bumps the version', () => {
    const x = zeros([2, 3]);
    const v0 = x.version;
    const r = copy_(x, tensor([1, 2, 3], { dtype: 'int32' }));
    expect(r).toBe(x);
    expect(x.tolist()).toEqual([[1, 2, 3], [1, 2, 3]]);
    expect(x.version).toBe(v0 + 1);
    x.copy_(5);
    expect(x.tolist()).toEqual([[5, 5, 5], [5, 5, 5]]);
    expect(() => x.copy_(zeros([3, 3]))).toThrow(ShapeError);
    const i = zeros([2], { dtype: 'int32' }).copy_(tensor([1.7, -1.7]));
    expect(i.tolist()).toEqual([1, -1]);
  });

  it('writes through views into the base; versions are shared by all views', () => {
    const x = zeros([3, 3]);
    const col = x.index(':', 1);
    col.copy_(tensor([1, 2, 3]));
    expect(x.tolist()).toEqual([[0, 1, 0], [0, 2, 0], [0, 3, 0]]);
    expect(col.version).toBe(x.version);
  });

  it('handles overlapping source and destination', () => {
    const x = arange(5, { dtype: 'float32' });
    x.index('1:').copy_(x.index(':-1'));
    expect(x.tolist()).toEqual([0, 0, 1, 2, 3]);
  });

  it('refuses writes into expanded views with PyTorch message', () => {
    const e = zeros([3]).expand(2, 3);
    expect(() => e.copy_(ones([2, 3]))).toThrow(RuntimeError);
    expect(() => e.add_(1)).toThrow(
      'unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.',
    );
    expect(() => e.fill_(1)).toThrow(/more than one element of the written-to tensor/);
  });

  it('is registered as the in-place primitive', () => {
    const def = getOp('copy_');
    expect(def.kind).toBe('primitive');
    expect(def.inplace).toBe(true);
  });
});

describe('in-place arithmetic', () => {
  it('add_ sub_ mul_ div_ pow_ return this and bump the version each time', () => {
    const x = tensor([1, 2, 3]);
    let v = x.version;
    const steps: [() => Tensor, number[]][] = [
      [() => x.add_(1), [2, 3, 4]],
      [() => x.add_(tensor([1, 1, 1]), { alpha: 2 }), [4, 5, 6]],
      [() => x.sub_(1), [3, 4, 5]],
      [() => x.mul_(tensor([2, 1, 0])), [6, 4, 0]],
      [() => x.div_(2), [3, 2, 0]],
      [() => x.pow_(2), [9, 4, 0]],
      [() => x.remainder_(4), [1, 0, 0]],
      [() => x.fill_(7), [7, 7, 7]],
      [() => x.zero_(), [0, 0, 0]],
      [() => x.clamp_(1, 2), [1, 1, 1]],
      [() => x.maskedFill_(tensor([true, false, true]), 4), [4, 1, 4]],
      [() => x.scatter_(0, int([1]), 9), [4, 9, 4]],
      [() => x.scatterAdd_(0, int([0, 0]), tensor([1, 1])), [6, 9, 4]],
      [() => x.indexAdd_(0, int([2]), tensor([1]), { alpha: -1 }), [6, 9, 3]],
      [() => x.neg_(), [-6, -9, -3]],
      [() => x.abs_(), [6, 9, 3]],
      [() => x.sqrt_(), [Math.fround(Math.sqrt(6)), 3, Math.fround(Math.sqrt(3))]],
      [() => x.floor_(), [2, 3, 1]],
      [() => x.clampMax_(2), [2, 2, 1]],
    ];
    for (const [step, expected] of steps) {
      expect(step()).toBe(x);
      expect(x.tolist()).toEqual(expected);
      expect(x.version).toBe(v + 1);
      v = x.version;
    }
  });

  it('every unary in-place op exists as a method and bumps the version', () => {
    for (const op of UNARY_INPLACE_OPS) {
      const x = tensor([0.5, 0.25]);
      const v = x.version;
      const method = (x as unknown as Record<string, () => Tensor>)[`${op}_`]!;
      expect(method.call(x)).toBe(x);
      expect(x.version).toBe(v + 1);
      expect(getOp(`${op}_`).inplace).toBe(true);
    }
  });

  it('refuses float results into int tensors with PyTorch message', () => {
    const x = int([1, 2]);
    expect(() => x.add_(1.5)).toThrow(DTypeError);
    expect(() => x.add_(1.5)).toThrow("result type Float can't be cast to the desired output type Int");
    expect(() => x.div_(2)).toThrow("result type Float can't be cast to the desired output type Int");
    expect(() => x.exp_()).toThrow("result type Float can't be cast to the desired output type Int");
    expect(() => tensor([true]).add_(1)).toThrow("result type Int can't be cast to the desired output type Bool");
    expect(x.add_(2).tolist()).toEqual([3, 4]);
    expect(x.div_(2, { roundingMode: 'floor' }).tolist()).toEqual([1, 2]);
    expect(x.version).toBe(2);
  });

  it('refuses an in-place op whose result would need a larger shape', () => {
    expect(() => zeros([3]).add_(zeros([2, 3]))).toThrow("output with shape [3] doesn't match the broadcast shape [2, 3]");
  });
});

describe('memory', () => {
  it('in-place ops release their temporaries', () => {
    const x = arange(6, { dtype: 'float32' }).view(2, 3);
    const other = ones([3]);
    const mask = x.gt(2);
    const idx = int([0]);
    const src = ones([1, 3]);
    const before = memoryStats();
    x.add_(1).sub_(other, { alpha: 2 }).mul_(2).div_(other).pow_(1).clamp_(0, 10).fill_(3).zero_();
    x.maskedFill_(mask, 1).indexAdd_(0, idx, src).exp_().relu_().sigmoid_().tanh_();
    const row = x.index(0);
    row.copy_(other);
    row.dispose();
    expect(memoryStats().liveTensors).toBe(before.liveTensors);
    expect(memoryStats().liveStorages).toBe(before.liveStorages);
  });
});
