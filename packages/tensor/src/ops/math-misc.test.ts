import { describe, expect, test } from 'vitest';
import {
  DTypeError,
  RuntimeError,
  ShapeError,
  addcdiv,
  addcmul,
  allclose,
  allcloseAsync,
  clamp,
  clampMax,
  clampMin,
  clip,
  equal,
  equalAsync,
  getOp,
  isclose,
  lerp,
  memoryStats,
  tensor,
  type Tensor,
} from '../index.js';

async function vals(t: Tensor): Promise<number[]> {
  const d = await t.data();
  t.dispose();
  return Array.from(d);
}

describe('clamp', () => {
  test('positional, options, one-sided, and the clip alias', async () => {
    const x = tensor([-2, -0.5, 0, 0.7, 3]);
    expect(await vals(clamp(x, -0.5, 0.7))).toEqual([-0.5, -0.5, 0, Math.fround(0.7), Math.fround(0.7)]);
    expect(await vals(x.clamp({ min: 0 }))).toEqual([0, 0, 0, Math.fround(0.7), 3]);
    expect(await vals(x.clamp(null, 0))).toEqual([-2, -0.5, 0, 0, 0]);
    expect(await vals(clip(x, { max: 1 }))).toEqual([-2, -0.5, 0, Math.fround(0.7), 1]);
    expect(await vals(clampMin(x, 1))).toEqual([1, 1, 1, 1, 3]);
    expect(await vals(clampMax(x, -1))).toEqual([-2, -1, -1, -1, -1]);
    x.dispose();
  });

  test('min > max sets every element to max; NaN stays NaN', async () => {
    const x = tensor([1, NaN, 5]);
    const r = await vals(clamp(x, 4, 2));
    expect(r[0]).toBe(2);
    expect(r[2]).toBe(2);
    const n = await vals(clamp(x, 0, 3));
    expect(n[1]).toBeNaN();
    x.dispose();
  });

  test('tensor bounds broadcast', async () => {
    const x = tensor([[1, 5], [-3, 2]]);
    const lo = tensor([0, 3]);
    const hi = tensor([[1], [10]]);
    expect(await vals(clamp(x, lo, hi))).toEqual([1, 1, 0, 3]);
    for (const t of [x, lo, hi]) t.dispose();
  });

  test('dtype follows promotion: int stays int with int bounds, becomes float with float bounds', async () => {
    const i = tensor([-3, 0, 9], { dtype: 'int32' });
    const a = clamp(i, 0, 5);
    expect(a.dtype).toBe('int32');
    expect(await vals(a)).toEqual([0, 0, 5]);
    const b = clamp(i, 0.5);
    expect(b.dtype).toBe('float32');
    expect(await vals(b)).toEqual([0.5, 0.5, 9]);
    i.dispose();
  });

  test('needs at least one bound', () => {
    const x = tensor([1]);
    expect(() => clamp(x)).toThrow(RuntimeError);
    expect(() => x.clamp({})).toThrow("torch.clamp: At least one of 'min' or 'max' must not be None");
    x.dispose();
  });
});

