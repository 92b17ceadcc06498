import { describe, expect, it } from 'vitest';
import { be, empty, permute, rng, tensor, values } from '../../test/helpers.js';

const show = (xs: number[]) => xs.map((v) => (Number.isNaN(v) ? 'nan' : v));

describe('sort', () => {
  it('is stable and puts NaN last ascending, first descending', () => {
    const x = tensor('float32', [8], [3, NaN, 1, 3, -0, 0, NaN, 1]);
    const v = empty('float32', [8]);
    const i = empty('int32', [8]);
    be.sort(x, 0, false, v, i);
    expect(show(values(v))).toEqual([-0, 0, 1, 1, 3, 3, 'nan', 'nan']);
    expect(values(i)).toEqual([4, 5, 2, 7, 0, 3, 1, 6]);
    be.sort(x, 0, true, v, i);
    expect(show(values(v))).toEqual(['nan', 'nan', 3, 3, 1, 1, -0, 0]);
    expect(values(i)).toEqual([1, 6, 0, 3, 2, 7, 4, 5]);
  });

  it('sorts each line along an axis of a transposed view', () => {
    const x = permute(tensor('int32', [3, 2], [5, 1, 2, 9, 2, 4]), [1, 0]); // [[5, 2, 2], [1, 9, 4]]
    const v = empty('int32', [2, 3]);
    const i = empty('int32', [2, 3]);
    be.sort(x, 1, false, v, i);
    expect(values(v)).toEqual([2, 2, 5, 1, 4, 9]);
    expect(values(i)).toEqual([1, 2, 0, 0, 2, 1]);
    be.sort(x, 0, true, v, i);
    expect(values(v)).toEqual([5, 9, 4, 1, 2, 2]);
    expect(values(i)).toEqual([0, 1, 1, 1, 0, 0]);
  });

  it('matches a stable reference sort on long lines with many ties', () => {
    const gen = rng(42);
    const n = 1000;
    const data = Array.from({ length: n }, () => (gen() < 0.05 ? NaN : Math.floor(gen() * 50)));
    const x = tensor('float64', [n], data);
    for (const desc of [false, true]) {
      const v = empty('float64', [n]);
      const i = empty('int32', [n]);
      be.sort(x, 0, desc, v, i);
      const key = (a: number) => (Number.isNaN(a) ? (desc ? Infinity : Infinity) : desc ? -a : a);
      const ref = data.map((a, k) => [a, k] as const).sort((p, q) => key(p[0]) - key(q[0]) || p[1] - q[1]);
      if (desc) {
        // NaN first when descending: move the NaN block to the front, order kept.
        const nan = ref.filter((p) => Number.isNaN(p[0]));
        ref.splice(0, ref.length, ...nan, ...ref.filter((p) => !Number.isNaN(p[0])));
      }
      expect(values(i)).toEqual(ref.map((p) => p[1]));
      expect(show(values(v))).toEqual(show(ref.map((p) => p[0])));
    }
  });

  it('handles rank 0 and empty lines', () => {
    const v = empty('float32', []);
    const i = empty('int32', []);
    be.sort(tensor('float32', [], [2]), 0, false, v, i);
    expect(values(v)).toEqual([2]);
    expect(values(i)).toEqual([0]);
    be.sort(empty('float32', [2, 0]), 1, false, empty('float32', [2, 0]), empty('int32', [2, 0]));
  });
});
