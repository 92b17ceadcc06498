import type { TensorView } from '@torchlet/backend';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as ts from '../kernels/cross-entropy.js';
import { be, empty, rng, stridedRandom, tensor, values } from '../../test/helpers.js';
import * as wasm from './loss-dispatch.js';
import { getNumThreads, setNumThreads, threadStats, wasmRuntime } from './runtime.js';

const rt = wasmRuntime()!;
const threads = getNumThreads();
afterAll(() => setNumThreads(threads));

function expectClose(actual: number[], expected: number[], rtol = 2e-6, atol = 1e-7): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) expect.fail(`element ${i}: wasm ${a}, typescript ${e}`);
  }
}

/** Targets in [0, C) with some ignored (−100) and, when `bad`, one out of range. */
function targets(seed: number, N: number, C: number, bad = false): TensorView {
  const g = rng(seed);
  const t = Array.from({ length: N }, () => (g() < 0.1 ? -100 : Math.floor(g() * C)));
  if (bad && N > 2) t[1] = C;
  return tensor('int32', [N], t);
}

const CASES = [
  { N: 5, C: 8 },
  { N: 7, C: 13 }, // odd C: a scalar tail of one
  { N: 3, C: 3 }, // no vector part at all
  { N: 1, C: 1 },
  { N: 300, C: 257 }, // large enough to be shared across threads
] as const;

describe('wasm softmax cross-entropy agrees with the TypeScript kernels', () => {
  describe.each(CASES)('N=$N C=$C', ({ N, C }) => {
    const g = rng(N * 31 + C);
    // logits with a row stride larger than C (a view into a wider buffer), spread wide
    const x = stridedRandom('float32', [N, C], [C + 3, 1], 2, g, (u) => u * 20 - 10);
    const t = targets(N + C, N, C, true);
    const w = stridedRandom('float32', [C], [1], 0, g, (u) => 0.1 + 2 * u);

    it.each([
      [false, 0],
      [true, 0],
      [false, 0.1],
      [true, 0.3],
    ] as const)('forward and backward (weight %s, label smoothing %s), one and two threads', (weighted, eps) => {
      const wt = weighted ? w : null;
      const loss = empty('float32', [N]);
      const lse = empty('float32', [N]);
      ts.softmaxCrossEntropy(x, t, wt, -100, eps, loss, lse);
      const gradScalar = { ...tensor('float32', [1], [0.37]), shape: [N], strides: [0] }; // a broadcast mean gradient
      const gradRows = stridedRandom('float32', [N], [2], 1, g);
      const gradLse = stridedRandom('float32', [N], [1], 0, g);
      const run = vi.spyOn(rt, 'run');
      for (const n of [1, 2]) {
        setNumThreads(n);
        rt.waitForThreads();
        const l = empty('float32', [N]);
        const s = empty('float32', [N]);
        wasm.softmaxCrossEntropy(rt, x, t, wt, -100, eps, l, s);
        expectClose(values(l), values(loss));
        expectClose(values(s), values(lse));
        for (const [gl, h] of [
          [gradScalar, null],
          [gradRows, gradLse],
        ] as const) {
          const expected = empty('float32', [N, C]);
          ts.softmaxCrossEntropyBackward(gl, h, x, t, wt, lse, -100, eps, expected);
          const out = stridedRandom('float32', [N, C], [C + 1, 1], 0, g); // garbage in, every element written
          wasm.softmaxCrossEntropyBackward(rt, gl, h, x, t, wt, lse, -100, eps, out);
          expectClose(values(out), values(expected));
        }
      }
      // the Wasm kernels ran (not the TypeScript fallback)
      expect(run.mock.calls.map((c) => c[0])).toEqual(['ce_fwd', 'ce_bwd', 'ce_bwd', 'ce_fwd', 'ce_bwd', 'ce_bwd']);
      run.mockRestore();
    });
  });

  it('shares the rows of a large job with the worker threads', () => {
    setNumThreads(2);
    if (!rt.waitForThreads()) return; // no shared memory here: nothing to share
    const N = 256;
    const C = 129;
    const x = stridedRandom('float32', [N, C], [C, 1], 0, rng(5));
    const t = targets(6, N, C);
    const before = threadStats()!;
    wasm.softmaxCrossEntropy(rt, x, t, null, -100, 0, empty('float32', [N]), empty('float32', [N]));
    wasm.softmaxCrossEntropyBackward(rt, tensor('float32', [N], new Array(N).fill(1)), null, x, t, null, empty('float32', [N]), -100, 0, empty('float32', [N, C]));
    // Each pass is one pool job cut into several row ranges; which thread ran which range is
    // the scheduler's business (thread-pool.test.ts shows workers take tasks deterministically).
    const after = threadStats()!;
    expect(after.jobs - before.jobs).toBe(2);
    expect(after.tasks - before.tasks).toBeGreaterThanOrEqual(4);
  });

  it('falls back to the TypeScript kernel for float64 and class-strided logits', () => {
    const g = rng(3);
    for (const [dtype, strides] of [
      ['float64', [4, 1]],
      ['float32', [1, 5]],
    ] as const) {
      const x = stridedRandom(dtype, [5, 4], strides, 0, g);
      const t = tensor('int32', [5], [0, 1, 2, 3, 0]);
      const expected = empty(dtype, [5]);
      ts.softmaxCrossEntropy(x, t, null, -100, 0.2, expected, empty(dtype, [5]));
      const loss = empty(dtype, [5]);
      wasm.softmaxCrossEntropy(rt, x, t, null, -100, 0.2, loss, empty(dtype, [5]));
      expect(values(loss)).toEqual(values(expected));
    }
  });

  it('is what the backend runs for float32 heap views', () => {
    expect(be.kernels).toBe('wasm');
    const x = tensor('float32', [2, 3], [1, 2, 3, 1, 1, 1]);
    const loss = empty('float32', [2]);
    be.fused.softmaxCrossEntropy!(x, tensor('int32', [2], [2, 0]), null, -100, 0, loss, empty('float32', [2]));
    expectClose(values(loss), [Math.log(Math.exp(-2) + Math.exp(-1) + 1), Math.log(3)]);
  });
});
