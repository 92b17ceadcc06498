import type { AdagradStepOptions, AdamStepOptions, DType, RmspropStepOptions, SgdStepOptions, TensorView } from '@torchlet/backend';
import { afterAll, describe, expect, it } from 'vitest';
import type { CpuBuffer } from '../buffer.js';
import { CpuBackend } from '../cpu-backend.js';
import { be, rng } from '../../test/helpers.js';
import { getNumThreads, setNumThreads, threadStats } from '../wasm/runtime.js';

const js = new CpuBackend({ kernels: 'js' });
const savedThreads = getNumThreads();
afterAll(() => setNumThreads(savedThreads));

// ---- an independent reference: PyTorch's Python update, one array pass per tensor op --------------
// Each pass stores into an array of the dtype, so every operation rounds once (no fused
// multiply-add), and a Python float scalar is converted to the dtype as PyTorch converts it.

type A = Float32Array | Float64Array;

class Ops {
  constructor(readonly dtype: 'float32' | 'float64') {}
  make(n: number): A {
    return this.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  }
  /** A Python float as the dtype. */
  s(x: number): number {
    return this.make(1).fill(x)[0]!;
  }
  map(n: number, fn: (i: number) => number): A {
    const o = this.make(n);
    for (let i = 0; i < n; i++) o[i] = fn(i);
    return o;
  }
  neg = (a: A): A => this.map(a.length, (i) => -a[i]!);
  add = (a: A, b: A): A => this.map(a.length, (i) => a[i]! + b[i]!);
  sub = (a: A, b: A): A => this.map(a.length, (i) => a[i]! - b[i]!);
  mul = (a: A, b: A): A => this.map(a.length, (i) => a[i]! * b[i]!);
  div = (a: A, b: A): A => this.map(a.length, (i) => a[i]! / b[i]!);
  max = (a: A, b: A): A => this.map(a.length, (i) => Math.max(a[i]!, b[i]!));
  sqrt = (a: A): A => this.map(a.length, (i) => Math.sqrt(a[i]!));
  mulS = (a: A, x: number): A => {
    const s = this.s(x);
    return this.map(a.length, (i) => s * a[i]!);
  };
  divS = (a: A, x: number): A => {
    const s = this.s(x);
    return this.map(a.length, (i) => a[i]! / s);
  };
  addS = (a: A, x: number): A => {
    const s = this.s(x);
    return this.map(a.length, (i) => a[i]! + s);
  };
  /** `start.lerp_(end, weight)` (ATen's scalar formula; 1 − w in the dtype). */
  lerp = (start: A, end: A, weight: number): A => {
    const w = this.s(weight);
    const d = this.sub(end, start);
    return Math.abs(w) < 0.5 ? this.add(start, this.mulS(d, w)) : this.sub(end, this.mulS(d, this.s(1 - w)));
  };
}

type State = Record<string, A>;

function refSgd(o: Ops, st: State, grad: A, x: SgdStepOptions): void {
  let g = x.maximize ? o.neg(grad) : grad;
  if (x.weightDecay !== 0) g = o.add(g, o.mulS(st['p']!, x.weightDecay));
  if (x.momentum !== 0) {
    st['buf'] = x.firstStep ? g.slice() : o.add(o.mulS(st['buf']!, x.momentum), o.mulS(g, 1 - x.dampening));
    g = x.nesterov ? o.add(g, o.mulS(st['buf'], x.momentum)) : st['buf'];
  }
  st['p'] = o.add(st['p']!, o.mulS(g, -x.lr));
}

function refAdam(o: Ops, st: State, grad: A, x: AdamStepOptions): void {
  let g = x.maximize ? o.neg(grad) : grad;
  if (x.weightDecay !== 0) {
    if (x.decoupled) st['p'] = o.mulS(st['p']!, 1 - x.lr * x.weightDecay);
    else g = o.add(g, o.mulS(st['p']!, x.weightDecay));
  }
  st['m'] = o.lerp(st['m']!, g, 1 - x.beta1);
  st['v'] = o.add(o.mulS(st['v']!, x.beta2), o.mul(o.mulS(g, 1 - x.beta2), g));
  let second = st['v'];
  if (x.amsgrad) second = st['vmax'] = o.max(st['vmax']!, st['v']);
  const denom = o.addS(o.divS(o.sqrt(second), Math.sqrt(x.biasCorrection2)), x.eps);
  st['p'] = o.add(st['p']!, o.div(o.mulS(st['m'], -(x.lr / x.biasCorrection1)), denom));
}

