import { describe, expect, it } from 'vitest';
import { be, empty, rng, stridedRandom } from '../../test/helpers.js';

/** Prints GFLOP/s (not asserted: machines differ) and checks a few entries against dot products. */
describe('matmul throughput', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const n of [256, 512]) {
      it(`${dtype} ${n}x${n}`, () => {
        const gen = rng(n);
        const a = stridedRandom(dtype, [n, n], [n, 1], 0, gen);
        const b = stridedRandom(dtype, [n, n], [n, 1], 0, gen);
        const out = empty(dtype, [n, n]);
        be.matmul(a, b, out); // warm-up (JIT)
        const reps = n === 256 ? 10 : 3;
        const t0 = performance.now();
        for (let r = 0; r < reps; r++) be.matmul(a, b, out);
        const secs = (performance.now() - t0) / 1000 / reps;
        console.log(`matmul ${dtype} ${n}x${n}: ${((2 * n ** 3) / secs / 1e9).toFixed(2)} GFLOP/s (${(secs * 1000).toFixed(1)} ms)`);
        const A = (a.buffer as unknown as { data: ArrayLike<number> }).data;
        const B = (b.buffer as unknown as { data: ArrayLike<number> }).data;
        const C = (out.buffer as unknown as { data: ArrayLike<number> }).data;
        for (const [i, j] of [[0, 0], [n - 1, n - 1], [17, n - 3]] as const) {
          let s = 0;
          for (let k = 0; k < n; k++) s += A[i * n + k]! * B[k * n + j]!;
          expect(C[i * n + j]).toBeCloseTo(s, dtype === 'float32' ? 3 : 10);
        }
      });
    }
  }
});
