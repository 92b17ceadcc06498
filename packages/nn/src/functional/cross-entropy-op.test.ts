/**
 * `F.crossEntropy` through the fused `softmaxCrossEntropy` op against the composition it
 * replaces (log-softmax + NLL), on every device: values and input gradients for weights,
 * ignoreIndex, label smoothing and every reduction; the class-index PyTorch fixtures through
 * the fused path; gradcheck and gradgradcheck in float64; a large job (threaded Wasm rows);
 * no leaks.
 */
import { grad, gradcheck, gradgradcheck, noGrad } from '@torchlet/autograd';
import type { Backend } from '@torchlet/backend';
import { seededValues } from '@torchlet/backend/testing';
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { loadCase } from '@torchlet/fixtures';
import * as torch from '@torchlet/tensor';
import type { DeviceName, Tensor } from '@torchlet/tensor';
import { compareFixture, loadFixtureInputs, loadFixtureTensor } from '@torchlet/test-support/fixture-helpers';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { NN_OP_FIXTURES } from '../../test/fixture-table.js';
import { softmaxCrossEntropyOp } from './cross-entropy-op.js';
import { crossEntropy, crossEntropyComposed, type CrossEntropyOptions, type Reduction } from './loss.js';

const env = await openTestDevices();
afterAll(() => env.close());

function randn(shape: number[], seed: number, device: DeviceName, lo = -3, hi = 3): Tensor {
  return torch.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed, lo, hi), { shape, device });
}

/** Class indices in [0, C) of `shape` (every fourth one is class 2, the ignoreIndex of some cases). */
function targets(shape: number[], C: number, seed: number, device: DeviceName): Tensor {
  const u = seededValues(shape.reduce((a, b) => a * b, 1), seed, 0, 1);
  const t = Int32Array.from(u, (v, i) => (i % 4 === 1 ? Math.min(2, C - 1) : Math.floor(v * C)));
  return torch.tensor(t, { shape, device });
}

/** Spies on the fused kernels of `backend` (calling through). */
function spyFused(backend: Backend) {
  const fused = backend.fused as Required<Backend['fused']>;
  const fwd = vi.spyOn(fused, 'softmaxCrossEntropy');
  const bwd = vi.spyOn(fused, 'softmaxCrossEntropyBackward');
  fwd.mockClear();
  bwd.mockClear();
  return {
    calls: () => [fwd.mock.calls.length, bwd.mock.calls.length],
    restore: () => {
      fwd.mockRestore();
      bwd.mockRestore();
    },
  };
}

async function expectClose(actual: Tensor, expected: Tensor, what: string, rtol = 1e-5, atol = 1e-6): Promise<void> {
  expect(actual.shape, what).toEqual(expected.shape);
  const a = await actual.data();
  const e = await expected.data();
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i]! - e[i]!) <= atol + rtol * Math.abs(e[i]!))) expect.fail(`${what}: element ${i} is ${a[i]}, composed ${e[i]}`);
  }
}

/** Loss and input gradient of `fn` (backward of the loss, or of Σ loss·g for reduction 'none'). */
function lossAndGrad(
  fn: typeof crossEntropy,
  x0: Tensor,
  target: Tensor,
  options: CrossEntropyOptions,
  gOut: Tensor | null,
): { loss: Tensor; grad: Tensor } {
  const x = x0.clone().requiresGrad_();
  const loss = fn(x, target, options);
  loss.backward(loss.ndim === 0 ? undefined : gOut!);
  const g = x.grad!;
  x.grad = null;
  x.dispose();
  const value = loss.detach();
  loss.dispose();
  return { loss: value, grad: g };
}

const SHAPES: { name: string; shape: number[] }[] = [
  { name: '[7, 13]', shape: [7, 13] }, // odd C: Wasm scalar tail
  { name: '[40, 130]', shape: [40, 130] }, // C above the WGSL workgroup
  { name: '[13] (one sample)', shape: [13] },
  { name: '[4, 5, 3] (classes moved last)', shape: [4, 5, 3] },
];
const OPTIONS: { name: string; weight: boolean; opts: CrossEntropyOptions }[] = [
  { name: 'plain', weight: false, opts: {} },
  { name: 'weight', weight: true, opts: {} },
  { name: 'ignoreIndex', weight: false, opts: { ignoreIndex: 2 } },
  { name: 'labelSmoothing', weight: false, opts: { labelSmoothing: 0.2 } },
  { name: 'weight + ignoreIndex + labelSmoothing', weight: true, opts: { ignoreIndex: 2, labelSmoothing: 0.3 } },
];
const REDUCTIONS: Reduction[] = ['none', 'mean', 'sum'];

