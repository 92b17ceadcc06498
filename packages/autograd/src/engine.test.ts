import * as torch from '@torchlet/tensor';
import { setAutogradBridge, type Tensor } from '@torchlet/tensor';
import { afterEach, describe, expect, test } from 'vitest';
import {
  Function,
  autograd,
  backward,
  defineDerivatives,
  detectAnomaly,
  enableGrad,
  grad,
  gradcheck,
  inferenceMode,
  installAutograd,
  isAnomalyEnabled,
  isGradEnabled,
  isInferenceModeEnabled,
  logaddexp,
  noGrad,
  setDetectAnomaly,
  setGradEnabled,
  type FunctionCtx,
} from './index.js';

const data = (t: Tensor | null | undefined): number[] => Array.from(t!.dataSync());

afterEach(() => {
  setGradEnabled(true);
  setDetectAnomaly(false);
});

describe('backward()', () => {
  test('accumulates into leaf .grad, summing broadcast gradients back to the input shape', () => {
    const a = torch.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const b = torch.tensor([10, 20, 30], { requiresGrad: true });
    const y = torch.tidy(() => torch.sum(torch.mul(a, b)));
    y.backward();
    expect(data(a.grad)).toEqual([10, 20, 30, 10, 20, 30]);
    expect(data(b.grad)).toEqual([5, 7, 9]);
    expect(b.grad!.shape).toEqual([3]);
  });

  test('a second backward with retainGraph accumulates; .grad is a fresh tensor each time', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = torch.tidy(() => torch.sum(torch.square(x)));
    y.backward(undefined, { retainGraph: true });
    const first = x.grad!;
    expect(data(first)).toEqual([2, 4]);
    y.backward();
    expect(data(x.grad)).toEqual([4, 8]);
    expect(first.isDisposed).toBe(true);
  });

  test('casts each gradient to its input dtype (mixed float32/float64)', () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([3, 4], { dtype: 'float64', requiresGrad: true });
    const y = torch.tidy(() => torch.sum(torch.mul(a, b)));
    expect(y.dtype).toBe('float64');
    y.backward();
    expect(a.grad!.dtype).toBe('float32');
    expect(b.grad!.dtype).toBe('float64');
    expect(data(a.grad)).toEqual([3, 4]);
  });

  test('takes an explicit gradient for non-scalar outputs', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = torch.mul(x, 2);
    y.backward(torch.tensor([1, 0.5, 0]));
    expect(data(x.grad)).toEqual([2, 1, 0]);
  });

  test('leaf gradients of the same graph never share storage (safe for in-place clipping)', () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([3, 4], { requiresGrad: true });
    const y = torch.tidy(() => torch.sum(torch.add(a, b)));
    y.backward();
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
    noGrad(() => torch.mul_(a.grad!, 3));
    expect(data(b.grad)).toEqual([1, 1]);
  });

  test('autograd.backward takes several roots', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y1 = torch.tidy(() => torch.sum(torch.mul(x, 3)));
    const y2 = torch.tidy(() => torch.sum(torch.square(x)));
    backward([y1, y2]);
    expect(data(x.grad)).toEqual([5, 7]);
  });
});

