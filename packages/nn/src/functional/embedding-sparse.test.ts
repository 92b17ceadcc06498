import { RowSparseTensor, noGrad } from '@torchlet/autograd';
import { Adagrad, SGD, SparseAdam, type Optimizer } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import { memoryStats, type Tensor } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import { Embedding, EmbeddingBag } from '../layers/embedding.js';
import { clipGradNorm_, clipGradValue_ } from '../utils/clip-grad.js';
import { embeddingBagSumMean, type EmbeddingBagOpAttrs } from './embedding-bag-op.js';
import { embeddingBag } from './embedding.js';

const data = (t: Tensor): number[] => Array.from(t.dataSync());
const i32 = (...v: number[]): Tensor => torch.tensor(new Int32Array(v));

function expectClose(a: number[], b: number[], tol = 1e-6): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!))));
}

describe('embeddingBag op: fused kernels and composed path agree', () => {
  const cases: { name: string; attrs: Omit<EmbeddingBagOpAttrs, 'sparse'>; psw: boolean }[] = [
    { name: 'mean', attrs: { mode: 'mean', paddingIdx: -1 }, psw: false },
    { name: 'sum', attrs: { mode: 'sum', paddingIdx: -1 }, psw: false },
    { name: 'mean with padding', attrs: { mode: 'mean', paddingIdx: 3 }, psw: false },
    { name: 'sum with per-sample weights and padding', attrs: { mode: 'sum', paddingIdx: 3 }, psw: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      torch.manualSeed(1);
      const w0 = torch.randn([7, 5]);
      const indices = i32(1, 3, 3, 6, 0, 2, 3, 5, 5);
      const offsets = i32(0, 3, 3, 4); // bags: [1 3 3], [], [6], [0 2 3 5 5]
      const psw0 = torch.randn([9]);
      const g = torch.randn([4, 5]);
      const run = (composed: boolean, sparse: boolean): number[][] => {
        const w = w0.clone().requiresGrad_();
        const psw = c.psw ? psw0.clone().requiresGrad_() : null;
        const out = embeddingBagSumMean(w, indices, offsets, psw, { ...c.attrs, sparse, composed });
        out.backward(g);
        expect(w.grad!.isSparse).toBe(sparse);
        const r = [data(out), data(w.grad!), psw ? data(psw.grad!) : []];
        for (const t of [w, out, psw]) t?.dispose();
        return r;
      };
      const fused = run(false, false);
      const composed = run(true, false);
      const fusedSparse = run(false, true);
      const composedSparse = run(true, true);
      for (const other of [composed, fusedSparse, composedSparse]) other.forEach((v, k) => expectClose(v, fused[k]!));
      // the empty bag is zero
      expect(fused[0]!.slice(5, 10)).toEqual([0, 0, 0, 0, 0]);
      for (const t of [w0, indices, offsets, psw0, g]) t.dispose();
    });
  }

  test('F.embeddingBag through the op equals the per-row lookup it replaces', () => {
    torch.manualSeed(2);
    const w = torch.randn([6, 3]);
    const input2d = i32(0, 1, 5, 5, 4, 2).reshape([2, 3]);
    const out = embeddingBag(input2d, w, { mode: 'mean' });
    const expected = torch.stack([torch.indexSelect(w, 0, i32(0, 1, 5)).mean(0), torch.indexSelect(w, 0, i32(5, 4, 2)).mean(0)]);
    expectClose(data(out), data(expected));
    for (const t of [w, input2d, out, expected]) t.dispose();
  });
});

describe('sparse: true produces row-sparse gradients', () => {
  test('EmbeddingBag and Embedding: .grad is a RowSparseTensor equal to the dense gradient', () => {
    for (const make of [
      (sparse: boolean) => new EmbeddingBag(10, 4, { mode: 'mean', sparse }),
      (sparse: boolean) => new Embedding(10, 4, { sparse }),
    ]) {
      torch.manualSeed(3);
      const dense = make(false);
      torch.manualSeed(3);
      const sparse = make(true);
      const input = i32(2, 7, 7, 9);
      const offsets = i32(0, 1);
      const fwd = (m: EmbeddingBag | Embedding): Tensor => (m instanceof EmbeddingBag ? m.call(input, offsets) : m.call(input));
      const ld = fwd(dense).pow(2).sum();
      const ls = fwd(sparse).pow(2).sum();
      ld.backward();
      ls.backward();
      const gs = sparse.weight.grad!;
      expect(gs).toBeInstanceOf(RowSparseTensor);
      expect((gs as RowSparseTensor).nnz).toBe(4);
      expectClose(data(gs), data(dense.weight.grad!));
      for (const t of [input, offsets, ld, ls]) t.dispose();
      dense.weight.dispose();
      sparse.weight.dispose();
    }
  });

  test('zeroGrad drops or zeroes it; clipGradNorm_ and clipGradValue_ work on it', () => {
    const emb = new EmbeddingBag(6, 2, { mode: 'sum', sparse: true });
    const input = i32(1, 1, 4);
    const offsets = i32(0);
    const step = (): void => {
      const l = emb.call(input, offsets).mul(3).sum();
      l.backward();
      l.dispose();
    };
    step();
    emb.zeroGrad({ setToNone: false });
    expect(emb.weight.grad!.isSparse).toBe(true);
    expect(data(emb.weight.grad!)).toEqual(new Array(12).fill(0));
    emb.zeroGrad();
    expect(emb.weight.grad).toBeNull();
    step(); // dense value: rows 1 = 6, 4 = 3 (each column)
    const norm = clipGradNorm_(emb.parameters(), 1);
    expect(norm.item()).toBeCloseTo(Math.sqrt(2 * 36 + 2 * 9), 4);
    expectClose(data(emb.weight.grad!), [0, 0, 6, 6, 0, 0, 0, 0, 3, 3, 0, 0].map((v) => v / norm.item()), 1e-5);
    norm.dispose();
    emb.zeroGrad();
    step();
    clipGradValue_(emb.parameters(), 4);
    expect((emb.weight.grad as RowSparseTensor).isCoalesced).toBe(true);
    expect(data(emb.weight.grad!)).toEqual([0, 0, 4, 4, 0, 0, 0, 0, 3, 3, 0, 0]);
    emb.zeroGrad();
    for (const t of [input, offsets, emb.weight]) t.dispose();
  });
});

