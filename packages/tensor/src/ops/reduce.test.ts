import { describe, expect, test } from 'vitest';
import {
  DTypeError,
  IndexError,
  RuntimeError,
  ValueError,
  all,
  amax,
  amin,
  any,
  argmax,
  argmin,
  countNonzero,
  cummax,
  cummin,
  cumprod,
  cumsum,
  getOp,
  logsumexp,
  max,
  mean,
  memoryStats,
  min,
  norm,
  prod,
  std,
  sum,
  tensor,
  variance,
  vectorNorm,
  type Tensor,
} from '../index.js';
import * as torch from '../index.js';
import { transpose } from './views.js';

async function vals(t: Tensor): Promise<number[]> {
  const d = await t.data();
  t.dispose();
  return Array.from(d);
}

function close(actual: number[], expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(a).toBeNaN();
    else if (!Number.isFinite(e)) expect(a).toBe(e);
    else expect(Math.abs(a - e)).toBeLessThanOrEqual(tol * (1 + Math.abs(e)));
  });
}

const x23 = () => tensor([[1, 5, 3], [4, 2, 6]]);

describe('sum and prod', () => {
  test('sum reduces all dims to a 0-d tensor, or the given dims', async () => {
    const x = x23();
    const s = sum(x);
    expect(s.shape).toEqual([]);
    expect(await vals(s)).toEqual([21]);
    expect(await vals(sum(x, 1))).toEqual([9, 12]);
    expect(await vals(x.sum(-2))).toEqual([5, 7, 9]);
    expect(await vals(sum(x, { dim: [0, 1] }))).toEqual([21]);
    expect(await vals(sum(x, []))).toEqual([21]); // PyTorch: an empty dim list means all dims
    const k = sum(x, [0, 1], { keepdim: true });
    expect(k.shape).toEqual([1, 1]);
    k.dispose();
    expect(x.sum({ dim: 1, keepdim: true }).shape).toEqual([2, 1]);
    x.dispose();
  });

  test('sum of a 3-d tensor over non-adjacent dims keeps the rest in order', async () => {
    const x = tensor(Float32Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] });
    const s = x.sum([0, 2], { keepdim: true });
    expect(s.shape).toEqual([1, 3, 1]);
    expect(await vals(s)).toEqual([60, 92, 124]);
    x.dispose();
  });

  test('sum reads strided (transposed) inputs', async () => {
    const x = x23();
    const t = transpose(x, 0, 1);
    expect(await vals(sum(t, 1))).toEqual([5, 7, 9]);
    t.dispose();
    x.dispose();
  });

  test('integer and bool sums give int32; dtype option casts first', async () => {
    const i = tensor([1, 2, 3], { dtype: 'int32' });
    const si = sum(i);
    expect(si.dtype).toBe('int32');
    si.dispose();
    const b = tensor([true, false, true]);
    const sb = b.sum();
    expect(sb.dtype).toBe('int32');
    expect(await vals(sb)).toEqual([2]);
    const sf = sum(i, { dtype: 'float64' });
    expect(sf.dtype).toBe('float64');
    expect(await vals(sf)).toEqual([6]);
    const f = tensor([1.5, 2.5]);
    expect(sum(f).dtype).toBe('float32');
    i.dispose();
    b.dispose();
    f.dispose();
  });

  test('an int32 overflow is a RuntimeError naming the op', () => {
    const i = tensor([2e9, 2e9], { dtype: 'int32' });
    expect(() => sum(i)).toThrow(RuntimeError);
    expect(() => sum(i)).toThrow(/^sum: .*overflow/);
    expect(() => prod(i)).toThrow(/^prod: /);
    expect(() => cumsum(i, 0)).toThrow(/^cumsum: .*overflow/);
    i.dispose();
  });

  test('dims out of range and repeated dims are refused', () => {
    const x = x23();
    expect(() => sum(x, 2)).toThrow(IndexError);
    expect(() => sum(x, 2)).toThrow('Dimension out of range (expected to be in range of [-2, 1], but got 2)');
    expect(() => sum(x, [0, -2])).toThrow(ValueError);
    x.dispose();
  });

  test('empty and 0-d inputs', async () => {
    const e = tensor([]);
    expect(await vals(sum(e))).toEqual([0]);
    expect(await vals(prod(e))).toEqual([1]);
    const z = tensor(3);
    expect(await vals(sum(z, 0))).toEqual([3]);
    e.dispose();
    z.dispose();
  });

  test('prod multiplies along a dim; int stays int32', async () => {
    const x = x23();
    expect(await vals(prod(x, 1))).toEqual([15, 48]);
    const i = tensor([[1, 2], [3, 4]], { dtype: 'int32' });
    const p = i.prod();
    expect(p.dtype).toBe('int32');
    expect(await vals(p)).toEqual([24]);
    x.dispose();
    i.dispose();
  });
});

