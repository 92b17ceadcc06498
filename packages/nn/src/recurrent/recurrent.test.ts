import { gradcheck, noGrad } from '@torchlet/autograd';
import { getBackend } from '@torchlet/backend';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { afterEach, describe, expect, test } from 'vitest';
import { GRUCell, LSTMCell, RNNCell } from './cells.js';
import type { RecurrentMode } from './layer-op.js';
import { PackedSequence, packPaddedSequence, packSequence, padPackedSequence, padSequence, unpackSequence } from './packed.js';
import { GRU, LSTM, RNN, runLayer } from './rnn.js';
import { SRU, sruLayer } from './sru.js';

const FUSED_NAMES = ['gruCell', 'gruCellBackward', 'gruResetGate', 'gruResetGateBackward', 'lstmCell', 'lstmCellBackward', 'sruSequence', 'sruSequenceBackward'] as const;

/** Runs `fn` with the CPU backend's recurrent fused kernels removed (the composed path). */
function withoutFused<T>(fn: () => T): T {
  const fused = getBackend('cpu').fused as Record<string, unknown>;
  const saved = FUSED_NAMES.map((n) => [n, fused[n]] as const);
  for (const n of FUSED_NAMES) delete fused[n];
  try {
    return fn();
  } finally {
    for (const [n, f] of saved) fused[n] = f;
  }
}

