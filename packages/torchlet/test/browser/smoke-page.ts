/**
 * The browser smoke test's page script (bundled by esbuild in browser.test.ts): WebGPU from
 * `navigator.gpu`, tensors, a matmul, a few training steps of a tiny MLP on WebGPU and on the
 * CPU from the same initial state, and the read-backs. `window.runSmoke()` returns the results.
 */
import { initWebGPU } from '@torchlet/backend-webgpu';
import * as torch from '../../src/index.js';

interface SmokeResult {
  hasNavigatorGpu: boolean;
  adapter: { vendor: string; architecture: string; device: string; description: string };
  device: string;
  matmul: number[];
  lossesWebgpu: number[];
  lossesCpu: number[];
  readsDuringSteps: number;
  liveBuffersAfter: number;
  liveBuffersBefore: number;
}

async function runSmoke(): Promise<SmokeResult> {
  const hasNavigatorGpu = typeof navigator !== 'undefined' && 'gpu' in navigator;
  const backend = await initWebGPU();
  const info = backend.device.adapterInfo;
  const liveBuffersBefore = backend.memoryStats().liveBuffers;

  const a = torch.tensor([[1, 2, 3], [4, 5, 6]], { device: 'webgpu' });
  const b = torch.tensor([[1, 0], [0, 1], [1, 1]], { device: 'webgpu' });
  const c = torch.matmul(a, b);
  const matmul = Array.from(await c.data());
  const device = c.device;
  for (const t of [a, b, c]) t.dispose();

  // A tiny MLP: 8 Adam steps on each device from the same initial state dict.
  const make = (): torch.nn.Sequential => new torch.nn.Sequential(new torch.nn.Linear(4, 8), new torch.nn.Tanh(), new torch.nn.Linear(8, 3));
  const cpuModel = make();
  const gpuModel = make().to('webgpu');
  gpuModel.loadStateDict(cpuModel.stateDict());
  const xs = Float32Array.from({ length: 16 * 4 }, (_, i) => Math.sin(i * 0.7));
  const ys = Int32Array.from({ length: 16 }, (_, i) => i % 3);
  let readsDuringSteps = 0;
  const losses: Record<'cpu' | 'webgpu', number[]> = { cpu: [], webgpu: [] };
  for (const [dev, model] of [['cpu', cpuModel], ['webgpu', gpuModel]] as const) {
    const x = torch.tensor(xs, { shape: [16, 4], device: dev });
    const y = torch.tensor(ys, { device: dev });
    const opt = new torch.optim.Adam(model.parameters(), { lr: 0.05 });
    for (let step = 0; step < 8; step++) {
      const reads = backend.stats().reads;
      opt.zeroGrad();
      const loss = torch.tidy(() => torch.nn.functional.crossEntropy(model.call(x) as torch.Tensor, y));
      loss.backward();
      opt.step();
      if (dev === 'webgpu') readsDuringSteps += backend.stats().reads - reads;
      losses[dev].push((await loss.data())[0]!);
      loss.dispose();
    }
    opt.zeroGrad();
    opt.dispose();
    x.dispose();
    y.dispose();
    model.dispose();
  }
  await backend.sync();
  return {
    hasNavigatorGpu,
    adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
    device,
    matmul,
    lossesWebgpu: losses.webgpu,
    lossesCpu: losses.cpu,
    readsDuringSteps,
    liveBuffersBefore,
    liveBuffersAfter: backend.memoryStats().liveBuffers,
  };
}

(globalThis as { runSmoke?: typeof runSmoke }).runSmoke = runSmoke;
