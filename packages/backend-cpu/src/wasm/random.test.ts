import { philoxBlock, philoxFill, splitSeed, type RandomKind, type TensorView } from '@torchlet/backend';
import { afterAll, describe, expect, it } from 'vitest';
import type { CpuBuffer } from '../buffer.js';
import { CpuBackend } from '../cpu-backend.js';
import { bernoulliThreshold, wasmRandom } from './random-dispatch.js';
import { getNumThreads, setNumThreads, wasmRuntime } from './runtime.js';

const rt = wasmRuntime()!;
// the Wasm kernels whatever TORCHLET_CPU_KERNELS says: buffers from this backend live in the heap
const be = new CpuBackend({ kernels: 'wasm' });
const threads = getNumThreads();
const allocated: CpuBuffer[] = [];
afterAll(() => {
  for (const b of allocated) be.free(b);
  setNumThreads(threads);
});

/** A float32 heap view of `n` elements at storage offset `offset`, filled with NaN. */
function heapView(n: number, offset = 0): TensorView {
  const buffer = be.alloc('float32', n + offset) as CpuBuffer;
  allocated.push(buffer);
  buffer.data.fill(NaN);
  return { buffer, dtype: 'float32', shape: [n], strides: [1], offset };
}

/** The float32 bit patterns of the view's elements. */
function bits(v: TensorView): Uint32Array {
  const n = v.shape.reduce((a, b) => a * b, 1);
  const d = (v.buffer as CpuBuffer).data as Float32Array;
  return new Uint32Array(d.buffer, d.byteOffset + v.offset * 4, n).slice();
}

/** Draws with the Wasm kernel (which must take the call) and returns the bits it wrote. */
function wasmDraw(kind: RandomKind, n: number, seed: number, offset: number, p?: number, storageOffset = 0): Uint32Array {
  const v = heapView(n, storageOffset);
  expect(wasmRandom(rt, kind, v, seed, offset, p)).toBe(true);
  const d = (v.buffer as CpuBuffer).data;
  for (let i = 0; i < storageOffset; i++) expect(d[i]).toBeNaN(); // nothing written before the view
  return bits(v);
}

function referenceBits(kind: RandomKind, n: number, seed: number, offset: number, p?: number): Uint32Array {
  const want = new Float32Array(n);
  philoxFill(kind, want, n, seed, offset, p);
  return new Uint32Array(want.buffer);
}

/** Asserts equal bit patterns, naming the first element that differs. */
function expectSameBits(got: Uint32Array, want: Uint32Array): void {
  expect(got.length).toBe(want.length);
  const i = got.findIndex((x, j) => x !== want[j]);
  if (i >= 0) expect.fail(`element ${i}: wasm bits ${got[i]!.toString(16)}, philoxFill ${want[i]!.toString(16)}`);
}

/** The next float64 above (+1) or below (-1) a positive p. */
function nextFloat(p: number, dir: 1 | -1): number {
  const f = new Float64Array([p]);
  const u = new BigUint64Array(f.buffer);
  u[0] = u[0]! + BigInt(dir);
  return f[0]!;
}

const SIZES = [1, 3, 4, 5, 16, 17, 19, 1027];
// seeds with a high word (splitSeed's seedHi ≠ 0) and block offsets whose low word carries
// into the high one inside the draw
const STREAMS = [
  { seed: 0, offset: 0 },
  { seed: 123, offset: 7 },
  { seed: 2 ** 40 + 5, offset: 2 ** 32 - 3 },
  { seed: 2 ** 52 + 2 ** 33 + 1, offset: 5 * 2 ** 32 - 100 },
];