function maxDiff(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

const G: Record<RecurrentMode, number> = { rnn_tanh: 1, rnn_relu: 1, gru: 3, lstm: 4 };

interface LayerSetup {
  mode: RecurrentMode;
  proj: boolean;
  bias: boolean;
  /** GRU: false for the reset-before form. */
  resetAfter?: boolean;
}

/** Random operands of one layer-direction: x [N, I], weights, h0, c0. */
function layerInputs(s: LayerSetup, batchSizes: number[], dtype: 'float32' | 'float64', I = 3, H = 4): Tensor[] {
  const N = batchSizes.reduce((a, b) => a + b, 0);
  const B = batchSizes[0]!;
  const P = s.proj ? 2 : H;
  const o = { dtype };
  const r = (shape: number[]): Tensor => torch.mul(torch.randn(shape, o), 0.5).requiresGrad_(true);
  const list = [r([N, I]), r([G[s.mode] * H, I]), r([G[s.mode] * H, P]), r([B, P])];
  if (s.bias) list.push(r([G[s.mode] * H]), r([G[s.mode] * H]));
  if (s.mode === 'lstm') list.push(r([B, H]));
  if (s.proj) list.push(r([P, H]));
  return list;
}

/** runLayer over the operands of `layerInputs`; returns out, hN (and cN). */
function layerFn(s: LayerSetup, batchSizes: number[], reverse: boolean) {
  return (...xs: Tensor[]): Tensor[] => {
    const [x, wih, whh, h0] = xs as [Tensor, Tensor, Tensor, Tensor];
    let k = 4;
    const bih = s.bias ? xs[k++]! : null;
    const bhh = s.bias ? xs[k++]! : null;
    const c0 = s.mode === 'lstm' ? xs[k++]! : null;
    const whr = s.proj ? xs[k]! : null;
    const r = runLayer(s.mode, x, { wih, whh, bih, bhh, whr }, h0, c0, batchSizes, reverse, s.resetAfter ?? true);
    return r.cN ? [r.out, r.hN, r.cN] : [r.out, r.hN];
  };
}

const SETUPS: LayerSetup[] = [
  { mode: 'rnn_tanh', proj: false, bias: true },
  { mode: 'rnn_relu', proj: false, bias: true },
  { mode: 'gru', proj: false, bias: true },
  { mode: 'gru', proj: false, bias: false },
  { mode: 'gru', proj: false, bias: true, resetAfter: false },
  { mode: 'gru', proj: false, bias: false, resetAfter: false },
  { mode: 'lstm', proj: false, bias: true },
  { mode: 'lstm', proj: true, bias: true },
];
const name = (s: LayerSetup): string => `${s.mode}${s.resetAfter === false ? ' (reset before)' : ''}${s.proj ? '+proj' : ''}${s.bias ? '' : ' no bias'}`;

/** Output values and input gradients of Σ out·w for one run. */
function valuesAndGrads(fn: (...xs: Tensor[]) => Tensor[], xs: Tensor[]): Tensor[] {
  for (const x of xs) x.grad = null;
  const outs = fn(...xs);
  const loss = torch.tidy(() => {
    let l = torch.zeros([]);
    outs.forEach((o, i) => (l = torch.add(l, torch.sum(torch.mul(o, torch.sin(torch.arange(o.numel()).reshape(o.shape).add(i)))))));
    return l;
  });
  loss.backward();
  loss.dispose();
  const result = [...outs.map((o) => torch.detach(o)), ...xs.map((x) => torch.clone(x.grad!))];
  for (const o of outs) o.dispose();
  return result;
}

describe('recurrentLayer op: fused kernels and the composed fallback agree', () => {
  const packed = [4, 4, 3, 1];
  for (const s of SETUPS) {
    for (const reverse of [false, true]) {
      test(`${name(s)}, packed ${JSON.stringify(packed)}${reverse ? ', reverse' : ''}: outputs and every gradient`, () => {
        torch.manualSeed(1);
        const xs = layerInputs(s, packed, 'float32');
        const fused = valuesAndGrads(layerFn(s, packed, reverse), xs);
        const composed = withoutFused(() => valuesAndGrads(layerFn(s, packed, reverse), xs));
        fused.forEach((t, i) => expect(maxDiff(t, composed[i]!), `tensor ${i}`).toBeLessThan(2e-5));
        for (const t of [...fused, ...composed, ...xs]) t.dispose();
      });
    }
  }
});

describe('gradcheck (float64)', () => {
  for (const s of SETUPS) {
    test(`${name(s)} cell step, fused and composed`, () => {
      torch.manualSeed(2);
      const xs = layerInputs(s, [3], 'float64');
      expect(gradcheck(layerFn(s, [3], false), xs, { atol: 1e-6 })).toBe(true);
      expect(withoutFused(() => gradcheck(layerFn(s, [3], false), xs, { atol: 1e-6 }))).toBe(true);
      for (const x of xs) x.dispose();
    });
    test(`${name(s)} packed sequence in both directions`, () => {
      torch.manualSeed(3);
      const sizes = [3, 2, 2, 1];
      const xs = layerInputs(s, sizes, 'float64');
      for (const reverse of [false, true]) {
        expect(gradcheck(layerFn(s, sizes, reverse), xs, { atol: 1e-6 })).toBe(true);
        expect(withoutFused(() => gradcheck(layerFn(s, sizes, reverse), xs, { atol: 1e-6 }))).toBe(true);
      }
      for (const x of xs) x.dispose();
    });
  }

  test('RNNCell, GRUCell and LSTMCell modules in float64', () => {
    torch.manualSeed(4);
    for (const make of [() => new RNNCell(3, 4, { dtype: 'float64' }), () => new GRUCell(3, 4, { dtype: 'float64' }), () => new GRUCell(3, 4, { dtype: 'float64', resetAfter: false })]) {
      const cell = make();
      const x = torch.randn([2, 3], { dtype: 'float64' }).requiresGrad_(true);
      const h = torch.randn([2, 4], { dtype: 'float64' }).requiresGrad_(true);
      const params = cell.parameters();
      expect(gradcheck((a: Tensor, b: Tensor) => cell.call(a, b), [x, h, ...params])).toBe(true);
      cell.dispose();
      x.dispose();
      h.dispose();
    }
    const lstm = new LSTMCell(3, 4, { dtype: 'float64' });
    const x = torch.randn([2, 3], { dtype: 'float64' }).requiresGrad_(true);
    const h = torch.randn([2, 4], { dtype: 'float64' }).requiresGrad_(true);
    const c = torch.randn([2, 4], { dtype: 'float64' }).requiresGrad_(true);
    expect(gradcheck((a: Tensor, b: Tensor, d: Tensor) => lstm.call(a, [b, d]), [x, h, c, ...lstm.parameters()])).toBe(true);
    lstm.dispose();
    for (const t of [x, h, c]) t.dispose();
  });
});

// ---- SRU ------------------------------------------------------------------------------------------

/** The paper's equations, step by step with plain autograd-recorded ops (the oracle), on [T, B, ·]. */
function sruReference(x: Tensor, w: Tensor, vc: Tensor, b: Tensor, c0: Tensor, reverse: boolean): [Tensor, Tensor] {
  return torch.tidy(() => {
    const [T, B] = x.shape as [number, number];
    const H = c0.shape[1]!;
    const k = w.shape[0]! / H;
    const u = torch.matmul(x, torch.t(w));
    const [vf, vr] = torch.chunk(vc, 2);
    const [bf, br] = torch.chunk(b, 2);
    let c = c0;
    const hs: Tensor[] = new Array(T);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const ut = torch.select(u, 0, t);
      const xt = torch.narrow(ut, 1, 0, H);
      const f = torch.sigmoid(torch.add(torch.add(torch.narrow(ut, 1, H, H), torch.mul(vf!, c)), bf!));
      const r = torch.sigmoid(torch.add(torch.add(torch.narrow(ut, 1, 2 * H, H), torch.mul(vr!, c)), br!));
      c = torch.add(torch.mul(f, c), torch.mul(torch.sub(1, f), xt));
      const hw = k === 3 ? torch.select(x, 0, t) : torch.narrow(ut, 1, 3 * H, H);
      hs[t] = torch.add(torch.mul(r, c), torch.mul(torch.sub(1, r), hw));
    }
    void B;
    return [torch.stack(hs, 0), c];
  });
}

