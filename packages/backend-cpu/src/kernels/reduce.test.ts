import type { ReduceOp } from '@torchlet/backend';
import { describe, expect, it } from 'vitest';
import { allIndices, at, be, empty, expand, permute, rng, stridedRandom, tensor, values } from '../../test/helpers.js';

const NAIVE: Record<ReduceOp, { init: number; f: (a: number, b: number) => number }> = {
  sum: { init: 0, f: (a, b) => a + b },
  prod: { init: 1, f: (a, b) => a * b },
  max: { init: -Infinity, f: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)) },
  min: { init: Infinity, f: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)) },
};

function naiveReduce(op: ReduceOp, x: ReturnType<typeof tensor>, axes: number[]): number[] {
  const outShape = x.shape.map((n, d) => (axes.includes(d) ? 1 : n));
  const acc = new Map<string, number>();
  for (const idx of allIndices(x.shape)) {
    const key = idx.map((i, d) => (axes.includes(d) ? 0 : i)).join(',');
    acc.set(key, NAIVE[op].f(acc.get(key) ?? NAIVE[op].init, at(x, idx)));
  }
  return allIndices(outShape).map((idx) => acc.get(idx.join(','))!);
}

describe('reduce', () => {
  const cases: [ReduceOp, number[]][] = [];
  for (const op of ['sum', 'prod', 'max', 'min'] as const) {
    for (const axes of [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]]) cases.push([op, axes]);
  }
  it.each(cases)('%s over axes %j of a transposed, offset view', (op, axes) => {
    const gen = rng(3);
    const x = permute(stridedRandom('float64', [4, 3, 5], [20, 6, 1], 4, gen, (u) => 0.5 + u), [1, 2, 0]);
    const out = empty('float64', x.shape.map((n, d) => (axes.includes(d) ? 1 : n)));
    be.reduce(op, x, axes, out);
    const want = naiveReduce(op, x, axes);
    const got = values(out);
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));
  });

  it('reduces a broadcast (stride 0) float32 operand', () => {
    const x = expand(tensor('float32', [1, 3], [1, 2, 3]), [4, 3]);
    const out = empty('float32', [1, 3]);
    be.reduce('sum', x, [0], out);
    expect(values(out)).toEqual([4, 8, 12]);
    const all = empty('float32', [1, 1]);
    be.reduce('sum', x, [0, 1], all);
    expect(values(all)).toEqual([24]);
  });

  it('max and min propagate NaN', () => {
    const x = tensor('float32', [2, 3], [1, NaN, 3, 4, 5, 6]);
    const out = empty('float32', [2, 1]);
    be.reduce('max', x, [1], out);
    expect(Number.isNaN(values(out)[0])).toBe(true);
    expect(values(out)[1]).toBe(6);
    be.reduce('min', x, [1], out);
    expect(Number.isNaN(values(out)[0])).toBe(true);
    expect(values(out)[1]).toBe(4);
  });

  it('int32 sum and prod throw RangeError on overflow', () => {
    const big = tensor('int32', [3], [2147483647, 1, 0]);
    expect(() => be.reduce('sum', big, [0], empty('int32', [1]))).toThrow(RangeError);
    const neg = tensor('int32', [2], [-2147483648, -1]);
    expect(() => be.reduce('sum', neg, [0], empty('int32', [1]))).toThrow(RangeError);
    expect(() => be.reduce('prod', tensor('int32', [3], [65536, 65536, 2]), [0], empty('int32', [1]))).toThrow(RangeError);
    // A zero factor makes the exact product 0 even after an overflowing partial product.
    const out = empty('int32', [1]);
    be.reduce('prod', tensor('int32', [4], [2147483647, 2147483647, 2147483647, 0]), [0], out);
    expect(values(out)).toEqual([0]);
    be.reduce('sum', tensor('int32', [3], [2147483647, 5, -10]), [0], out);
    expect(values(out)).toEqual([2147483642]);
  });

  it('handles rank 0, empty axes and zero-size inputs', () => {
    const s = tensor('float64', [], [3]);
    const o = empty('float64', []);
    be.reduce('sum', s, [], o);
    expect(values(o)).toEqual([3]);
    const z = empty('float32', [0, 3]);
    const zs = empty('float32', [1, 3]);
    be.reduce('sum', z, [0], zs);
    expect(values(zs)).toEqual([0, 0, 0]);
    be.reduce('prod', z, [0], zs);
    expect(values(zs)).toEqual([1, 1, 1]);
    expect(() => be.reduce('max', z, [0], zs)).toThrow(RangeError);
  });

  it('bool max is "any" and stays 0/1', () => {
    const out = empty('bool', [1]);
    be.reduce('max', tensor('bool', [3], [0, 1, 0]), [0], out);
    expect(values(out)).toEqual([1]);
    be.reduce('sum', tensor('bool', [3], [1, 1, 0]), [0], out);
    expect(values(out)).toEqual([1]);
  });
});

describe('argReduce', () => {
  it('returns the first index of the max/min along an axis of a transposed view', () => {
    const x = permute(tensor('float32', [3, 4], [1, 5, 5, 0, 2, 2, -1, -1, 7, 0, 7, 3]), [1, 0]); // [4, 3]
    const out = empty('int32', [1, 3]);
    be.argReduce('argmax', x, 0, out);
    expect(values(out)).toEqual([1, 0, 0]);
    be.argReduce('argmin', x, 0, out);
    expect(values(out)).toEqual([3, 2, 1]);
    const rows = empty('int32', [4, 1]);
    be.argReduce('argmax', x, 1, rows);
    expect(values(rows)).toEqual([2, 0, 2, 2]);
  });

  it('treats NaN as the extreme (first NaN wins)', () => {
    const x = tensor('float64', [5], [1, 9, NaN, 2, NaN]);
    const out = empty('int32', [1]);
    be.argReduce('argmax', x, 0, out);
    expect(values(out)).toEqual([2]);
    be.argReduce('argmin', x, 0, out);
    expect(values(out)).toEqual([2]);
    be.argReduce('argmax', tensor('float64', [2], [NaN, 1]), 0, out);
    expect(values(out)).toEqual([0]);
  });

  it('throws on an empty axis', () => {
    expect(() => be.argReduce('argmax', empty('float32', [2, 0]), 1, empty('int32', [2, 1]))).toThrow(RangeError);
  });
});
