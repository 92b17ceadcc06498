import { describe, expect, test } from 'vitest';
import {
  DTypeError,
  RuntimeError,
  ShapeError,
  ValueError,
  addmm,
  addmv,
  baddbmm,
  bmm,
  cdist,
  dot,
  einsum,
  getOp,
  linalg,
  matmul,
  memoryStats,
  mm,
  mv,
  outer,
  tensor,
  tensordot,
  type Tensor,
} from '../index.js';
import { transpose } from './views.js';

async function vals(t: Tensor): Promise<number[]> {
  const d = await t.data();
  t.dispose();
  return Array.from(d);
}

function close(actual: number[], expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i]!))));
}

/** Deterministic values 0.1·((i·7) mod 11) − 0.5. */
function seq(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, (_, i) => 0.1 * ((i * 7) % 11) - 0.5), { shape });
}

/** Reference row-major matmul of [M, K] × [K, N] flat arrays. */
function refMm(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
    out.push(s);
  }
  return out;
}

describe('matmul', () => {
  test('2-D × 2-D', async () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([[1, 0], [0, 1], [1, 1]]);
    const c = matmul(a, b);
    expect(c.shape).toEqual([2, 2]);
    expect(await vals(c)).toEqual([4, 5, 10, 11]);
    expect(await vals(a.matmul(b))).toEqual([4, 5, 10, 11]);
    a.dispose();
    b.dispose();
  });

  test('1-D operands are promoted and the promoted dim removed', async () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const v3 = tensor([1, 1, 2]);
    const v2 = tensor([1, -1]);
    const mvOut = matmul(a, v3);
    expect(mvOut.shape).toEqual([2]);
    expect(await vals(mvOut)).toEqual([9, 21]);
    const vm = matmul(v2, a);
    expect(vm.shape).toEqual([3]);
    expect(await vals(vm)).toEqual([-3, -3, -3]);
    const d = matmul(v3, v3);
    expect(d.shape).toEqual([]);
    expect(await vals(d)).toEqual([6]);
    a.dispose();
    v3.dispose();
    v2.dispose();
  });

  test('batch dims broadcast, including a 1-D and a 2-D operand against a batch', async () => {
    const a = seq([2, 1, 3, 4]);
    const b = seq([5, 4, 2]);
    const c = matmul(a, b);
    expect(c.shape).toEqual([2, 5, 3, 2]);
    const av = await a.data();
    const bv = await b.data();
    const got = await vals(c);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 5; j++) {
      const ref = refMm(av.subarray(i * 12, i * 12 + 12), bv.subarray(j * 8, j * 8 + 8), 3, 4, 2);
      close(got.slice((i * 5 + j) * 6, (i * 5 + j) * 6 + 6), ref);
    }
    const v = tensor([1, 2, 3, 4]);
    expect(matmul(v, b).shape).toEqual([5, 2]);
    expect(matmul(a, v).shape).toEqual([2, 1, 3]);
    const m = seq([4, 2]);
    const am = matmul(a, m);
    expect(am.shape).toEqual([2, 1, 3, 2]);
    close(Array.from((await vals(am)).slice(0, 6)), refMm(av.subarray(0, 12), await m.data(), 3, 4, 2));
    a.dispose();
    b.dispose();
    v.dispose();
    m.dispose();
  });

  test('transposed (strided) operands need no copy and give the same result', async () => {
    const a = seq([3, 2]);
    const b = seq([4, 3]);
    const at = transpose(a, 0, 1); // [2, 3]
    const bt = transpose(b, 0, 1); // [3, 4]
    const c = matmul(at, bt);
    const ac = at.contiguous();
    const bc = bt.contiguous();
    close(await vals(c), refMm(await ac.data(), await bc.data(), 2, 3, 4));
    for (const t of [a, b, at, bt, ac, bc]) t.dispose();
  });

  test('int32 products are exact and stay int32; float64 stays float64', async () => {
    const a = tensor([[100000, 3], [2, 1]], { dtype: 'int32' });
    const b = tensor([[20000], [5]], { dtype: 'int32' });
    const c = matmul(a, b);
    expect(c.dtype).toBe('int32');
    expect(await vals(c)).toEqual([2000000015, 40005]);
    const d = tensor([[1, 2]], { dtype: 'float64' });
    const e = matmul(d, tensor([[3], [4]], { dtype: 'float64' }));
    expect(e.dtype).toBe('float64');
    e.dispose();
    d.dispose();
    a.dispose();
    b.dispose();
  });

  test('an empty inner dim gives zeros; empty outer dims give an empty result', async () => {
    const a = tensor(new Float32Array(0), { shape: [2, 0] });
    const b = tensor(new Float32Array(0), { shape: [0, 3] });
    expect(await vals(matmul(a, b))).toEqual([0, 0, 0, 0, 0, 0]);
    const c = matmul(b, tensor(new Float32Array(0), { shape: [3, 0] }));
    expect(c.shape).toEqual([0, 0]);
    c.dispose();
    a.dispose();
    b.dispose();
  });

  test('errors name the op and the shapes, as PyTorch', () => {
    const a = seq([2, 3]);
    const b = seq([4, 5]);
    expect(() => matmul(a, b)).toThrow(ShapeError);
    expect(() => matmul(a, b)).toThrow('matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)');
    expect(() => mm(a, b)).toThrow('mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)');
    const v = seq([4]);
    expect(() => matmul(a, v)).toThrow('size mismatch, got input (2), mat (2x3), vec (4)');
    expect(() => matmul(seq([3]), v)).toThrow(/inconsistent tensor size, expected tensor \[3\] and src \[4\]/);
    expect(() => matmul(seq([2, 2, 3]), seq([3, 4, 5]))).toThrow(ShapeError);
    expect(() => matmul(seq([2, 3, 4]), seq([3, 4, 5]))).toThrow(/size of tensor a \(2\) must match the size of tensor b \(3\)/);
    const s = tensor(2);
    expect(() => matmul(s, a)).toThrow(RuntimeError);
    expect(() => matmul(s, a)).toThrow('both arguments to matmul need to be at least 1D, but they are 0D and 2D');
    const d = tensor([[1, 2, 3]], { dtype: 'float64' });
    expect(() => matmul(d, seq([3, 1]))).toThrow(DTypeError);
    expect(() => matmul(d, seq([3, 1]))).toThrow('expected m1 and m2 to have the same dtype, but got: float64 != float32');
    const bo = tensor([[true]]);
    expect(() => matmul(bo, bo)).toThrow(DTypeError);
    for (const t of [a, b, v, s, d, bo]) t.dispose();
  });
});

