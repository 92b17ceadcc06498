import { philoxFill } from '@torchlet/backend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DTypeError, RuntimeError, ShapeError, ValueError } from '../core/errors.js';
import { viewOf } from '../core/factory.js';
import { bernoulli_, getOp, memoryStats, normal_, tensor, uniform_, zeros, type Tensor } from '../index.js';
import { Generator, manualSeed } from './generator.js';

let baseline: ReturnType<typeof memoryStats>;

beforeEach(() => {
  baseline = memoryStats();
});

afterEach(() => {
  const now = memoryStats();
  expect(now.liveTensors).toBe(baseline.liveTensors);
  expect(now.liveStorages).toBe(baseline.liveStorages);
});

function stats(xs: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / xs.length) };
}

/** A [cols, rows] transposed view of a contiguous [rows, cols] tensor. */
function transposed(base: Tensor): Tensor {
  const [r, c] = base.shape as [number, number];
  return viewOf(base, [c, r], [1, c], 0);
}

describe('registry', () => {
  it('registers the fillers as in-place non-differentiable primitives', () => {
    for (const name of ['uniform_', 'normal_', 'bernoulli_']) {
      const op = getOp(name);
      expect(op.kind).toBe('primitive');
      expect(op.inplace).toBe(true);
      expect(op.differentiable).toBe(false);
    }
  });
});

describe('uniform_', () => {
  it('writes the Philox stream into a contiguous tensor and returns it', () => {
    const x = zeros([3, 4]);
    const v0 = x.version;
    expect(x.uniform_(0, 1, { generator: new Generator().manualSeed(5) })).toBe(x);
    expect(x.version).toBe(v0 + 1);
    const ref = new Float32Array(12);
    philoxFill('uniform', ref, 12, 5, 0);
    expect(Array.from(x.dataSync())).toEqual(Array.from(ref));
    x.dispose();
  });

  it('maps onto [from, to)', () => {
    manualSeed(1);
    const x = zeros([50_000], { dtype: 'float64' });
    uniform_(x, -2, 4);
    const xs = x.dataSync();
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of xs) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(-2);
    expect(hi).toBeLessThan(4);
    const { mean, std } = stats(xs);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(std - 6 / Math.sqrt(12))).toBeLessThan(0.03);
    x.dispose();
  });

  it('fills a strided view in element order and leaves the rest of the storage alone', () => {
    const base = zeros([4, 6]);
    // Columns 1..3 of every row: shape [4, 3], strides [6, 1], offset 1.
    const view = viewOf(base, [4, 3], [6, 1], 1);
    view.uniform_(0, 1, { generator: new Generator().manualSeed(2) });
    const ref = new Float32Array(12);
    philoxFill('uniform', ref, 12, 2, 0);
    expect(Array.from(view.dataSync())).toEqual(Array.from(ref));
    const all = base.dataSync();
    for (let r = 0; r < 4; r++) {
      for (const c of [0, 4, 5]) expect(all[r * 6 + c]).toBe(0);
    }
    expect(base.version).toBe(1);
    view.dispose();
    base.dispose();
  });

  it('gives a transposed view the same values as a contiguous tensor of its shape', () => {
    const base = zeros([2, 3]);
    const tv = transposed(base);
    tv.uniform_(0, 1, { generator: new Generator().manualSeed(3) });
    const plain = zeros([3, 2]).uniform_(0, 1, { generator: new Generator().manualSeed(3) });
    expect(Array.from(tv.dataSync())).toEqual(Array.from(plain.dataSync()));
    for (const t of [tv, base, plain]) t.dispose();
  });

  it('refuses integer tensors, reversed ranges and overlapping views', () => {
    const i = zeros([2], { dtype: 'int32' });
    expect(() => i.uniform_()).toThrow(DTypeError);
    const x = zeros([2]);
    expect(() => x.uniform_(1, 0)).toThrow(ValueError);
    const expanded = viewOf(x, [3, 2], [0, 1], 0);
    expect(() => expanded.uniform_()).toThrow(/more than one element of the written-to tensor/);
    for (const t of [i, x, expanded]) t.dispose();
  });
});

describe('normal_', () => {
  it('writes mean + std * the normal stream', () => {
    const x = zeros([7]);
    x.normal_(3, 0.5, { generator: new Generator().manualSeed(4) });
    const ref = new Float32Array(7);
    philoxFill('normal', ref, 7, 4, 0);
    const got = x.dataSync();
    for (let k = 0; k < 7; k++) expect(got[k]).toBeCloseTo(3 + 0.5 * ref[k]!, 5);
    x.dispose();
  });

  it('has the requested mean and std on a strided view', () => {
    manualSeed(5);
    const base = zeros([200, 500]);
    const tv = transposed(base);
    normal_(tv, -1, 2);
    const { mean, std } = stats(base.dataSync());
    expect(Math.abs(mean + 1)).toBeLessThan(0.03);
    expect(Math.abs(std - 2)).toBeLessThan(0.03);
    tv.dispose();
    base.dispose();
  });

  it('rejects a negative std', () => {
    const x = zeros([2]);
    expect(() => x.normal_(0, -1)).toThrow(ValueError);
    x.dispose();
  });
});

describe('bernoulli_', () => {
  it('sets ones at rate p, on any dtype', () => {
    manualSeed(6);
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const x = zeros([40_000], { dtype });
      x.bernoulli_(0.3);
      const xs = x.dataSync();
      let ones = 0;
      let other = 0;
      for (const v of xs) {
        if (v !== 0 && v !== 1) other++;
        ones += v;
      }
      expect(other).toBe(0);
      expect(Math.abs(ones / xs.length - 0.3)).toBeLessThan(0.01);
      x.dispose();
    }
  });

  it('takes a broadcast probability tensor, drawing the same stream as a number', () => {
    const x = zeros([3, 4]);
    const y = zeros([3, 4]);
    const p = tensor([0.5]);
    x.bernoulli_(p, { generator: new Generator().manualSeed(7) });
    bernoulli_(y, 0.5, { generator: new Generator().manualSeed(7) });
    expect(Array.from(x.dataSync())).toEqual(Array.from(y.dataSync()));
    const rows = tensor([[0], [1], [0]]);
    x.bernoulli_(rows);
    expect(Array.from(x.dataSync())).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
    const bad = tensor([0.1, 0.2]);
    expect(() => x.bernoulli_(bad)).toThrow(ShapeError);
    expect(() => x.bernoulli_(2)).toThrow(ValueError);
    for (const t of [x, y, p, rows, bad]) t.dispose();
  });

  it('refuses a disposed tensor', () => {
    const x = zeros([2]);
    x.dispose();
    expect(() => x.bernoulli_()).toThrow(RuntimeError);
  });
});
