import { contiguousStrides, type TensorView } from '@torchlet/backend';
import { describe, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { setNumThreads, wasmRuntime } from './runtime.js';

/** js vs wasm timings (medians), printed, not asserted. Run with TORCHLET_PERF=1. */
const backends = { js: new CpuBackend({ kernels: 'js' }), wasm: new CpuBackend({ kernels: 'wasm' }) };

function view(be: CpuBackend, shape: number[], fill = true): TensorView {
  const n = shape.reduce((a, b) => a * b, 1);
  const buffer = be.alloc('float32', n);
  if (fill) {
    const d = buffer.data;
    for (let i = 0; i < n; i++) d[i] = Math.sin(i * 0.37) * 2;
  }
  return { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(reps: number, f: () => void): number {
  f();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

describe.skipIf(!process.env.TORCHLET_PERF)('wasm kernels throughput', () => {
  it('W1 matmul 1024² and W4 tanh(x)*sigmoid(x)+x on 1e7', () => {
    const threadsList = (process.env.TORCHLET_PERF_THREADS ?? '1,2').split(',').map(Number);
    const n = Number(process.env.TORCHLET_PERF_N ?? 1024);
    const lines: string[] = [];
    for (const threads of threadsList) {
      setNumThreads(threads);
      wasmRuntime()!.waitForThreads();
      for (const [name, be] of Object.entries(backends)) {
        if (name === 'js' && threads > 1) continue;
        const a = view(be, [n, n]);
        const b = view(be, [n, n]);
        const c = view(be, [n, n], false);
        const ms = time(name === 'js' ? 2 : 5, () => be.matmul(a, b, c));
        lines.push(`W1 matmul ${n}² ${name} threads=${threads}: ${ms.toFixed(1)} ms, ${((2 * n ** 3) / ms / 1e6).toFixed(2)} GFLOP/s`);
        const m = 1e7;
        const x = view(be, [m]);
        const w4 = time(5, () => {
          const t = view(be, [m], false);
          const s = view(be, [m], false);
          be.unary('tanh', x, t);
          be.unary('sigmoid', x, s);
          be.binary('mul', t, s, t);
          be.binary('add', t, x, s);
          be.free(t.buffer);
          be.free(s.buffer);
        });
        lines.push(`W4 tanh*sigmoid+x 1e7 ${name} threads=${threads}: ${w4.toFixed(1)} ms`);
        for (const v of [a, b, c, x]) be.free(v.buffer);
      }
    }
    console.log(lines.join('\n'));
  }, 600_000);
});
