/**
 * The WebGPU runtime under small artificial limits: dispatch grids split over x/y/z,
 * batched submission, the writeBuffer ordering hazard with pooled buffers, aliasing,
 * exact memory accounting and error reporting.
 */
import { contiguousStrides, hasBackend, philoxFill, unregisterBackend, getBackend, type TensorView } from '@torchlet/backend';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { WebGPUBuffer } from './buffer.js';
import { createWebGPUBackend, initWebGPU } from './device.js';
import { REDUCE_CONFIG } from './kernels/reduce.js';
import { openTestBackend } from './testing.js';
import type { WebGPUBackend } from './webgpu-backend.js';

const { backend: main, reason } = await openTestBackend();
// Same device, tiny limits: at most 4 workgroups per grid dimension, a submit every 4 dispatches.
const small = main ? await createWebGPUBackend({ device: main.device, maxWorkgroupsPerDimension: 4, maxBatch: 4 }) : null;

afterAll(() => {
  small?.destroy();
  main?.destroy();
});

function view(buffer: WebGPUBuffer, shape: number[], strides = contiguousStrides(shape), offset = 0): TensorView {
  return { buffer, dtype: buffer.dtype, shape, strides, offset };
}

function upload(b: WebGPUBackend, dtype: 'float32' | 'int32' | 'bool', values: number[]): WebGPUBuffer {
  const buf = b.alloc(dtype, values.length);
  const arr = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : Uint8Array.from(values);
  b.write(buf, arr);
  return buf;
}

async function values(b: WebGPUBackend, buf: WebGPUBuffer): Promise<number[]> {
  return Array.from(await b.read(buf));
}