function sruOperands(k: 3 | 4, dtype: 'float32' | 'float64', T = 5, B = 3, H = 4): Tensor[] {
  const I = k === 3 ? H : 3;
  const r = (shape: number[], scale = 0.5): Tensor => torch.mul(torch.randn(shape, { dtype }), scale).requiresGrad_(true);
  return [r([T, B, I]), r([k * H, I]), r([2 * H]), r([2 * H]), r([B, H])];
}

function sruFused(reverse: boolean) {
  return (x: Tensor, w: Tensor, vc: Tensor, b: Tensor, c0: Tensor): Tensor[] =>
    torch.tidy(() => {
      const [T, B, I] = x.shape as [number, number, number];
      const r = sruLayer(torch.reshape(x, [T * B, I]), w, vc, b, c0, new Array<number>(T).fill(B), reverse);
      return [torch.reshape(r.h, [T, B, c0.shape[1]!]), r.cN];
    });
}

describe('SRU (Lei et al. 2018)', () => {
  for (const k of [3, 4] as const) {
    for (const reverse of [false, true]) {
      test(`k=${k}${reverse ? ', reverse' : ''}: the fused op and its composed fallback equal the paper's equations (values and gradients)`, () => {
        torch.manualSeed(5);
        const xs = sruOperands(k, 'float32');
        const ref = valuesAndGrads((...a: Tensor[]) => sruReference(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, reverse), xs);
        const fused = valuesAndGrads((...a: Tensor[]) => sruFused(reverse)(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!), xs);
        const composed = withoutFused(() => valuesAndGrads((...a: Tensor[]) => sruFused(reverse)(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!), xs));
        ref.forEach((t, i) => {
          expect(maxDiff(fused[i]!, t), `fused tensor ${i}`).toBeLessThan(2e-5);
          expect(maxDiff(composed[i]!, t), `composed tensor ${i}`).toBeLessThan(2e-5);
        });
        for (const t of [...ref, ...fused, ...composed, ...xs]) t.dispose();
      });
      test(`k=${k}${reverse ? ', reverse' : ''}: gradcheck in float64, fused and composed`, () => {
        torch.manualSeed(6);
        const xs = sruOperands(k, 'float64', 4, 2, 3);
        const fn = (...a: Tensor[]): Tensor[] => sruFused(reverse)(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
        expect(gradcheck(fn, xs, { atol: 1e-6 })).toBe(true);
        expect(withoutFused(() => gradcheck(fn, xs, { atol: 1e-6 }))).toBe(true);
        for (const t of xs) t.dispose();
      });
    }
  }

  test('the SRU module: shapes, parameter names, packed input equals padded input per sequence', () => {
    torch.manualSeed(7);
    const m = new SRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true });
    expect(m.namedParameters().map(([n, p]) => `${n} [${p.shape.join(', ')}]`)).toEqual([
      'weight_l0 [16, 3]', 'weight_c_l0 [8]', 'bias_l0 [8]',
      'weight_l0_reverse [16, 3]', 'weight_c_l0_reverse [8]', 'bias_l0_reverse [8]',
      'weight_l1 [16, 8]', 'weight_c_l1 [8]', 'bias_l1 [8]',
      'weight_l1_reverse [16, 8]', 'weight_c_l1_reverse [8]', 'bias_l1_reverse [8]',
    ]);
    const x = torch.randn([3, 5, 3]);
    const [out, cN] = m.call(x);
    expect(out.shape).toEqual([3, 5, 8]);
    expect(cN.shape).toEqual([4, 3, 4]);
    // a packed batch of lengths [5, 2, 4] gives, per sequence, what that sequence alone gives
    const packed = packPaddedSequence(x, [5, 2, 4], { batchFirst: true, enforceSorted: false });
    const [pout, pc] = m.forward(packed);
    const [padded] = padPackedSequence(pout, { batchFirst: true });
    for (const [b, len] of [[0, 5], [1, 2], [2, 4]] as const) {
      const alone = torch.narrow(torch.select(x, 0, b), 0, 0, len).unsqueeze(0);
      const [o1, c1] = m.call(alone);
      expect(maxDiff(torch.narrow(torch.select(padded, 0, b), 0, 0, len), torch.select(o1, 0, 0))).toBeLessThan(1e-5);
      expect(maxDiff(torch.select(pc, 1, b), torch.select(c1, 1, 0))).toBeLessThan(1e-5);
    }
    m.dispose();
  });
});

