import type { DType, TensorView } from '@torchlet/backend';
import { describe, expect, it } from 'vitest';
import { allIndices, at, be, empty, permute, rng, stridedRandom } from '../../test/helpers.js';

/** Naive batched reference in float64 via element access. */
function naive(a: TensorView, b: TensorView, outShape: number[]): number[] {
  const r = outShape.length;
  const K = a.shape[r - 1]!;
  return allIndices(outShape).map((idx) => {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const ai = [...idx.slice(0, r - 2), idx[r - 2]!, k];
      const bi = [...idx.slice(0, r - 2), k, idx[r - 1]!];
      s += at(a, ai) * at(b, bi);
    }
    return s;
  });
}

/** A random [.., rows, cols] operand, optionally stored transposed. */
function operand(dtype: DType, batch: number[], rows: number, cols: number, transposed: boolean, gen: () => number): TensorView {
  const r = batch.length + 2;
  if (!transposed) {
    const shape = [...batch, rows, cols];
    const strides = new Array<number>(r);
    let s = 1;
    for (let d = r - 1; d >= 0; d--) {
      strides[d] = s;
      s *= shape[d]!;
    }
    return stridedRandom(dtype, shape, strides, 1, gen);
  }
  const stored = [...batch, cols, rows];
  const strides = new Array<number>(r);
  let s = 1;
  for (let d = r - 1; d >= 0; d--) {
    strides[d] = s;
    s *= stored[d]!;
  }
  const perm = [...batch.map((_, i) => i), r - 1, r - 2];
  return permute(stridedRandom(dtype, stored, strides, 2, gen), perm);
}

describe('matmul', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 2],
    [7, 1, 9],
    [17, 33, 9],
    [37, 70, 45],
    [65, 130, 67],
    [4, 300, 5],
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [M, K, N] of shapes) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        it(`${dtype} [${M}x${K}] @ [${K}x${N}] (transposed a: ${ta}, b: ${tb})`, () => {
          const gen = rng(M * 1000 + K * 10 + N);
          const a = operand(dtype, [], M, K, ta, gen);
          const b = operand(dtype, [], K, N, tb, gen);
          const out = empty(dtype, [M, N]);
          be.matmul(a, b, out);
          const want = naive(a, b, [M, N]);
          const tol = dtype === 'float32' ? 1e-5 : 1e-12;
          const got = Array.from((out.buffer as unknown as { data: ArrayLike<number> }).data);
          got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]!))));
        });
      }
    }
  }

  it('broadcasts a batch dim with stride 0 (small and blocked paths)', () => {
    for (const [M, K, N] of [[3, 4, 2], [40, 50, 60]]) {
      const gen = rng(5);
      const a = operand('float64', [3], M, K, false, gen);
      const shared = operand('float64', [1], K, N, true, gen);
      const b = { ...shared, shape: [3, K, N], strides: [0, ...shared.strides.slice(1)] };
      const out = empty('float64', [3, M, N]);
      be.matmul(a, b, out);
      const want = naive(a, b, [3, M, N]);
      const got = Array.from((out.buffer as unknown as { data: ArrayLike<number> }).data);
      got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 10));
    }
  });

  it('handles K = 0, zero-size batches and rank-4 batches', () => {
    const out = empty('float32', [2, 3]);
    be.matmul(empty('float32', [2, 0]), empty('float32', [0, 3]), out);
    expect(Array.from((out.buffer as unknown as { data: Float32Array }).data)).toEqual([0, 0, 0, 0, 0, 0]);
    be.matmul(empty('float32', [0, 2, 2]), empty('float32', [0, 2, 2]), empty('float32', [0, 2, 2]));
    const gen = rng(9);
    const a = operand('float64', [2, 2], 5, 6, true, gen);
    const b = operand('float64', [2, 2], 6, 3, false, gen);
    const o = empty('float64', [2, 2, 5, 3]);
    be.matmul(a, b, o);
    const want = naive(a, b, [2, 2, 5, 3]);
    Array.from((o.buffer as unknown as { data: Float64Array }).data).forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));
  });

  it('names the shapes when they do not fit', () => {
    expect(() => be.matmul(empty('float32', [2, 3]), empty('float32', [4, 5]), empty('float32', [2, 5]))).toThrow(/\[2, 3\] and \[4, 5\]/);
    expect(() => be.matmul(empty('int32', [2, 2]), empty('int32', [2, 2]), empty('int32', [2, 2]))).toThrow(TypeError);
  });
});
