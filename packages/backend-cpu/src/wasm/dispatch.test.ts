import v8 from 'node:v8';
import { contiguousStrides, type BinaryOp, type ReduceOp, type TensorView, type UnaryOp } from '@torchlet/backend';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBuffer } from '../buffer.js';
import * as ts from '../kernels/elementwise.js';
import * as tsFused from '../kernels/fused.js';
import { matmul as tsMatmul } from '../kernels/matmul.js';
import { reduce as tsReduce } from '../kernels/reduce.js';
import { rng } from '../../test/helpers.js';
import * as wasm from './dispatch.js';
import { wasmFeatures } from './features.js';
import { BINARY_KERNELS, UNARY_KERNELS } from './kernel-module.js';
import { getNumThreads, setNumThreads, WasmRuntime, wasmRuntime } from './runtime.js';

const rt = wasmRuntime()!;
const allocated: CpuBuffer[] = [];

/** A float32 view over a fresh heap buffer big enough for `shape`/`strides`/`offset`, filled by `gen`. */
function hv(shape: number[], gen: () => number, strides = contiguousStrides(shape), offset = 0, runtime: WasmRuntime = rt): TensorView {
  let size = offset + 1;
  for (let d = 0; d < shape.length; d++) size += Math.max(0, shape[d]! - 1) * strides[d]!;
  if (shape.some((n) => n === 0)) size = offset;
  const ptr = runtime.heap.alloc(Math.max(4, size * 4));
  const buffer = new CpuBuffer('float32', size, runtime.view('float32', ptr, size), runtime, ptr);
  allocated.push(buffer);
  const d = buffer.data;
  for (let i = 0; i < size; i++) d[i] = gen();
  return { buffer, dtype: 'float32', shape, strides, offset };
}

function out(shape: number[], runtime: WasmRuntime = rt): TensorView {
  return hv(shape, () => NaN, contiguousStrides(shape), 0, runtime);
}

/** Row-major logical values of a view. */
function vals(v: TensorView): number[] {
  const n = v.shape.reduce((a, b) => a * b, 1);
  const res: number[] = [];
  const d = (v.buffer as CpuBuffer).data;
  for (let i = 0; i < n; i++) {
    let r = i;
    let p = v.offset;
    for (let k = v.shape.length - 1; k >= 0; k--) {
      p += (r % v.shape[k]!) * v.strides[k]!;
      r = Math.floor(r / v.shape[k]!);
    }
    res.push(d[p]!);
  }
  return res;
}

afterAll(() => {
  for (const b of allocated) if (b.runtime === rt) rt.heap.free(b.ptr);
  setNumThreads(getNumThreads());
});

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 88.7, -87.5, 100, -100];
const SIZES = [0, 1, 3, 4, 5, 7, 8, 17, 33];

function uniform(seed: number, lo = -3, hi = 3): () => number {
  const g = rng(seed);
  return () => lo + (hi - lo) * g();
}

/** Values with special cases mixed in. */
function mixed(seed: number): () => number {
  const g = rng(seed);
  let i = 0;
  return () => (i++ % 5 === 0 ? SPECIALS[Math.floor(g() * SPECIALS.length)]! : -4 + 8 * g());
}

const EXACT_UNARY = new Set(['neg', 'abs', 'sqrt', 'relu', 'square', 'reciprocal', 'floor', 'ceil', 'trunc', 'round']);

function ulpDiff(got: number, want: number): number {
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity;
  if (got === want) return 0;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return Infinity;
  const f = Math.fround(want);
  const exp = Math.max(-126, Math.floor(Math.log2(Math.abs(f) || 2 ** -149)));
  return Math.abs(got - want) / 2 ** (exp - 23);
}

/** ulp distance, with results in the denormal range compared absolutely (their precision is gone). */
function ulpOrTiny(got: number, want: number): number {
  if (Math.abs(want) < 2 ** -126 && Math.abs(got) < 2 ** -126) return Math.abs(got - want) <= 1e-40 ? 0 : Infinity;
  return ulpDiff(got, want);
}

function expectSameAsTs(got: number[], want: number[], op: string, maxUlp: number): void {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = maxUlp === 0 ? (Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])) ? 0 : Infinity) : ulpOrTiny(got[i]!, want[i]!);
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `${op}: element ${at} got ${got[at]} want ${want[at]}`).toBeLessThanOrEqual(maxUlp);
}

