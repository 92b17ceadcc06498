/** Memory and writes: alloc/free accounting, write/read round trips, `assign`, `fill`, `arange`. */
import { describe, expect } from '../vitest.js';
import type { TensorView } from '../../backend.js';
import { DTYPE_INFO, DTYPES, type DType } from '../../dtype.js';
import { FLOAT_DTYPES, type SuiteContext } from '../context.js';
import {
  assertClose,
  assertEqual,
  fromHostArray,
  makeView,
  numel,
  readBuffer,
  readView,
  roundToDType,
  seededInts,
  seededValues,
  toHostArray,
  writeThrough,
  type BufferScope,
  type Operand,
} from '../helpers.js';

function sample(dtype: DType, n: number, seed: number): number[] {
  if (dtype === 'bool') return seededInts(n, seed, 0, 1);
  if (dtype === 'int32') return seededInts(n, seed, -100000, 100000);
  return seededValues(n, seed, -50, 50);
}

/** Destination views over a 40-element buffer, each leaving most of the buffer outside it. */
function destinations(s: BufferScope, dtype: DType, seed: number): [string, TensorView][] {
  const buf = () => s.upload(dtype, sample(dtype, 40, seed));
  return [
    ['contiguous [3, 4]', makeView(buf(), [3, 4])],
    ['transposed [4, 3] of a [3, 4] block', makeView(buf(), [4, 3], [1, 4])],
    ['sliced with steps [2, 3], strides [10, 3], offset 2', makeView(buf(), [2, 3], [10, 3], 2)],
    ['column of a matrix [5], stride 8, offset 7', makeView(buf(), [5], [8], 7)],
    ['rank-0 at offset 13', makeView(buf(), [], [], 13)],
    ['zero-size [0, 3] at offset 5', makeView(buf(), [0, 3], [3, 1], 5)],
  ];
}

async function checkWrite(s: BufferScope, dst: TensorView, run: () => void, logical: readonly number[], label: string): Promise<void> {
  const before = await readBuffer(s.backend, dst.buffer);
  run();
  assertEqual(await readBuffer(s.backend, dst.buffer), writeThrough(before, dst, logical), { label: `${label} (whole destination buffer)` });
}

