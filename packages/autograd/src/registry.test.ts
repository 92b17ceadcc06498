/**
 * Enumerates the op registry: every differentiable primitive, view, and composite with its
 * own derivative must have an entry in the derivative table AND a gradcheck sample here,
 * and its gradient must pass gradcheck (float64, central differences). A newly registered op
 * without a derivative (or an explicit `differentiable: false`) fails this suite.
 */
import * as torch from '@torchlet/tensor';
import { dispatch, getOp, listOps, type OpDef, type Tensor } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import { getDerivative, gradcheck, recordedOps } from './index.js';

/** Deterministic float64 values in [lo, hi), optionally requiring grad. */
function r(shape: number[], seed: number, lo = -1, hi = 1, requiresGrad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return torch.tensor(data, { shape, dtype: 'float64', requiresGrad });
}

/** Fixed float64 values. */
function v(values: number[], shape: number[], requiresGrad = true): Tensor {
  return torch.tensor(Float64Array.from(values), { shape, dtype: 'float64', requiresGrad });
}

function idx(values: number[], shape: number[] = [values.length]): Tensor {
  return torch.tensor(Int32Array.from(values), { shape, dtype: 'int32' });
}

interface Sample {
  inputs: () => unknown[];
  attrs?: Record<string, unknown>;
  /** Calls the op some other way (in-place ops); default `dispatch(op, inputs, attrs)`. */
  fn?: (op: OpDef, attrs: Record<string, unknown>) => (...xs: any[]) => Tensor | readonly Tensor[];
}

const unary = (lo = -1, hi = 1): Sample[] => [{ inputs: () => [r([2, 3], 1, lo, hi)] }];
/** Values away from integers and half-integers (for the piecewise-constant ops). */
const offGrid: Sample[] = [{ inputs: () => [v([0.2, -1.3, 2.7, -0.8, 1.1, 0.35], [2, 3])] }];
const binary = (lo = -1, hi = 1, lo2 = lo, hi2 = hi): Sample[] => [
  { inputs: () => [r([2, 3], 2, lo, hi), r([2, 3], 3, lo2, hi2)] },
  { inputs: () => [r([2, 1, 3], 4, lo, hi), r([4, 1], 5, lo2, hi2)] }, // broadcasting both ways
];
/** Distinct values (no ties) for max/min/sort-like ops. */
const distinct = (): Tensor => v([0.5, -1.2, 2.1, 0.9, -0.3, 1.7, -2.4, 0.1, 1.3, -0.7, 2.6, -1.9], [3, 4]);

