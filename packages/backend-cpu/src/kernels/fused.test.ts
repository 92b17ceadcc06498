import { describe, expect, it } from 'vitest';
import { be, empty, permute, tensor, values } from '../../test/helpers.js';

function naiveSoftmax(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('fused softmax / logSoftmax', () => {
  const x = permute(tensor('float64', [3, 2], [1, 1000, 2, 1001, 3, 999]), [1, 0]); // [[1, 2, 3], [1000, 1001, 999]]

  it('softmax along the last axis is max-subtracted (no overflow)', () => {
    const out = empty('float64', [2, 3]);
    be.fused.softmax!(x, 1, out);
    const want = [...naiveSoftmax([1, 2, 3]), ...naiveSoftmax([1000, 1001, 999])];
    values(out).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 14));
  });

  it('logSoftmax along axis 0 of a strided view', () => {
    const out = empty('float64', [2, 3]);
    be.fused.logSoftmax!(x, 0, out);
    const logSoftmax = (c: number[]) => {
      const m = Math.max(...c);
      const lse = m + Math.log(c.reduce((a, v) => a + Math.exp(v - m), 0));
      return c.map((v) => v - lse);
    };
    const cols = [[1, 1000], [2, 1001], [3, 999]].map(logSoftmax);
    const want = [cols[0]![0]!, cols[1]![0]!, cols[2]![0]!, cols[0]![1]!, cols[1]![1]!, cols[2]![1]!];
    values(out).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 10));
  });

  it('float32 output and NaN propagation', () => {
    const out = empty('float32', [3]);
    be.fused.softmax!(tensor('float32', [3], [0, 0, 0]), 0, out);
    values(out).forEach((v) => expect(v).toBeCloseTo(1 / 3, 7));
    be.fused.softmax!(tensor('float32', [3], [0, NaN, 0]), 0, out);
    expect(values(out).every(Number.isNaN)).toBe(true);
  });
});