describe('mm, bmm, mv, dot, outer', () => {
  test('mm needs matrices', async () => {
    const a = tensor([[1, 2], [3, 4]]);
    expect(await vals(mm(a, a))).toEqual([7, 10, 15, 22]);
    expect(await vals(a.mm(a))).toEqual([7, 10, 15, 22]);
    const v = tensor([1, 2]);
    expect(() => mm(a, v)).toThrow(/mm: mat2 must be a matrix/);
    expect(() => mm(v, a)).toThrow(/mm: self must be a matrix/);
    a.dispose();
    v.dispose();
  });

  test('bmm multiplies equal batches and refuses mismatches in PyTorch\'s words', async () => {
    const a = seq([4, 2, 3]);
    const b = seq([4, 3, 5]);
    const c = bmm(a, b);
    expect(c.shape).toEqual([4, 2, 5]);
    const av = await a.data();
    const bv = await b.data();
    const got = await vals(c);
    close(got.slice(30, 40), refMm(av.subarray(18, 24), bv.subarray(45, 60), 2, 3, 5));
    const bad = seq([4, 5, 5]);
    expect(() => bmm(a, bad)).toThrow(ShapeError);
    expect(() => bmm(a, bad)).toThrow('Expected size for first two dimensions of batch2 tensor to be: [4, 3] but got: [4, 5].');
    const b2 = seq([2, 3, 5]);
    expect(() => bmm(a, b2)).toThrow('Expected size for first two dimensions of batch2 tensor to be: [4, 3] but got: [2, 3].');
    const m = seq([2, 3]);
    expect(() => bmm(m, b)).toThrow(/batch1 must be a 3D tensor/);
    for (const t of [a, b, bad, b2, m]) t.dispose();
  });

  test('mv, dot and outer', async () => {
    const m = tensor([[1, 2], [3, 4], [5, 6]]);
    const v = tensor([1, -1]);
    expect(await vals(mv(m, v))).toEqual([-1, -1, -1]);
    expect(() => mv(v, m)).toThrow(/vector \+ matrix @ vector expected, got 1, 1, 2/);
    const d = dot(v, v);
    expect(d.shape).toEqual([]);
    expect(await vals(d)).toEqual([2]);
    expect(() => dot(m, v)).toThrow('dot: 1D tensors expected, but got 2D and 1D tensors');
    expect(() => dot(v, tensor([1, 2], { dtype: 'float64' }))).toThrow(DTypeError);
    const o = outer(v, tensor([1, 2, 3]));
    expect(o.shape).toEqual([2, 3]);
    expect(await vals(o)).toEqual([1, 2, 3, -1, -2, -3]);
    expect(() => outer(m, v)).toThrow(ShapeError);
    m.dispose();
    v.dispose();
  });
});