const SAMPLES: Record<string, Sample[]> = {
  // ---- elementwise unary ----
  neg: unary(),
  abs: [{ inputs: () => [v([0.5, -1.2, 2.1, -0.3, 0.9, -2.0], [2, 3])] }],
  sign: offGrid,
  reciprocal: unary(0.5, 2),
  square: unary(),
  exp: unary(),
  expm1: unary(),
  log: unary(0.5, 2),
  log1p: unary(-0.5, 1),
  log2: unary(0.5, 2),
  sqrt: unary(0.5, 2),
  rsqrt: unary(0.5, 2),
  sin: unary(),
  cos: unary(),
  tan: unary(),
  asin: unary(-0.8, 0.8),
  acos: unary(-0.8, 0.8),
  atan: unary(-2, 2),
  sinh: unary(),
  cosh: unary(),
  tanh: unary(-2, 2),
  asinh: unary(-2, 2),
  acosh: unary(1.2, 3),
  atanh: unary(-0.8, 0.8),
  sigmoid: unary(-3, 3),
  relu: [{ inputs: () => [v([0.5, -1.2, 2.1, -0.3, 0.9, -2.0], [2, 3])] }],
  gelu: unary(-3, 3),
  geluTanh: unary(-3, 3),
  silu: unary(-3, 3),
  erf: unary(-2, 2),
  softplus: unary(-3, 3),
  floor: offGrid,
  ceil: offGrid,
  round: offGrid,
  trunc: offGrid,
  // ---- elementwise binary ----
  add: binary(),
  sub: binary(),
  mul: binary(),
  div: binary(-1, 1, 0.5, 2),
  pow: binary(0.5, 2, -1.5, 1.5),
  maximum: binary(),
  minimum: binary(),
  atan2: binary(-1, 1, 0.5, 2),
  remainder: [{ inputs: () => [v([0.7, -1.3, 2.2, 3.4, -0.4, 1.9], [2, 3]), v([1.5, 0.9, -1.7, 1.2, 2.5, -0.8], [2, 3])] }],
  where: [{ inputs: () => [torch.tensor([[true, false, true], [false, false, true]]), r([2, 3], 6), r([1, 3], 7)] }],
  // ---- conversion / in place ----
  cast: [{ inputs: () => [r([2, 3], 8)], attrs: { dtype: 'float64' } }],
  clone: unary(),
  alias: unary(),
  toDevice: [{ inputs: () => [r([2, 3], 9)], attrs: { device: 'cpu' } }],
  copy_: [
    {
      // dst (a non-leaf: clone of a leaf) overwritten by a broadcast src.
      inputs: () => [r([2, 3], 10), r([3], 11)],
      fn: (op) => (dst: Tensor, src: Tensor) => {
        const c = torch.clone(dst);
        dispatch(op, [c, src], {});
        return c;
      },
    },
  ],
  // ---- views ----
  view: [{ inputs: () => [r([2, 6], 12)], attrs: { shape: [3, 2, 2] } }],
  permute: [{ inputs: () => [r([2, 3, 4], 13)], attrs: { dims: [2, 0, 1] } }],
  expand: [{ inputs: () => [r([3, 1], 14)], attrs: { shape: [2, 3, 4] } }],
  slice: [
    { inputs: () => [r([5, 4], 15)], attrs: { dim: 0, start: 1, end: 5, step: 2 } },
    { inputs: () => [r([3, 7], 16)], attrs: { dim: 1, start: 2, end: 6, step: 1 } },
    { inputs: () => [r([3, 8], 17)], attrs: { dim: 1, start: 1, end: 8, step: 3 } },
  ],
  select: [{ inputs: () => [r([3, 4], 18)], attrs: { dim: 1, index: 2 } }],
  // ---- indexing ----
  gather: [{ inputs: () => [r([3, 4], 19), idx([0, 3, 3, 1, 2, 2, 0, 0, 1], [3, 3])], attrs: { dim: 1 } }],
  indexSelect: [{ inputs: () => [r([4, 3], 20), idx([2, 0, 2])], attrs: { dim: 0 } }],
  scatter: [{ inputs: () => [r([3, 4], 21), idx([1, 0, 3, 2, 0, 1], [3, 2]), r([3, 2], 22)], attrs: { dim: 1 } }],
  scatterAdd: [{ inputs: () => [r([3, 4], 23), idx([1, 1, 3, 2, 0, 0], [3, 2]), r([3, 2], 24)], attrs: { dim: 1 } }],
  indexAdd: [{ inputs: () => [r([4, 3], 25), idx([3, 0, 3]), r([3, 3], 26)], attrs: { dim: 0, alpha: 2 } }],
  // ---- shape ops ----
  cat: [{ inputs: () => [r([2, 3], 27), r([2, 2], 28)], attrs: { dim: 1 } }],
  flip: [{ inputs: () => [r([3, 4], 29)], attrs: { dims: [0, 1] } }],
  pad: [{ inputs: () => [r([3, 4], 30)], attrs: { pad: [1, -1, 2, 0], value: 0.5 } }],
  sort: [{ inputs: () => [distinct()], attrs: { dim: 1, descending: true } }],
  // ---- reductions and scans ----
  sum: [
    { inputs: () => [r([2, 3, 4], 31)], attrs: { dims: [0, 2], keepdim: false, dtype: 'float64' } },
    { inputs: () => [r([2, 3], 32)], attrs: { dims: [1], keepdim: true, dtype: 'float64' } },
  ],
  prod: [
    { inputs: () => [r([3, 4], 33, 0.5, 1.5)], attrs: { dims: [1], keepdim: false, dtype: 'float64' } },
    // One zero in a row, two zeros in another: the zero-safe formula.
    { inputs: () => [v([0.5, 0, 1.2, 0.8, 0, 0, 1.1, 0.9, 1.3, 0.7, 1.4, 0.6], [3, 4])], attrs: { dims: [1], keepdim: true, dtype: 'float64' } },
  ],
  amax: [{ inputs: () => [distinct()], attrs: { dims: [1], keepdim: false } }],
  amin: [{ inputs: () => [distinct()], attrs: { dims: [0, 1], keepdim: true } }],
  maxDim: [{ inputs: () => [distinct()], attrs: { dim: 1, keepdim: false } }],
  minDim: [{ inputs: () => [distinct()], attrs: { dim: 0, keepdim: true } }],
  logsumexp: [{ inputs: () => [r([3, 4], 34, -2, 2)], attrs: { dims: [1], keepdim: false } }],
  cumsum: [{ inputs: () => [r([3, 4], 35)], attrs: { dim: 1, dtype: 'float64' } }],
  cumprod: [
    { inputs: () => [r([3, 4], 36, 0.5, 1.5)], attrs: { dim: 1, dtype: 'float64' } },
    // Zeros: one, two, and a leading zero in a row.
    { inputs: () => [v([0.5, 0, 1.2, 0.8, 0.9, 0, 1.1, 0, 0, 1.3, 0.7, 1.4], [3, 4])], attrs: { dim: 1, dtype: 'float64' } },
  ],
  cummax: [{ inputs: () => [distinct()], attrs: { dim: 1 } }],
  cummin: [{ inputs: () => [distinct()], attrs: { dim: 0 } }],
  norm: [
    { inputs: () => [r([3, 4], 37)], attrs: { p: 2, dims: [1], keepdim: false } },
    { inputs: () => [distinct()], attrs: { p: 1, dims: [0, 1], keepdim: false } },
    { inputs: () => [distinct()], attrs: { p: Infinity, dims: [1], keepdim: true } },
    { inputs: () => [r([3, 4], 38, 0.2, 1)], attrs: { p: 3, dims: [1], keepdim: false } },
  ],
  // ---- linalg, softmax, misc ----
  matmul: [
    { inputs: () => [r([2, 3], 39), r([3, 4], 40)] },
    { inputs: () => [r([2, 1, 2, 3], 41), r([3, 3, 2], 42)] }, // batch broadcasting
    { inputs: () => [r([3], 43), r([2, 3, 4], 44)] }, // 1-D first
    { inputs: () => [r([2, 4, 3], 45), r([3], 46)] }, // 1-D second
    { inputs: () => [r([3], 47), r([3], 48)] }, // dot
  ],
  softmax: [{ inputs: () => [r([3, 4], 49, -2, 2)], attrs: { dim: 1 } }],
  logSoftmax: [{ inputs: () => [r([3, 4], 50, -2, 2)], attrs: { dim: 0 } }],
  clamp: [
    { inputs: () => [v([0.5, -1.2, 2.1, -0.3, 0.9, -2.0], [2, 3]), v([-0.5], []), v([1.0], [])], attrs: { hasMin: true, hasMax: true } },
    { inputs: () => [v([0.5, -1.2, 2.1, -0.3, 0.9, -2.0], [2, 3]), v([-0.6, 0.1, 0.3], [3])], attrs: { hasMin: true, hasMax: false } },
    { inputs: () => [v([0.5, -1.2, 2.1, -0.3, 0.9, -2.0], [2, 3]), v([0.2], [])], attrs: { hasMin: false, hasMax: true } },
  ],
};