export function memorySuite(ctx: SuiteContext): void {
  describe('memory', () => {
    for (const dtype of DTYPES) {
      ctx.test(`alloc/free ${dtype} keep exact counts`, [dtype], (s, b) => {
        const start = b.memoryStats();
        const x = s.alloc(dtype, 10);
        expect(x.dtype).toBe(dtype);
        expect(x.size).toBe(10);
        const mid = b.memoryStats();
        expect(mid.liveBuffers, 'liveBuffers after one alloc').toBe(start.liveBuffers + 1);
        expect(mid.liveBytes - start.liveBytes, 'liveBytes after one alloc').toBeGreaterThanOrEqual(10 * DTYPE_INFO[dtype].bytes);
        const empty = s.alloc(dtype, 0);
        expect(b.memoryStats().liveBuffers, 'a zero-size allocation counts as a buffer').toBe(start.liveBuffers + 2);
        s.free(empty);
        s.free(x);
        expect(b.memoryStats()).toEqual(start);
      });

      ctx.test(`write/read round trip ${dtype}, with write offsets`, [dtype], async (s, b) => {
        const values = sample(dtype, 37, 3).map((v) => roundToDType(dtype, v));
        if (dtype !== 'int32' && dtype !== 'bool') values.push(NaN, Infinity, -Infinity, -0);
        const x = s.upload(dtype, values);
        const raw = await b.read(x);
        expect(raw, 'read returns the dtype’s host array').toBeInstanceOf(DTYPE_INFO[dtype].HostArray);
        expect(raw.length).toBe(values.length);
        assertEqual(fromHostArray(dtype, raw), values, { label: `round trip ${dtype}` });
        // read returns a copy: changing it leaves the buffer alone.
        raw.fill(0);
        assertEqual(await readBuffer(b, x), values, { label: `${dtype} read is a copy` });
        // Partial writes land at [offset, offset + length) only.
        const patch = sample(dtype, 5, 4).map((v) => roundToDType(dtype, v));
        b.write(x, toHostArray(dtype, patch), 10);
        const expected = [...values];
        expected.splice(10, 5, ...patch);
        assertEqual(await readBuffer(b, x), expected, { label: `${dtype} write at offset 10` });
        b.write(x, toHostArray(dtype, patch.slice(0, 2)), values.length - 2);
        expected.splice(values.length - 2, 2, ...patch.slice(0, 2));
        assertEqual(await readBuffer(b, x), expected, { label: `${dtype} write at the end` });
        const empty = s.alloc(dtype, 0);
        expect((await b.read(empty)).length).toBe(0);
        // Ranged reads copy only [start, start + length).
        assertEqual(fromHostArray(dtype, await b.read(x, 3, 7)), expected.slice(3, 10), { label: `${dtype} read of [3, 10)` });
        assertEqual(fromHostArray(dtype, await b.read(x, 30)), expected.slice(30), { label: `${dtype} read from 30 to the end` });
        expect((await b.read(x, 5, 0)).length, 'a zero-length ranged read').toBe(0);
      });
    }

    ctx.test('many buffers allocated and freed leave no trace', ['float32'], async (s, b) => {
      const start = b.memoryStats();
      const bufs = Array.from({ length: 50 }, (_, i) => s.upload('float32', [i, i + 1, i + 2]));
      expect(b.memoryStats().liveBuffers).toBe(start.liveBuffers + 50);
      for (const x of bufs.slice(0, 25)) s.free(x);
      expect(b.memoryStats().liveBuffers).toBe(start.liveBuffers + 25);
      assertEqual(await readBuffer(b, bufs[30]!), [30, 31, 32], { label: 'a surviving buffer keeps its contents' });
    });
  });

  describe('assign', () => {
    for (const dtype of DTYPES) {
      ctx.test(`assign ${dtype} into strided destinations from contiguous, transposed and broadcast sources`, [dtype], async (s, b) => {
        let seed = 10;
        for (const [label, dst] of destinations(s, dtype, 1)) {
          const shape = dst.shape;
          const n = numel(shape);
          const sources: [string, Operand][] = [
            ['contiguous source', s.input(dtype, sample(dtype, n, seed++), shape)],
            ['transposed source', s.input(dtype, sample(dtype, n, seed++), shape, 'transposed')],
            ['source sliced with offset', s.input(dtype, sample(dtype, n, seed++), shape, 'strided')],
            ['rank-0 source broadcast', s.broadcast(dtype, sample(dtype, 1, seed++), [], shape)],
          ];
          if (shape.length === 2) sources.push(['row source broadcast [1, n]', s.broadcast(dtype, sample(dtype, shape[1]!, seed++), [1, shape[1]!], shape)]);
          for (const [srcLabel, src] of sources) {
            await checkWrite(s, dst, () => b.assign(dst, src.view), src.values, `assign ${dtype} into ${label} from ${srcLabel}`);
          }
        }
      });
    }
  });

  describe('fill', () => {
    for (const dtype of DTYPES) {
      ctx.test(`fill ${dtype} changes only the view's elements`, [dtype], async (s, b) => {
        const values = dtype === 'bool' ? [1, 0] : dtype === 'int32' ? [-5, 2147483647] : [-2.5, NaN, Infinity, 0.1];
        for (const [label, dst] of destinations(s, dtype, 2)) {
          for (const v of values) {
            await checkWrite(s, dst, () => b.fill(dst, v), new Array<number>(numel(dst.shape)).fill(v), `fill ${dtype} ${label} with ${v}`);
          }
        }
      });
    }
  });

  describe('arange', () => {
    for (const dtype of [...FLOAT_DTYPES, 'int32'] as DType[]) {
      ctx.test(`arange ${dtype}`, [dtype], async (s, b) => {
        const cases: [number, number, number][] =
          dtype === 'int32'
            ? [[0, 1, 10], [-3, 2, 7], [10, -3, 5], [0, 1, 0], [-1000000, 123457, 20]]
            : [[0, 1, 10], [-2.5, 0.5, 12], [10, -3, 5], [0, 0.1, 100], [0, 1, 0], [1, 0.25, 2000]];
        for (const [start, step, n] of cases) {
          const out = s.empty(dtype, [n]);
          b.arange(out, start, step);
          const expected = Array.from({ length: n }, (_, i) => roundToDType(dtype, start + i * step));
          assertClose(await readView(b, out), expected, { ...ctx.tol(dtype), shape: [n], label: `arange ${dtype} start ${start} step ${step} (${n} elements)` });
        }
      });
    }
  });
}