describe('wasm unary kernels match the TypeScript kernels', () => {
  for (const op of UNARY_KERNELS) {
    it(`${op} on edge sizes, strided rows and special values`, () => {
      const cases: [number[], number[] | undefined, number][] = [
        ...SIZES.map((n) => [[n], undefined, 0] as [number[], undefined, number]),
        [[], undefined, 0],
        [[3, 5], [8, 1], 2],
        [[2, 3, 6], [40, 12, 1], 1],
        [[4, 9], undefined, 0],
      ];
      for (const [i, [shape, strides, offset]] of cases.entries()) {
        const x = hv(shape, mixed(i), strides, offset);
        const a = out(shape);
        const b = out(shape);
        expect(wasm.unary(rt, op as UnaryOp, x, a)).toBe(true);
        ts.unary(op as UnaryOp, x, b);
        // TypeScript rounds the float64 result once; the Wasm ones are float32 throughout.
        expectSameAsTs(vals(a), vals(b), `${op} [${shape}]`, EXACT_UNARY.has(op) ? 0 : 3);
      }
    });
  }
});

describe('wasm math is accurate against Math.* in float64', () => {
  const sweep = (lo: number, hi: number, n: number, log = false) => {
    const xs: number[] = [];
    for (let i = 0; i <= n; i++) {
      const t = i / n;
      xs.push(Math.fround(log ? Math.exp(Math.log(lo) + t * (Math.log(hi) - Math.log(lo))) : lo + t * (hi - lo)));
    }
    return xs;
  };
  const refs: [UnaryOp, (x: number) => number, number[]][] = [
    ['exp', Math.exp, sweep(-87, 88.7, 40000)],
    ['log', Math.log, [...sweep(1e-44, 3e38, 40000, true), ...sweep(0.5, 2, 4000)]],
    ['tanh', Math.tanh, [...sweep(-10, 10, 40000), ...sweep(1e-30, 1, 4000, true)]],
    ['sigmoid', (x) => 1 / (1 + Math.exp(-x)), sweep(-100, 30, 40000)],
  ];
  for (const [op, ref, xs] of refs) {
    it(`${op} stays within 3 ulp (about 2e-7 relative)`, () => {
      const x = hv([xs.length], (() => {
        let i = 0;
        return () => xs[i++]!;
      })());
      const o = out([xs.length]);
      expect(wasm.unary(rt, op, x, o)).toBe(true);
      const got = vals(o);
      let worst = 0;
      for (let i = 0; i < xs.length; i++) {
        const want = ref(xs[i]!);
        // results in the denormal range are compared absolutely, at the smallest ulp
        const d = Math.abs(want) < 2 ** -126 ? Math.abs(got[i]! - want) / 2 ** -149 : ulpDiff(got[i]!, want);
        worst = Math.max(worst, d);
      }
      expect(worst).toBeLessThanOrEqual(3);
    });
  }
});

describe('wasm binary kernels match the TypeScript kernels', () => {
  const layouts: { name: string; shape: number[]; a: [number[], number]; b: [number[], number] }[] = [
    ...SIZES.map((n) => ({ name: `vv ${n}`, shape: [n], a: [[1], 0] as [number[], number], b: [[1], 0] as [number[], number] })),
    { name: 'row broadcast', shape: [5, 7], a: [[7, 1], 0], b: [[0, 1], 0] },
    { name: 'column broadcast (vs)', shape: [5, 7], a: [[7, 1], 0], b: [[1, 0], 0] },
    { name: 'column broadcast (sv)', shape: [6, 9], a: [[1, 0], 0], b: [[9, 1], 0] },
    { name: 'scalar', shape: [3, 11], a: [[11, 1], 0], b: [[0, 0], 0] },
    { name: 'middle broadcast', shape: [3, 4, 5], a: [[20, 5, 1], 0], b: [[5, 0, 1], 0] },
    { name: 'strided rows', shape: [4, 6], a: [[10, 1], 3], b: [[7, 1], 1] },
    { name: 'rank 0', shape: [], a: [[], 0], b: [[], 0] },
  ];
  for (const op of BINARY_KERNELS) {
    it(`${op} on every layout, bit for bit`, () => {
      for (const [i, l] of layouts.entries()) {
        const a = hv(l.shape, mixed(i), l.a[0], l.a[1]);
        const b = hv(l.shape, mixed(i + 100), l.b[0], l.b[1]);
        const o1 = out(l.shape);
        const o2 = out(l.shape);
        expect(wasm.binary(rt, op as BinaryOp, a, b, o1), l.name).toBe(true);
        ts.binary(op as BinaryOp, a, b, o2);
        expectSameAsTs(vals(o1), vals(o2), `${op} ${l.name}`, 0);
      }
    });
  }

  it('declines what it does not cover (strided inner dim, other dtypes, other ops)', () => {
    const a = hv([4, 4], uniform(1), [1, 4]);
    const b = hv([4, 4], uniform(2));
    expect(wasm.binary(rt, 'add', a, b, out([4, 4]))).toBe(false);
    expect(wasm.binary(rt, 'pow', b, b, out([4, 4]))).toBe(false);
    expect(wasm.unary(rt, 'erf', b, out([4, 4]))).toBe(false);
  });
});

