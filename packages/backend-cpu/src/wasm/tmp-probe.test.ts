import { contiguousStrides, type TensorView } from '@torchlet/backend';
import { it } from 'vitest';
import v8 from 'node:v8';
if (process.env.NOLIFTOFF) v8.setFlagsFromString('--no-liftoff');
const { CpuBackend } = await import('../cpu-backend.js');
const { setNumThreads } = await import('./runtime.js');
const be = new CpuBackend({ kernels: 'wasm' });
function view(shape: number[]): TensorView {
  const n = shape.reduce((a, b) => a * b, 1);
  const buffer = be.alloc('float32', n);
  const d = buffer.data; for (let i = 0; i < n; i++) d[i] = Math.sin(i * 0.37) * 2;
  return { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
}
function cpu() { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }
it('probe', () => {
  setNumThreads(1);
  const m = 1e7; const x = view([m]); const o = view([m]);
  for (const op of ['neg', 'exp', 'tanh', 'sigmoid'] as const) {
    const ts = [];
    for (let r = 0; r < 6; r++) { const t0 = cpu(); be.unary(op, x, o); ts.push(cpu() - t0); }
    console.log(op, ts.map((t) => t.toFixed(1)).join(' '));
  }
  const ts = [];
  for (let r = 0; r < 6; r++) { const t0 = cpu(); be.binary('add', x, o, o); ts.push(cpu() - t0); }
  console.log('add', ts.map((t) => t.toFixed(1)).join(' '));
  const ts2 = [];
  for (let r = 0; r < 6; r++) { const t0 = cpu(); const b = be.alloc('float32', m); be.free(b); ts2.push(cpu() - t0); }
  console.log('alloc', ts2.map((t) => t.toFixed(1)).join(' '));
});