describe('optimizers apply row-sparse gradients to the touched rows only', () => {
  type Make = (params: Tensor[]) => Optimizer<any>;
  const optimizers: [string, Make, Make][] = [
    ['SGD', (p) => new SGD(p, { lr: 0.5 }), (p) => new SGD(p, { lr: 0.5 })],
    ['Adagrad', (p) => new Adagrad(p, { lr: 0.1 }), (p) => new Adagrad(p, { lr: 0.1 })],
    // SparseAdam's dense path moves every row (zero-gradient rows decay); compare touched rows only.
    ['SparseAdam', (p) => new SparseAdam(p, { lr: 0.1 }), (p) => new SparseAdam(p, { lr: 0.1 })],
  ];
  for (const [name, makeSparse, makeDense] of optimizers) {
    test(`${name}: untouched rows bit-identical, touched rows equal the dense path`, () => {
      torch.manualSeed(4);
      const sparse = new EmbeddingBag(8, 3, { mode: 'mean', sparse: true });
      const dense = new EmbeddingBag(8, 3, { mode: 'mean', sparse: false });
      noGrad(() => dense.weight.copy_(sparse.weight));
      const before = data(sparse.weight);
      const optS = makeSparse([sparse.weight]);
      const optD = makeDense([dense.weight]);
      const input = i32(1, 5, 5, 6, 1);
      const offsets = i32(0, 2);
      const target = torch.randn([2, 3]);
      for (let it = 0; it < 3; it++) {
        for (const [m, opt] of [[sparse, optS], [dense, optD]] as const) {
          opt.zeroGrad();
          const l = m.call(input, offsets).sub(target).pow(2).sum();
          l.backward();
          opt.step();
          l.dispose();
        }
      }
      const after = data(sparse.weight);
      const afterDense = data(dense.weight);
      const touched = new Set([1, 5, 6]);
      for (let r = 0; r < 8; r++) {
        const rowS = after.slice(3 * r, 3 * r + 3);
        if (!touched.has(r)) expect(rowS).toEqual(before.slice(3 * r, 3 * r + 3));
        else {
          expect(rowS).not.toEqual(before.slice(3 * r, 3 * r + 3));
          expectClose(rowS, afterDense.slice(3 * r, 3 * r + 3), 1e-5);
        }
      }
      optS.zeroGrad();
      optD.zeroGrad();
      optS.dispose();
      optD.dispose();
      for (const t of [input, offsets, target, sparse.weight, dense.weight]) t.dispose();
    });
  }

  test('SGD with momentum refuses a sparse gradient clearly', () => {
    const emb = new Embedding(4, 2, { sparse: true });
    const input = i32(1);
    const l = emb.call(input).sum();
    l.backward();
    const opt = new SGD(emb.parameters(), { lr: 0.1, momentum: 0.9 });
    expect(() => opt.step()).toThrow(/sparse gradients are supported only with momentum = 0/);
    emb.zeroGrad();
    for (const t of [input, l, emb.weight]) t.dispose();
  });

  test('a training step leaves no tensors behind', () => {
    const emb = new EmbeddingBag(50, 8, { mode: 'mean', sparse: true });
    const opt = new SGD(emb.parameters(), { lr: 0.1 });
    const input = i32(3, 9, 9, 40);
    const offsets = i32(0);
    const run = (): void => {
      opt.zeroGrad();
      torch.tidy(() => emb.call(input, offsets).sum().backward());
      opt.step();
    };
    run();
    opt.zeroGrad();
    const before = memoryStats();
    for (let i = 0; i < 5; i++) run();
    opt.zeroGrad();
    expect(memoryStats().liveTensors).toBe(before.liveTensors);
    expect(memoryStats().liveStorages).toBe(before.liveStorages);
    for (const t of [input, offsets, emb.weight]) t.dispose();
  });
});
