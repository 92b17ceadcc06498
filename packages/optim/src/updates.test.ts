/**
 * The per-parameter update ops (`sgdStep_` … `adagradStep_`): the backend's fused kernels and
 * the composed tensor ops give the same parameters and state, bit for bit on the CPU (with
 * the Wasm kernels by default, the TypeScript ones under TORCHLET_CPU_KERNELS=js), every
 * device agrees with them, and in-place updates bump storage versions.
 */
import { noGrad } from '@torchlet/autograd';
import { getBackend, type DeviceName, type DType } from '@torchlet/backend';
import { openTestDevices } from '@torchlet/backend-webgpu/testing';
import { isTensor, tensor, type Tensor } from '@torchlet/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import type { Optimizer } from './optimizer.js';
import { Adagrad } from './optimizers/adagrad.js';
import { Adam, AdamW } from './optimizers/adam.js';
import { RMSprop } from './optimizers/rmsprop.js';
import { SGD } from './optimizers/sgd.js';
import { adamStep_ } from './updates.js';

const env = await openTestDevices();
afterAll(() => env.close());

const FUSED = ['sgdStep', 'adamStep', 'rmspropStep', 'adagradStep'] as const;
type FusedName = (typeof FUSED)[number];

type Make = (params: Tensor[]) => Optimizer<any>;

const CONFIGS: [string, FusedName, Make][] = [
  ['SGD', 'sgdStep', (ps) => new SGD(ps, { lr: 0.1 })],
  ['SGD momentum dampening weightDecay', 'sgdStep', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 })],
  ['SGD nesterov maximize', 'sgdStep', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true, maximize: true })],
  ['Adam', 'adamStep', (ps) => new Adam(ps, { lr: 0.01 })],
  ['Adam amsgrad weightDecay maximize', 'adamStep', (ps) => new Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 0.1, maximize: true })],
  ['Adam betas [0.3, 0.6]', 'adamStep', (ps) => new Adam(ps, { lr: 0.01, betas: [0.3, 0.6] })],
  ['AdamW', 'adamStep', (ps) => new AdamW(ps, { lr: 0.01, weightDecay: 0.05 })],
  ['RMSprop', 'rmspropStep', (ps) => new RMSprop(ps, { lr: 0.01 })],
  ['RMSprop centered momentum weightDecay', 'rmspropStep', (ps) => new RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 })],
  ['RMSprop alpha 0.4 centered maximize', 'rmspropStep', (ps) => new RMSprop(ps, { lr: 0.01, alpha: 0.4, centered: true, maximize: true })],
  ['Adagrad lrDecay weightDecay', 'adagradStep', (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 })],
];

/** Odd sizes: the Wasm kernels' scalar tails, and one parameter long enough for a vector body. */
const SHAPES = [[5, 7], [3], [130]];
const STEPS = 4;

function values(n: number, seed: number, scale: number): number[] {
  let s = seed;
  return Array.from({ length: n }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return i % 9 === 4 ? 0 : ((s / 2147483648) * 2 - 1) * scale;
  });
}

/**
 * Runs `STEPS` steps with fixed gradients on `device`; returns the parameters and every state
 * tensor (in state-dict order). `hide` removes the CPU backend's fused optimizer kernels
 * for the steps (the composed path); `count` counts the fused calls that took the update.
 */
function run(make: Make, device: DeviceName, dtype: DType, opts: { hide?: boolean; count?: Record<string, number> } = {}): Tensor[] {
  const fused = getBackend('cpu').fused as Record<string, unknown>;
  const saved = FUSED.map((n) => [n, fused[n]] as const);
  if (opts.hide) for (const n of FUSED) delete fused[n];
  if (opts.count) {
    for (const [n, f] of saved) {
      opts.count[n] = 0;
      fused[n] = (...a: unknown[]) => {
        const took = (f as (...a: unknown[]) => boolean)(...a);
        if (took) opts.count![n]!++;
        return took;
      };
    }
  }
  try {
    const params = SHAPES.map((shape, k) => tensor(values(shape.reduce((a, b) => a * b, 1), 7 + k, 2), { shape, dtype, device }).requiresGrad_());
    const opt = make(params);
    for (let t = 0; t < STEPS; t++) {
      params.forEach((p, k) => {
        p.grad?.dispose();
        p.grad = tensor(values(p.numel(), 100 * t + k, t % 2 ? 1e-3 : 1), { shape: p.shape, dtype, device });
      });
      opt.step();
    }
    const state = [...opt.state.values()].flatMap((s) => Object.values(s).filter(isTensor));
    return [...params, ...state];
  } finally {
    for (const [n, f] of saved) fused[n] = f;
  }
}