// ---- modules: behaviour beyond the fixtures ------------------------------------------------------

describe('RNN / GRU / LSTM modules', () => {
  afterEach(() => torch.manualSeed(0));

  test('parameter names, shapes and U(−1/√H, 1/√H) initialisation as PyTorch', () => {
    const m = new LSTM(10, 20, { numLayers: 2, bidirectional: true, projSize: 5 });
    const names = m.namedParameters().map(([n, p]) => `${n} [${p.shape.join(', ')}]`);
    expect(names.slice(0, 5)).toEqual(['weight_ih_l0 [80, 10]', 'weight_hh_l0 [80, 5]', 'bias_ih_l0 [80]', 'bias_hh_l0 [80]', 'weight_hr_l0 [5, 20]']);
    expect(names).toContain('weight_ih_l1_reverse [80, 10]');
    const bound = 1 / Math.sqrt(20);
    for (const p of m.parameters()) {
      const v = p.dataSync();
      let lo = Infinity;
      let hi = -Infinity;
      for (const e of v) {
        lo = Math.min(lo, e);
        hi = Math.max(hi, e);
      }
      expect(lo).toBeGreaterThanOrEqual(-bound);
      expect(hi).toBeLessThanOrEqual(bound);
      expect(hi - lo).toBeGreaterThan(bound);
    }
    expect(new GRU(4, 6).toString()).toBe('GRU(4, 6)');
    expect(new GRU(4, 6, { resetAfter: false }).toString()).toBe('GRU(4, 6, reset_after=False)');
    expect(new GRUCell(4, 6, { resetAfter: false }).toString()).toBe('GRUCell(4, 6, reset_after=False)');
    expect(m.toString()).toBe('LSTM(10, 20, proj_size=5, num_layers=2, bidirectional=True)');
    m.dispose();
  });

  test('unbatched 2-D input gives the batched result for a batch of one', () => {
    const m = new GRU(3, 4, { numLayers: 2 });
    const x = torch.randn([6, 3]);
    const h0 = torch.randn([2, 4]);
    const [o, h] = m.call(x, h0);
    const [ob, hb] = m.call(x.unsqueeze(1), h0.unsqueeze(1));
    expect(o.shape).toEqual([6, 4]);
    expect(h.shape).toEqual([2, 4]);
    expect(maxDiff(o, ob.squeeze(1))).toBe(0);
    expect(maxDiff(h, hb.squeeze(1))).toBe(0);
    m.dispose();
  });

  test('dropout between layers only in training mode', () => {
    const m = new LSTM(3, 8, { numLayers: 2, dropout: 0.5 });
    const x = torch.randn([4, 2, 3]);
    m.eval();
    const [a] = m.call(x);
    const [b] = m.call(x);
    expect(maxDiff(a, b)).toBe(0);
    m.train();
    const [c] = m.call(x);
    expect(maxDiff(a, c)).toBeGreaterThan(1e-4);
    m.dispose();
  });

  test('a packed batch gives each sequence what it gives alone, with final states at the true length', () => {
    const m = new GRU(3, 5, { bidirectional: true, numLayers: 2 });
    const seqs = [torch.randn([2, 3]), torch.randn([5, 3]), torch.randn([4, 3])];
    const packed = packSequence(seqs, { enforceSorted: false });
    expect(Array.from(packed.sortedIndices!.dataSync())).toEqual([1, 2, 0]);
    expect(packed.batchSizesArray).toEqual([3, 3, 2, 2, 1]);
    const [out, hN] = m.forward(packed);
    expect(out).toBeInstanceOf(PackedSequence);
    const unpacked = unpackSequence(out);
    seqs.forEach((s, b) => {
      const [o1, h1] = m.call(s);
      expect(maxDiff(unpacked[b]!, o1)).toBeLessThan(1e-5);
      expect(maxDiff(torch.select(hN, 1, b), h1)).toBeLessThan(1e-5);
    });
    m.dispose();
  });

  test('double backward is refused with a clear error (as for PyTorch cuDNN RNNs)', () => {
    const m = new GRU(2, 3);
    const x = torch.randn([4, 1, 2]).requiresGrad_(true);
    const [o] = m.call(x);
    const loss = torch.sum(o);
    expect(() => loss.backward(undefined, { createGraph: true })).toThrow('recurrentLayer: double backward (createGraph) is not supported');
    m.dispose();
  });

  test('cells: unbatched input and default zero state', () => {
    const cell = new LSTMCell(3, 4);
    const x = torch.randn([3]);
    const [h, c] = cell.call(x);
    const [hb, cb] = cell.call(x.unsqueeze(0), [torch.zeros([1, 4]), torch.zeros([1, 4])]);
    expect(h.shape).toEqual([4]);
    expect(maxDiff(h, hb.squeeze(0))).toBe(0);
    expect(maxDiff(c, cb.squeeze(0))).toBe(0);
    cell.dispose();
  });

  test('no graph and no workspace under noGrad; forward + backward frees everything', () => {
    const m = new GRU(4, 6, { numLayers: 2, bidirectional: true });
    const x = torch.randn([7, 3, 4]);
    const before = torch.memoryStats();
    const [o, h] = noGrad(() => m.call(x));
    expect(o.requiresGrad).toBe(false);
    o.dispose();
    h.dispose();
    const [o2, h2] = m.call(x);
    const loss = torch.tidy(() => torch.add(torch.sum(o2), torch.sum(h2)));
    loss.backward();
    for (const t of [loss, o2, h2]) t.dispose();
    for (const p of m.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
    const after = torch.memoryStats();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveStorages).toBe(before.liveStorages);
    m.dispose();
  });
});