describe('addmm, baddbmm, addmv', () => {
  test('beta·input + alpha·product, input broadcast', async () => {
    const input = tensor([10, 20]);
    const a = tensor([[1, 2], [3, 4]]);
    expect(await vals(addmm(input, a, a))).toEqual([17, 30, 25, 42]);
    expect(await vals(addmm(input, a, a, { beta: 0.5, alpha: 2 }))).toEqual([19, 30, 35, 54]);
    expect(await vals(input.addmv(a, tensor([1, 1]), { alpha: -1 }))).toEqual([7, 13]);
    const big = tensor([[[1, 2]]]);
    expect(() => addmm(big, a, a)).toThrow(ShapeError);
    big.dispose();
    input.dispose();
    a.dispose();
  });

  test('beta 0 ignores NaN in input, as PyTorch', async () => {
    const input = tensor([[NaN, NaN]]);
    const a = tensor([[1, 2]]);
    const b = tensor([[1, 0], [0, 1]]);
    expect(await vals(addmm(input, a, b, { beta: 0 }))).toEqual([1, 2]);
    expect(await vals(addmv(tensor([NaN]), a, tensor([1, 1]), { beta: 0 }))).toEqual([3]);
    input.dispose();
    a.dispose();
    b.dispose();
  });

  test('baddbmm over batches', async () => {
    const a = seq([2, 2, 3]);
    const b = seq([2, 3, 2]);
    const input = tensor(1);
    const r = baddbmm(input, a, b, { alpha: 2 });
    const p = bmm(a, b);
    close(await vals(r), (await vals(p)).map((v) => 1 + 2 * v));
    for (const t of [a, b, input]) t.dispose();
  });
});