describe('mean, var, std', () => {
  test('mean over one or several dims', async () => {
    const x = x23();
    expect(await vals(mean(x))).toEqual([3.5]);
    expect(await vals(x.mean(-1))).toEqual([3, 4]);
    expect(await vals(mean(x, [0, 1], { keepdim: true }))).toEqual([3.5]);
    const y = tensor(Float32Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] });
    const m = mean(y, [0, 2]);
    expect(m.shape).toEqual([3]);
    expect(await vals(m)).toEqual([7.5, 11.5, 15.5]);
    x.dispose();
    y.dispose();
  });

  test('mean refuses integer inputs with PyTorch\'s message, unless a float dtype is given', async () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => mean(i)).toThrow(DTypeError);
    expect(() => mean(i)).toThrow(
      'mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Int',
    );
    expect(await vals(mean(i, { dtype: 'float32' }))).toEqual([1.5]);
    i.dispose();
  });

  test('mean of an empty tensor is NaN', async () => {
    const e = tensor([]);
    expect((await vals(mean(e)))[0]).toBeNaN();
    e.dispose();
  });

  test('var and std use Bessel\'s correction by default', async () => {
    const x = tensor([[1, 2, 3, 4], [2, 4, 6, 8]]);
    close(await vals(variance(x, 1)), [5 / 3, 20 / 3]);
    close(await vals(x.var(1, { correction: 0 })), [1.25, 5]);
    close(await vals(x.var({ dim: 1, unbiased: false })), [1.25, 5]);
    close(await vals(std(x, 1)), [Math.sqrt(5 / 3), Math.sqrt(20 / 3)]);
    const k = x.std(1, { keepdim: true });
    expect(k.shape).toEqual([2, 1]);
    k.dispose();
    close(await vals(x.var()), [37.5 / 7]); // all elements: mean 3.75, Σd² = 37.5
    expect(() => x.var(1, { correction: 1, unbiased: true })).toThrow(ValueError);
    x.dispose();
  });

  test('var of one element with correction 1 is NaN (0/0), as PyTorch', async () => {
    const x = tensor([3]);
    expect((await vals(x.var()))[0]).toBeNaN();
    x.dispose();
  });

  test('var refuses integer inputs', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => variance(i)).toThrow(DTypeError);
    expect(() => std(i)).toThrow(/std and var only support floating point/);
    i.dispose();
  });
});