describe('isclose, allclose, equal', () => {
  test('isclose uses atol + rtol·|other|; infinities equal only to themselves; equalNan', async () => {
    const a = tensor([1, 1e-9, Infinity, -Infinity, NaN, 100]);
    const b = tensor([1 + 1e-6, 0, Infinity, Infinity, NaN, 100.01]);
    const r = isclose(a, b);
    expect(r.dtype).toBe('bool');
    expect(await vals(r)).toEqual([1, 1, 1, 0, 0, 0]);
    expect(await vals(a.isclose(b, { equalNan: true, rtol: 1e-3 }))).toEqual([1, 1, 1, 0, 1, 1]);
    expect(allclose(a, b)).toBe(false);
    a.dispose();
    b.dispose();
  });

  test('allclose and equal give booleans, sync and async', async () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[1, 2], [3, 4.00001]]);
    expect(allclose(a, b)).toBe(true);
    expect(allclose(a, b, { rtol: 0, atol: 1e-7 })).toBe(false);
    expect(await allcloseAsync(a, b)).toBe(true);
    expect(a.allclose(b)).toBe(true);
    expect(equal(a, b)).toBe(false);
    const c = a.clone();
    expect(equal(a, c)).toBe(true);
    expect(a.equal(c)).toBe(true);
    expect(await equalAsync(a, c)).toBe(true);
    const flat = tensor([1, 2, 3, 4]);
    expect(equal(a, flat)).toBe(false); // same values, other shape
    const n = tensor([NaN]);
    expect(equal(n, n)).toBe(false);
    for (const t of [a, b, c, flat, n]) t.dispose();
  });

  test('isclose refuses mixed dtypes and negative tolerances; broadcasts shapes', async () => {
    const a = tensor([1, 2]);
    const d = tensor([1, 2], { dtype: 'float64' });
    expect(() => isclose(a, d)).toThrow(DTypeError);
    expect(() => isclose(a, a, { rtol: -1 })).toThrow(RuntimeError);
    const s = tensor([[1], [2]]);
    const r = isclose(a, s);
    expect(r.shape).toEqual([2, 2]);
    expect(await vals(r)).toEqual([1, 0, 0, 1]);
    const bad = tensor([1, 2, 3]);
    expect(() => isclose(a, bad)).toThrow(ShapeError);
    for (const t of [a, d, s, bad]) t.dispose();
  });

  test('integer tensors compare exactly with zero tolerance', async () => {
    const a = tensor([1, 2, 3], { dtype: 'int32' });
    const b = tensor([1, 2, 4], { dtype: 'int32' });
    expect(await vals(isclose(a, b, { rtol: 0, atol: 0 }))).toEqual([1, 1, 0]);
    a.dispose();
    b.dispose();
  });
});

describe('lerp, addcmul, addcdiv', () => {
  test('lerp with a number or tensor weight', async () => {
    const s = tensor([0, 10]);
    const e = tensor([10, 20]);
    expect(await vals(lerp(s, e, 0.25))).toEqual([2.5, 12.5]);
    const w = tensor([0, 1]);
    expect(await vals(s.lerp(e, w))).toEqual([0, 20]);
    const i = tensor([1], { dtype: 'int32' });
    expect(() => lerp(i, i, 0.5)).toThrow(DTypeError);
    for (const t of [s, e, w, i]) t.dispose();
  });

  test('addcmul and addcdiv with value', async () => {
    const x = tensor([1, 1]);
    const a = tensor([2, 3]);
    const b = tensor([4, 6]);
    expect(await vals(addcmul(x, a, b))).toEqual([9, 19]);
    expect(await vals(x.addcmul(a, b, { value: 0.5 }))).toEqual([5, 10]);
    expect(await vals(addcdiv(x, a, b, { value: 2 }))).toEqual([2, 2]);
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => addcdiv(x, i, i)).toThrow(DTypeError);
    for (const t of [x, a, b, i]) t.dispose();
  });
});

describe('registry and memory', () => {
  test('clamp owns a derivative; isclose is not differentiable', () => {
    const c = getOp('clamp');
    expect([c.kind, c.differentiable, c.ownDerivative]).toEqual(['composite', true, true]);
    const i = getOp('isclose');
    expect([i.kind, i.differentiable]).toEqual(['composite', false]);
  });

  test('no temporaries survive', () => {
    const x = tensor([[1, -2], [3, NaN]]);
    const y = tensor([[1, -2], [3.1, NaN]]);
    const base = memoryStats();
    for (const r of [clamp(x, -1, 1), clamp(x, { min: y }), isclose(x, y, { equalNan: true }), lerp(x, y, 0.5), addcmul(x, x, y, { value: 2 }), addcdiv(x, x, y, { value: 3 })]) r.dispose();
    allclose(x, y);
    equal(x, y);
    expect(() => clamp(x)).toThrow(RuntimeError);
    expect(memoryStats().liveTensors).toBe(base.liveTensors);
    expect(memoryStats().liveStorages).toBe(base.liveStorages);
    x.dispose();
    y.dispose();
  });
});
