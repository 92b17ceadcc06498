/**
 * Tensors near and past the 4 GiB Wasm limit. Deliberately large, so they live in this one
 * file and run one after another: the 2 GiB block is written in full (about 2 GiB of
 * memory for this file's process); the 4 GiB+ ones are only touched at their ends, so the
 * operating system never backs most of their pages.
 */
import type { TensorView } from '@torchlet/backend';
import { runConformanceSuite } from '@torchlet/backend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CpuBuffer } from '../buffer.js';
import { CpuBackend } from '../cpu-backend.js';
import { recurrentBackward, recurrentForward } from '../kernels/recurrent.js';
import { rng } from '../../test/helpers.js';
import { wasmFeatures } from './features.js';
import { sizeClass } from './heap.js';
import { wasmRuntime } from './runtime.js';

const view = (buffer: CpuBuffer, shape = [buffer.size]): TensorView => ({ buffer, dtype: buffer.dtype, shape, strides: [1], offset: 0 });

/**
 * A GRU/LSTM layer, forward and backward: through the Wasm whole-sequence kernels, or (the
 * reference) step by step with the TypeScript cell kernels. Every output, as numbers, and the
 * lowest heap address used.
 */
function recurrentLayer(be: CpuBackend, mode: 'gru' | 'lstm'): { result: number[][]; lowest: number } {
  const [T, B, H] = [4, 3, 64];
  const GH = (mode === 'gru' ? 3 : 4) * H;
  const WS = (mode === 'gru' ? 4 : 6) * H;
  const gen = rng(5);
  const buffers: CpuBuffer[] = [];
  const v = (shape: number[], scale = 0): TensorView => {
    const n = shape.reduce((a, b) => a * b, 1);
    const buffer = be.alloc('float32', n);
    buffers.push(buffer);
    for (let i = 0; i < n; i++) buffer.data[i] = scale * (gen() * 2 - 1);
    return { buffer, dtype: 'float32', shape, strides: shape.length === 2 ? [shape[1]!, 1] : [1], offset: 0 };
  };
  const rows = (x: TensorView, t: number): TensorView => ({ ...x, shape: [B, x.shape[1]!], offset: t * B * x.strides[0]! });
  const gx = v([T * B, GH], 2);
  const whh = v([GH, H], 0.2);
  const bhh = v([GH], 1);
  const h = v([B, H], 1);
  const c = mode === 'lstm' ? v([B, H], 1) : null;
  const out = v([T * B, H]);
  const ws = v([T * B, WS]);
  const hPrev = v([T * B, H]);
  const dOut = v([T * B, H], 1);
  const dh = v([B, H], 1);
  const dc = mode === 'lstm' ? v([B, H], 1) : null;
  const dgx = v([T * B, GH]);
  const dgh = mode === 'gru' ? v([T * B, GH]) : dgx;
  if (be.kernels === 'wasm') {
    expect(recurrentForward(mode, gx, whh, bhh, T, false, h, c, out, ws, hPrev)).toBe(true);
    expect(recurrentBackward(mode, whh, T, false, dOut, dh, dc, ws, mode === 'gru' ? hPrev : null, dgx, dgh)).toBe(true);
  } else {
    const gh = v([B, GH]);
    const rec = v([B, H]);
    const whhT: TensorView = { ...whh, shape: [H, GH], strides: [1, H] };
    for (let t = 0; t < T; t++) {
      be.assign(rows(hPrev, t), h);
      be.matmul(h, whhT, gh);
      if (mode === 'gru') be.fused.gruCell!(rows(gx, t), gh, bhh, h, rows(out, t), rows(ws, t));
      else be.fused.lstmCell!(rows(gx, t), gh, bhh, c!, c!, rows(out, t), rows(ws, t));
      be.assign(h, rows(out, t));
    }
    for (let t = T - 1; t >= 0; t--) {
      const dr = t < T - 1 ? rec : null;
      if (mode === 'gru') be.fused.gruCellBackward!(dh, rows(dOut, t), dr, rows(ws, t), rows(hPrev, t), rows(dgx, t), rows(dgh, t));
      else be.fused.lstmCellBackward!(dh, rows(dOut, t), dr, dc!, rows(ws, t), rows(dgx, t));
      be.matmul(rows(dgh, t), whh, rec);
    }
    be.binary('add', dh, rec, dh);
  }
  const result = [out, h, c, ws, hPrev, dh, dc, dgx, dgh].filter((x): x is TensorView => x !== null).map((x) => [...(x.buffer as CpuBuffer).data]);
  const lowest = Math.min(...buffers.map((b) => b.ptr));
  for (const b of buffers) be.free(b);
  return { result, lowest };
}