describe('max, min, amax, amin', () => {
  test('max() without dim is a 0-d tensor', async () => {
    const x = x23();
    const m = max(x);
    expect(m.shape).toEqual([]);
    expect(await vals(m)).toEqual([6]);
    expect(await vals(x.min())).toEqual([1]);
    x.dispose();
  });

  test('max(dim) gives values and the first index on ties', async () => {
    const x = tensor([[1, 7, 7], [9, 2, 9], [0, 0, 0]]);
    const { values, indices } = max(x, 1);
    expect(indices.dtype).toBe('int32');
    expect(await vals(values)).toEqual([7, 9, 0]);
    expect(await vals(indices)).toEqual([1, 0, 0]);
    const r = x.min({ dim: 0, keepdim: true });
    expect(r.values.shape).toEqual([1, 3]);
    expect(await vals(r.values)).toEqual([0, 0, 0]);
    expect(await vals(r.indices)).toEqual([2, 2, 2]);
    x.dispose();
  });

  test('max(other) is maximum', async () => {
    const a = tensor([1, 5]);
    const b = tensor([3, 2]);
    expect(await vals(max(a, b))).toEqual([3, 5]);
    expect(await vals(min(a, b))).toEqual([1, 2]);
    a.dispose();
    b.dispose();
  });

  test('NaN propagates through max and is its index', async () => {
    const x = tensor([1, NaN, 3]);
    expect((await vals(x.max()))[0]).toBeNaN();
    const { values, indices } = x.max(0);
    expect((await vals(values))[0]).toBeNaN();
    expect(await vals(indices)).toEqual([1]);
    x.dispose();
  });

  test('amax/amin reduce a list of dims; bool keeps bool', async () => {
    const x = tensor(Float32Array.from({ length: 24 }, (_, i) => (i * 7) % 24), { shape: [2, 3, 4] });
    const a = amax(x, [0, 2]);
    expect(a.shape).toEqual([3]);
    expect(await vals(a)).toEqual([21, 23, 22]);
    expect(await vals(amin(x, [0, 2], { keepdim: true }))).toEqual([0, 1, 3]);
    const b = tensor([false, true]);
    const bm = amax(b);
    expect(bm.dtype).toBe('bool');
    expect(await vals(bm)).toEqual([1]);
    x.dispose();
    b.dispose();
  });

  test('reducing an empty dim is an IndexError', () => {
    const e = tensor([]);
    expect(() => max(e)).toThrow(IndexError);
    expect(() => amax(e, 0)).toThrow('amax(): Expected reduction dim 0 to have non-zero size.');
    expect(() => argmax(e)).toThrow(/Expected reduction dim to be specified/);
    e.dispose();
  });
});

describe('argmax and argmin', () => {
  test('flattened, along a dim, keepdim, first index on ties', async () => {
    const x = tensor([[1, 9, 9], [9, 2, 0]]);
    const f = argmax(x);
    expect(f.shape).toEqual([]);
    expect(f.dtype).toBe('int32');
    expect(await vals(f)).toEqual([1]);
    expect(await vals(x.argmax(1))).toEqual([1, 0]);
    expect(await vals(argmin(x, 0))).toEqual([0, 1, 1]);
    const k = argmax(x, { keepdim: true });
    expect(k.shape).toEqual([1, 1]);
    k.dispose();
    expect(argmax(x, 1, { keepdim: true }).shape).toEqual([2, 1]);
    x.dispose();
  });

  test('flattened argmax of a transposed tensor indexes its logical order', async () => {
    const x = tensor([[1, 2], [3, 0]]);
    const t = transpose(x, 0, 1); // [[1, 3], [2, 0]]
    expect(await vals(argmax(t))).toEqual([1]);
    expect(await vals(argmin(t))).toEqual([3]);
    t.dispose();
    x.dispose();
  });
});

describe('logsumexp', () => {
  test('is stable for large values and keeps -inf rows', async () => {
    const x = tensor([[1000, 1000], [-Infinity, -Infinity], [0, Math.log(3)]]);
    close(await vals(logsumexp(x, 1)), [1000 + Math.log(2), -Infinity, Math.log(4)]);
    const k = x.logsumexp(1, { keepdim: true });
    expect(k.shape).toEqual([3, 1]);
    k.dispose();
    x.dispose();
  });

  test('over all dims and for integer input (float32 result)', async () => {
    const i = tensor([0, 0], { dtype: 'int32' });
    const r = logsumexp(i);
    expect(r.dtype).toBe('float32');
    close(await vals(r), [Math.log(2)]);
    i.dispose();
  });
});

