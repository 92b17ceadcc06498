import { describe, expect, it } from 'vitest';
import { CpuBuffer } from '../buffer.js';
import { CpuBackend } from '../cpu-backend.js';
import { wasmFeatures } from './features.js';
import { sizeClass, WasmHeap } from './heap.js';
import { WasmRuntime } from './runtime.js';

describe('wasm heap allocator', () => {
  it('rounds requests to 16-byte aligned size classes', () => {
    expect(sizeClass(1)).toBe(16);
    expect(sizeClass(17)).toBe(32);
    expect(sizeClass(1024)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    expect(sizeClass(40000)).toBe(40960);
    expect(sizeClass(100_000)).toBe(100_000);
    for (let n = 1; n < 70_000; n += 997) expect(sizeClass(n)).toBeGreaterThanOrEqual(n);
  });

  it('hands out aligned, disjoint blocks and reuses freed ones', () => {
    const heap = new WasmHeap({ initialPages: 1, maximumPages: 1024 });
    const a = heap.alloc(100);
    const b = heap.alloc(100);
    expect(a % 16).toBe(0);
    expect(b - a).toBeGreaterThanOrEqual(112);
    heap.free(a);
    expect(heap.alloc(100)).toBe(a);
    expect(() => heap.free(12345)).toThrow(/unknown block/);
  });

  it('keeps exact accounting through alloc/free churn and returns to empty', () => {
    const heap = new WasmHeap({ initialPages: 1, maximumPages: 4096 });
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const live = new Map<number, number>();
    for (let step = 0; step < 3000; step++) {
      if (live.size > 0 && rand() < 0.45) {
        const keys = [...live.keys()];
        const p = keys[Math.floor(rand() * keys.length)]!;
        heap.free(p);
        live.delete(p);
      } else {
        const bytes = rand() < 0.1 ? 70_000 + Math.floor(rand() * 300_000) : 1 + Math.floor(rand() * 5000);
        const p = heap.alloc(bytes);
        expect(p).toBeGreaterThan(0);
        // no overlap with any live block
        let disjoint = true;
        for (const [q, n] of live) disjoint &&= p + bytes <= q || q + n <= p;
        expect(disjoint).toBe(true);
        live.set(p, bytes);
      }
      if (step % 50 === 0) {
        const expected = [...live.keys()].reduce((s, p) => s + heap.blockSize(p)!, 0);
        expect(heap.stats().allocatedBytes).toBe(expected);
        expect(heap.stats().allocatedBlocks).toBe(live.size);
      }
    }
    for (const p of live.keys()) heap.free(p);
    expect(heap.stats().allocatedBytes).toBe(0);
    expect(heap.stats().allocatedBlocks).toBe(0);
  });

  it('coalesces freed large blocks so a bigger request fits without growing', () => {
    const heap = new WasmHeap({ initialPages: 1, maximumPages: 4096 });
    const guard = heap.alloc(16);
    const blocks = [heap.alloc(100_000), heap.alloc(100_000), heap.alloc(100_000)];
    const fence = heap.alloc(16);
    const size = heap.stats().memoryBytes;
    for (const b of blocks) heap.free(b);
    const big = heap.alloc(290_000);
    expect(big).toBe(blocks[0]);
    expect(heap.stats().memoryBytes).toBe(size);
    heap.free(big);
    heap.free(guard);
    heap.free(fence);
  });

  it('zeroes recycled blocks and reports -1 when the memory cannot grow', () => {
    const heap = new WasmHeap({ initialPages: 1, maximumPages: 2 });
    const p = heap.alloc(64);
    new Uint8Array(heap.buffer, p, 64).fill(7);
    heap.free(p);
    const q = heap.alloc(64);
    expect(q).toBe(p);
    expect([...new Uint8Array(heap.buffer, q, 64)].every((v) => v === 0)).toBe(true);
    expect(heap.alloc(1 << 20)).toBe(-1);
  });

  it('refuses a block beyond the maximum before growing or taking anything (sizes past 2^31 and 2^32 included)', () => {
    const heap = new WasmHeap({ initialPages: 1, maximumPages: 16 });
    const p = heap.alloc(100);
    const before = heap.stats();
    for (const bytes of [16 * 65536, 2 ** 31 + 16, 2 ** 32 + 16, 2 ** 53, Infinity, NaN]) {
      expect(heap.alloc(bytes)).toBe(-1);
      expect(heap.stats()).toEqual(before);
    }
    expect(heap.alloc(100)).toBeGreaterThan(p); // still usable
  });
});

describe('cpu buffers in the wasm heap', () => {
  it('keep their data when the memory grows (shared and non-shared memory)', () => {
    for (const shared of [true, false]) {
      if (shared && !wasmFeatures().sharedMemory) continue;
      const rt = new WasmRuntime({ ...wasmFeatures(), sharedMemory: shared }, 1);
      const ptr = rt.heap.alloc(4 * 1000);
      const buf = new CpuBuffer('float32', 1000, rt.view('float32', ptr, 1000), rt, ptr);
      for (let i = 0; i < 1000; i++) buf.data[i] = i * 0.5;
      const before = rt.heap.stats().memoryBytes;
      const big = rt.heap.alloc(64 << 20);
      expect(rt.heap.stats().memoryBytes).toBeGreaterThan(before);
      const data = buf.data;
      expect(data.length).toBe(1000);
      expect(data[999]).toBe(499.5);
      expect(data[1]).toBe(0.5);
      if (!shared) expect(data.buffer).toBe(rt.heap.memory.buffer);
      rt.heap.free(big);
      rt.heap.free(ptr);
    }
  });

  it('memoryStats counts exact bytes; buffers go back to the heap on free', () => {
    const be = new CpuBackend({ kernels: 'wasm' });
    const base = be.heapStats()!.allocatedBlocks;
    const bufs = [be.alloc('float32', 10), be.alloc('float64', 3), be.alloc('bool', 5), be.alloc('int32', 0)];
    expect(be.memoryStats()).toEqual({ liveBuffers: 4, liveBytes: 40 + 24 + 5 });
    expect(be.heapStats()!.allocatedBlocks).toBe(base + 3); // the empty buffer takes no block
    expect(bufs.slice(0, 3).every((b) => b.ptr > 0)).toBe(true);
    for (const b of bufs) be.free(b);
    expect(be.memoryStats()).toEqual({ liveBuffers: 0, liveBytes: 0 });
    expect(be.heapStats()!.allocatedBlocks).toBe(base);
    expect(() => be.free(bufs[0]!)).toThrow(/double free/);
  });

  it('wrap() adopts a user array outside the heap, and the kernels still work on it', () => {
    const be = new CpuBackend({ kernels: 'wasm' });
    const user = new Float32Array([1, -2, 3]);
    const w = be.wrap(user);
    expect(w.ptr).toBe(-1);
    expect(w.data).toBe(user);
    const out = be.alloc('float32', 3);
    const v = (buffer: CpuBuffer) => ({ buffer, dtype: 'float32' as const, shape: [3], strides: [1], offset: 0 });
    be.unary('neg', v(w), v(out));
    be.binary('add', v(w), v(out), v(out));
    expect([...out.data]).toEqual([0, 0, 0]);
    be.unary('relu', v(w), v(w));
    expect([...user]).toEqual([1, 0, 3]);
    be.free(w);
    be.free(out);
  });
});