describe('wasm philox kernel matches philoxFill bit for bit', () => {
  it('seeds ≥ 2^32 really use the high key word', () => {
    expect(splitSeed(2 ** 40 + 5)[1]).not.toBe(0);
    expect(wasmDraw('uniform', 8, 2 ** 40 + 5, 0)).not.toEqual(wasmDraw('uniform', 8, 5, 0));
  });

  describe.each(STREAMS)('seed $seed, offset $offset', ({ seed, offset }) => {
    it.each(SIZES)('uniform, n = %i, storage offsets 0 and 3', (n) => {
      const want = referenceBits('uniform', n, seed, offset);
      expectSameBits(wasmDraw('uniform', n, seed, offset), want);
      expectSameBits(wasmDraw('uniform', n, seed, offset, undefined, 3), want);
    });

    it.each([0, 1, 0.5, 0.3, 1 / 3, undefined])('bernoulli p = %s, n = 1027 and 5', (p) => {
      for (const n of [1027, 5]) expectSameBits(wasmDraw('bernoulli', n, seed, offset, p, 1), referenceBits('bernoulli', n, seed, offset, p));
    });
  });

  it('the counter carries into its high word across a draw (offset 2^32 - 3)', () => {
    // blocks 2^32 - 3 … 2^32 + 4 straddle the carry; a kernel without it would repeat block 0…
    const got = wasmDraw('uniform', 32, 77, 2 ** 32 - 3);
    expectSameBits(got, referenceBits('uniform', 32, 77, 2 ** 32 - 3));
    expect(got.subarray(12, 16)).not.toEqual(wasmDraw('uniform', 4, 77, 0));
  });

  it('bernoulli at the edges of a 2^-24 step: u < p exactly as in float64', () => {
    // p equal to an element's own draw u = k·2^-24 (u < p false), and the floats just around it
    const lanes = new Uint32Array(4);
    philoxBlock(99, 0, 0, lanes);
    for (let l = 0; l < 4; l++) {
      const k = lanes[l]! >>> 8;
      if (k === 0) continue; // no float just below u = 0 in [0, 1]
      const u = k / 2 ** 24;
      const cases: [number, number][] = [
        [u, 0],
        [nextFloat(u, 1), 1],
        [nextFloat(u, -1), 0],
        [(k + 1) / 2 ** 24, 1],
      ];
      for (const [p, expected] of cases) {
        const got = new Float32Array(wasmDraw('bernoulli', 4, 99, 0, p).buffer);
        expect(got[l]).toBe(expected);
        expect(got).toEqual(new Float32Array(referenceBits('bernoulli', 4, 99, 0, p).buffer));
      }
    }
  });

  it('bernoulliThreshold is the smallest k with k·2^-24 >= p', () => {
    expect(bernoulliThreshold(0)).toBe(0);
    expect(bernoulliThreshold(1)).toBe(2 ** 24);
    expect(bernoulliThreshold(0.5)).toBe(2 ** 23);
    expect(bernoulliThreshold(5e-324)).toBe(1);
    expect(bernoulliThreshold(nextFloat(1, -1))).toBe(2 ** 24);
    for (const p of [0.3, 1 / 3, 1e-9, 0.999999, nextFloat(0.25, 1), nextFloat(0.25, -1)]) {
      const t = bernoulliThreshold(p);
      expect(t / 2 ** 24 >= p && (t - 1) / 2 ** 24 < p).toBe(true);
    }
  });
});

describe('wasm philox kernel on threads', () => {
  it.each(['uniform', 'bernoulli'] as const)('%s: a large draw split across 1 and 2 threads matches philoxFill', (kind) => {
    const n = (1 << 18) + 5;
    const want = referenceBits(kind, n, 2 ** 35 + 11, 2 ** 32 - 1000, 0.3);
    for (const t of [1, 2]) {
      setNumThreads(t);
      if (t > 1) rt.waitForThreads();
      const before = rt.threadStats().tasks;
      expectSameBits(wasmDraw(kind, n, 2 ** 35 + 11, 2 ** 32 - 1000, 0.3, 1), want);
      // with two usable threads the blocks are cut into two tasks
      if (t > 1 && rt.parallelism > 1) expect(rt.threadStats().tasks - before).toBe(2);
    }
    setNumThreads(threads);
  });
});

describe('wasm random dispatch', () => {
  it('leaves normal draws, float64, strided views and buffers outside the heap to TypeScript', () => {
    const v = heapView(6);
    expect(wasmRandom(rt, 'normal', v, 1, 0)).toBe(false);
    const f64 = be.alloc('float64', 6);
    allocated.push(f64 as CpuBuffer);
    expect(wasmRandom(rt, 'uniform', { buffer: f64, dtype: 'float64', shape: [6], strides: [1], offset: 0 }, 1, 0)).toBe(false);
    expect(wasmRandom(rt, 'uniform', { ...v, shape: [3, 2], strides: [1, 3] }, 1, 0)).toBe(false);
    const outside = be.wrap(new Float32Array(6));
    expect(wasmRandom(rt, 'uniform', { ...v, buffer: outside }, 1, 0)).toBe(false);
  });

  it('checks its arguments like the TypeScript kernel', () => {
    const v = heapView(4);
    expect(() => wasmRandom(rt, 'bernoulli', v, 1, 0, 1.5)).toThrow(RangeError);
    expect(() => wasmRandom(rt, 'bernoulli', v, 1, 0, NaN)).toThrow(RangeError);
    const ints = be.alloc('int32', 4);
    allocated.push(ints as CpuBuffer);
    expect(() => wasmRandom(rt, 'uniform', { ...v, buffer: ints, dtype: 'int32' }, 1, 0)).toThrow(TypeError);
  });

  it('CpuBackend.random draws float32 uniform and bernoulli through it, the same stream as philoxFill', () => {
    for (const kind of ['uniform', 'bernoulli'] as const) {
      const buffer = be.alloc('float32', 20) as CpuBuffer;
      allocated.push(buffer);
      const v: TensorView = { buffer, dtype: 'float32', shape: [3, 5], strides: [5, 1], offset: 5 };
      be.random(kind, v, 42, 9, 0.25);
      expectSameBits(bits(v), referenceBits(kind, 15, 42, 9, 0.25));
    }
  });
});
