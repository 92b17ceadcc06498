import { CpuBackend, setNumThreads } from '@torchlet/backend-cpu';
import * as nn from '@torchlet/nn';
import { randn, sum, type Tensor } from '@torchlet/tensor';
import { getBackend } from '@torchlet/backend';
const be = getBackend('cpu') as any;
if (process.env.TH) setNumThreads(+process.env.TH);
be.waitForThreads();
const T: Record<string, number> = {};
const wrap = (obj: any, k: string, label: string) => { const f = obj[k].bind(obj); obj[k] = (...a: any[]) => { const t0 = performance.now(); const r = f(...a); T[label] = (T[label] ?? 0) + performance.now() - t0; return r; }; };
for (const k of ['matmul', 'unary', 'binary', 'reduce', 'assign', 'fill', 'cast']) wrap(be, k, k);
for (const k of Object.keys(be.fused)) wrap(be.fused, k, 'fused.' + k);
const which = process.argv[2] ?? 'gru';
const model = which === 'gru' ? new nn.GRU(128, 256) : new nn.LSTM(128, 256);
const x = randn([64, 32, 128]);
function step() {
  const [out, h] = (model as any).call(x);
  if (Array.isArray(h)) for (const s of h) s.dispose(); else h.dispose();
  const loss = sum(out); loss.backward(); loss.dispose(); out.dispose();
  for (const q of model.parameters()) { q.grad?.dispose(); q.grad = null; }
}
for (let i = 0; i < 3; i++) step();
for (const k in T) T[k] = 0;
const N = 10; const ts: number[] = [];
for (let i = 0; i < N; i++) { const t0 = performance.now(); step(); ts.push(performance.now() - t0); }
ts.sort((a, b) => a - b);
console.log(which, 'median', ts[N >> 1]!.toFixed(1), 'min', ts[0]!.toFixed(1), 'mean', (ts.reduce((a, b) => a + b) / N).toFixed(1));
for (const [k, v] of Object.entries(T).sort((a, b) => b[1] - a[1])) if (v / N > 0.05) console.log('  ', k.padEnd(28), (v / N).toFixed(2));