describe('wasm reductions and softmax match the TypeScript kernels', () => {
  const cases: { shape: number[]; axes: number[] }[] = [
    { shape: [7], axes: [0] },
    { shape: [1], axes: [0] },
    { shape: [5, 33], axes: [1] },
    { shape: [33, 5], axes: [0] },
    { shape: [9, 6, 7], axes: [1] },
    { shape: [4, 3, 5], axes: [1, 2] },
    { shape: [4, 3, 5], axes: [0, 1] },
    { shape: [2, 1, 13], axes: [2] },
  ];
  for (const op of ['sum', 'max', 'min'] as ReduceOp[]) {
    it(`${op} over rows, columns and middle axes`, () => {
      for (const [i, c] of cases.entries()) {
        const x = hv(c.shape, i === 0 ? mixed(i) : uniform(i));
        const outShape = c.shape.map((n, d) => (c.axes.includes(d) ? 1 : n));
        const o1 = out(outShape);
        const o2 = out(outShape);
        expect(wasm.reduce(rt, op, x, c.axes, o1), `[${c.shape}] ${c.axes}`).toBe(true);
        tsReduce(op, x, c.axes, o2);
        expectSameAsTs(vals(o1), vals(o2), `${op} [${c.shape}] axes ${c.axes}`, op === 'sum' ? 1 : 0);
      }
    });
  }

  for (const log of [false, true]) {
    it(`${log ? 'logSoftmax' : 'softmax'} over the last axis`, () => {
      for (const [i, shape] of [[1], [5], [8], [3, 17], [2, 3, 9], [4, 1]].entries()) {
        const x = hv(shape, i === 0 ? uniform(i) : mixed(i));
        const o1 = out(shape);
        const o2 = out(shape);
        expect(wasm.softmax(rt, log, x, -1, o1)).toBe(true);
        (log ? tsFused.logSoftmax : tsFused.softmax)(x, -1, o2);
        const got = vals(o1);
        const want = vals(o2);
        for (let k = 0; k < want.length; k++) {
          const label = `[${shape}] element ${k}: got ${got[k]} want ${want[k]} (input ${vals(x)})`;
          if (Number.isNaN(want[k]) || !Number.isFinite(want[k]!)) expect(Object.is(got[k], want[k]), label).toBe(true);
          else expect(Math.abs(got[k]! - want[k]!), label).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want[k]!)));
        }
      }
    });
  }
});

function checkMatmul(runtime: WasmRuntime, M: number, K: number, N: number, opts: { batch?: number[]; transA?: boolean; transB?: boolean; bcastB?: boolean } = {}): void {
  const batch = opts.batch ?? [];
  const bs = batch.reduce((a, b) => a * b, 1);
  const g = uniform(M * 31 + K * 7 + N);
  const aStrides = opts.transA ? [...contiguousStrides(batch).map((s) => s * M * K), 1, M] : contiguousStrides([...batch, M, K]);
  const bInner = opts.transB ? [1, K] : [N, 1];
  const bStrides = [...contiguousStrides(batch).map((s) => (opts.bcastB ? 0 : s * K * N)), ...bInner];
  const a = hv([...batch, M, K], g, aStrides, 0, runtime);
  const b = hv([...batch, K, N], g, bStrides, 0, runtime);
  const o1 = out([...batch, M, N], runtime);
  const o2 = out([...batch, M, N], runtime);
  expect(wasm.matmul(runtime, a, b, o1)).toBe(true);
  tsMatmul(a, b, o2);
  const got = vals(o1);
  const want = vals(o2);
  const tol = 4e-7 * Math.max(1, K) * 9;
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > tol) {
      throw new Error(`matmul ${bs}×${M}×${K}×${N} ${JSON.stringify(opts)}: element ${i} got ${got[i]} want ${want[i]}`);
    }
  }
}