describe('errors', () => {
  test('a second backward through a freed graph', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = torch.tidy(() => torch.sum(torch.mul(x, x)));
    y.backward();
    expect(() => y.backward()).toThrow(/Trying to backward through the graph a second time \(or directly access saved tensors after they have already been freed\)/);
  });

  test('backward on a non-scalar without a gradient', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = torch.mul(x, 2);
    expect(() => y.backward()).toThrow('grad can be implicitly created only for scalar outputs');
  });

  test("backward on a tensor that doesn't require grad", () => {
    const x = torch.tensor([1, 2]);
    expect(() => torch.sum(x).backward()).toThrow('element 0 of tensors does not require grad and does not have a grad_fn');
  });

  test('backward without @torchlet/autograd says what to import', () => {
    const x = torch.tensor([1]);
    setAutogradBridge(null);
    try {
      expect(() => x.backward()).toThrow("backward() needs autograd: add `import '@torchlet/autograd'`");
    } finally {
      installAutograd();
    }
  });

  test('a saved tensor modified in place, naming its op and versions', () => {
    const x = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8], [1, 1, 1, 1]], { requiresGrad: true });
    const y = torch.exp(x); // saves its output
    torch.add_(y, 1);
    const s = torch.sum(y);
    expect(() => s.backward()).toThrow(
      'one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3, 4]], which is output 0 of ExpBackward0, is at version 1; expected version 0 instead.',
    );
  });

  test('a saved leaf modified in place under noGrad', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = torch.sum(torch.tidy(() => torch.mul(x, x)));
    noGrad(() => torch.add_(x, 1));
    expect(() => y.backward()).toThrow(/\[torch.FloatTensor \[3\]\] is at version 1; expected version 0 instead/);
  });

  test('in place on a leaf that requires grad, outside noGrad', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    expect(() => torch.add_(x, 1)).toThrow('a leaf Variable that requires grad is being used in an in-place operation.');
    expect(() => torch.copy_(x, torch.tensor([0, 0, 0]))).toThrow('a leaf Variable that requires grad is being used in an in-place operation.');
    noGrad(() => torch.add_(x, 1)); // allowed
    expect(data(x)).toEqual([2, 3, 4]);
  });

  test('in place on a view of a leaf that requires grad', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const v = torch.narrow(x, 0, 0, 2);
    expect(() => torch.zero_(v)).toThrow('a view of a leaf Variable that requires grad is being used in an in-place operation.');
  });

  test('a view made before its base got a new history in place is refused', () => {
    const buf = torch.zeros([3]);
    const early = torch.narrow(buf, 0, 0, 2);
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    torch.copy_(buf, x);
    expect(buf.requiresGrad).toBe(true);
    expect(() => torch.mul(early, 2)).toThrow(/stale view|not supported yet/);
    const late = torch.narrow(buf, 0, 0, 2);
    const s = torch.tidy(() => torch.sum(torch.mul(late, 2)));
    s.backward();
    expect(data(x.grad)).toEqual([2, 2, 0]);
  });

  test('scoped modes refuse async callbacks', () => {
    expect(() => noGrad(async () => 1)).toThrow(/noGrad\(fn\): fn returned a Promise/);
    expect(() => enableGrad(async () => 1)).toThrow(/enableGrad\(fn\): fn returned a Promise/);
    expect(() => inferenceMode(async () => 1)).toThrow(/inferenceMode\(fn\): fn returned a Promise/);
    expect(() => detectAnomaly(async () => 1)).toThrow(/detectAnomaly\(fn\): fn returned a Promise/);
    expect(isGradEnabled()).toBe(true);
  });

  test('grad() with an unused input, unless allowUnused', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const z = torch.tensor([3], { requiresGrad: true });
    const y = torch.tidy(() => torch.sum(torch.exp(x)));
    expect(() => grad(y, [x, z], { retainGraph: true })).toThrow(/appears to not have been used in the graph/);
    const [gx, gz] = grad(y, [x, z], { allowUnused: true });
    expect(gz).toBeNull();
    expect(data(gx)[0]).toBeCloseTo(Math.E, 5);
  });
});