function refRmsprop(o: Ops, st: State, grad: A, x: RmspropStepOptions): void {
  let g = x.maximize ? o.neg(grad) : grad;
  if (x.weightDecay !== 0) g = o.add(g, o.mulS(st['p']!, x.weightDecay));
  st['v'] = o.add(o.mulS(st['v']!, x.alpha), o.mul(o.mulS(g, 1 - x.alpha), g));
  let avg: A;
  if (x.centered) {
    st['ga'] = o.lerp(st['ga']!, g, 1 - x.alpha);
    avg = o.sqrt(o.add(st['v'], o.mul(o.mulS(st['ga'], -1), st['ga'])));
  } else avg = o.sqrt(st['v']);
  avg = o.addS(avg, x.eps);
  if (x.momentum > 0) {
    st['buf'] = o.add(o.mulS(st['buf']!, x.momentum), o.div(o.mulS(g, 1), avg));
    st['p'] = o.add(st['p']!, o.mulS(st['buf'], -x.lr));
  } else st['p'] = o.add(st['p']!, o.div(o.mulS(g, -x.lr), avg));
}

function refAdagrad(o: Ops, st: State, grad: A, x: AdagradStepOptions): void {
  let g = x.maximize ? o.neg(grad) : grad;
  if (x.weightDecay !== 0) g = o.add(g, o.mulS(st['p']!, x.weightDecay));
  st['s'] = o.add(st['s']!, o.mul(o.mulS(g, 1), g));
  const std = o.addS(o.sqrt(st['s']), x.eps);
  st['p'] = o.add(st['p']!, o.div(o.mulS(g, -x.clr), std));
}

// ---- running the kernels ----------------------------------------------------------------------

function view(backend: CpuBackend, dtype: DType, data: A): TensorView {
  const buffer = backend.alloc(dtype, data.length);
  buffer.data.set(data);
  return { buffer, dtype, shape: [data.length], strides: [1], offset: 0 };
}

const read = (v: TensorView): A => (v.buffer as CpuBuffer).data.slice() as A;

/** One optimizer's kernel, its reference, the state it keeps and its options at step t (1-based). */
interface Case<O> {
  name: string;
  state: string[];
  options: (t: number) => O;
  kernel: (b: CpuBackend, p: TensorView, g: TensorView, s: Record<string, TensorView>, o: O) => boolean;
  ref: (o: Ops, st: State, g: A, x: O) => void;
}

const sgd = (name: string, base: Omit<SgdStepOptions, 'firstStep'>): Case<SgdStepOptions> => ({
  name: `sgdStep ${name}`,
  state: base.momentum !== 0 ? ['buf'] : [],
  options: (t) => ({ ...base, firstStep: t === 1 }),
  kernel: (b, p, g, s, o) => b.fused.sgdStep!(p, g, s['buf'] ?? null, o),
  ref: refSgd,
});

const adam = (name: string, base: Omit<AdamStepOptions, 'biasCorrection1' | 'biasCorrection2'>): Case<AdamStepOptions> => ({
  name: `adamStep ${name}`,
  state: base.amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v'],
  options: (t) => ({ ...base, biasCorrection1: 1 - base.beta1 ** t, biasCorrection2: 1 - base.beta2 ** t }),
  kernel: (b, p, g, s, o) => b.fused.adamStep!(p, g, s['m']!, s['v']!, s['vmax'] ?? null, o),
  ref: refAdam,
});

const rmsprop = (name: string, base: RmspropStepOptions): Case<RmspropStepOptions> => ({
  name: `rmspropStep ${name}`,
  state: ['v', ...(base.centered ? ['ga'] : []), ...(base.momentum > 0 ? ['buf'] : [])],
  options: () => base,
  kernel: (b, p, g, s, o) => b.fused.rmspropStep!(p, g, s['v']!, s['ga'] ?? null, s['buf'] ?? null, o),
  ref: refRmsprop,
});