describe('errors name the expected and actual shapes (PyTorch wording)', () => {
  test('input feature size, rank and hidden shapes', () => {
    const gru = new GRU(10, 20);
    expect(() => gru.call(torch.randn([5, 3, 5]))).toThrow('input.size(-1) must be equal to input_size. Expected 10, got 5');
    expect(() => gru.call(torch.randn([5, 3, 10]), torch.randn([1, 4, 20]))).toThrow('Expected hidden size (1, 3, 20), got [1, 4, 20]');
    expect(() => gru.call(torch.randn([5, 3, 10, 1]))).toThrow('GRU: Expected input to be 2D or 3D, got 4D tensor instead');
    expect(() => gru.call(torch.randn([5, 10]), torch.randn([1, 3, 20]))).toThrow('For unbatched 2-D input, hx should also be 2-D but got 3-D tensor');
    expect(() => gru.call(torch.randn([5, 3, 10]), torch.randn([3, 20]))).toThrow('For batched 3-D input, hx should also be 3-D but got 2-D tensor');
    const lstm = new LSTM(10, 20);
    expect(() => lstm.call(torch.randn([5, 3, 10]), [torch.randn([1, 3, 20]), torch.randn([1, 4, 20])])).toThrow('Expected hidden[1] size (1, 3, 20), got [1, 4, 20]');
    expect(() => lstm.call(torch.randn([5, 3, 10]), [torch.randn([1, 4, 20]), torch.randn([1, 3, 20])])).toThrow('Expected hidden[0] size (1, 3, 20), got [1, 4, 20]');
    const cell = new GRUCell(10, 20);
    expect(() => cell.call(torch.randn([3, 5]))).toThrow('input has inconsistent input_size: got 5 expected 10');
    expect(() => cell.call(torch.randn([3, 10]), torch.randn([4, 20]))).toThrow("Input batch size 3 doesn't match hidden0 batch size 4");
    expect(() => cell.call(torch.randn([3, 10]), torch.randn([3, 21]))).toThrow('hidden0 has inconsistent hidden_size: got 21, expected 20');
    expect(() => cell.call(torch.randn([3, 10, 1]))).toThrow('GRUCell: Expected input to be 1D or 2D, got 3D instead');
  });

  test('constructor arguments', () => {
    expect(() => new RNN(10, 20, { nonlinearity: 'foo' as 'tanh' })).toThrow("Unknown nonlinearity 'foo'");
    expect(() => new LSTM(10, 20, { projSize: 20 })).toThrow('proj_size has to be smaller than hidden_size');
    expect(() => new LSTM(10, 20, { resetAfter: false } as object)).toThrow('resetAfter is an option of GRU and GRUCell only');
    expect(() => new GRU(10, 20, { resetAfter: 0 as unknown as boolean })).toThrow('resetAfter must be a boolean, got 0');
  });

  test('lengths: unsorted with enforceSorted, zero, too long, wrong count', () => {
    const x = torch.randn([5, 3, 4]);
    expect(() => packPaddedSequence(x, [2, 3, 1])).toThrow('`lengths` array must be sorted in decreasing order when `enforce_sorted` is True');
    expect(() => packPaddedSequence(x, [3, 2, 0])).toThrow("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0");
    expect(() => packPaddedSequence(x, [6, 2, 1])).toThrow("sequence 0 has length 6, longer than the padded input's 5 steps (input shape [5, 3, 4]");
    expect(() => packPaddedSequence(x, [3, 2])).toThrow('Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)');
    const p = packPaddedSequence(x, [5, 3, 1]);
    expect(() => padPackedSequence(p, { totalLength: 3 })).toThrow(
      'Expected total_length to be at least the length of the longest sequence in input, but got total_length=3 and max sequence length being 5',
    );
  });
});

