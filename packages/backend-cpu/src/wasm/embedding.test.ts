import type { TensorView } from '@torchlet/backend';
import { afterAll, describe, expect, it } from 'vitest';
import type { CpuBuffer } from '../buffer.js';
import * as ts from '../kernels/embedding-bag.js';
import { be, empty, rng, stridedRandom, tensor } from '../../test/helpers.js';
import * as wasm from './embedding-dispatch.js';
import { getNumThreads, setNumThreads, wasmRuntime } from './runtime.js';

const rt = wasmRuntime()!;
const threads = getNumThreads();
afterAll(() => setNumThreads(threads));

function values(v: TensorView): number[] {
  const rows = v.shape[0]!;
  const cols = v.shape[1]!;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push((v.buffer as CpuBuffer).data[v.offset + r * v.strides[0]! + c * v.strides[1]!]!);
  return out;
}

/** A bag layout over N rows: bag sizes (some empty), entries with some padding rows. */
function bags(seed: number, B: number, N: number, pad: number): { indices: TensorView; offsets: TensorView; T: number } {
  const g = rng(seed);
  const idx: number[] = [];
  const off: number[] = [];
  for (let b = 0; b < B; b++) {
    off.push(idx.length);
    const n = b % 5 === 3 ? 0 : 1 + Math.floor(g() * 9);
    for (let i = 0; i < n; i++) idx.push(g() < 0.15 && pad >= 0 ? pad : Math.floor(g() * N));
  }
  return { indices: tensor('int32', [idx.length], idx), offsets: tensor('int32', [B], off), T: idx.length };
}

function expectClose(actual: number[], expected: number[], rtol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const tol = rtol * Math.max(1, Math.abs(expected[i]!));
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) expect.fail(`element ${i}: wasm ${actual[i]}, typescript ${expected[i]}`);
  }
}

const CASES = [
  { B: 6, N: 11, D: 8, pad: -1 },
  { B: 7, N: 9, D: 5, pad: 2 },
  { B: 1, N: 40, D: 64, pad: 0 },
  { B: 300, N: 500, D: 67, pad: 3 }, // large enough to be shared across threads
] as const;

describe('wasm embedding-bag kernels agree with the TypeScript kernels', () => {
  describe.each(CASES)('B=$B N=$N D=$D padding=$pad', ({ B, N, D, pad }) => {
    const g = rng(B * 31 + D);
    // the weight has a row stride larger than D (a view into a wider table)
    const weight = stridedRandom('float32', [N, D], [D + 3, 1], 2, g);
    const { indices, offsets, T } = bags(B + D, B, N, pad);
    const psw = stridedRandom('float32', [T], [2], 1, g);

    it.each([
      ['sum', false],
      ['mean', false],
      ['sum', true],
    ] as const)('forward %s (per-sample weights %s), one and two threads', (mode, withWeights) => {
      const w = withWeights ? psw : null;
      const expected = empty('float32', [B, D]);
      ts.embeddingBag(weight, indices, offsets, w, mode, pad, expected);
      for (const n of [1, 2]) {
        setNumThreads(n);
        rt.waitForThreads();
        const out = empty('float32', [B, D]);
        wasm.embeddingBag(rt, weight, indices, offsets, w, mode, pad, out);
        expectClose(values(out), values(expected));
      }
    });

    it.each([
      ['sum', false],
      ['mean', false],
      ['sum', true],
    ] as const)('sparse backward %s (per-sample weights %s)', (mode, withWeights) => {
      const w = withWeights ? psw : null;
      const gradOut = stridedRandom('float32', [B, D], [1, B], 0, g); // column-major: falls back to TypeScript
      const gradRows = stridedRandom('float32', [B, D], [D, 1], 0, g);
      for (const go of [gradOut, gradRows]) {
        const expected = empty('float32', [T, D]);
        ts.embeddingBagBackwardSparse(go, indices, offsets, w, mode, pad, expected);
        const out = empty('float32', [T, D]);
        wasm.embeddingBagBackwardSparse(rt, go, indices, offsets, w, mode, pad, out);
        expectClose(values(out), values(expected));
      }
    });

    it('addRows applies repeated indices in order, with threads splitting columns', () => {
      const vals = stridedRandom('float32', [T, D], [D, 1], 0, g);
      const expected = stridedRandom('float32', [N, D], [D, 1], 0, rng(7));
      const dst = stridedRandom('float32', [N, D], [D, 1], 0, rng(7));
      const safe = tensor('int32', [T], Array.from(values({ ...indices, shape: [T, 1], strides: [1, 1] }), (r) => (r < 0 ? 0 : r)));
      ts.addRows(expected, safe, vals, -0.25);
      for (const n of [2, 1]) {
        setNumThreads(n);
        rt.waitForThreads();
        const d = stridedRandom('float32', [N, D], [D, 1], 0, rng(7));
        wasm.addRows(rt, d, safe, vals, -0.25);
        expectClose(values(d), values(expected));
      }
      expect(values(dst)).not.toEqual(values(expected));
    });
  });

  it('addRows splits large updates by columns across threads, with repeated rows applied in order', () => {
    const [N, T, D] = [50, 8200, 72]; // T·D above the threading threshold; every row repeats ~164 times
    const g = rng(99);
    const idx = tensor('int32', [T], Array.from({ length: T }, () => Math.floor(g() * N)));
    const vals = stridedRandom('float32', [T, D], [D, 1], 0, g);
    const expected = stridedRandom('float32', [N, D], [D, 1], 0, rng(5));
    ts.addRows(expected, idx, vals, 0.5);
    setNumThreads(2);
    rt.waitForThreads();
    const d = stridedRandom('float32', [N, D], [D, 1], 0, rng(5));
    wasm.addRows(rt, d, idx, vals, 0.5);
    expectClose(values(d), values(expected), 1e-5);
  });

  it('checks arguments like the TypeScript kernels (out-of-range rows, wrong shapes)', () => {
    const weight = empty('float32', [4, 8]);
    const indices = tensor('int32', [3], [0, 1, 4]);
    const values3 = empty('float32', [3, 8]);
    expect(() => wasm.addRows(rt, weight, indices, values3, 1)).toThrow('addRows: index 4 is out of range for 4 rows');
    const offsets = tensor('int32', [2], [0, 1]);
    expect(() => wasm.embeddingBag(rt, weight, indices, offsets, null, 'sum', -1, empty('float32', [3, 8]))).toThrow(
      'embeddingBag: out must be [2, 8] (got [3, 8])',
    );
  });

  it('is what the backend runs for float32 heap views', () => {
    expect(be.kernels).toBe('wasm');
    const weight = tensor('float32', [3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const out = empty('float32', [2, 4]);
    be.fused.embeddingBag!(weight, tensor('int32', [3], [0, 2, 1]), tensor('int32', [2], [0, 1]), null, 'mean', -1, out);
    expect(Array.from((out.buffer as CpuBuffer).data)).toEqual([1, 2, 3, 4, 7, 8, 9, 10]);
  });
});