describe('scans', () => {
  test('cumsum and cumprod along a dim', async () => {
    const x = x23();
    expect(await vals(cumsum(x, 1))).toEqual([1, 6, 9, 4, 6, 12]);
    expect(await vals(x.cumsum(0))).toEqual([1, 5, 3, 5, 7, 9]);
    expect(await vals(cumprod(x, -1))).toEqual([1, 5, 15, 4, 8, 48]);
    const b = tensor([true, true, false]);
    const cb = cumsum(b, 0);
    expect(cb.dtype).toBe('int32');
    expect(await vals(cb)).toEqual([1, 2, 2]);
    expect(() => cumsum(x, 2)).toThrow(IndexError);
    x.dispose();
    b.dispose();
  });

  test('cummax/cummin give the running extreme and the latest index on ties', async () => {
    const x = tensor([1, 3, 2, 3, 0, 5]);
    const m = cummax(x, 0);
    expect(await vals(m.values)).toEqual([1, 3, 3, 3, 3, 5]);
    expect(await vals(m.indices)).toEqual([0, 1, 1, 3, 3, 5]);
    const n = cummin(x, 0);
    expect(x.cummin(0).values.shape).toEqual([6]);
    expect(await vals(n.values)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(await vals(n.indices)).toEqual([0, 0, 0, 0, 4, 4]);
    x.dispose();
  });

  test('cummax: NaN sticks and takes the index of the latest NaN', async () => {
    const x = tensor([1, NaN, 2, NaN, 0]);
    const m = cummax(x, 0);
    const v = await vals(m.values);
    expect(v[0]).toBe(1);
    expect(v.slice(1).every(Number.isNaN)).toBe(true);
    expect(await vals(m.indices)).toEqual([0, 1, 1, 3, 3]);
  });

  test('cummax along dim 1 of a matrix', async () => {
    const x = tensor([[1, 0, 2], [3, 4, 1]]);
    const m = cummax(x, 1);
    expect(await vals(m.values)).toEqual([1, 1, 2, 3, 4, 4]);
    expect(await vals(m.indices)).toEqual([0, 0, 2, 0, 1, 1]);
    x.dispose();
  });
});

describe('all, any, countNonzero', () => {
  test('bool results, with dims and keepdim', async () => {
    const x = tensor([[1, 0, 2], [3, 4, 5]]);
    const a = all(x);
    expect(a.dtype).toBe('bool');
    expect(await vals(a)).toEqual([0]);
    expect(await vals(x.all(1))).toEqual([0, 1]);
    expect(await vals(any(x, 0))).toEqual([1, 1, 1]);
    expect(all(x, 1, { keepdim: true }).shape).toEqual([2, 1]);
    const f = tensor([0.5, -0.1]);
    expect(await vals(f.all())).toEqual([1]); // 0.5 is non-zero (no truncation)
    f.dispose();
    x.dispose();
  });

  test('empty inputs: all is true, any is false', async () => {
    const e = tensor([]);
    expect(await vals(all(e))).toEqual([1]);
    expect(await vals(any(e))).toEqual([0]);
    e.dispose();
  });

  test('countNonzero counts into int32', async () => {
    const x = tensor([[1, 0, 2], [0, 0, 5]]);
    const c = countNonzero(x);
    expect(c.dtype).toBe('int32');
    expect(await vals(c)).toEqual([3]);
    expect(await vals(x.countNonzero(1))).toEqual([2, 1]);
    x.dispose();
  });
});

describe('norm', () => {
  test('p = 2 (default), 1, inf, -inf, 0, 3 and fro', async () => {
    const x = tensor([[3, -4], [0, 1]]);
    close(await vals(norm(x)), [Math.sqrt(26)]);
    close(await vals(norm(x, { dim: 1 })), [5, 1]);
    close(await vals(norm(x, 1, { dim: 1 })), [7, 1]);
    close(await vals(x.norm(Infinity)), [4]);
    close(await vals(x.norm(-Infinity, { dim: 0 })), [0, 1]);
    close(await vals(x.norm(0)), [3]);
    close(await vals(x.norm(3, { dim: 1 })), [Math.cbrt(91), 1]);
    close(await vals(x.norm('fro')), [Math.sqrt(26)]);
    const k = norm(x, { dim: 1, keepdim: true });
    expect(k.shape).toEqual([2, 1]);
    k.dispose();
    x.dispose();
  });

  test('vectorNorm takes ord; integer input is refused', async () => {
    const x = tensor([[3, -4], [0, 1]]);
    close(await vals(vectorNorm(x, { dim: 1 })), [5, 1]);
    close(await vals(vectorNorm(x, 1)), [8]);
    const d = vectorNorm(x, { dtype: 'float64' });
    expect(d.dtype).toBe('float64');
    d.dispose();
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => norm(i)).toThrow(DTypeError);
    expect(() => vectorNorm(i)).toThrow('Expected a floating point or complex tensor as input. Got Int');
    i.dispose();
    x.dispose();
  });
});

