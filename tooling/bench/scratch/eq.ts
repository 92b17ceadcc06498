import { CpuBackend } from '@torchlet/backend-cpu';
import * as nn from '@torchlet/nn';
import { randn, sum, type Tensor } from '@torchlet/tensor';
import { getBackend } from '@torchlet/backend';
const be = getBackend('cpu') as unknown as CpuBackend;
be.waitForThreads();
const saved = { f: (be.fused as any).recurrentForward, b: (be.fused as any).recurrentBackward };
let calls = 0;
(be.fused as any).recurrentForward = (...a: any[]) => { const r = saved.f(...a); if (r) calls++; return r; };
for (const [kind, H, B, T, bidir] of [['gru', 256, 32, 64, false], ['lstm', 256, 32, 64, false], ['gru', 24, 5, 7, true], ['lstm', 16, 3, 9, true]] as const) {
  const m = kind === 'gru' ? new nn.GRU(20, H, { bidirectional: bidir, numLayers: 2 }) : new nn.LSTM(20, H, { bidirectional: bidir, numLayers: 2 });
  const x = randn([T, B, 20]).requiresGrad_();
  const run = (): Float32Array[] => {
    const [out, h] = (m as any).call(x) as [Tensor, Tensor | Tensor[]];
    const l = sum(out.mul(out));
    l.backward();
    const res = [out, ...(Array.isArray(h) ? h : [h]), x.grad!, ...m.parameters().map((p) => p.grad!)].map((t) => Float32Array.from(t.dataSync() as Float32Array));
    x.grad = null; for (const p of m.parameters()) p.grad = null;
    return res;
  };
  calls = 0;
  const a = run();
  const used = calls;
  (be.fused as any).recurrentForward = undefined; (be.fused as any).recurrentBackward = undefined;
  const b = run();
  (be.fused as any).recurrentForward = (...q: any[]) => { const r = saved.f(...q); if (r) calls++; return r; }; (be.fused as any).recurrentBackward = saved.b;
  let worst = 0;
  a.forEach((arr, i) => arr.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - b[i]![j]!) / (1e-3 + Math.abs(b[i]![j]!))); }));
  console.log(kind, H, 'whole-layer calls', used, 'max rel diff', worst.toExponential(2));
}