const range = (n: number, f: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

describe.skipIf(!main)(`webgpu runtime${main ? '' : ` (skipped: ${reason})`}`, () => {
  describe('dispatch grids beyond maxComputeWorkgroupsPerDimension', () => {
    it('elementwise, broadcast and strided maps cover every element of a split grid', async () => {
      const b = small!;
      const n = 3000; // 47 workgroups of 64 → a 4 × 4 × 3 grid
      const x = upload(b, 'float32', range(n, (i) => i * 0.5));
      const out = b.alloc('float32', n);
      b.unary('neg', view(x, [n]), view(out, [n]));
      expect(await values(b, out)).toEqual(range(n, (i) => -i * 0.5));
      // transposed [120, 25] + row broadcast
      const row = upload(b, 'float32', range(25, (j) => 1000 * j));
      b.binary('add', view(x, [120, 25], [1, 120]), view(row, [120, 25], [0, 1]), view(out, [120, 25]));
      expect(await values(b, out)).toEqual(range(n, (e) => (Math.floor(e / 25) + 120 * (e % 25)) * 0.5 + 1000 * (e % 25)));
      for (const buf of [x, row, out]) b.free(buf);
    });

    it('reductions split over outputs in both kernel shapes', async () => {
      const b = small!;
      const rows = 3000; // one invocation per output: 47 workgroups
      const cols = 9;
      const data = range(rows * cols, (i) => (i % 13) - 6);
      const x = upload(b, 'int32', data);
      const out = b.alloc('int32', rows);
      const expected = range(rows, (r) => data.slice(r * cols, (r + 1) * cols).reduce((s, v) => s + v, 0));
      b.reduce('sum', view(x, [rows, cols]), [1], view(out, [rows, 1]));
      expect(await values(b, out)).toEqual(expected);
      const saved = REDUCE_CONFIG.workgroupThreshold;
      REDUCE_CONFIG.workgroupThreshold = 4; // one workgroup per output: 60 workgroups on a 4-wide grid
      try {
        b.fill(view(out, [rows]), 0);
        b.reduce('sum', view(x, [60, cols]), [1], view(out, [60, 1]));
        expect((await values(b, out)).slice(0, 61)).toEqual([...expected.slice(0, 60), 0]);
      } finally {
        REDUCE_CONFIG.workgroupThreshold = saved;
      }
      b.free(x);
      b.free(out);
    });

    it('matmul tiles and random blocks split over the grid', async () => {
      const b = small!;
      const m = 70;
      const k = 5;
      const n = 66; // 5 × 5 tiles
      const av = range(m * k, (i) => (i % 7) - 3);
      const bv = range(k * n, (i) => (i % 5) - 2);
      const a = upload(b, 'float32', av);
      const bb = upload(b, 'float32', bv);
      const out = b.alloc('float32', m * n);
      b.matmul(view(a, [m, k]), view(bb, [k, n]), view(out, [m, n]));
      const expected = range(m * n, (e) => {
        const i = Math.floor(e / n);
        const j = e % n;
        return range(k).reduce((s, p) => s + av[i * k + p]! * bv[p * n + j]!, 0);
      });
      expect(await values(b, out)).toEqual(expected);
      const r = b.alloc('float32', 5000); // 1250 blocks → 20 workgroups
      b.random('uniform', view(r, [5000]), 7, 3);
      const ref = new Float32Array(5000);
      philoxFill('uniform', ref, 5000, 7, 3);
      expect(await values(b, r)).toEqual(Array.from(ref));
      for (const buf of [a, bb, out, r]) b.free(buf);
    });
  });

  describe('batching and ordering', () => {
    it('submits every maxBatch dispatches without waiting for a read', async () => {
      const b = small!;
      const x = upload(b, 'float32', [1, 2, 3]);
      b.flush();
      const before = b.stats().submits;
      for (let i = 0; i < 10; i++) b.binary('add', view(x, [3]), view(x, [3]), view(x, [3]));
      expect(b.stats().submits - before).toBeGreaterThanOrEqual(2);
      expect(await values(b, x)).toEqual([1024, 2048, 3072]);
      b.free(x);
    });

    it('a host write after a pending read of the same buffer does not overtake it', async () => {
      const b = main!;
      const x = upload(b, 'float32', [1, 2, 3, 4]);
      const out = b.alloc('float32', 4);
      b.flush();
      const encoded = b.stats().encodedWrites;
      b.unary('neg', view(x, [4]), view(out, [4])); // pending
      b.write(x, Float32Array.from([9, 9, 9, 9]));
      expect(b.stats().encodedWrites).toBe(encoded + 1);
      expect(await values(b, out)).toEqual([-1, -2, -3, -4]);
      expect(await values(b, x)).toEqual([9, 9, 9, 9]);
      b.free(x);
      b.free(out);
    });

    it('a recycled buffer written while its previous owner is still read by pending work keeps that work intact', async () => {
      const b = main!;
      const a = upload(b, 'float32', [5, 6, 7, 8]);
      const out = b.alloc('float32', 4);
      b.flush();
      b.unary('neg', view(a, [4]), view(out, [4])); // pending: reads a
      b.free(a);
      const recycled = b.alloc('float32', 4);
      expect(recycled.gpu).toBe(a.gpu); // the pool handed the same device buffer out again
      b.write(recycled, Float32Array.from([0, 0, 0, 0]));
      expect(await values(b, out)).toEqual([-5, -6, -7, -8]);
      expect(await values(b, recycled)).toEqual([0, 0, 0, 0]);
      b.free(recycled);
      b.free(out);
    });

    it('an input that aliases the output is read before it is written', async () => {
      const b = main!;
      const x = upload(b, 'int32', range(10));
      const copies = b.stats().aliasCopies;
      // x[1:] = x[:-1] in one assign
      b.assign(view(x, [9], [1], 1), view(x, [9], [1], 0));
      expect(await values(b, x)).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(b.stats().aliasCopies).toBe(copies + 1);
      b.free(x);
    });
  });

  describe('memory accounting', () => {
    it('counts the interface’s live buffers and bytes exactly, not the pool’s spare capacity', () => {
      const b = main!;
      const start = b.memoryStats();
      const bufs = [b.alloc('float32', 10), b.alloc('bool', 3), b.alloc('int32', 0)];
      expect(b.memoryStats()).toEqual({ liveBuffers: start.liveBuffers + 3, liveBytes: start.liveBytes + 40 + 3 });
      bufs.forEach((x) => b.free(x));
      expect(b.memoryStats()).toEqual(start);
      expect(b.stats().pool.pooledBuffers).toBeGreaterThan(0);
      expect(() => b.free(bufs[0]!)).toThrow(/double free/);
    });

    it('the FinalizationRegistry backstop returns a buffer that was never freed', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const b = main!;
      const start = b.stats();
      (() => void b.alloc('float32', 16))();
      expect(b.memoryStats().liveBuffers).toBe(start.liveBuffers + 1);
      for (let i = 0; i < 20 && b.stats().reclaimed === start.reclaimed; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(b.stats().reclaimed).toBe(start.reclaimed + 1);
      expect(b.memoryStats()).toEqual({ liveBuffers: start.liveBuffers, liveBytes: start.liveBytes });
    });

    it('rejects dtypes the device cannot hold', () => {
      expect(() => main!.alloc('float64', 4)).toThrow(/float64/);
      expect(main!.dtypes.has('float64')).toBe(false);
      expect(main!.canReadSync).toBe(false);
    });
  });

  describe('errors', () => {
    it('an index out of range is a RangeError at the next readback, and later reads work', async () => {
      const b = main!;
      const x = upload(b, 'float32', [1, 2, 3]);
      const idx = upload(b, 'int32', [0, 5]);
      const out = b.alloc('float32', 2);
      b.indexSelect(view(x, [3]), 0, view(idx, [2]), view(out, [2]));
      await expect(b.read(out)).rejects.toThrow(/index 5 is out of bounds for dimension with size 3/);
      b.write(idx, Int32Array.from([2, 1]));
      b.indexSelect(view(x, [3]), 0, view(idx, [2]), view(out, [2]));
      expect(await values(b, out)).toEqual([3, 2]);
      for (const buf of [x, idx, out]) b.free(buf);
    });

    it('a kernel that fails to compile is named at the next readback and refused afterwards', async () => {
      const b = main!;
      const kernel = b.runtime.kernel('test.broken', () => ({ code: 'this is not WGSL', access: ['read_write'], metaWords: 1 }));
      const x = b.alloc('float32', 4);
      b.runtime.dispatch(kernel, [x.gpu], [4], 1);
      await expect(b.read(x)).rejects.toThrow(/kernel 'test.broken' failed to compile/);
      expect(() => b.runtime.dispatch(kernel, [x.gpu], [4], 1)).toThrow(/test.broken/);
      expect(await values(b, x)).toHaveLength(4);
      b.free(x);
    });

    it('a lost device turns into an error on the next operation', async () => {
      const own = await createWebGPUBackend();
      const x = own.alloc('float32', 4);
      own.device.destroy();
      await own.device.lost;
      expect(() => own.alloc('float32', 4)).toThrow(/device was lost/);
      expect(() => own.fill(view(x, [4]), 1)).toThrow(/device was lost/);
      await expect(own.read(x)).rejects.toThrow(/device was lost/);
    });

    it('a missing adapter is a clear error', async () => {
      const gpu = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
      await expect(createWebGPUBackend({ gpu })).rejects.toThrow(/no WebGPU adapter is available/);
    });
  });

  it('initWebGPU registers the backend as device "webgpu"', async () => {
    const registered = await initWebGPU({ device: main!.device });
    try {
      expect(hasBackend('webgpu')).toBe(true);
      expect(getBackend('webgpu')).toBe(registered);
      expect(await initWebGPU()).toBe(registered);
    } finally {
      unregisterBackend('webgpu');
      registered.destroy();
    }
  });
});
