import { getNumThreads, CpuBackend } from '@torchlet/backend-cpu';
import * as nn from '@torchlet/nn';
import { randn, sum, type Tensor } from '@torchlet/tensor';
import { noGrad } from '@torchlet/autograd';
import { getBackend } from '@torchlet/backend';

const [B, T, I, H] = [32, 64, 128, 256];
const which = process.argv[2] ?? 'gru';
const be = getBackend('cpu') as unknown as CpuBackend;
import { setNumThreads } from '@torchlet/backend-cpu';
if (process.env.TH) setNumThreads(+process.env.TH);
be.waitForThreads();
// instrument matmul
const origMm = be.matmul.bind(be);
let mmTime = 0, mmCalls = 0;
const prof = process.env.PROF === '1';
if (prof) {
  (be as any).matmul = (a: any, b: any, o: any) => { const t0 = performance.now(); origMm(a, b, o); mmTime += performance.now() - t0; mmCalls++; };
  for (const k of Object.keys(be.fused)) {
    const f = (be.fused as any)[k];
    (be.fused as any)[k] = (...args: any[]) => { const t0 = performance.now(); f(...args); fusedT[k] = (fusedT[k] ?? 0) + performance.now() - t0; };
  }
}
const fusedT: Record<string, number> = {};
const model = which === 'gru' ? new nn.GRU(I, H) : new nn.LSTM(I, H);
const x = randn([T, B, I]);
function fwd(): Tensor {
  const [out, h] = (model as any).call(x);
  if (Array.isArray(h)) for (const s of h) s.dispose(); else h.dispose();
  return out;
}
function step() {
  const out = fwd();
  const loss = sum(out);
  loss.backward();
  loss.dispose(); out.dispose();
  for (const q of model.parameters()) { q.grad?.dispose(); q.grad = null; }
}
for (let i = 0; i < 3; i++) step();
const N = 10;
let ts: number[] = [];
for (let i = 0; i < N; i++) { const t0 = performance.now(); noGrad(() => fwd()).dispose(); ts.push(performance.now() - t0); }
ts.sort((a, b) => a - b);
console.log(which, 'threads', getNumThreads(), 'fwd median', ts[N >> 1]!.toFixed(1));
mmTime = 0; mmCalls = 0; for (const k in fusedT) fusedT[k] = 0;
ts = [];
for (let i = 0; i < N; i++) { const t0 = performance.now(); step(); ts.push(performance.now() - t0); }
const tot = ts.reduce((a, b) => a + b, 0);
ts.sort((a, b) => a - b);
console.log(which, 'fwd+bwd median', ts[N >> 1]!.toFixed(1));
if (prof) { console.log('per step: mm', (mmTime / N).toFixed(1), 'calls', mmCalls / N, 'total', (tot / N).toFixed(1)); for (const k in fusedT) console.log(k, (fusedT[k]! / N).toFixed(1)); }