describe.each(env.devices)('crossEntropy: the fused op equals the composition on %s', (device) => {
  const grid = SHAPES.flatMap((s) => OPTIONS.flatMap((o) => REDUCTIONS.map((r) => [s.name, o.name, r, s, o] as const)));
  test.each(grid)('%s, %s, reduction %s', async (_s, _o, reduction, { shape }, { weight, opts }) => {
    const C = shape.length === 1 ? shape[0]! : shape[1]!;
    const tShape = shape.length === 1 ? [] : shape.filter((_, i) => i !== 1);
    const x = randn(shape, 3 + C, device);
    const target = targets(tShape, C, 5, device);
    const w = weight ? randn([C], 7, device, 0.2, 2) : null;
    const gOut = randn(tShape, 11, device);
    const options: CrossEntropyOptions = { ...opts, reduction, weight: w };
    const before = torch.memoryStats();
    const spy = spyFused(x.backend);
    const fused = lossAndGrad(crossEntropy, x, target, options, gOut);
    expect(spy.calls(), 'fused forward and backward kernel calls').toEqual([1, 1]);
    spy.restore();
    const composed = lossAndGrad(crossEntropyComposed, x, target, options, gOut);
    await expectClose(fused.loss, composed.loss, 'loss');
    await expectClose(fused.grad, composed.grad, 'gradient');
    for (const t of [fused.loss, fused.grad, composed.loss, composed.grad]) t.dispose();
    const after = torch.memoryStats();
    expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
    for (const t of [x, target, w, gOut]) t?.dispose();
  });

  test('a weight that requires grad takes the composition (the op differentiates the logits only)', async () => {
    const x = randn([6, 5], 1, device);
    const target = targets([6], 5, 2, device);
    const run = (fn: typeof crossEntropy) => {
      const w = randn([5], 3, device, 0.5, 1.5).requiresGrad_();
      const loss = fn(x, target, { weight: w, labelSmoothing: 0.1 });
      loss.backward();
      loss.dispose();
      return w;
    };
    const spy = spyFused(x.backend);
    const w1 = run(crossEntropy);
    expect(spy.calls()).toEqual([0, 0]);
    spy.restore();
    const w2 = run(crossEntropyComposed);
    await expectClose(w1.grad!, w2.grad!, 'weight gradient');
    for (const t of [x, target, w1, w2]) t.dispose();
  });

  // The class-index PyTorch fixtures (also run by fixtures.test.ts), asserting the fused path ran;
  // loadCase throws when the fixtures are missing.
  const fixtureCases = ['cross_entropy', 'cross_entropy_label_smoothing', 'cross_entropy_weight_ignore'];
  test.each(fixtureCases)('fixture %s through the fused kernels', async (name) => {
    const c = loadCase(name);
    const inputs = loadFixtureInputs(c.t, device, { grad: true });
    const spy = spyFused(inputs.input!.backend);
    const out = torch.tidy(() => NN_OP_FIXTURES[name]!.run(inputs, { device })).output!;
    const loss = torch.tidy(() => torch.sum(torch.mul(out, loadFixtureTensor(c.t['w.output']!, device))));
    loss.backward();
    expect(spy.calls()).toEqual([1, 1]);
    spy.restore();
    const problems = [
      ...(await compareFixture('out.output', out, c.t['out.output']!, { rtol: c.rtol, atol: c.atol, device })),
      ...(await compareFixture('grad.in.input', inputs.input!.grad, c.t['grad.in.input']!, { rtol: c.rtol, atol: c.atol, device })),
    ];
    expect(problems).toEqual([]);
    for (const t of [out, loss, ...Object.values(inputs)]) t.dispose();
  });
});