describe('nn.utils.rnn', () => {
  test('pack → pad round trip, batch sizes and indices as PyTorch', () => {
    const x = torch.arange(15).reshape([5, 3, 1]);
    const p = packPaddedSequence(x, torch.tensor(Int32Array.from([1, 5, 3])), { enforceSorted: false });
    expect(Array.from(p.batchSizes.dataSync())).toEqual([3, 2, 2, 1, 1]);
    expect(Array.from(p.sortedIndices!.dataSync())).toEqual([1, 2, 0]);
    expect(Array.from(p.unsortedIndices!.dataSync())).toEqual([2, 0, 1]);
    // PyTorch: data = [1, 2, 0, 4, 5, 7, 8, 10, 13]
    expect(Array.from(p.data.dataSync())).toEqual([1, 2, 0, 4, 5, 7, 8, 10, 13]);
    const [padded, lengths] = padPackedSequence(p, { batchFirst: true, paddingValue: -1 });
    expect(Array.from(lengths.dataSync())).toEqual([1, 5, 3]);
    expect(padded.reshape([3, 5]).tolist()).toEqual([
      [0, -1, -1, -1, -1],
      [1, 4, 7, 10, 13],
      [2, 5, 8, -1, -1],
    ]);
  });

  test('padSequence and packSequence', () => {
    const a = torch.tensor([1, 2, 3]);
    const b = torch.tensor([4]);
    expect(padSequence([a, b], { batchFirst: true }).tolist()).toEqual([
      [1, 2, 3],
      [4, 0, 0],
    ]);
    expect(padSequence([a, b], { paddingValue: 9 }).tolist()).toEqual([
      [1, 4],
      [2, 9],
      [3, 9],
    ]);
    const p = packSequence([a, b]);
    expect(Array.from(p.data.dataSync())).toEqual([1, 4, 2, 3]);
    expect(p.sortedIndices).toBeNull();
    expect(() => packSequence([b, a])).toThrow('must be sorted in decreasing order');
  });

  test('packing is differentiable', () => {
    const x = torch.randn([4, 2, 3]).requiresGrad_(true);
    const p = packPaddedSequence(x, [4, 2]);
    const [padded] = padPackedSequence(p);
    torch.sum(padded).backward();
    // gradient 1 where a sequence has data, 0 in the padding
    const g = x.grad!.tolist() as number[][][];
    expect(g[3]![0]).toEqual([1, 1, 1]);
    expect(g[3]![1]).toEqual([0, 0, 0]);
  });
});
