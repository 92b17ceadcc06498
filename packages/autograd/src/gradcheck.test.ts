import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Function, type FunctionCtx, grad, gradcheck, gradgradcheck } from './index.js';

function r(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return torch.tensor(data, { shape, dtype: 'float64', requiresGrad: true });
}

/** A deliberately wrong derivative: gradcheck must catch it. */
class WrongSquare extends Function {
  static override forward(ctx: FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return torch.mul(x, x);
  }
  static override backward(ctx: FunctionCtx, g: Tensor | null): Tensor {
    const [x] = ctx.savedTensors;
    return torch.mul(g!, x!); // should be 2·x·g
  }
}

describe('gradcheck', () => {
  test('rejects a wrong derivative with a message naming the mismatch', () => {
    const x = r([3], 1);
    expect(gradcheck((t: Tensor) => WrongSquare.apply(t), [x], { raiseException: false })).toBe(false);
    expect(() => gradcheck((t: Tensor) => WrongSquare.apply(t), [x])).toThrow(/Jacobian mismatch for output 0 with respect to input 0/);
    x.dispose();
  });

  test('refuses float32 inputs', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    expect(() => gradcheck((t: Tensor) => torch.exp(t), [x])).toThrow(/float64/);
    x.dispose();
  });

  test('checks a composite expression with several inputs and outputs', () => {
    const a = r([2, 3], 2);
    const b = r([3], 3);
    const fn = (x: Tensor, y: Tensor) => {
      const p = torch.mul(x, y);
      const q = torch.tanh(p);
      const out = [torch.sum(q, 1), torch.exp(y)];
      p.dispose();
      q.dispose();
      return out;
    };
    expect(gradcheck(fn, [a, b])).toBe(true);
    a.dispose();
    b.dispose();
  });
});

describe('double backward (gradgradcheck against finite differences of the first derivative)', () => {
  const cases: [string, (xs: Tensor[]) => Tensor, () => Tensor[]][] = [
    ['tanh', ([x]) => torch.tanh(x!), () => [r([2, 3], 4, -2, 2)]],
    ['sigmoid', ([x]) => torch.sigmoid(x!), () => [r([2, 3], 5, -3, 3)]],
    ['mul', ([x, y]) => torch.mul(x!, y!), () => [r([2, 3], 6), r([3], 7)]],
    ['matmul', ([x, y]) => torch.matmul(x!, y!), () => [r([2, 3], 8), r([3, 4], 9)]],
    ['exp', ([x]) => torch.exp(x!), () => [r([2, 3], 10)]],
    ['div', ([x, y]) => torch.div(x!, y!), () => [r([2, 3], 11), r([2, 3], 12, 0.5, 2)]],
    ['log', ([x]) => torch.log(x!), () => [r([4], 13, 0.5, 2)]],
    ['pow', ([x, y]) => torch.pow(x!, y!), () => [r([4], 14, 0.5, 2), r([4], 15, -1, 2)]],
    ['softmax', ([x]) => torch.softmax(x!, 1), () => [r([2, 4], 16, -2, 2)]],
    ['logSoftmax', ([x]) => torch.logSoftmax(x!, 1), () => [r([2, 4], 17, -2, 2)]],
    ['logsumexp', ([x]) => torch.logsumexp(x!, 1), () => [r([2, 4], 18, -2, 2)]],
    ['norm', ([x]) => torch.vectorNorm(x!, { dim: 1 }), () => [r([2, 4], 19)]],
    ['sqrt', ([x]) => torch.sqrt(x!), () => [r([4], 20, 0.5, 2)]],
    ['gelu', ([x]) => torch.gelu(x!), () => [r([4], 21, -2, 2)]],
    ['silu', ([x]) => torch.silu(x!), () => [r([4], 22, -2, 2)]],
    ['slice + select', ([x]) => torch.mul(torch.select(torch.slice(x!, 1, 0, 4, 2), 0, 1), torch.slice(x!, 1, 0, 4, 2).select(0, 1)), () => [r([3, 4], 23)]],
    ['gather', ([x]) => torch.square(torch.gather(x!, 1, torch.tensor(Int32Array.from([0, 2, 1, 1]), { shape: [2, 2], dtype: 'int32' }))), () => [r([2, 3], 24)]],
  ];

  test.each(cases)('%s', (_name, f, make) => {
    const inputs = make();
    const before = torch.memoryStats();
    const fn = (...xs: Tensor[]) => torch.tidy(() => f(xs));
    expect(gradgradcheck(fn, inputs)).toBe(true);
    const after = torch.memoryStats();
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
    for (const x of inputs) x.dispose();
  });

  test('createGraph gives a gradient that can be differentiated again (d²/dx² x³ = 6x)', () => {
    const x = torch.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const y = torch.sum(torch.pow(x, 3));
    const [g] = grad(y, x, { createGraph: true });
    expect(Array.from(g!.dataSync())).toEqual([3, 12, 27]);
    expect(g!.requiresGrad).toBe(true);
    const s = torch.sum(g!);
    s.backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([6, 12, 18]);
  });
});

