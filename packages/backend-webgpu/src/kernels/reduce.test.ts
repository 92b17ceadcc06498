/**
 * The workgroup (shared-memory tree) reduction path, forced on small inputs by lowering
 * the threshold; the conformance suite mostly exercises the per-output path.
 */
import { contiguousStrides, type ReduceOp, type TensorView } from '@torchlet/backend';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebGPUBuffer } from '../buffer.js';
import { openTestBackend } from '../testing.js';
import { REDUCE_CONFIG } from './reduce.js';

const { backend, reason } = await openTestBackend();
afterAll(() => backend?.destroy());

function view(buffer: WebGPUBuffer, shape: number[], strides = contiguousStrides(shape), offset = 0): TensorView {
  return { buffer, dtype: buffer.dtype, shape, strides, offset };
}

function reference(op: ReduceOp, values: number[], shape: number[], strides: number[], axes: number[]): number[] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = contiguousStrides(outShape);
  const n = outShape.reduce((a, b) => a * b, 1);
  const groups: number[][] = Array.from({ length: n }, () => []);
  const total = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let pos = 0;
    let o = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const c = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
      pos += c * strides[d]!;
      if (!axes.includes(d)) o += c * outStrides[d]!;
    }
    groups[o]!.push(values[pos]!);
  }
  return groups.map((g) => {
    if (op === 'sum') return g.reduce((s, v) => s + v, 0);
    if (op === 'prod') return g.reduce((s, v) => s * v, 1);
    if (g.some(Number.isNaN)) return NaN;
    return op === 'max' ? Math.max(...g) : Math.min(...g);
  });
}

describe.skipIf(!backend)(`reduce, workgroup path${backend ? '' : ` (skipped: ${reason})`}`, () => {
  const withThreshold = async (t: number, body: () => Promise<void>) => {
    const saved = REDUCE_CONFIG.workgroupThreshold;
    REDUCE_CONFIG.workgroupThreshold = t;
    try {
      await body();
    } finally {
      REDUCE_CONFIG.workgroupThreshold = saved;
    }
  };

  for (const dtype of ['float32', 'int32'] as const) {
    for (const op of ['sum', 'prod', 'max', 'min'] as const) {
      it(`${op} ${dtype} over every axis set of a transposed [3, 4, 70] view`, () =>
        withThreshold(2, async () => {
          const b = backend!;
          const shape = [3, 4, 70];
          const n = 3 * 4 * 70;
          const data = Array.from({ length: n }, (_, i) => {
            if (op === 'prod') return i % 9 === 0 ? -1 : 1; // no overflow
            return dtype === 'int32' ? (i * 7919) % 201 - 100 : Math.fround(Math.sin(i) * 3);
          });
          if (dtype === 'float32' && (op === 'max' || op === 'min')) data[100] = NaN;
          const x = b.alloc(dtype, n);
          b.write(x, dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data));
          const strides = [1, 3, 12]; // axes reversed in memory
          for (const axes of [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]]) {
            const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
            const size = outShape.reduce((p, d) => p * d, 1);
            const out = b.alloc(dtype, size);
            b.reduce(op, view(x, shape, strides), axes, view(out, outShape));
            const got = Array.from(await b.read(out));
            const expected = reference(op, data, shape, strides, axes);
            for (let i = 0; i < size; i++) {
              const e = expected[i]!;
              if (Number.isNaN(e)) expect(got[i], `${op} axes ${axes} at ${i}`).toBeNaN();
              else expect(Math.abs(got[i]! - e), `${op} axes ${axes} at ${i}: ${got[i]} vs ${e}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(e)));
            }
            b.free(out);
          }
          b.free(x);
        }));
    }
  }

  for (const op of ['sum', 'prod'] as const) {
    it(`${op} int32 overflow raises a RangeError on the workgroup path too`, () =>
      withThreshold(2, async () => {
        const b = backend!;
        const values = op === 'sum' ? [2147483647, 1, -5, 5] : [65536, 1, 65536, 1];
        const x = b.alloc('int32', 4);
        b.write(x, Int32Array.from(values));
        const out = b.alloc('int32', 1);
        b.reduce(op, view(x, [4]), [0], view(out, [1]));
        await expect(b.read(out)).rejects.toThrow(RangeError);
        // partial sums that overflow but a total that fits are fine (64-bit accumulation)
        b.write(x, Int32Array.from(op === 'sum' ? [2147483647, 5, -5, -7] : [65536, 0, 65536, 3]));
        b.reduce(op, view(x, [4]), [0], view(out, [1]));
        expect(Array.from(await b.read(out))).toEqual([op === 'sum' ? 2147483640 : 0]);
        b.free(x);
        b.free(out);
      }));
  }
});