describe('in-place writes into views (CopySlices)', () => {
  test('y = 2x; y[0:2] *= 3 gives dy/dx = [6, 6, 2]', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = torch.mul(x, 2);
    const v = torch.narrow(y, 0, 0, 2);
    torch.mul_(v, 3);
    expect(data(y)).toEqual([6, 12, 6]);
    expect(y.gradFn!.name).toBe('CopySlices');
    const s = torch.sum(y);
    s.backward();
    expect(data(x.grad)).toEqual([6, 6, 2]);
  });

  test('filling rows of a plain buffer with tensors that require grad (an RNN output buffer)', () => {
    const h = [0, 1, 2].map((t) => torch.tensor([t + 1, t + 2], { requiresGrad: true }));
    const buf = torch.zeros([3, 2]);
    for (let t = 0; t < 3; t++) {
      const row = torch.select(buf, 0, t);
      torch.copy_(row, torch.tidy(() => torch.mul(h[t]!, t + 1)));
      row.dispose();
    }
    expect(buf.requiresGrad).toBe(true);
    const w = torch.tensor([[1, 2], [3, 4], [5, 6]]);
    const s = torch.tidy(() => torch.sum(torch.mul(buf, w)));
    s.backward();
    expect(h.map((t) => data(t.grad))).toEqual([[1, 2], [6, 8], [15, 18]]);
  });

  test('the written view keeps a history of its own', () => {
    const x = torch.tensor([1, 2, 3, 4], { requiresGrad: true });
    const y = torch.mul(x, 1);
    const v = torch.narrow(y, 0, 1, 2);
    torch.copy_(v, torch.tidy(() => torch.square(torch.narrow(x, 0, 0, 2))));
    const s = torch.tidy(() => torch.sum(torch.mul(v, 10)));
    s.backward();
    // v = [x0², x1²]: ds/dx = [20·x0, 20·x1, 0, 0]
    expect(data(x.grad)).toEqual([20, 40, 0, 0]);
  });

  test('gradcheck and gradgradcheck through writes into strided views', () => {
    const x = torch.tensor([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]], { dtype: 'float64', requiresGrad: true });
    const src = torch.tensor([0.9, -0.6], { dtype: 'float64', requiresGrad: true });
    const fn = (a: Tensor, b: Tensor) =>
      torch.tidy(() => {
        const y = torch.mul(torch.exp(a), 1); // exp saves its output: write into a copy
        const col = torch.select(torch.transpose(y, 0, 1), 0, 2); // y[:, 2]
        torch.mul_(col, b);
        const rowPart = torch.slice(torch.select(y, 0, 1), 0, 0, 3, 2); // y[1, ::2]
        torch.add_(rowPart, torch.sin(b));
        return torch.tanh(y);
      });
    expect(gradcheck(fn, [x, src])).toBe(true);
    expect(autograd.gradgradcheck(fn, [x, src])).toBe(true);
  });

  test('index assignment (setIndex) of a tensor that requires grad', () => {
    const v = torch.tensor([5, 7], { requiresGrad: true });
    const buf = torch.zeros([4]);
    torch.setIndex(buf, [torch.slice(torch.arange(4), 0, 1, 4, 2)], v);
    expect(data(buf)).toEqual([0, 5, 0, 7]);
    const s = torch.tidy(() => torch.sum(torch.mul(buf, torch.tensor([1, 2, 3, 4]))));
    s.backward();
    expect(data(v.grad)).toEqual([2, 4]);
  });

  test('a random fill of part of a non-leaf gives that part no gradient', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const z = torch.mul(x, 2);
    const v = torch.narrow(z, 0, 0, 2);
    torch.uniform_(v);
    const s = torch.sum(z);
    s.backward();
    expect(data(x.grad)).toEqual([0, 0, 2]);
  });

  test('memory: writes into views leak nothing', () => {
    const before = torch.memoryStats();
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = torch.mul(x, 2);
    const v = torch.narrow(y, 0, 0, 2);
    torch.mul_(v, 3);
    const s = torch.sum(y);
    s.backward();
    for (const t of [s, v, y, x]) t.dispose();
    expect(torch.memoryStats().liveStorages).toBe(before.liveStorages);
    expect(torch.memoryStats().liveTensors).toBe(before.liveTensors);
  });
});

describe('in-place ops on non-leaves (version-counted, rebased history)', () => {
  test('y = 2x; y += 1; y *= 3 gives dy/dx = 6 and CopyBackwards as gradFn', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = torch.mul(x, 2);
    torch.add_(y, 1);
    torch.mul_(y, 3);
    expect(y.gradFn!.name).toBe('CopyBackwards');
    expect(data(y)).toEqual([9, 15, 21]);
    const s = torch.sum(y);
    s.backward();
    expect(data(x.grad)).toEqual([6, 6, 6]);
  });

  test('copy_ of a tensor that requires grad into a buffer gives the buffer a history', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const buf = torch.zeros([2, 3]);
    torch.copy_(buf, x); // broadcast
    expect(buf.requiresGrad).toBe(true);
    const s = torch.tidy(() => torch.sum(torch.mul(buf, buf)));
    s.backward();
    expect(data(x.grad)).toEqual([4, 8, 12]);
  });

  test('gradcheck through an in-place update of a clone', () => {
    const x = torch.tensor([0.3, -0.2, 0.5], { dtype: 'float64', requiresGrad: true });
    const fn = (t: Tensor) =>
      torch.tidy(() => {
        const c = torch.clone(t);
        torch.mul_(c, t);
        torch.unaryInplace('exp', c);
        return torch.sin(c);
      });
    expect(gradcheck(fn, [x])).toBe(true);
  });
});

