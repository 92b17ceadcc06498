import { noGrad } from '@torchlet/autograd';
import * as nn from '@torchlet/nn';
import { randn, sum, matmul, t as tr } from '@torchlet/tensor';
import { getNumThreads as gnt } from '@torchlet/backend-cpu';
const m = new nn.GRU(128, 256);
const x = randn([64, 32, 128]);
console.log('threads', gnt());
for (let i = 0; i < 5; i++) {
  let t0 = performance.now();
  const [o, h] = noGrad(() => m.call(x));
  const t1 = performance.now();
  o.dispose(); h.dispose();
  const [o2, h2] = m.call(x);
  const t2 = performance.now();
  const l = sum(o2); l.backward();
  const t3 = performance.now();
  l.dispose(); o2.dispose(); h2.dispose();
  for (const p of m.parameters()) { p.grad?.dispose(); p.grad = null; }
  console.log(`fwd nograd ${(t1 - t0).toFixed(1)} fwd ${(t2 - t1).toFixed(1)} bwd ${(t3 - t2).toFixed(1)}`);
}
// matmul micro: 32x256 @ 256x768
const h = randn([32, 256]); const w = randn([768, 256]);
for (let r = 0; r < 3; r++) {
  let t0 = performance.now();
  for (let i = 0; i < 64; i++) matmul(h, tr(w)).dispose();
  console.log('64 step matmuls', (performance.now() - t0).toFixed(1));
}