const adagrad = (name: string, base: Omit<AdagradStepOptions, 'clr'> & { lr: number; lrDecay: number }): Case<AdagradStepOptions> => ({
  name: `adagradStep ${name}`,
  state: ['s'],
  options: (t) => ({ clr: base.lr / (1 + (t - 1) * base.lrDecay), eps: base.eps, weightDecay: base.weightDecay, maximize: base.maximize }),
  kernel: (b, p, g, s, o) => b.fused.adagradStep!(p, g, s['s']!, o),
  ref: refAdagrad,
});

const adamBase = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, amsgrad: false, maximize: false };
const rmsBase = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };

const CASES: Case<any>[] = [
  sgd('plain', { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }),
  sgd('momentum, dampening, weight decay', { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-2, nesterov: false, maximize: false }),
  sgd('nesterov, maximize', { lr: 0.05, momentum: 0.8, dampening: 0, weightDecay: 1e-3, nesterov: true, maximize: true }),
  adam('Adam', adamBase),
  adam('Adam amsgrad, L2 weight decay, maximize', { ...adamBase, weightDecay: 0.1, amsgrad: true, maximize: true }),
  adam('AdamW', { ...adamBase, lr: 3e-3, weightDecay: 0.05, decoupled: true }),
  adam('β1 = 0.3 (lerp from the end)', { ...adamBase, beta1: 0.3, beta2: 0.6 }),
  rmsprop('plain', rmsBase),
  rmsprop('centered, momentum, weight decay', { ...rmsBase, centered: true, momentum: 0.5, weightDecay: 0.01 }),
  rmsprop('α = 0.4, centered, maximize', { ...rmsBase, alpha: 0.4, centered: true, maximize: true }),
  adagrad('plain', { lr: 0.1, lrDecay: 0, eps: 1e-10, weightDecay: 0, maximize: false }),
  adagrad('lr decay, weight decay, maximize', { lr: 0.1, lrDecay: 0.01, eps: 1e-10, weightDecay: 0.1, maximize: true }),
];

const STEPS = 3;

/** Random parameter, per-step gradients and state (second moments non-negative). */
function data(dtype: 'float32' | 'float64', n: number, stateNames: string[], seed: number): { p: A; grads: A[]; state: State } {
  const o = new Ops(dtype);
  const gen = rng(seed);
  const p = o.map(n, () => gen() * 4 - 2);
  const grads = Array.from({ length: STEPS }, () => o.map(n, (i) => (i % 11 === 5 ? 0 : (gen() - 0.5) * (i % 3 === 0 ? 1e-3 : 2))));
  const state: State = {};
  for (const s of stateNames) state[s] = o.map(n, () => (s === 'v' || s === 'vmax' || s === 's' ? gen() * 1e-2 : gen() - 0.5));
  return { p, grads, state };
}

/** Runs STEPS kernel steps on `backend`; the parameter and state afterwards. */
function runKernel<O>(c: Case<O>, backend: CpuBackend, dtype: 'float32' | 'float64', d: ReturnType<typeof data>): State {
  const p = view(backend, dtype, d.p);
  const s: Record<string, TensorView> = {};
  for (const k of c.state) s[k] = view(backend, dtype, d.state[k]!);
  for (let t = 1; t <= STEPS; t++) expect(c.kernel(backend, p, view(backend, dtype, d.grads[t - 1]!), s, c.options(t))).toBe(true);
  const out: State = { p: read(p) };
  for (const k of c.state) out[k] = read(s[k]!);
  return out;
}

function runRef<O>(c: Case<O>, dtype: 'float32' | 'float64', d: ReturnType<typeof data>): State {
  const o = new Ops(dtype);
  const st: State = { p: d.p.slice() };
  for (const k of c.state) st[k] = d.state[k]!.slice();
  for (let t = 1; t <= STEPS; t++) c.ref(o, st, d.grads[t - 1]!, c.options(t));
  return st;
}