async function read(ts: Tensor[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const t of ts) {
    out.push(Array.from(await t.data()));
    t.dispose();
  }
  return out;
}

/** First differing element, as text, or null. */
function firstDifference(a: number[][], b: number[][]): string | null {
  if (a.length !== b.length) return `${a.length} tensors vs ${b.length}`;
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < b[k]!.length; i++) if (!Object.is(a[k]![i], b[k]![i])) return `tensor ${k}[${i}]: ${a[k]![i]} vs ${b[k]![i]}`;
  }
  return null;
}

describe('fused optimizer kernels and the composed update agree bit for bit (cpu)', () => {
  test.each(CONFIGS)('%s', async (_name, kernel, make) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const count: Record<string, number> = {};
      const fused = await read(run(make, 'cpu', dtype, { count }));
      expect(count[kernel], `${dtype}: the fused ${kernel} took every update`).toBe(STEPS * SHAPES.length);
      const composed = await read(run(make, 'cpu', dtype, { hide: true }));
      expect(firstDifference(fused, composed), dtype).toBeNull();
    }
  });

  test('a non-contiguous parameter takes the composed path, with the same result', async () => {
    const fused = getBackend('cpu').fused as Record<string, unknown>;
    const saved = fused['adamStep'] as (...a: unknown[]) => boolean;
    let calls = 0;
    const steps = (q: Tensor): void => {
      const opt = new Adam([q], { lr: 0.01, amsgrad: true });
      for (let t = 0; t < 3; t++) {
        q.grad?.dispose();
        q.grad = tensor(values(35, t, 1), { shape: [5, 7] });
        opt.step();
      }
      opt.dispose();
    };
    const base = tensor(values(35, 3, 1), { shape: [7, 5] });
    const strided = base.t().requiresGrad_(); // a [5, 7] leaf with strides [1, 5]
    const dense = tensor(Array.from(await strided.data()), { shape: [5, 7] }).requiresGrad_();
    expect(strided.isContiguous()).toBe(false);
    fused['adamStep'] = (...a: unknown[]) => {
      calls++;
      return saved(...a);
    };
    try {
      steps(strided);
    } finally {
      fused['adamStep'] = saved;
    }
    expect(calls, 'the kernel is not offered a strided parameter').toBe(0);
    steps(dense);
    expect(firstDifference([Array.from(await strided.data())], [Array.from(await dense.data())])).toBeNull();
    for (const t of [base, strided, dense]) t.dispose();
  });
});

describe.each(env.devices)('%s: optimizers agree with the CPU fused kernels', (device) => {
  test.each(CONFIGS)('%s', async (_name, _kernel, make) => {
    const want = await read(run(make, 'cpu', 'float32'));
    const got = await read(run(make, device, 'float32'));
    expect(got.length).toBe(want.length);
    got.forEach((g, k) =>
      g.forEach((v, i) => {
        const w = want[k]![i]!;
        if (!(Math.abs(v - w) <= 1e-6 + 1e-5 * Math.abs(w))) throw new Error(`${device}: tensor ${k}[${i}] = ${v}, cpu fused ${w}`);
      }),
    );
  });
});

describe('in-place bookkeeping', () => {
  test.each(CONFIGS)('%s bumps the parameter version: a backward that saved it refuses to run', (_name, _kernel, make) => {
    const p = tensor(values(6, 1, 1), { shape: [2, 3] }).requiresGrad_();
    const y = p.mul(p).sum(); // saves p
    const opt = make([p]);
    p.grad = tensor(values(6, 2, 1), { shape: [2, 3] });
    const before = p.version;
    opt.step();
    expect(p.version).toBeGreaterThan(before);
    for (const s of opt.state.values()) for (const v of Object.values(s)) if (isTensor(v)) expect(v.version, 'state tensors too').toBeGreaterThan(0);
    expect(() => y.backward()).toThrow(/modified by an inplace operation/);
    opt.dispose();
    for (const t of [p, y]) t.dispose();
  });

  test('an update outside noGrad on a leaf that requires grad is refused, as any in-place op', () => {
    const p = tensor([1, 2, 3]).requiresGrad_();
    const z = () => tensor([0, 0, 0]);
    const options = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, amsgrad: false, maximize: false, biasCorrection1: 0.1, biasCorrection2: 0.001 };
    const [g, m, v] = [z(), z(), z()];
    expect(() => adamStep_(p, g, m, v, null, options)).toThrow(/leaf Variable that requires grad/);
    noGrad(() => adamStep_(p, g, m, v, null, options));
    expect(p.version).toBe(1);
    expect(() => adamStep_(p, g, m, v, null, { ...options, amsgrad: true })).toThrow(/maxExpAvgSq/);
    for (const t of [p, g, m, v]) t.dispose();
  });
});