describe('tensordot and einsum', () => {
  test('tensordot with a count or two dim lists', async () => {
    const a = seq([2, 3, 4]);
    const b = seq([3, 4, 5]);
    const c = tensordot(a, b, 2);
    expect(c.shape).toEqual([2, 5]);
    const ar = a.reshape([2, 12]);
    const br = b.reshape([12, 5]);
    close(await vals(c), refMm(await ar.data(), await br.data(), 2, 12, 5));
    const d = tensordot(a, b, [[1, 2], [0, 1]]);
    expect(d.shape).toEqual([2, 5]);
    d.dispose();
    expect(tensordot(a, b, 0).shape).toEqual([2, 3, 4, 3, 4, 5]);
    expect(() => tensordot(a, b, [[0], [0]])).toThrow(ShapeError);
    for (const t of [a, b, ar, br]) t.dispose();
  });

  test('einsum matrix products, batches, sums and transposes', async () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([[1, 0], [0, 1], [1, 1]]);
    expect(await vals(einsum('ij,jk->ik', a, b))).toEqual([4, 5, 10, 11]);
    expect(await vals(einsum('ij,jk', [a, b]))).toEqual([4, 5, 10, 11]);
    expect(await vals(einsum('ij->', a))).toEqual([21]);
    expect(await vals(einsum('ij->j', a))).toEqual([5, 7, 9]);
    const t = einsum('ij->ji', a);
    expect(t.shape).toEqual([3, 2]);
    expect(await vals(t)).toEqual([1, 4, 2, 5, 3, 6]);
    // Implicit output: labels that appear once, sorted — 'ba' gives 'ab', a transpose.
    expect(await vals(einsum('ba', a))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(await vals(einsum('i j , j k -> i k', a, b))).toEqual([4, 5, 10, 11]);
    const x = seq([3, 2, 4]);
    const y = seq([3, 4, 5]);
    const bm = einsum('bij,bjk->bik', x, y);
    const ref = bmm(x, y);
    close(await vals(bm), await vals(ref));
    a.dispose();
    b.dispose();
    x.dispose();
    y.dispose();
  });

  test('einsum outer products, three operands and ellipsis broadcasting', async () => {
    const u = tensor([1, 2]);
    const v = tensor([3, 4, 5]);
    expect(await vals(einsum('i,j->ij', u, v))).toEqual([3, 4, 5, 6, 8, 10]);
    expect(await vals(einsum('i,i->', u, u))).toEqual([5]);
    expect(await vals(einsum('i,i->i', u, u))).toEqual([1, 4]);
    const a = seq([2, 3]);
    const b = seq([3, 4]);
    const c = seq([4, 2]);
    const abc = einsum('ij,jk,kl->il', a, b, c);
    const ab = mm(a, b);
    const ref = mm(ab, c);
    close(await vals(abc), await vals(ref));
    const batch = seq([2, 1, 2, 3]);
    const e = einsum('...ij,...jk->...ik', batch, seq([5, 3, 4]));
    expect(e.shape).toEqual([2, 5, 2, 4]);
    e.dispose();
    const s = einsum('...ij->...', batch);
    expect(s.shape).toEqual([2, 1]);
    s.dispose();
    for (const t of [u, v, a, b, c, ab, batch]) t.dispose();
  });

  test('einsum repeated subscripts: trace and diagonal', async () => {
    const m = tensor([[1, 2], [3, 4]]);
    expect(await vals(einsum('ii', m))).toEqual([5]);
    expect(await vals(einsum('ii->i', m))).toEqual([1, 4]);
    const x = seq([2, 3, 3]);
    const bd = einsum('bii->b', x);
    expect(bd.shape).toEqual([2]);
    const xs = await x.data();
    close(await vals(bd), [xs[0]! + xs[4]! + xs[8]!, xs[9]! + xs[13]! + xs[17]!]);
    m.dispose();
    x.dispose();
  });

  test('einsum errors', () => {
    const a = seq([2, 3]);
    expect(() => einsum('ij,jk->ik', a)).toThrow(ValueError);
    expect(() => einsum('ijk->i', a)).toThrow(ShapeError);
    expect(() => einsum('i1->i', a)).toThrow(/subscripts must be in \[a-zA-Z\]/);
    expect(() => einsum('ij->iz', a)).toThrow(/output subscript z does not appear/);
    expect(() => einsum('ij->ii', a)).toThrow(/appears more than once in the output/);
    expect(() => einsum('ij,ij->', a, seq([3, 3]))).toThrow(ShapeError);
    expect(() => einsum('ii->i', a)).toThrow(/repeated for operand 0 but the sizes don't match/);
    a.dispose();
  });
});

describe('cdist', () => {
  test('p = 2, 1, inf against direct computation; zero distance is exact', async () => {
    const x1 = tensor([[0, 0], [1, 1], [3, 4]]);
    const x2 = tensor([[3, 4], [0, 0]]);
    const d = cdist(x1, x2);
    expect(d.shape).toEqual([3, 2]);
    close(await vals(d), [5, 0, Math.sqrt(13), Math.sqrt(2), 0, 5]);
    close(await vals(cdist(x1, x2, { p: 1 })), [7, 0, 5, 2, 0, 7]);
    close(await vals(cdist(x1, x2, { p: Infinity })), [4, 0, 3, 1, 0, 4]);
    x1.dispose();
    x2.dispose();
  });

  test('batched with broadcast batch dims', async () => {
    const x1 = seq([2, 3, 4]);
    const x2 = seq([1, 5, 4]);
    const d = cdist(x1, x2);
    expect(d.shape).toEqual([2, 3, 5]);
    const a = await x1.data();
    const b = await x2.data();
    let s = 0;
    for (let k = 0; k < 4; k++) s += (a[12 + 2 * 4 + k]! - b[4 * 4 + k]!) ** 2; // batch 1, row 2, col 4
    close([(await vals(d))[15 + 2 * 5 + 4]!], [Math.sqrt(s)]);
    x1.dispose();
    x2.dispose();
  });

  test('errors', () => {
    const a = seq([3]);
    const b = seq([2, 3]);
    const c = seq([2, 4]);
    expect(() => cdist(a, b)).toThrow('cdist only supports at least 2D tensors, X1 got: 1D');
    expect(() => cdist(b, c)).toThrow('X1 and X2 must have the same number of columns. X1: 3 X2: 4');
    expect(() => cdist(b, b, { p: -1 })).toThrow(ValueError);
    const i = tensor([[1, 2, 3]], { dtype: 'int32' });
    expect(() => cdist(i, i)).toThrow(DTypeError);
    for (const t of [a, b, c, i]) t.dispose();
  });
});

describe('registry and memory', () => {
  test('one matmul primitive', () => {
    const op = getOp('matmul');
    expect([op.kind, op.differentiable, op.ownDerivative ?? false]).toEqual(['primitive', true, false]);
  });

  test('linalg namespace', async () => {
    const x = tensor([[3, 4], [1, 0]]);
    expect(await vals(linalg.vectorNorm(x, { dim: 1 }))).toEqual([5, 1]);
    expect(await vals(linalg.vecdot(x, x))).toEqual([25, 1]);
    x.dispose();
  });

  test('products free every temporary', () => {
    const a = seq([2, 3]);
    const b = seq([3, 4]);
    const v = seq([3]);
    const batch = seq([2, 1, 2, 3]);
    const ai = a.int();
    const bi = b.int();
    const inp = tensor([1, 2, 3, 4]);
    const sq = seq([3, 3]);
    const base = memoryStats();
    const results = [
      matmul(a, b),
      matmul(v, b),
      matmul(a, v),
      matmul(batch, b),
      matmul(ai, bi),
      mm(a, b),
      mv(a, v),
      dot(v, v),
      outer(v, v),
      addmm(inp, a, b, { alpha: 2, beta: 3 }),
      tensordot(a, b, 1),
      einsum('ij,jk->ik', a, b),
      einsum('...ij,jk', batch, b),
      einsum('ii', sq),
      einsum('ij->ij', a),
      cdist(a, a),
    ];
    for (const r of results) r.dispose();
    expect(() => mm(a, a)).toThrow(ShapeError);
    expect(() => einsum('ij,jk->iz', a, b)).toThrow(ValueError);
    const after = memoryStats();
    expect(after.liveTensors).toBe(base.liveTensors);
    expect(after.liveStorages).toBe(base.liveStorages);
    for (const t of [a, b, v, batch, ai, bi, inp, sq]) t.dispose();
  });
});