describe('wasm matmul matches the TypeScript kernel', () => {
  it('on edge sizes (0, 1, not multiples of the 4×8 tile, across the K and M blocks)', () => {
    for (const [M, K, N] of [[0, 3, 4], [3, 0, 4], [3, 4, 0], [1, 1, 1], [1, 7, 1], [5, 3, 9], [4, 8, 8], [13, 17, 23], [70, 300, 17], [3, 513, 40], [65, 2, 129]]) {
      checkMatmul(rt, M!, K!, N!);
    }
  });

  it('for one to three rows (matrix-vector products, both B layouts, strided A)', () => {
    for (const [M, K, N] of [[1, 1, 1], [1, 300, 37], [2, 9, 50], [3, 17, 5], [1, 8, 16], [3, 33, 70]]) {
      checkMatmul(rt, M!, K!, N!);
      checkMatmul(rt, M!, K!, N!, { transB: true });
      checkMatmul(rt, M!, K!, N!, { transA: true, transB: true });
      checkMatmul(rt, M!, K!, N!, { batch: [3], transB: true });
      checkMatmul(rt, M!, K!, N!, { batch: [2], bcastB: true });
    }
  });

  it('with transposed operands, batches and a broadcast B', () => {
    checkMatmul(rt, 9, 11, 13, { transA: true });
    checkMatmul(rt, 9, 11, 13, { transB: true });
    checkMatmul(rt, 70, 301, 43, { transB: true });
    checkMatmul(rt, 20, 30, 10, { transA: true, transB: true });
    checkMatmul(rt, 6, 5, 10, { batch: [3] });
    checkMatmul(rt, 6, 5, 10, { batch: [2, 3], transB: true });
    checkMatmul(rt, 7, 9, 12, { batch: [4], bcastB: true });
  });

  it('uses relaxed-SIMD fused multiply-add where the engine has it', () => {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    const relaxed = wasmFeatures().relaxedSimd || (() => {
      try {
        return new WasmRuntime({ ...wasmFeatures(), relaxedSimd: true }, 1);
      } catch {
        return null;
      }
    })();
    if (relaxed === null) return; // this engine cannot enable it
    const rtRelaxed = relaxed === true ? rt : relaxed;
    checkMatmul(rtRelaxed, 37, 300, 45);
    checkMatmul(rtRelaxed, 6, 5, 10, { batch: [2], transA: true });
  });
});

describe('wasm kernels on worker threads', () => {
  it('give the same results with 1 and 2 threads (matmul, elementwise, reductions, softmax)', () => {
    const run = () => {
      const a = hv([300, 257], uniform(1));
      const b = hv([257, 190], uniform(2));
      const mm = out([300, 190]);
      wasm.matmul(rt, a, b, mm);
      const v = hv([2, 1000], uniform(6));
      const w = hv([1000, 700], uniform(7), [1, 1000]);
      const mv = out([2, 700]);
      wasm.matmul(rt, v, w, mv);
      const big = hv([1 << 18], uniform(3));
      const t = out([1 << 18]);
      wasm.unary(rt, 'tanh', big, t);
      const s = out([1 << 18]);
      wasm.binary(rt, 'mul', big, t, s);
      const rows = hv([512, 300], uniform(4));
      const bias = hv([300], uniform(5), [1]);
      const sum = out([512, 300]);
      wasm.binary(rt, 'add', rows, { ...bias, shape: [512, 300], strides: [0, 1] }, sum);
      const colSum = out([1, 300]);
      wasm.reduce(rt, 'sum', rows, [0], colSum);
      const rowMax = out([512, 1]);
      wasm.reduce(rt, 'max', rows, [1], rowMax);
      const sm = out([512, 300]);
      wasm.softmax(rt, false, rows, 1, sm);
      return [mm, mv, t, s, sum, colSum, rowMax, sm].map(vals);
    };
    setNumThreads(1);
    const single = run();
    setNumThreads(2);
    expect(rt.waitForThreads()).toBe(true);
    expect(rt.pool()!.readyCount).toBe(1);
    const multi = run();
    for (let k = 0; k < single.length; k++) expectSameAsTs(multi[k]!, single[k]!, `result ${k}`, 0);
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
  });

  it('reports a kernel that traps, on this thread or a worker, and keeps working afterwards', () => {
    setNumThreads(2);
    expect(rt.waitForThreads()).toBe(true);
    const x = hv([64], uniform(9));
    const o = out([64]);
    const px = (x.buffer as CpuBuffer).ptr;
    const po = (o.buffer as CpuBuffer).ptr;
    // an address past the end of the memory traps (out of bounds) in every task
    const bad = [0x7fff0000, 0x7fff0000, 1, 64, 0, 0];
    expect(() => rt.run('un_neg', [bad, bad, bad, bad], true)).toThrow();
    rt.run('un_neg', [[px, po, 1, 32, 0, 0], [px + 128, po + 128, 1, 32, 0, 0]], true);
    expect(vals(o)).toEqual(vals(x).map((v) => -v));
    setNumThreads(1);
  });

  it('rejects a bad thread count', () => {
    expect(() => setNumThreads(0)).toThrow(RangeError);
    expect(() => setNumThreads(1.5)).toThrow(RangeError);
  });
});
