/**
 * `embeddingBag(mode: 'max')` with 1-D input and offsets builds its bag layout on the host
 * where the device reads synchronously (CPU) and masks on the device elsewhere (WebGPU):
 * both give the same maxima and gradients, with padding entries and empty bags.
 */
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import * as torch from '@torchlet/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import * as nn from '../index.js';

const F = nn.functional;
const env = await openTestDevices();
afterAll(() => env.close());

async function run(device: 'cpu' | 'webgpu', paddingIdx: number | undefined) {
  torch.manualSeed(3);
  const w = torch.randn([7, 5]);
  const weight = w.to(device).detach().requiresGrad_(true);
  // bags: [0, 3) [3, 3) empty, [3, 6) holds only padding when paddingIdx is 2, [6, 9)
  const input = torch.tensor([1, 4, 6, 2, 2, 2, 0, 2, 5], { dtype: 'int32', device });
  const offsets = torch.tensor([0, 3, 3, 6], { dtype: 'int32', device });
  const out = F.embeddingBag(input, weight, { offsets, mode: 'max', ...(paddingIdx === undefined ? {} : { paddingIdx }) });
  const g = torch.randn(out.shape);
  torch.sum(torch.mul(out, g.to(device))).backward();
  return { out: Array.from(await out.data()), grad: Array.from(await weight.grad!.data()) };
}

describe.each(env.devices)('embeddingBag max with offsets on %s', (device) => {
  test.each([undefined, 2])('paddingIdx %s: maxima and gradients equal the host-layout path', async (paddingIdx) => {
    const want = await run('cpu', paddingIdx);
    const got = await run(device, paddingIdx);
    expect(got.out).toEqual(want.out);
    expect(got.grad).toEqual(want.grad);
    // an empty bag (and a bag of padding only) gives zeros, as in PyTorch
    expect(got.out.slice(5, 10)).toEqual([0, 0, 0, 0, 0]);
    if (paddingIdx === 2) expect(got.out.slice(10, 15)).toEqual([0, 0, 0, 0, 0]);
  });
});
if (env.skipReason) test.skip(`embeddingBag max on webgpu: ${env.skipReason}`, () => {});