describe('grad modes', () => {
  test('noGrad: outputs do not require grad; enableGrad records inside it', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => torch.mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    const z = noGrad(() => enableGrad(() => torch.mul(x, 2)));
    expect(z.requiresGrad).toBe(true);
    expect(noGrad(() => isGradEnabled())).toBe(false);
    expect(isGradEnabled()).toBe(true);
  });

  test('setGradEnabled is a global switch', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    setGradEnabled(false);
    expect(torch.exp(x).requiresGrad).toBe(false);
    setGradEnabled(true);
    expect(torch.exp(x).requiresGrad).toBe(true);
  });

  test('inferenceMode', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const y = inferenceMode(() => {
      expect(isInferenceModeEnabled()).toBe(true);
      return torch.exp(x);
    });
    expect(y.requiresGrad).toBe(false);
    expect(isInferenceModeEnabled()).toBe(false);
  });

  test('non-differentiable ops give outputs that do not require grad', () => {
    const x = torch.tensor([1, -2], { requiresGrad: true });
    expect(torch.gt(x, 0).requiresGrad).toBe(false);
    expect(torch.argmax(x).requiresGrad).toBe(false);
    const { values, indices } = torch.max(torch.reshape(x, [1, 2]), 1);
    expect(values.requiresGrad).toBe(true);
    expect(indices.requiresGrad).toBe(false);
  });

  test('detach() cuts the graph; requiresGrad_ marks a leaf', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const d = torch.exp(x).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    d.requiresGrad_();
    const s = torch.sum(d);
    s.backward();
    expect(data(d.grad)).toEqual([1, 1]);
    expect(x.grad).toBeNull();
  });
});

describe('graph inspection, hooks and retained gradients', () => {
  test('gradFn names and nextFunctions', () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([3, 4], { requiresGrad: true });
    const y = torch.div(torch.mul(a, b), b);
    expect(y.gradFn!.name).toBe('DivBackward0');
    const next = (y.gradFn as any).nextFunctions as [{ name: string } | null, number][];
    expect(next.map(([f]) => f?.name)).toEqual(['MulBackward0', 'AccumulateGrad']);
    expect(a.gradFn).toBeNull();
    expect(a.isLeaf).toBe(true);
    expect(y.isLeaf).toBe(false);
  });

  test('retainGrad keeps a non-leaf gradient', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const h = torch.mul(x, 3);
    h.retainGrad();
    expect(h.retainsGrad).toBe(true);
    const s = torch.tidy(() => torch.sum(torch.square(h)));
    s.backward();
    expect(data(h.grad)).toEqual([6, 12]);
    expect(data(x.grad)).toEqual([18, 36]);
  });

  test('hooks see and may replace gradients; the remover removes them', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const seen: number[][] = [];
    const removeLeaf = x.registerHook((g) => {
      seen.push(data(g));
    });
    const h = torch.mul(x, 3);
    h.registerHook((g) => torch.mul(g, 10));
    const s = torch.sum(h);
    s.backward(undefined, { retainGraph: true });
    expect(seen).toEqual([[30, 30]]);
    expect(data(x.grad)).toEqual([30, 30]);
    removeLeaf();
    s.backward();
    expect(seen.length).toBe(1);
    expect(data(x.grad)).toEqual([60, 60]);
  });

  test('grad() returns gradients without touching .grad, also for non-leaf inputs', () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const h = torch.mul(x, 3);
    const s = torch.sum(torch.square(h));
    const [gh, gx] = grad(s, [h, x]);
    expect(data(gh)).toEqual([6, 12]);
    expect(data(gx)).toEqual([18, 36]);
    expect(x.grad).toBeNull();
  });
});