/** Ops whose derivative the table must provide: the recorded ones. */
const recorded = listOps().filter((op: OpDef) => op.differentiable && (op.kind !== 'composite' || op.ownDerivative === true));

describe('the op registry', () => {
  test('is populated', () => {
    expect(recorded.length).toBeGreaterThan(50);
    expect(recordedOps().map((op) => op.name)).toEqual(recorded.map((op) => op.name));
  });

  test('every recorded differentiable op has a derivative in the table', () => {
    const missing = recorded.filter((op) => !getDerivative(op.name)).map((op) => `${op.name} (${op.kind})`);
    expect(missing, 'register a derivative (autograd/src/derivatives) or mark the op differentiable: false').toEqual([]);
  });

  test('every recorded differentiable op has a gradcheck sample', () => {
    const missing = recorded.filter((op) => !SAMPLES[op.name]).map((op) => op.name);
    expect(missing, 'add a float64 sample to SAMPLES in registry.test.ts').toEqual([]);
  });

  test('samples only name registered ops', () => {
    const unknown = Object.keys(SAMPLES).filter((name) => !recorded.some((op) => op.name === name));
    expect(unknown).toEqual([]);
  });
});

describe('gradcheck of every recorded op', () => {
  test.each(recorded.map((op) => [op.name]))('%s', (name) => {
    const op = getOp(name);
    const samples = SAMPLES[name];
    if (!samples) throw new Error(`no gradcheck sample for '${name}'`);
    const before = torch.memoryStats();
    for (const sample of samples) {
      const inputs = sample.inputs();
      const attrs = sample.attrs ?? {};
      const fn = sample.fn ? sample.fn(op, attrs) : (...xs: Tensor[]) => dispatch(op, xs, attrs);
      try {
        expect(gradcheck(fn, inputs)).toBe(true);
      } finally {
        for (const x of inputs) if (x instanceof torch.Tensor) x.dispose();
      }
    }
    const after = torch.memoryStats();
    expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
    expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
  });
});
