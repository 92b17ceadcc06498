import { describe, expect, it } from 'vitest';
import { coalesce, splitGrid } from './layout.js';

describe('coalesce', () => {
  it('merges a contiguous iteration space into one dimension', () => {
    expect(coalesce([2, 3, 4], [[12, 4, 1], [12, 4, 1]])).toEqual({ shape: [24], strides: [[1], [1]] });
  });

  it('keeps dimensions that one operand walks differently', () => {
    // second operand transposed
    expect(coalesce([3, 4], [[4, 1], [1, 3]])).toEqual({ shape: [3, 4], strides: [[4, 1], [1, 3]] });
  });

  it('drops size-1 dimensions and merges broadcast (stride-0) runs', () => {
    expect(coalesce([1, 3, 1, 4], [[12, 4, 4, 1], [0, 0, 0, 0]])).toEqual({ shape: [12], strides: [[1], [0]] });
    expect(coalesce([2, 3, 4], [[12, 4, 1], [0, 0, 1]])).toEqual({ shape: [6, 4], strides: [[4, 1], [0, 1]] });
  });

  it('keeps a zero-size dimension and reduces rank 0 to an empty shape', () => {
    expect(coalesce([0, 3], [[3, 1]]).shape).toContain(0);
    expect(coalesce([], [[]])).toEqual({ shape: [], strides: [[]] });
  });
});

describe('splitGrid', () => {
  it('uses one dimension when it fits', () => {
    expect(splitGrid(1000, 65535)).toEqual([1000, 1, 1]);
    expect(splitGrid(0, 65535)).toEqual([0, 0, 0]);
  });

  it('spills into y and z beyond the per-dimension limit, covering every workgroup', () => {
    for (const [count, max] of [[70000, 65535], [17, 4], [63, 4], [64, 4], [5, 2]] as const) {
      const [x, y, z] = splitGrid(count, max);
      expect(Math.max(x, y, z)).toBeLessThanOrEqual(max);
      expect(x * y * z).toBeGreaterThanOrEqual(count);
      expect(x * y * (z - 1)).toBeLessThan(count);
    }
  });

  it('throws when even a cube of the limit is too small', () => {
    expect(() => splitGrid(9, 2)).toThrow(RangeError);
  });
});
