/**
 * The CPU backend's two kernel sets side by side, at the backend level (no tensor
 * overhead): the Wasm SIMD kernels on 1 and 2 threads against the TypeScript kernels, for
 * W1 (matmul 1024², GFLOP/s) and W4 (tanh(x)·sigmoid(x) + x over 1e7 floats, Melem/s).
 * The "baseline" column is the TypeScript kernels.
 */
import { contiguousStrides, type TensorView } from '@torchlet/backend';
import { CpuBackend, getNumThreads, setNumThreads, type CpuBuffer } from '@torchlet/backend-cpu';
import { caseResult, maxAbsDiff, measure, measurement, type CaseResult, type Stats } from '../harness.js';
import type { Workload, WorkloadContext } from './workload.js';

const N = 1024;
const ELEMS = 10_000_000;
const THREADS = [1, 2];

function filled(be: CpuBackend, shape: number[], seed: number): TensorView {
  const n = shape.reduce((a, b) => a * b, 1);
  const buffer = be.alloc('float32', n);
  const d = buffer.data;
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = (s / 2 ** 32) * 4 - 2;
  }
  return { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
}

function empty(be: CpuBackend, shape: number[]): TensorView {
  const n = shape.reduce((a, b) => a * b, 1);
  return { buffer: be.alloc('float32', n), dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
}

/** W4 as four primitive calls with two temporaries, freed each time (what eager ops do). */
function w4(be: CpuBackend, x: TensorView, out: TensorView): void {
  const t = empty(be, x.shape as number[]);
  const s = empty(be, x.shape as number[]);
  be.unary('tanh', x, t);
  be.unary('sigmoid', x, s);
  be.binary('mul', t, s, t);
  be.binary('add', t, x, out);
  be.free(t.buffer);
  be.free(s.buffer);
}

const data = (v: TensorView): Float32Array => (v.buffer as CpuBuffer).data as Float32Array;

export const cpuKernelsWorkload: Workload = {
  name: 'cpu-kernels',
  title: 'cpu kernels: Wasm SIMD (1 and 2 threads) vs the TypeScript kernels (baseline), backend level',
  async run(ctx: WorkloadContext): Promise<CaseResult[]> {
    if (ctx.device !== 'cpu') return [];
    const js = new CpuBackend({ kernels: 'js' });
    let wasm: CpuBackend;
    try {
      wasm = new CpuBackend({ kernels: 'wasm' });
    } catch (e) {
      ctx.log(`cpu-kernels: skipped (${(e as Error).message})`);
      return [];
    }
    const saved = getNumThreads();
    const results: CaseResult[] = [];
    const views: [CpuBackend, TensorView][] = [];
    const keep = (be: CpuBackend, v: TensorView) => (views.push([be, v]), v);
    try {
      // W1
      ctx.log(`cpu-kernels: matmul ${N}² (TypeScript kernels) …`);
      const [ja, jb, jc] = [keep(js, filled(js, [N, N], 1)), keep(js, filled(js, [N, N], 2)), keep(js, empty(js, [N, N]))];
      const [wa, wb, wc] = [keep(wasm, filled(wasm, [N, N], 1)), keep(wasm, filled(wasm, [N, N], 2)), keep(wasm, empty(wasm, [N, N]))];
      const jsMatmul = await measure(() => js.matmul(ja, jb, jc), { ...ctx.timing, warmup: 1 });
      // W4
      ctx.log(`cpu-kernels: tanh(x)*sigmoid(x)+x on ${ELEMS} (TypeScript kernels) …`);
      const [jx, jy] = [keep(js, filled(js, [ELEMS], 3)), keep(js, empty(js, [ELEMS]))];
      const [wx, wy] = [keep(wasm, filled(wasm, [ELEMS], 3)), keep(wasm, empty(wasm, [ELEMS]))];
      const jsW4 = await measure(() => w4(js, jx, jy), ctx.timing);
      for (const threads of THREADS) {
        setNumThreads(threads);
        wasm.waitForThreads();
        ctx.log(`cpu-kernels: wasm, ${threads} thread(s) …`);
        const mm: Stats = await measure(() => wasm.matmul(wa, wb, wc), ctx.timing);
        results.push(
          caseResult({
            workload: 'cpu-kernels',
            case: `W1 matmul N=${N} threads=${threads}`,
            params: { n: N, threads, dtype: 'float32' },
            unit: 'GFLOP/s',
            torchlet: measurement(`wasm simd ×${threads}`, mm, 2 * N ** 3, 1e9),
            baseline: measurement('ts kernels', jsMatmul, 2 * N ** 3, 1e9),
            maxAbsDiff: maxAbsDiff(data(wc), data(jc)),
          }),
        );
        const ew: Stats = await measure(() => w4(wasm, wx, wy), ctx.timing);
        results.push(
          caseResult({
            workload: 'cpu-kernels',
            case: `W4 tanh*sigmoid+x n=1e7 threads=${threads}`,
            params: { n: ELEMS, threads, dtype: 'float32' },
            unit: 'Melem/s',
            torchlet: measurement(`wasm simd ×${threads}`, ew, ELEMS, 1e6),
            baseline: measurement('ts kernels', jsW4, ELEMS, 1e6),
            maxAbsDiff: maxAbsDiff(data(wy), data(jy)),
          }),
        );
      }
    } finally {
      setNumThreads(saved);
      for (const [be, v] of views) be.free(v.buffer);
    }
    return results;
  },
};
