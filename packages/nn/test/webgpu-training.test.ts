/**
 * Training on WebGPU against the same training on the CPU: a small MLP (Adam, cross-entropy)
 * and a GRU regressor (SGD with momentum, MSE) run 200 steps on each device from the same
 * initial state dict and data. Every step's loss agrees within a relative 1e-3; on WebGPU the
 * live-buffer count at step 200 equals step 10 with nothing reclaimed by the backstop, and a
 * training step makes no host round-trip (the backend's `reads` counter stays put) apart from
 * the one read of the loss the test asks for after the step. Also: the GRU forward pass makes
 * at most 3 compute dispatches per timestep (the input projection is one matmul outside the
 * loop; each step is one recurrent matmul and one fused gate kernel).
 *
 * Skipped (with the reason) when no WebGPU adapter exists, a failure with REQUIRE_WEBGPU=1.
 */
import { noGrad } from '@torchlet/autograd';
import { seededValues } from '@torchlet/backend/testing';
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { Adam, SGD, type Optimizer } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import type { DeviceName, Tensor } from '@torchlet/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';

const env = await openTestDevices();
afterAll(() => env.close());
const gpu = env.webgpu;

const STEPS = 200;

class MLP extends nn.Module {
  fc1 = new nn.Linear(8, 16);
  fc2 = new nn.Linear(16, 4);
  override forward(x: Tensor): Tensor {
    return torch.tidy(() => this.fc2.call(torch.tanh(this.fc1.call(x))));
  }
}

class GRURegressor extends nn.Module {
  gru = new nn.GRU(3, 8, { batchFirst: true });
  fc = new nn.Linear(8, 1);
  override forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [out, hN] = this.gru.call(x);
      hN.dispose();
      return this.fc.call(torch.select(out, 1, -1));
    });
  }
}

interface Run {
  losses: number[];
  /** WebGPU only: live buffers after steps 10 and 200, reads during steps, backstop reclaims. */
  live10?: number;
  live200?: number;
  readsDuringSteps?: number;
  reclaimed?: number;
}

interface Task {
  model: nn.Module;
  optimizer: Optimizer<any>;
  loss: () => Tensor;
  dispose: () => void;
}

/** `steps` training steps; on WebGPU also the memory and round-trip bookkeeping. */
async function train(device: DeviceName, task: Task): Promise<Run> {
  const run: Run = { losses: [] };
  let reads = 0;
  for (let step = 1; step <= STEPS; step++) {
    const before = gpu?.stats().reads ?? 0;
    task.optimizer.zeroGrad();
    const loss = task.loss();
    loss.backward();
    task.optimizer.step();
    if (device === 'webgpu') reads += gpu!.stats().reads - before;
    run.losses.push((await loss.data())[0]!);
    loss.dispose();
    if (device === 'webgpu' && step === 10) run.live10 = gpu!.memoryStats().liveBuffers;
    if (device === 'webgpu' && step === STEPS) run.live200 = gpu!.memoryStats().liveBuffers;
  }
  if (device === 'webgpu') {
    run.readsDuringSteps = reads;
    run.reclaimed = gpu!.stats().reclaimed;
  }
  return run;
}

function expectSameTrajectory(cpu: Run, webgpu: Run, what: string): void {
  expect(webgpu.losses.length).toBe(STEPS);
  const bad: string[] = [];
  cpu.losses.forEach((l, i) => {
    const g = webgpu.losses[i]!;
    if (!(Math.abs(g - l) <= 1e-3 * Math.abs(l))) bad.push(`step ${i + 1}: webgpu ${g}, cpu ${l}`);
  });
  expect(bad, `${what}: losses differ by more than a relative 1e-3`).toEqual([]);
  // It learned something (the comparison is not between two flat lines).
  expect(cpu.losses[STEPS - 1]!).toBeLessThan(0.7 * cpu.losses[0]!);
  expect(webgpu.live200, `${what}: live buffers at step 200 vs step 10`).toBe(webgpu.live10);
  expect(webgpu.reclaimed, `${what}: buffers reclaimed by the FinalizationRegistry backstop (a leak)`).toBe(0);
  expect(webgpu.readsDuringSteps, `${what}: host round-trips inside training steps`).toBe(0);
}