describe('registry', () => {
  test('var is exported under its PyTorch name too', () => {
    expect(torch.var).toBe(variance);
  });

  test('reduction ops are registered with their kinds', () => {
    const expected: [string, string, boolean, boolean?][] = [
      ['sum', 'primitive', true],
      ['prod', 'primitive', true],
      ['amax', 'primitive', true],
      ['amin', 'primitive', true],
      ['maxDim', 'primitive', true],
      ['minDim', 'primitive', true],
      ['argmax', 'primitive', false],
      ['argmin', 'primitive', false],
      ['cumsum', 'primitive', true],
      ['cumprod', 'primitive', true],
      ['cummax', 'primitive', true],
      ['cummin', 'primitive', true],
      ['all', 'primitive', false],
      ['any', 'primitive', false],
      ['mean', 'composite', true],
      ['var', 'composite', true],
      ['std', 'composite', true],
      ['countNonzero', 'composite', false],
      ['logsumexp', 'composite', true, true],
      ['norm', 'composite', true, true],
    ];
    for (const [name, kind, differentiable, own] of expected) {
      const op = getOp(name);
      expect([op.kind, op.differentiable, op.ownDerivative ?? false], name).toEqual([kind, differentiable, own ?? false]);
    }
  });
});

describe('memory', () => {
  test('every reduction frees its temporaries', () => {
    const x = tensor([[1, 5, 3], [4, 2, 6]]);
    const i = tensor([[1, 5], [3, 0]], { dtype: 'int32' });
    const big = tensor([2e9, 2e9], { dtype: 'int32' });
    const base = memoryStats();
    const results: Tensor[] = [
      sum(x),
      sum(x, 1, { keepdim: true }),
      sum(i, { dtype: 'float32' }),
      prod(x, 0),
      mean(x, [0, 1]),
      variance(x, 1),
      std(x),
      max(x),
      amin(x, 0),
      argmax(x),
      argmin(x, 1),
      logsumexp(x, 1),
      logsumexp(i),
      cumsum(x, 1),
      cumprod(i, 0),
      all(x),
      any(i, 1),
      countNonzero(i),
      norm(x),
      norm(x, 3, { dim: 1 }),
      norm(x, 0),
      vectorNorm(x, { dtype: 'float64' }),
    ];
    const md = max(x, 1);
    const cm = cummax(x, 1);
    results.push(md.values, md.indices, cm.values, cm.indices);
    for (const r of results) r.dispose();
    expect(() => sum(big)).toThrow(RuntimeError);
    expect(() => cumsum(big, 0)).toThrow(RuntimeError);
    const after = memoryStats();
    expect(after.liveTensors).toBe(base.liveTensors);
    expect(after.liveStorages).toBe(base.liveStorages);
    x.dispose();
    i.dispose();
    big.dispose();
  });
});