describe('custom Functions', () => {
  class Square extends Function {
    static override forward(ctx: FunctionCtx, x: Tensor): Tensor {
      ctx.saveForBackward(x);
      return torch.mul(x, x);
    }
    static override backward(ctx: FunctionCtx, g: Tensor | null): Tensor {
      const [x] = ctx.savedTensors;
      return torch.mul(torch.mul(g!, x!), 2);
    }
  }

  class ScaleBy extends Function {
    static override forward(ctx: FunctionCtx, x: Tensor, k: number): Tensor {
      ctx.k = k;
      return torch.mul(x, k);
    }
    static override backward(ctx: FunctionCtx, g: Tensor | null): (Tensor | null)[] {
      return [torch.mul(g!, ctx.k as number), null];
    }
  }

  test('apply records one node named after the class; backward uses saved tensors', () => {
    const x = torch.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const y = Square.apply(x);
    expect(y.gradFn!.name).toBe('SquareBackward');
    expect(gradcheck((t: Tensor) => Square.apply(t), [x])).toBe(true);
    expect(autograd.gradgradcheck((t: Tensor) => Square.apply(t), [x])).toBe(true);
    expect(gradcheck((t: Tensor) => ScaleBy.apply(t, 2.5), [x])).toBe(true);
  });

  test('without grad it just runs forward', () => {
    const x = torch.tensor([1, 2, 3]);
    const y = Square.apply(x);
    expect(y.requiresGrad).toBe(false);
    expect(data(y)).toEqual([1, 4, 9]);
  });

  test('logaddexp (a library op built on Function) is stable and has the exact gradient', () => {
    const a = torch.tensor([0, 1000, -1000, 2], { dtype: 'float64', requiresGrad: true });
    const b = torch.tensor([0, 1000, -1001, 1], { dtype: 'float64', requiresGrad: true });
    const y = logaddexp(a, b);
    const v = data(y);
    expect(v[0]).toBeCloseTo(Math.LN2, 12);
    expect(v[1]).toBeCloseTo(1000 + Math.LN2, 9);
    expect(v[2]).toBeCloseTo(-1000 + Math.log1p(Math.exp(-1)), 9);
    const s = torch.sum(y);
    s.backward();
    expect(data(a.grad).every(Number.isFinite)).toBe(true);
    expect(data(a.grad)[0]).toBeCloseTo(0.5, 12);
    const x1 = torch.tensor([0.3, -1.2, 2.0], { dtype: 'float64', requiresGrad: true });
    const x2 = torch.tensor([0.1, 0.4, -0.5], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck(logaddexp, [x1, x2])).toBe(true);
    expect(autograd.gradgradcheck(logaddexp, [x1, x2])).toBe(true);
  });
});

describe('anomaly detection', () => {
  test("names the function whose backward produced NaN", () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([0, 1]);
    expect(() =>
      detectAnomaly(() => {
        expect(isAnomalyEnabled()).toBe(true);
        const y = torch.div(a, b);
        const s = torch.sum(torch.mul(y, 0));
        s.backward();
      }),
    ).toThrow(/Function 'DivBackward0' returned nan values in its 0th output\.\s*The forward call that created it:/);
    expect(isAnomalyEnabled()).toBe(false);
  });

  test('off by default: NaN gradients pass through', () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([0, 1]);
    const s = torch.sum(torch.mul(torch.div(a, b), 0));
    s.backward();
    expect(Number.isNaN(data(a.grad)[0])).toBe(true);
  });
});

describe('differentiableOutputs', () => {
  // y = 2x and a "workspace" w = x + 1 that only the backward reads
  const op = torch.registerOp<Record<string, never>>({
    name: 'test_scaleWithWorkspace',
    kind: 'primitive',
    differentiable: true,
    forward: ([x]) => [torch.mul(x!, 2), torch.add(x!, 1)],
  });
  const seen: (Tensor | null)[][] = [];
  defineDerivatives({
    test_scaleWithWorkspace: {
      save: () => ({ outputs: [1] }),
      differentiableOutputs: [true, false],
      backward: (_ctx, grads) => {
        seen.push([...grads]);
        return [torch.mul(grads[0]!, 2)];
      },
    },
  });

  test('an output marked false reaches the backward as null, not as zeros, and gets no gradFn edge of its own', () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const [y, w] = torch.dispatch(op, [x], {}) as Tensor[];
    const loss = y!.sum();
    loss.backward();
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).not.toBeNull();
    expect(seen[0]![1]).toBeNull();
    expect(data(x.grad)).toEqual([2, 2, 2]);
    expect(w!.requiresGrad).toBe(false);
  });
});