describe('property: gradients of random op chains match finite differences', () => {
  test('chains mixing shared inputs, broadcasting, views, reductions and in-place updates', () => {
    const unary = ['exp', 'tanh', 'sigmoid', 'square', 'sin'] as const;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('unary' as const), name: fc.constantFrom(...unary) }),
      fc.record({ kind: fc.constantFrom('add' as const, 'mul' as const, 'matmul' as const, 'bias' as const), other: fc.nat(10) }),
      fc.record({ kind: fc.constantFrom('sum' as const, 'transpose' as const, 'slice' as const, 'inplace' as const, 'viewInplace' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (ops) => {
        const x = torch.tensor([[0.5, -0.2], [0.3, 0.8]], { dtype: 'float64', requiresGrad: true });
        const b = torch.tensor([0.1, -0.4], { dtype: 'float64', requiresGrad: true });
        const fn = (x: Tensor, b: Tensor) =>
          torch.tidy(() => {
            const made: Tensor[] = [];
            let cur = x;
            for (const o of ops) {
              if (o.kind === 'unary') cur = torch.unary(o.name, cur);
              else if (o.kind === 'add') cur = torch.add(cur, made[o.other % (made.length || 1)] ?? x);
              else if (o.kind === 'mul') cur = torch.mul(cur, made[o.other % (made.length || 1)] ?? x);
              else if (o.kind === 'bias') cur = torch.add(cur, b);
              else if (o.kind === 'matmul') cur = torch.matmul(cur, x);
              else if (o.kind === 'sum') cur = torch.expand(torch.sum(cur, 0, { keepdim: true }), [2, 2]);
              else if (o.kind === 'transpose') cur = torch.transpose(cur, 0, 1);
              else if (o.kind === 'slice') cur = torch.expand(torch.slice(cur, 1, 0, 1), [2, 2]);
              else if (o.kind === 'viewInplace') {
                const c = torch.mul(cur, 1);
                torch.mul_(torch.select(torch.transpose(c, 0, 1), 0, 1), torch.select(cur, 0, 0)); // c[:, 1] *= cur[0]
                cur = c;
              } else {
                const c = torch.clone(cur);
                torch.mul_(torch.add_(c, 1), cur);
                cur = c;
              }
              // Keep values bounded (exp∘exp∘exp… would overflow float64 and make finite differences meaningless).
              if (o.kind === 'unary' || o.kind === 'mul' || o.kind === 'matmul' || o.kind === 'inplace') cur = torch.mul(torch.tanh(cur), 2);
              made.push(cur);
            }
            return torch.mul(cur, 1);
          });
        try {
          return gradcheck(fn, [x, b], { raiseException: false });
        } finally {
          x.dispose();
          b.dispose();
        }
      }),
      { numRuns: 60 },
    );
  });
});