describe('crossEntropy through the fused op on cpu', () => {
  const w = torch.tensor(Float64Array.from([0.5, 1.5, 1, 2, 0.25]), { dtype: 'float64' });
  const target = torch.tensor(Int32Array.from([0, 3, 2, 4, 2, 1]));
  afterAll(() => {
    w.dispose();
    target.dispose();
  });
  const options: CrossEntropyOptions[] = [
    { reduction: 'mean' },
    { reduction: 'sum', weight: w, ignoreIndex: 2 },
    { reduction: 'mean', weight: w, ignoreIndex: 2, labelSmoothing: 0.2 },
    { reduction: 'none', labelSmoothing: 0.4 },
  ];

  test.each(options)('gradcheck and gradgradcheck in float64 (%o)', (opts) => {
    const x = torch.tensor(seededValues(30, 9, -2, 2), { shape: [6, 5] }).double().requiresGrad_();
    const spy = spyFused(x.backend);
    const fn = (xx: Tensor) => crossEntropy(xx, target, opts);
    expect(gradcheck(fn, [x])).toBe(true);
    expect(spy.calls()[0]).toBeGreaterThan(0);
    expect(spy.calls()[1]).toBeGreaterThan(0);
    // second order: the backward composes differentiable ops under createGraph
    expect(gradgradcheck(fn, [x])).toBe(true);
    spy.restore();
    x.dispose();
  });

  test.each([false, true])('gradcheck of the op itself, both outputs (loss and lse), composed: %s', (composed) => {
    const x = torch.tensor(seededValues(30, 12, -2, 2), { shape: [6, 5] }).double().requiresGrad_();
    const fn = (xx: Tensor) => torch.dispatch(softmaxCrossEntropyOp, [xx, target, w], { ignoreIndex: 2, labelSmoothing: 0.15, composed });
    expect(gradcheck(fn, [x])).toBe(true);
    expect(gradgradcheck(fn, [x])).toBe(true);
    x.dispose();
  });

  test('double backward equals the composition', () => {
    const x0 = torch.tensor(seededValues(30, 4, -2, 2), { shape: [6, 5] });
    const t = torch.tensor(Int32Array.from([0, 3, 2, 4, 2, 1]));
    const run = (fn: typeof crossEntropy): number[] => {
      const x = x0.clone().requiresGrad_();
      const loss = fn(x, t, { labelSmoothing: 0.1, ignoreIndex: 4 });
      const [g] = grad(loss, x, { createGraph: true });
      const gg = torch.sum(torch.square(g!));
      gg.backward();
      const r = Array.from(x.grad!.dataSync());
      for (const v of [x, loss, g!, gg]) v.dispose();
      return r;
    };
    const fused = run(crossEntropy);
    const composed = run(crossEntropyComposed);
    fused.forEach((v, i) => expect(v).toBeCloseTo(composed[i]!, 6));
    x0.dispose();
    t.dispose();
  });

  test('a large batch (rows shared across threads) with odd C', async () => {
    const x = randn([600, 257], 21, 'cpu');
    const t = targets([600], 257, 22, 'cpu');
    const wt = randn([257], 23, 'cpu', 0.5, 1.5);
    for (const reduction of REDUCTIONS) {
      const opts: CrossEntropyOptions = { reduction, weight: wt, ignoreIndex: 2, labelSmoothing: 0.05 };
      const g = randn([600], 24, 'cpu');
      const a = lossAndGrad(crossEntropy, x, t, opts, g);
      const b = lossAndGrad(crossEntropyComposed, x, t, opts, g);
      await expectClose(a.loss, b.loss, `${reduction} loss`, 1e-5, 1e-6);
      await expectClose(a.grad, b.grad, `${reduction} gradient`, 1e-5, 1e-7);
      for (const v of [a.loss, a.grad, b.loss, b.grad, g]) v.dispose();
    }
    for (const v of [x, t, wt]) v.dispose();
  });

  test('frees everything: forward only, forward + backward, under noGrad', () => {
    const before = torch.memoryStats();
    const x = randn([9, 6], 31, 'cpu').requiresGrad_();
    const t = targets([9], 6, 32, 'cpu');
    const l1 = crossEntropy(x, t, { labelSmoothing: 0.1 });
    l1.dispose(); // the graph (its saved logits and lse) goes with it
    const l2 = crossEntropy(x, t, { ignoreIndex: 2 });
    l2.backward();
    l2.dispose();
    const l3 = noGrad(() => crossEntropy(x, t, { reduction: 'none' }));
    expect(l3.requiresGrad).toBe(false);
    l3.dispose();
    x.grad!.dispose();
    x.grad = null;
    x.dispose();
    t.dispose();
    const after = torch.memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveStorages).toBe(before.liveStorages);
  });

  test('the loss rows come from one recorded node', () => {
    const x = randn([4, 3], 41, 'cpu').requiresGrad_();
    const t = targets([4], 3, 42, 'cpu');
    const loss = crossEntropy(x, t, { reduction: 'none' });
    expect(loss.gradFn!.name).toBe('SoftmaxCrossEntropyBackward0');
    for (const v of [x, t, loss]) v.dispose();
  });
});