/** The same model on each device: built on the CPU, the WebGPU copy loads the CPU's state dict. */
function pair<M extends nn.Module>(make: () => M): Record<DeviceName, M> {
  const cpu = make();
  const webgpu = make().to('webgpu');
  webgpu.loadStateDict(cpu.stateDict());
  return { cpu, webgpu };
}

describe.skipIf(!gpu)('training on WebGPU matches the CPU', () => {
  it('an MLP trains 200 steps with Adam: same losses, no leak, no host round-trip per step', async () => {
    const models = pair(() => new MLP());
    const xs = seededValues(32 * 8, 7);
    const labels = Int32Array.from(seededValues(32, 8, 0, 4), (v) => Math.floor(v));
    const runs: Partial<Record<DeviceName, Run>> = {};
    for (const device of ['cpu', 'webgpu'] as const) {
      const model = models[device];
      const x = torch.tensor(xs, { shape: [32, 8], device });
      const y = torch.tensor(labels, { device });
      const optimizer = new Adam(model.parameters(), { lr: 0.01 });
      const task: Task = {
        model,
        optimizer,
        loss: () => torch.tidy(() => nn.functional.crossEntropy(model.call(x), y)),
        dispose: () => {},
      };
      runs[device] = await train(device, task);
      optimizer.zeroGrad();
      optimizer.dispose();
      x.dispose();
      y.dispose();
      model.dispose();
    }
    expectSameTrajectory(runs.cpu!, runs.webgpu!, 'MLP');
  }, 120_000); // SwiftShader: ~5 ms per dispatch round trip; slow on a loaded 2-core machine

  it('a GRU trains 200 steps with SGD (momentum): same losses, no leak, no host round-trip per step', async () => {
    const models = pair(() => new GRURegressor());
    const [B, T, I] = [4, 6, 3];
    const xs = seededValues(B * T * I, 11);
    const ys = seededValues(B, 12);
    const runs: Partial<Record<DeviceName, Run>> = {};
    for (const device of ['cpu', 'webgpu'] as const) {
      const model = models[device];
      const x = torch.tensor(xs, { shape: [B, T, I], device });
      const y = torch.tensor(ys, { shape: [B, 1], device });
      const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const task: Task = {
        model,
        optimizer,
        loss: () => torch.tidy(() => nn.functional.mseLoss(model.call(x), y)),
        dispose: () => {},
      };
      runs[device] = await train(device, task);
      optimizer.zeroGrad();
      optimizer.dispose();
      x.dispose();
      y.dispose();
      model.dispose();
    }
    expectSameTrajectory(runs.cpu!, runs.webgpu!, 'GRU');
  }, 120_000);

  it('the GRU forward pass makes at most 3 compute dispatches per timestep (fused gate kernel)', async () => {
    expect(gpu!.fused.gruCell, 'the webgpu backend declares the fused GRU step').toBeDefined();
    const gru = new nn.GRU(3, 8, { batchFirst: true }).to('webgpu');
    const dispatchesFor = (T: number, grad: boolean): number => {
      const x = torch.tensor(seededValues(2 * T * 3, T), { shape: [2, T, 3], device: 'webgpu' });
      const before = gpu!.stats().dispatches;
      const run = (): void => {
        const [out, hN] = gru.call(x);
        out.dispose();
        hN.dispose();
      };
      if (grad) run();
      else noGrad(run);
      const n = gpu!.stats().dispatches - before;
      x.dispose();
      return n;
    };
    for (const grad of [false, true]) {
      // The difference between two sequence lengths leaves only the per-timestep work.
      const perStep = (dispatchesFor(12, grad) - dispatchesFor(4, grad)) / 8;
      console.log(`[webgpu] GRU forward (${grad ? 'recording for backward' : 'noGrad'}): ${perStep} dispatches per timestep`);
      expect(perStep, `dispatches per GRU timestep (${grad ? 'grad' : 'noGrad'})`).toBeLessThanOrEqual(3);
    }
    await gpu!.sync();
    gru.dispose();
  });
});

if (!gpu) it.skip(`training on WebGPU: ${env.skipReason}`, () => {});