function expectSame(got: State, want: State, what: string): void {
  for (const k of Object.keys(want)) {
    const a = got[k]!;
    const b = want[k]!;
    let bad = -1;
    for (let i = 0; i < b.length && bad < 0; i++) if (!Object.is(a[i], b[i])) bad = i;
    expect(bad, `${what}: ${k}[${bad}] = ${a[bad]}, reference ${b[bad]}`).toBe(-1);
  }
}

describe('fused optimizer updates equal PyTorch’s update op by op, bit for bit', () => {
  it('the default backend runs the Wasm kernels', () => {
    expect(be.kernels).toBe('wasm');
  });

  describe.each(CASES)('$name', (c) => {
    it.each([1, 3, 4, 7, 1027])('float32, %i elements: Wasm and TypeScript kernels equal the reference', (n) => {
      const d = data('float32', n, c.state, n * 31 + 7);
      const want = runRef(c, 'float32', d);
      expectSame(runKernel(c, be, 'float32', d), want, 'wasm');
      expectSame(runKernel(c, js, 'float32', d), want, 'js');
    });

    it('float64 runs in double on both backends', () => {
      const d = data('float64', 37, c.state, 5);
      const want = runRef(c, 'float64', d);
      expectSame(runKernel(c, be, 'float64', d), want, 'wasm backend, float64');
      expectSame(runKernel(c, js, 'float64', d), want, 'js');
    });
  });

  it('large parameters are shared out among threads with the same result', () => {
    setNumThreads(2);
    expect(be.waitForThreads()).toBe(true);
    const n = (1 << 17) + 5;
    for (const c of [CASES[2]!, CASES[4]!, CASES[8]!, CASES[11]!]) {
      const d = data('float32', n, c.state, 99);
      const before = threadStats()!;
      const got = runKernel(c, be, 'float32', d);
      // Each step went through the pool as one job of several element ranges (which thread
      // ran which range is the pool's business: the caller may claim them all).
      const after = threadStats()!;
      expect(after.jobs - before.jobs, c.name).toBe(STEPS);
      expect(after.tasks - before.tasks, c.name).toBe(STEPS * 2);
      expectSame(got, runKernel(c, js, 'float32', d), c.name);
    }
  });
});

describe('fused optimizer updates: views they cannot take', () => {
  const o: AdamStepOptions = { ...adamBase, biasCorrection1: 0.1, biasCorrection2: 0.001 };

  it.each([
    ['wasm', be],
    ['js', js],
  ] as const)('%s: a non-contiguous view returns false and changes nothing', (_name, backend) => {
    const p = view(backend, 'float32', new Float32Array([1, 2, 3, 4, 5, 6]));
    const strided: TensorView = { ...p, shape: [3], strides: [2] };
    const other = () => view(backend, 'float32', new Float32Array([0.5, 0.5, 0.5]));
    const [g, m, v] = [other(), other(), other()];
    expect(backend.fused.adamStep!(strided, g, m, v, null, o)).toBe(false);
    expect(Array.from(read(p))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(read(m))).toEqual([0.5, 0.5, 0.5]);
  });

  it('mismatched dtypes, shapes and state are errors that say so', () => {
    const p = view(be, 'float32', new Float32Array(4));
    const g64 = view(be, 'float64', new Float64Array(4));
    const g3 = view(be, 'float32', new Float32Array(3));
    const s = view(be, 'float32', new Float32Array(4));
    expect(() => be.fused.adagradStep!(p, g64, s, { clr: 0.1, eps: 1e-10, weightDecay: 0, maximize: false })).toThrow(/must be float32 like the parameter/);
    expect(() => be.fused.adagradStep!(p, g3, s, { clr: 0.1, eps: 1e-10, weightDecay: 0, maximize: false })).toThrow(/\[3\] does not match the parameter's \[4\]/);
    expect(() => be.fused.adamStep!(p, s, s, s, null, { ...o, amsgrad: true })).toThrow(/maxExpAvgSq/);
    expect(() => js.fused.sgdStep!(p, s, null, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, firstStep: true })).toThrow(
      /momentum buffer/,
    );
  });
});
