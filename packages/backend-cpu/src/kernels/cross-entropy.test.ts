import type { TensorView } from '@torchlet/backend';
import { describe, expect, it } from 'vitest';
import { empty, rng, stridedRandom, tensor, values } from '../../test/helpers.js';
import { softmaxCrossEntropy, softmaxCrossEntropyBackward } from './cross-entropy.js';

/** PyTorch's definition, term by term from the log-probabilities (float64). */
function reference(x: number[][], t: number[], w: number[] | null, ignore: number, eps: number): { loss: number[]; grad: number[][] } {
  const C = x[0]!.length;
  const wc = (c: number) => (w ? w[c]! : 1);
  const loss: number[] = [];
  const grad: number[][] = [];
  x.forEach((row, i) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const logp = row.map((v) => v - lse);
    const k = t[i]!;
    if (k === ignore) {
      loss.push(0);
      grad.push(row.map(() => 0));
      return;
    }
    let l = -(1 - eps) * wc(k) * logp[k]!;
    for (let c = 0; c < C; c++) l -= (eps / C) * wc(c) * logp[c]!;
    loss.push(l);
    // ∂l/∂x_c = Σ_k coef_k (p_c − δ_kc) with coef_k = (1 − ε)·w_t·[k = t] + (ε/C)·w_k
    const coef = row.map((_, c) => (eps / C) * wc(c) + (c === k ? (1 - eps) * wc(k) : 0));
    const total = coef.reduce((a, b) => a + b, 0);
    grad.push(logp.map((lp, c) => Math.exp(lp) * total - coef[c]!));
  });
  return { loss, grad };
}

function rows(v: TensorView): number[][] {
  const flat = values(v);
  const C = v.shape[1]!;
  return Array.from({ length: v.shape[0]! }, (_, i) => flat.slice(i * C, (i + 1) * C));
}

function expectClose(actual: number[], expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) expect.fail(`element ${i}: got ${a}, expected ${e}`);
  });
}

describe('softmaxCrossEntropy TypeScript kernel', () => {
  const CASES = [
    { name: 'plain', weight: false, eps: 0 },
    { name: 'weight', weight: true, eps: 0 },
    { name: 'label smoothing', weight: false, eps: 0.1 },
    { name: 'weight and label smoothing', weight: true, eps: 0.25 },
  ];
  for (const dtype of ['float64', 'float32'] as const) {
    it.each(CASES)(`$name equals the log-softmax definition (${dtype}, strided logits, ignored rows)`, ({ weight, eps }) => {
      const g = rng(11);
      const N = 6;
      const C = 7;
      // rows of stride 9, classes of stride 1, offset 2
      const x = stridedRandom(dtype, [N, C], [9, 1], 2, g, (u) => u * 8 - 4);
      const tv = [3, -100, 0, 6, 2, -100];
      const t = tensor('int32', [N], tv);
      const w = weight ? stridedRandom(dtype, [C], [2], 1, g, (u) => 0.2 + u) : null;
      const gl = stridedRandom(dtype, [N], [3], 0, g);
      const loss = empty(dtype, [N]);
      const lse = empty(dtype, [N]);
      softmaxCrossEntropy(x, t, w, -100, eps, loss, lse);
      const ref = reference(rows(x), tv, w ? values(w) : null, -100, eps);
      const tol = dtype === 'float64' ? 1e-12 : 2e-6;
      expectClose(values(loss), ref.loss, tol);
      // the gradient: transposed output view (row stride 1) to exercise any strides
      const out = { ...empty(dtype, [C, N]), shape: [N, C], strides: [1, N] };
      softmaxCrossEntropyBackward(gl, null, x, t, w, lse, -100, eps, out);
      const gv = values(gl);
      const expected = ref.grad.flatMap((r, i) => r.map((v) => v * gv[i]!));
      expectClose(values(out), expected, tol);
      // with an lse gradient h: + h·softmax on every row, ignored ones included
      const h = stridedRandom(dtype, [N], [1], 0, g);
      const hv = values(h);
      const p = rows(x).map((r) => {
        const m = Math.max(...r);
        const z = r.reduce((s, v) => s + Math.exp(v - m), 0);
        return r.map((v) => Math.exp(v - m) / z);
      });
      softmaxCrossEntropyBackward(gl, h, x, t, w, lse, -100, eps, out);
      expectClose(values(out), expected.map((v, k) => v + hv[Math.floor(k / C)]! * p[Math.floor(k / C)]![k % C]!), tol);
    });
  }

  it('an out-of-range target gives NaN; ignoreIndex may be a valid class', () => {
    const x = tensor('float32', [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const t = tensor('int32', [3], [1, 5, 1]);
    const loss = empty('float32', [3]);
    const lse = empty('float32', [3]);
    softmaxCrossEntropy(x, t, null, 1, 0, loss, lse);
    const l = values(loss);
    expect(l[0]).toBe(0);
    expect(l[1]).toBeNaN();
    expect(l[2]).toBe(0);
    const grad = empty('float32', [3, 3]);
    softmaxCrossEntropyBackward(tensor('float32', [3], [1, 1, 1]), null, x, t, null, lse, 1, 0, grad);
    const gv = values(grad);
    expect(gv.slice(0, 3)).toEqual([0, 0, 0]);
    expect(gv.slice(3, 6).every(Number.isNaN)).toBe(true);
  });

  it('checks shapes and dtypes, naming them', () => {
    const x = empty('float32', [2, 3]);
    const t = tensor('int32', [2], [0, 1]);
    expect(() => softmaxCrossEntropy(x, t, null, -100, 0, empty('float32', [3]), empty('float32', [2]))).toThrow('softmaxCrossEntropy: loss must be [2] (got [3])');
    expect(() => softmaxCrossEntropy(x, tensor('int32', [3], [0, 1, 2]), null, -100, 0, empty('float32', [2]), empty('float32', [2]))).toThrow(
      'softmaxCrossEntropy: target must be an int32 view of shape [2] (got int32 [3])',
    );
    expect(() => softmaxCrossEntropy(x, t, empty('float64', [3]), -100, 0, empty('float32', [2]), empty('float32', [2]))).toThrow(
      'softmaxCrossEntropy: weight must be float32 (got float64)',
    );
  });
});
