import { describe, expect, it } from 'vitest';
import {
  RuntimeError,
  ShapeError,
  IndexError,
  ValueError,
  arange,
  computeStride,
  memoryStats,
  tensor,
  zeros,
  type Tensor,
} from '../index.js';

const vals = (t: Tensor): number[] => Array.from(t.dataSync());

describe('view and reshape', () => {
  it('views share storage: writes through the view are seen by the base', () => {
    const x = arange(6).float();
    const v = x.view(2, 3);
    expect(v.shape).toEqual([2, 3]);
    expect(v.storage).toBe(x.storage);
    v.set([1, 2], 100);
    expect(vals(x)).toEqual([0, 1, 2, 3, 4, 100]);
    x.dispose();
    v.dispose();
  });

  it('infers one -1 and checks the element count', () => {
    const x = zeros([2, 3, 4]);
    expect(x.view(-1, 4).shape).toEqual([6, 4]);
    expect(x.view([4, -1]).shape).toEqual([4, 6]);
    expect(() => x.view(5, -1)).toThrow(ShapeError);
    expect(() => x.view(-1, -1)).toThrow(/only one dimension can be inferred/);
    expect(() => x.view(7, 3)).toThrow("shape '[7, 3]' is invalid for input of size 24");
  });

  it('refuses a view across non-contiguous chunks with PyTorch message, reshape copies', () => {
    const x = arange(6).view(2, 3);
    const xt = x.t();
    expect(xt.isContiguous()).toBe(false);
    expect(() => xt.view(6)).toThrow(RuntimeError);
    expect(() => xt.view(6)).toThrow(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
    const r = xt.reshape(6);
    expect(r.storage).not.toBe(x.storage);
    expect(vals(r)).toEqual([0, 3, 1, 4, 2, 5]);
    const r2 = x.reshape(3, 2);
    expect(r2.storage).toBe(x.storage);
  });

  it('computeStride follows PyTorch (merges and splits within contiguous chunks)', () => {
    expect(computeStride([2, 3], [3, 1], [6])).toEqual([1]);
    expect(computeStride([3, 2], [1, 3], [6])).toBeNull();
    // transposed [4, 3] of a [3, 4]; splitting a dim is fine
    expect(computeStride([4, 3], [1, 4], [2, 2, 3])).toEqual([2, 1, 4]);
    expect(computeStride([], [], [1, 1])).toEqual([1, 1]);
    expect(computeStride([2, 1, 3], [3, 100, 1], [2, 3])).toEqual([3, 1]);
  });

  it('flatten / unflatten / squeeze / unsqueeze', () => {
    const x = zeros([2, 1, 3, 1]);
    expect(x.flatten().shape).toEqual([6]);
    expect(x.flatten(1).shape).toEqual([2, 3]);
    expect(x.flatten(0, 1).shape).toEqual([2, 3, 1]);
    expect(() => x.flatten(2, 1)).toThrow('start_dim cannot come after end_dim');
    expect(zeros([]).flatten().shape).toEqual([1]);
    expect(x.squeeze().shape).toEqual([2, 3]);
    expect(x.squeeze(1).shape).toEqual([2, 3, 1]);
    expect(x.squeeze(0).shape).toEqual([2, 1, 3, 1]);
    expect(x.squeeze([1, -1]).shape).toEqual([2, 3]);
    expect(x.unsqueeze(0).shape).toEqual([1, 2, 1, 3, 1]);
    expect(x.unsqueeze(-1).shape).toEqual([2, 1, 3, 1, 1]);
    expect(() => x.unsqueeze(6)).toThrow(IndexError);
    expect(zeros([6]).unflatten(0, [2, -1]).shape).toEqual([2, 3]);
    expect(zeros([6]).unsqueeze(0).storage).toBeDefined();
  });
});

describe('permute and transpose', () => {
  it('transpose is a non-contiguous view; contiguous() copies', () => {
    const x = arange(6).view(2, 3);
    const y = x.transpose(0, 1);
    expect(y.shape).toEqual([3, 2]);
    expect(y.strides).toEqual([1, 3]);
    expect(y.isContiguous()).toBe(false);
    expect(y.tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
    const c = y.contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.storage).not.toBe(x.storage);
  });

  it('permute checks its dims', () => {
    const x = zeros([2, 3, 4]);
    expect(x.permute(2, 0, 1).shape).toEqual([4, 2, 3]);
    expect(x.permute([-1, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(() => x.permute(0, 1)).toThrow('input.dim() = 3 is not equal to len(dims) = 2');
    expect(() => x.permute(0, 0, 1)).toThrow('duplicate dims are not allowed');
  });

  it('t(), mT, T and movedim', () => {
    const x = arange(24).view(2, 3, 4);
    expect(() => x.t()).toThrow('t() expects a tensor with <= 2 dimensions, but self is 3D');
    expect(x.mT.shape).toEqual([2, 4, 3]);
    expect(x.T.shape).toEqual([4, 3, 2]);
    expect(arange(3).t().shape).toEqual([3]);
    expect(() => arange(3).mT).toThrow(ShapeError);
    expect(x.movedim(0, -1).shape).toEqual([3, 4, 2]);
    expect(x.movedim([0, 1], [2, 0]).shape).toEqual([3, 4, 2]);
    const m = x.movedim(0, 2);
    expect(m.index(1, 2, 1).item()).toBe(x.index(1, 1, 2).item());
  });
});

describe('expand', () => {
  it('broadcasts with stride 0 and keeps -1 sizes', () => {
    const x = tensor([[1], [2], [3]]);
    const e = x.expand(2, 3, 4);
    expect(e.shape).toEqual([2, 3, 4]);
    expect(e.strides).toEqual([0, 1, 0]);
    expect(e.storage).toBe(x.storage);
    expect(x.expand(-1, 2).tolist()).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(x.expandAs(zeros([3, 5])).shape).toEqual([3, 5]);
  });

  it('refuses impossible expansions with PyTorch messages', () => {
    const x = zeros([3]);
    expect(() => x.expand(2, 4)).toThrow('The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]');
    expect(() => zeros([2, 3]).expand(3)).toThrow('must be greater or equal to the number of dimensions');
    expect(() => x.expand(-1, 3)).toThrow("isn't allowed in a leading, non-existing dimension 0");
  });
});

describe('narrow / select / slice', () => {
  it('narrow and select are views with bounds checks', () => {
    const x = arange(12).view(3, 4);
    expect(x.narrow(1, 1, 2).tolist()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(x.narrow(0, -1, 1).tolist()).toEqual([[8, 9, 10, 11]]);
    expect(() => x.narrow(1, 3, 2)).toThrow('start (3) + length (2) exceeds dimension size (4).');
    expect(() => x.narrow(1, 5, 0)).toThrow('start out of range');
    expect(x.select(1, -1).tolist()).toEqual([3, 7, 11]);
    expect(() => x.select(0, 3)).toThrow('select(): index 3 out of range for tensor of size [3, 4] at dimension 0');
  });

  it('diagonal is a view for contiguous input', () => {
    const x = arange(12).view(3, 4);
    const d = x.diagonal();
    expect(d.tolist()).toEqual([0, 5, 10]);
    expect(d.storage).toBe(x.storage);
    expect(x.diagonal({ offset: 1 }).tolist()).toEqual([1, 6, 11]);
    expect(x.diagonal({ offset: -1 }).tolist()).toEqual([4, 9]);
    expect(x.diagonal({ offset: 4 }).tolist()).toEqual([]);
    const b = arange(2 * 2 * 3).view(2, 2, 3);
    expect(b.diagonal({ dim1: 1, dim2: 2 }).tolist()).toEqual([[0, 4], [6, 10]]);
  });

  it('negative steps are refused', () => {
    expect(() => arange(5).index('::-1')).toThrow(ValueError);
    expect(() => arange(5).index('::-1')).toThrow('step must be greater than zero');
  });
});

describe('memory', () => {
  it('views, reshapes and slices release everything on dispose', () => {
    const before = memoryStats();
    const x = arange(24, { dtype: 'float32' });
    const steps: ((t: Tensor) => Tensor)[] = [
      (t) => t.view(2, 3, 4),
      (t) => t.transpose(0, 2),
      (t) => t.reshape(-1),
      (t) => t.view(4, 6),
      (t) => t.index('1:', '::2'),
      (t) => t.permute(1, 0),
      (t) => t.contiguous(),
      (t) => t.unsqueeze(0),
      (t) => t.expand(3, -1, -1),
      (t) => t.flatten(1),
      (t) => t.diagonal(),
      (t) => t.narrow(0, 1, 2),
      (t) => t.reshape(2, 1),
      (t) => t.squeeze(),
    ];
    let cur = x;
    for (const step of steps) {
      const next = step(cur);
      cur.dispose();
      cur = next;
    }
    cur.dispose();
    const after = memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveStorages).toBe(before.liveStorages);
  });
});

describe('registry', () => {
  it('registers the five view ops as views, and records them through the dispatcher', async () => {
    const { addInterceptor, getOp } = await import('../index.js');
    for (const name of ['view', 'permute', 'expand', 'slice', 'select']) {
      expect(getOp(name).kind).toBe('view');
      expect(getOp(name).differentiable).toBe(true);
    }
    const seen: { name: string; attrs: unknown }[] = [];
    const remove = addInterceptor({
      name: 'test-recorder',
      order: 1000,
      intercept: (call, next) => {
        seen.push({ name: call.op.name, attrs: call.attrs });
        return next();
      },
    });
    try {
      const x = zeros([4, 6, 3]);
      x.index('1:', '::2', null, 2);
      x.mT.reshape(-1);
      x.expand(2, -1, -1, -1);
    } finally {
      remove();
    }
    expect(seen.map((s) => s.name)).toEqual(['full', 'slice', 'slice', 'view', 'select', 'permute', 'clone', 'view', 'expand']);
    expect(seen[1]!.attrs).toEqual({ dim: 0, start: 1, end: 4, step: 1 });
    expect(seen[4]!.attrs).toEqual({ dim: 3, index: 2 });
    expect(seen[8]!.attrs).toEqual({ shape: [2, 4, 6, 3] });
  });
});
