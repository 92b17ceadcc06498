/**
 * Reading tensors (sync and async forms, PyTorch's print format) and their lifetimes
 * (dispose, `using`, tidy, exact counts, the garbage-collection backstop).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DeviceError,
  RuntimeError,
  arange,
  keep,
  memoryStats,
  multinomial,
  multinomialAsync,
  ones,
  rand,
  tensor,
  tidy,
  zeros,
  type Tensor,
} from '../index.js';
import { viewOf } from './factory.js';
import { withAsyncReadBackend } from '../../test/async-read-backend.js';

let baseline: ReturnType<typeof memoryStats>;
beforeEach(() => {
  baseline = memoryStats();
});
afterEach(() => {
  const now = memoryStats();
  expect(now.liveTensors).toBe(baseline.liveTensors);
  expect(now.liveStorages).toBe(baseline.liveStorages);
  expect(now.liveBytes).toBe(baseline.liveBytes);
});

/** Runs `fn` on tensors it disposes afterwards. */
function using_<T>(ts: Tensor[], fn: () => T): T {
  try {
    return fn();
  } finally {
    for (const t of ts) t.dispose();
  }
}

// ---- reads ---------------------------------------------------------------------------------

describe('data / dataSync', () => {
  it('return a copy in the dtype host array type', async () => {
    const f = tensor([1, 2, 3]);
    const d = tensor(new Float64Array([1.5]));
    const i = tensor(new Int32Array([4, 5]));
    const b = tensor([true, false]);
    using_([f, d, i, b], () => {
      expect(f.dataSync()).toBeInstanceOf(Float32Array);
      expect(d.dataSync()).toBeInstanceOf(Float64Array);
      expect(i.dataSync()).toBeInstanceOf(Int32Array);
      expect(b.dataSync()).toBeInstanceOf(Uint8Array);
      const copy = f.dataSync();
      copy[0] = 100;
      expect(Array.from(f.dataSync())).toEqual([1, 2, 3]);
    });
    const x = tensor([1, 2, 3]);
    const a = await x.data();
    a[0] = 9;
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
    x.dispose();
  });

  it('read strided views in row-major order, with offsets', async () => {
    const base = tensor([[1, 2, 3], [4, 5, 6]]);
    const tr = viewOf(base, [3, 2], [1, 3], 0);
    const tail = viewOf(base, [2], [1], 4);
    const col = viewOf(base, [2], [3], 2);
    expect(Array.from(tr.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(await tr.data())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(tail.dataSync())).toEqual([5, 6]);
    expect(Array.from(await col.data())).toEqual([3, 6]);
    for (const t of [base, tr, tail, col]) t.dispose();
  });

  it('refuse a disposed tensor with a RuntimeError', async () => {
    const x = tensor([1]);
    x.dispose();
    expect(() => x.dataSync()).toThrow(RuntimeError);
    await expect(x.data()).rejects.toThrow(/used after dispose/);
  });
});

describe('item / itemAsync', () => {
  it('return the one element as a number', async () => {
    const a = tensor(2.5);
    const b = tensor([[7]], { dtype: 'int32' });
    const c = tensor(true);
    expect(a.item()).toBe(2.5);
    expect(b.item()).toBe(7);
    expect(c.item()).toBe(1);
    expect(await a.itemAsync()).toBe(2.5);
    for (const t of [a, b, c]) t.dispose();
  });

  it("refuse several elements in PyTorch's words", async () => {
    const x = tensor([1, 2]);
    expect(() => x.item()).toThrow('a Tensor with 2 elements cannot be converted to Scalar');
    await expect(x.itemAsync()).rejects.toThrow(RuntimeError);
    x.dispose();
  });
});

describe('tolist', () => {
  it('gives nested arrays, booleans for bool, a scalar for 0-d', async () => {
    const m = tensor([[1, 2], [3, 4]]);
    const b = tensor([[true], [false]]);
    const s = tensor(3, { dtype: 'int32' });
    const e = zeros([2, 0]);
    expect(m.tolist()).toEqual([[1, 2], [3, 4]]);
    expect(b.tolist()).toEqual([[true], [false]]);
    expect(s.tolist()).toBe(3);
    expect(e.tolist()).toEqual([[], []]);
    expect(await m.tolistAsync()).toEqual([[1, 2], [3, 4]]);
    const tr = viewOf(m, [2, 2], [1, 2], 0);
    expect(tr.tolist()).toEqual([[1, 3], [2, 4]]);
    for (const t of [m, b, s, e, tr]) t.dispose();
  });
});

describe('toString (PyTorch repr)', () => {
  const cases: [string, () => Tensor, string][] = [
    ['a float matrix', () => tensor([[1, 2.5], [3, 4]]), 'tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])'],
    ['integral floats', () => tensor([1, 2]), 'tensor([1., 2.])'],
    ['negative integral floats', () => tensor([-1, 10]), 'tensor([-1., 10.])'],
    ['int32', () => tensor(new Int32Array([-1, 10, 100])), 'tensor([ -1,  10, 100])'],
    ['bool', () => tensor([true, false]), 'tensor([ True, False])'],
    ['all-true bool', () => tensor([true, true]), 'tensor([True, True])'],
    ['float64', () => tensor(new Float64Array([1.5, 2])), 'tensor([1.5000, 2.0000], dtype=torch.float64)'],
    ['requires_grad', () => tensor([1, 2], { requiresGrad: true }), 'tensor([1., 2.], requires_grad=True)'],
    ['0-d float', () => tensor(3.5), 'tensor(3.5000)'],
    ['0-d integral float', () => tensor(2), 'tensor(2.)'],
    ['0-d int', () => tensor(7, { dtype: 'int32' }), 'tensor(7)'],
    ['0-d bool', () => tensor(true), 'tensor(True)'],
    ['zeros', () => zeros([3]), 'tensor([0., 0., 0.])'],
    ['small values in scientific notation', () => tensor([1e-5, 1]), 'tensor([1.0000e-05, 1.0000e+00])'],
    ['wide integral range in scientific notation', () => tensor([1, 1e4]), 'tensor([1.0000e+00, 1.0000e+04])'],
    ['large values', () => tensor(new Float64Array([1e9, 2.5e9])), 'tensor([1.0000e+09, 2.5000e+09], dtype=torch.float64)'],
    ['nan and inf next to integers', () => tensor([1, NaN, Infinity]), 'tensor([1., nan, inf])'],
    ['-inf padded to the width', () => tensor([1.5, -Infinity]), 'tensor([1.5000,   -inf])'],
    ['only non-finite values', () => tensor([NaN, -Infinity]), 'tensor([nan, -inf])'],
    ['negative zero', () => tensor([-0, 1]), 'tensor([-0., 1.])'],
    ["Python's round-half-even", () => tensor(new Float64Array([0.03125, 0.5])), 'tensor([0.0312, 0.5000], dtype=torch.float64)'],
    ['ties in scientific notation', () => tensor(new Float64Array([123455, 1])), 'tensor([1.2346e+05, 1.0000e+00], dtype=torch.float64)'],
    ['even ties in scientific notation', () => tensor(new Float64Array([123445, 1])), 'tensor([1.2344e+05, 1.0000e+00], dtype=torch.float64)'],
    ['empty', () => zeros([0]), 'tensor([])'],
    ['empty 2-D', () => zeros([0, 3]), 'tensor([], size=(0, 3))'],
    ['empty int32', () => zeros([0], { dtype: 'int32' }), 'tensor([], dtype=torch.int32)'],
    [
      'a 3-D tensor',
      () => tensor([[[0, 1], [2, 3]], [[4, 5], [6, 7]]]),
      'tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])',
    ],
    [
      'long rows wrapped at 80 columns',
      () => arange(0, 30, { dtype: 'float32' }),
      'tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n' +
        '        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n' +
        '        28., 29.])',
    ],
    ['more than 1000 elements, summarised', () => arange(2000), 'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'],
    [
      'a summarised float vector (formatter from the shown values)',
      () => arange(0, 10000, { dtype: 'float32' }),
      'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.9970e+03, 9.9980e+03,\n        9.9990e+03])',
    ],
    [
      'a summarised matrix',
      () => zeros([100, 100]),
      'tensor([[0., 0., 0.,  ..., 0., 0., 0.],\n' +
        '        [0., 0., 0.,  ..., 0., 0., 0.],\n' +
        '        [0., 0., 0.,  ..., 0., 0., 0.],\n' +
        '        ...,\n' +
        '        [0., 0., 0.,  ..., 0., 0., 0.],\n' +
        '        [0., 0., 0.,  ..., 0., 0., 0.],\n' +
        '        [0., 0., 0.,  ..., 0., 0., 0.]])',
    ],
  ];

  for (const [name, make, expected] of cases) {
    it(`prints ${name}`, async () => {
      const t = make();
      expect(t.toString()).toBe(expected);
      expect(await t.format()).toBe(expected);
      t.dispose();
    });
  }

  it('is used by template strings and util.inspect', () => {
    const t = tensor([1, 2]);
    expect(`${t}`).toBe('tensor([1., 2.])');
    expect(inspect(t)).toBe('tensor([1., 2.])');
    t.dispose();
  });

  it('says when a tensor was disposed', () => {
    const t = ones([2, 2]);
    t.dispose();
    expect(t.toString()).toBe('tensor(<disposed>, shape=[2, 2])');
  });
});

// ---- devices without synchronous reads -------------------------------------------------------

describe('a device that reads asynchronously', () => {
  it('refuses the synchronous reads, naming the async form', async () => {
    await withAsyncReadBackend(async () => {
      const t = tensor([[1, 2], [3, 4]], { device: 'webgpu' });
      const s = tensor(5, { device: 'webgpu' });
      expect(t.device).toBe('webgpu');
      expect(() => t.dataSync()).toThrow(DeviceError);
      expect(() => t.dataSync()).toThrow('await tensor.data()');
      expect(() => s.item()).toThrow(DeviceError);
      expect(() => s.item()).toThrow('await tensor.itemAsync()');
      expect(() => t.tolist()).toThrow(DeviceError);
      expect(() => t.tolist()).toThrow('await tensor.tolistAsync()');
      expect(() => t.to('cpu')).toThrow(DeviceError);
      expect(() => t.to('cpu')).toThrow("await tensor.toAsync('cpu')");
      // toString never throws: it prints what it knows without reading.
      expect(t.toString()).toBe('tensor(<webgpu>, shape=[2, 2], dtype=torch.float32)');
      t.dispose();
      s.dispose();
    });
  });

  it('serves every async form', async () => {
    await withAsyncReadBackend(async () => {
      const t = tensor([[1, 2], [3, 4]], { device: 'webgpu' });
      const s = tensor(5, { device: 'webgpu' });
      expect(Array.from(await t.data())).toEqual([1, 2, 3, 4]);
      expect(await s.itemAsync()).toBe(5);
      expect(await t.tolistAsync()).toEqual([[1, 2], [3, 4]]);
      expect(await t.format()).toBe("tensor([[1., 2.],\n        [3., 4.]], device='webgpu')");
      const back = await t.toAsync('cpu');
      expect(back.device).toBe('cpu');
      expect(back.tolist()).toEqual([[1, 2], [3, 4]]);
      for (const x of [t, s, back]) x.dispose();
    });
  });

  it('draws the same random stream as the CPU', async () => {
    await withAsyncReadBackend(async () => {
      const { Generator } = await import('../random/generator.js');
      const a = rand([9], { generator: new Generator().manualSeed(3) });
      const b = rand([9], { generator: new Generator().manualSeed(3), device: 'webgpu' });
      expect(Array.from(await b.data())).toEqual(Array.from(a.dataSync()));
      const p = tensor([0.2, 0.8], { device: 'webgpu' });
      expect(() => multinomial(p, 1)).toThrow('multinomialAsync');
      const m = await multinomialAsync(p, 3, { replacement: true });
      expect(m.device).toBe('webgpu');
      for (const x of [a, b, p, m]) x.dispose();
    });
  });
});

// ---- memory -----------------------------------------------------------------------------------

describe('dispose', () => {
  it('releases the storage exactly once, idempotently', () => {
    const t = zeros([4]);
    const mid = memoryStats();
    expect(mid.liveTensors).toBe(baseline.liveTensors + 1);
    expect(mid.liveStorages).toBe(baseline.liveStorages + 1);
    expect(mid.liveBytes).toBe(baseline.liveBytes + 16);
    t.dispose();
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(memoryStats().liveTensors).toBe(baseline.liveTensors);
  });

  it('keeps a shared storage alive until its last view is disposed', () => {
    const base = tensor([1, 2, 3, 4]);
    const v = viewOf(base, [2], [1], 2);
    expect(memoryStats().liveTensors).toBe(baseline.liveTensors + 2);
    expect(memoryStats().liveStorages).toBe(baseline.liveStorages + 1);
    base.dispose();
    expect(Array.from(v.dataSync())).toEqual([3, 4]);
    expect(memoryStats().liveStorages).toBe(baseline.liveStorages + 1);
    v.dispose();
    expect(memoryStats().liveStorages).toBe(baseline.liveStorages);
  });

  it('disposes the gradient with the tensor', () => {
    const t = zeros([2], { requiresGrad: true });
    t.grad = ones([2]);
    t.dispose();
    expect(memoryStats().liveTensors).toBe(baseline.liveTensors);
  });

  it('works with `using` (Symbol.dispose)', () => {
    {
      using t = zeros([3]);
      expect(memoryStats().liveTensors).toBe(baseline.liveTensors + 1);
      expect(t.isDisposed).toBe(false);
    }
    expect(memoryStats().liveTensors).toBe(baseline.liveTensors);
  });
});

describe('tidy', () => {
  it('disposes intermediates and keeps the result', () => {
    const x = tensor([1, 2, 3]);
    const y = tidy(() => {
      const a = x.mul(2);
      const b = a.add(1);
      return b.exp();
    });
    expect(y.isDisposed).toBe(false);
    expect(x.isDisposed).toBe(false);
    expect(memoryStats().liveTensors).toBe(baseline.liveTensors + 2);
    y.dispose();
    x.dispose();
  });

  it('keeps tensors in returned arrays and objects, and those passed to keep', () => {
    let kept: Tensor | undefined;
    const out = tidy(() => {
      const a = ones([2]);
      kept = keep(ones([1]));
      a.add(1); // dropped
      return { list: [a.mul(3)], single: a.neg() };
    });
    expect(memoryStats().liveTensors).toBe(baseline.liveTensors + 3);
    expect(out.list[0]!.tolist()).toEqual([3, 3]);
    for (const t of [out.list[0]!, out.single, kept!]) t.dispose();
  });

  it('moves a nested result to the enclosing scope', () => {
    const outer = tidy(() => {
      const inner = tidy(() => ones([2]).add(1));
      return inner.mul(2);
    });
    expect(memoryStats().liveTensors).toBe(baseline.liveTensors + 1);
    outer.dispose();
  });

  it('disposes everything when the callback throws', () => {
    expect(() =>
      tidy(() => {
        ones([5]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
  });

  it('refuses an async callback', async () => {
    let created: Tensor | undefined;
    expect(() =>
      tidy((async () => {
        created = ones([1]);
        await Promise.resolve();
      }) as unknown as () => void),
    ).toThrow(/returned a Promise/);
    await Promise.resolve();
    created?.dispose();
  });
});

describe('garbage-collection backstop', () => {
  // `global.gc` exists only under --expose-gc; V8 can also hand it out at runtime.
  function getGc(): (() => void) | undefined {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) return g;
    try {
      setFlagsFromString('--expose-gc');
      return runInNewContext('gc') as () => void;
    } catch {
      return undefined;
    }
  }

  it('reclaims a tensor that was never disposed, and counts it', async (ctx) => {
    const gc = getGc();
    if (!gc) {
      ctx.skip('no way to force a garbage collection in this runtime (needs --expose-gc or v8.setFlagsFromString)');
      return;
    }
    const before = memoryStats();
    (() => {
      zeros([1000]); // dropped without dispose()
    })();
    expect(memoryStats().liveStorages).toBe(before.liveStorages + 1);
    for (let i = 0; i < 50 && memoryStats().reclaimedByGC === before.reclaimedByGC; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    const after = memoryStats();
    expect(after.reclaimedByGC).toBe(before.reclaimedByGC + 1);
    expect(after.liveStorages).toBe(before.liveStorages);
    expect(after.liveTensors).toBe(before.liveTensors);
  });
});