// Pointers above 2^31 are negative as Wasm i32 arguments: every kernel must treat them as
// unsigned. A block of 2 GiB + 1 MiB (never written, so never backed by memory), taken first
// in a fresh heap, puts every later allocation above that address.
describe.runIf(wasmFeatures().simd)('kernels on tensors above the 2^31 address', () => {
  const be = new CpuBackend({ kernels: 'wasm' });
  let filler = -1;
  beforeAll(() => {
    filler = wasmRuntime()!.heap.alloc(2 ** 31 + 2 ** 20, false);
    expect(filler).toBeGreaterThan(0);
  });
  afterAll(() => wasmRuntime()!.heap.free(filler));

  it('the whole-sequence GRU and LSTM kernels equal the step-by-step TypeScript cells', () => {
    const js = new CpuBackend({ kernels: 'js' });
    for (const mode of ['gru', 'lstm'] as const) {
      const got = recurrentLayer(be, mode);
      expect(got.lowest).toBeGreaterThanOrEqual(2 ** 31);
      const want = recurrentLayer(js, mode).result;
      got.result.forEach((arr, k) => arr.forEach((x, i) => expect(x).toBeCloseTo(want[k]![i]!, 4)));
    }
  });

  runConformanceSuite('cpu (wasm kernels, tensors above 2 GiB)', () => be);
});

describe.runIf(wasmFeatures().simd)('tensors of 2 GiB and more', () => {
  const be = new CpuBackend({ kernels: 'wasm' });

  it('sizes above 2^31 bytes get a block of their own size', () => {
    expect(sizeClass(2 ** 31 + 16)).toBe(2 ** 31 + 16);
    expect(sizeClass(2 ** 31 + 1)).toBe(2 ** 31 + 16);
    expect(sizeClass(2 ** 32 + 16)).toBe(2 ** 32 + 16);
  });

  // Writes 2 GiB twice: seconds on a loaded machine.
  it('a 2^31+16-byte tensor gets its own block: writing it all leaves the tensors around it intact', { timeout: 120_000 }, () => {
    const before = be.heapStats()!;
    const a = be.alloc('float32', 1000);
    a.data.fill(7);
    const n = 2 ** 29 + 4; // float32: 2^31 + 16 bytes
    const big = be.alloc('float32', n);
    const b = be.alloc('float32', 1000);
    b.data.fill(9);
    expect(big.ptr).toBeGreaterThan(0); // in the Wasm heap
    expect(be.heapStats()!.allocatedBytes - before.allocatedBytes).toBeGreaterThanOrEqual(2 ** 31 + 16 + 8000);
    for (const other of [a, b]) {
      const disjoint = other.ptr + 4000 <= big.ptr || big.ptr + n * 4 <= other.ptr;
      expect(disjoint).toBe(true);
    }
    // every element, then a Wasm kernel in place across the 2^31 address boundary
    big.data.fill(1.5);
    be.unary('neg', view(big), view(big));
    const d = big.data;
    const across = (2 ** 31 - big.ptr) / 4; // the element at address 2^31
    expect([d[0], d[across - 1], d[across], d[n >> 1], d[n - 1]]).toEqual([-1.5, -1.5, -1.5, -1.5, -1.5]);
    expect(a.data.every((v) => v === 7)).toBe(true);
    expect(b.data.every((v) => v === 9)).toBe(true);
    for (const x of [a, big, b]) be.free(x);
    expect(be.heapStats()!.allocatedBytes).toBe(before.allocatedBytes);
  });

  it('a tensor beyond the 4 GiB Wasm limit lives in host memory and works; the heap is unchanged', () => {
    const heap = be.heapStats()!;
    const live = be.memoryStats();
    const n = 2 ** 30 + 4; // float32: 4 GiB + 16 bytes
    const big = be.alloc('float32', n);
    expect(big.ptr).toBe(-1);
    expect(big.data.length).toBe(n);
    expect(be.heapStats()).toEqual(heap); // nothing grown, nothing taken
    // the ends only: the rest of the pages are never touched
    be.fill({ buffer: big, dtype: 'float32', shape: [4], strides: [1], offset: n - 4 }, 2.5);
    big.data[0] = 3;
    const out = be.alloc('float32', 4);
    be.fill(view(out), 2);
    be.binary('mul', { buffer: big, dtype: 'float32', shape: [4], strides: [1], offset: n - 4 }, view(out), view(out));
    expect([big.data[0], big.data[n - 1], ...out.data]).toEqual([3, 2.5, 5, 5, 5, 5]);
    be.free(out);
    be.free(big);
    expect(be.memoryStats()).toEqual(live);
    expect(be.heapStats()).toMatchObject({ memoryBytes: heap.memoryBytes, allocatedBytes: heap.allocatedBytes });
  });

  it('a tensor no engine can hold fails before anything is allocated, naming its size and the limit', () => {
    const heap = be.heapStats()!;
    const live = be.memoryStats();
    const n = 2 ** 40; // float64: 8 TiB
    expect(() => be.alloc('float64', n)).toThrow(
      /cannot allocate a float64 tensor of 1099511627776 elements \(8796093022208 bytes, 8192\.0 GiB\): it does not fit the Wasm heap \(at most 4\.0 GiB\).*smaller tensors.*webgpu/,
    );
    expect(be.heapStats()).toEqual(heap);
    expect(be.memoryStats()).toEqual(live);
  });
});

