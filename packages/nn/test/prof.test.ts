import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { Adam } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import { it } from 'vitest';
import * as nn from '../src/index.js';
const env = await openTestDevices();
const gpu = env.webgpu!;
const acc: Record<string, number> = {};
function wrap(obj: any, name: string, label = name) {
  const f = obj[name].bind(obj);
  obj[name] = (...a: any[]) => { const t = performance.now(); try { return f(...a); } finally { acc[label] = (acc[label] ?? 0) + performance.now() - t; } };
}
wrap(gpu.device, 'createBindGroup');
wrap(gpu.device, 'createBuffer');
wrap(gpu.device, 'createCommandEncoder');
wrap(gpu.device.queue, 'writeBuffer');
wrap(gpu.runtime, 'dispatch', 'runtime.dispatch(total)');
wrap(gpu.runtime, 'write', 'runtime.write(total)');
it('prof', async () => {
  const m = new nn.Sequential(new nn.Linear(8, 16), new nn.Tanh(), new nn.Linear(16, 4)).to('webgpu');
  const x = torch.randn([32, 8]).to('webgpu');
  const y = torch.tensor(new Int32Array(32), { device: 'webgpu' });
  const opt = new Adam(m.parameters(), { lr: 0.01 });
  let tEnq = 0, tRead = 0;
  for (let s = 0; s < 50; s++) {
    const t0 = performance.now();
    opt.zeroGrad();
    const loss = torch.tidy(() => nn.functional.crossEntropy(m.call(x) as torch.Tensor, y));
    loss.backward();
    opt.step();
    const t1 = performance.now();
    await loss.data();
    const t2 = performance.now();
    tEnq += t1 - t0; tRead += t2 - t1;
    loss.dispose();
  }
  for (const k in acc) acc[k] /= 50;
  console.log('enqueue ms/step', tEnq / 50, 'read ms/step', tRead / 50, JSON.stringify(acc));
});
