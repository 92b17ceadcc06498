import { describe, expect, test } from 'vitest';
import { DTypeError, IndexError, getOp, logSoftmax, memoryStats, softmax, tensor, type Tensor } from '../index.js';
import { logSoftmaxComposed, softmaxComposed } from './softmax.js';
import { transpose } from './views.js';

async function vals(t: Tensor): Promise<number[]> {
  const d = await t.data();
  t.dispose();
  return Array.from(d);
}

function close(actual: number[], expected: number[], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(a).toBeNaN();
    else if (!Number.isFinite(e)) expect(a).toBe(e);
    else expect(Math.abs(a - e)).toBeLessThanOrEqual(tol * (1 + Math.abs(e)));
  });
}

function refSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('softmax and logSoftmax', () => {
  test('rows sum to one; large logits do not overflow', async () => {
    const x = tensor([[1, 2, 3], [1000, 1000, 1001]]);
    close(await vals(softmax(x, 1)), [...refSoftmax([1, 2, 3]), ...refSoftmax([1000, 1000, 1001])]);
    close(await vals(x.logSoftmax(-1)), [...refSoftmax([1, 2, 3]), ...refSoftmax([0, 0, 1])].map(Math.log), 1e-5);
    x.dispose();
  });

  test('along dim 0, on a transposed input, and on a 0-d tensor', async () => {
    const x = tensor([[1, 2], [3, 5]]);
    const s0 = await vals(softmax(x, 0));
    const c0 = refSoftmax([1, 3]);
    const c1 = refSoftmax([2, 5]);
    close(s0, [c0[0]!, c1[0]!, c0[1]!, c1[1]!]);
    const t = transpose(x, 0, 1);
    close(await vals(softmax(t, 1)), [c0[0]!, c0[1]!, c1[0]!, c1[1]!]);
    t.dispose();
    const z = tensor(3);
    expect(await vals(softmax(z, 0))).toEqual([1]);
    expect(await vals(logSoftmax(z, -1))).toEqual([0]);
    z.dispose();
    x.dispose();
  });

  test('a row of -inf gives NaN and a single finite entry gives 1, as PyTorch', async () => {
    const x = tensor([[-Infinity, -Infinity], [0, -Infinity]]);
    close(await vals(softmax(x, 1)), [NaN, NaN, 1, 0]);
    close(await vals(logSoftmax(x, 1)), [NaN, NaN, 0, -Infinity]);
    x.dispose();
  });

  test('the fused kernel and the composed path agree', async () => {
    const n = 4 * 5 * 6;
    const x = tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * 10), { shape: [4, 5, 6] });
    expect(x.backend.fused.softmax).toBeDefined();
    for (const dim of [0, 1, 2]) {
      close(await vals(softmax(x, dim)), await vals(softmaxComposed(x, dim)), 1e-6);
      close(await vals(logSoftmax(x, dim)), await vals(logSoftmaxComposed(x, dim)), 1e-5);
    }
    const d = tensor([[0.5, -3, 2]], { dtype: 'float64' });
    close(await vals(softmax(d, 1)), await vals(softmaxComposed(d, 1)), 1e-12);
    close(await vals(logSoftmax(d, 1)), await vals(logSoftmaxComposed(d, 1)), 1e-12);
    d.dispose();
    x.dispose();
  });

  test('dtype option casts first; integer input without it is refused', async () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => softmax(i, 0)).toThrow(DTypeError);
    const s = softmax(i, 0, { dtype: 'float64' });
    expect(s.dtype).toBe('float64');
    close(await vals(s), refSoftmax([1, 2]));
    expect(() => softmax(i, 0, { dtype: 'int32' })).toThrow(DTypeError);
    i.dispose();
  });

  test('dim out of range is an IndexError', () => {
    const x = tensor([[1, 2]]);
    expect(() => softmax(x, 2)).toThrow(IndexError);
    expect(() => logSoftmax(x, -3)).toThrow(/Dimension out of range/);
    x.dispose();
  });

  test('registered as composites with their own derivative', () => {
    for (const name of ['softmax', 'logSoftmax']) {
      const op = getOp(name);
      expect([op.kind, op.differentiable, op.ownDerivative]).toEqual(['composite', true, true]);
    }
  });

  test('both paths free their temporaries', () => {
    const x = tensor([[1, 2, 3], [4, 5, 7]]);
    const i = tensor([1, 2], { dtype: 'int32' });
    const base = memoryStats();
    for (const r of [softmax(x, 1), logSoftmax(x, 0), softmaxComposed(x, 1), logSoftmaxComposed(x, 0), softmax(i, 0, { dtype: 'float32' })]) r.dispose();
    expect(memoryStats().liveTensors).toBe(base.liveTensors);
    expect(memoryStats().liveStorages).toBe(base.liveStorages);
    x.dispose();
    i.dispose();
  });
});
