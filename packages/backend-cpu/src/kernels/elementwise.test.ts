import { UNARY_OPS, type BinaryOp, type UnaryOp } from '@torchlet/backend';
import { describe, expect, it } from 'vitest';
import { erf } from '../math/erf.js';
import { allIndices, at, be, empty, expand, f32, permute, rng, stridedRandom, tensor, values } from '../../test/helpers.js';

const SQRT1_2 = Math.SQRT1_2;

/** Naive references, written independently of the kernel templates. */
const UNARY_REF: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  reciprocal: (x) => 1 / x,
  square: (x) => x * x,
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  log2: Math.log2,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => (Number.isNaN(x) ? x : Math.max(x, 0)),
  gelu: (x) => 0.5 * x * (1 + erf(x * SQRT1_2)),
  geluTanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x / (1 + Math.exp(-x)),
  erf,
  softplus: (x) => (x > 20 ? x : Math.log(1 + Math.exp(x))),
  floor: Math.floor,
  ceil: Math.ceil,
  round: (x) => {
    const f = Math.floor(x);
    const d = x - f;
    return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  },
  trunc: Math.trunc,
  logicalNot: (x) => (x === 0 ? 1 : 0),
  isnan: (x) => (Number.isNaN(x) ? 1 : 0),
  isinf: (x) => (Math.abs(x) === Infinity ? 1 : 0),
  isfinite: (x) => (Number.isFinite(x) ? 1 : 0),
};
const BOOL_OUT = new Set<UnaryOp>(['logicalNot', 'isnan', 'isinf', 'isfinite']);

function close(actual: number, expected: number, rtol: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= rtol * Math.max(1, Math.abs(expected));
}

describe('unary', () => {
  it.each(UNARY_OPS.map((op) => [op]))('%s matches the naive reference on a transposed, offset float64 view', (op) => {
    const gen = rng(7);
    // Values in (-0.95, 0.95) for asin/acos/atanh; acosh needs x >= 1.
    const make = op === 'acosh' ? (u: number) => 1 + u * 5 : (u: number) => (u - 0.5) * 1.9;
    const x = permute(stridedRandom('float64', [3, 4, 5], [40, 5, 1], 3, gen, make), [2, 0, 1]);
    const out = empty(BOOL_OUT.has(op) ? 'bool' : 'float64', x.shape);
    be.unary(op, x, out);
    const got = values(out);
    const want = values(x).map(UNARY_REF[op]);
    for (let i = 0; i < got.length; i++) expect(close(got[i]!, want[i]!, 1e-14), `${op}(${values(x)[i]}) = ${got[i]} vs ${want[i]}`).toBe(true);
  });

  it.each(UNARY_OPS.map((op) => [op]))('%s on float32 rounds the double result once', (op) => {
    const special = [0, -0, 1.5, -2.5, 0.5, 3, -7.25, 25, -25, NaN, Infinity, -Infinity];
    const x = tensor('float32', [special.length], special);
    const out = empty(BOOL_OUT.has(op) ? 'bool' : 'float32', x.shape);
    be.unary(op, x, out);
    const got = values(out);
    const want = special.map((v) => (BOOL_OUT.has(op) ? UNARY_REF[op](v) : f32(UNARY_REF[op](f32(v)))));
    for (let i = 0; i < got.length; i++) expect(close(got[i]!, want[i]!, 1e-6), `${op}(${special[i]})`).toBe(true);
  });

  it('round is half-to-even', () => {
    const x = tensor('float64', [10], [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999999999996, 3.5, 1e16 + 2, -3.5000001]);
    const out = empty('float64', [10]);
    be.unary('round', x, out);
    expect(values(out)).toEqual([0, 2, 2, -0, -2, -2, 2, 4, 1e16 + 2, -4]);
  });

  it('sign(0) is 0, sign(NaN) is 0 (as ATen)', () => {
    const x = tensor('float32', [4], [0, -3, 2, NaN]);
    const out = empty('float32', [4]);
    be.unary('sign', x, out);
    expect(values(out)).toEqual([0, -1, 1, 0]);
  });

  it('softplus uses the threshold 20 and relu keeps NaN', () => {
    const x = tensor('float64', [3], [20.5, 19, NaN]);
    const out = empty('float64', [3]);
    be.unary('softplus', x, out);
    expect(values(out)[0]).toBe(20.5);
    expect(values(out)[1]).toBeCloseTo(Math.log1p(Math.exp(19)), 12);
    be.unary('relu', x, out);
    expect(Number.isNaN(values(out)[2])).toBe(true);
  });

  it('erf matches reference values to 1e-15', () => {
    // Values from Python's math.erf.
    const cases: [number, number][] = [
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [-1.7, -0.9837904585907746],
      [2.4, 0.9993114861033549],
      [2.6, 0.9997639655834707],
      [3.3, 0.9999969422902035],
      [1e-12, 1.1283791670955126e-12],
    ];
    for (const [x, e] of cases) expect(Math.abs(erf(x) - e)).toBeLessThanOrEqual(2e-16 + 1e-15 * Math.abs(e));
    expect(erf(7)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
  });

  it('int32 neg/abs/square wrap like int32', () => {
    const x = tensor('int32', [3], [-2147483648, 65536, -5]);
    const out = empty('int32', [3]);
    be.unary('square', x, out);
    expect(values(out)).toEqual([0, 0, 25]);
    be.unary('neg', x, out);
    expect(values(out)).toEqual([-2147483648, -65536, 5]);
    be.unary('abs', x, out);
    expect(values(out)).toEqual([-2147483648, 65536, 5]);
  });

  it('handles rank 0 and zero-size views', () => {
    const x = tensor('float32', [], [4]);
    const out = empty('float32', []);
    be.unary('sqrt', x, out);
    expect(values(out)).toEqual([2]);
    const z = empty('float32', [3, 0, 2]);
    be.unary('exp', z, empty('float32', [3, 0, 2]));
  });
});

const BINARY_REF: Partial<Record<BinaryOp, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b),
  atan2: Math.atan2,
  remainder: (a, b) => a - Math.floor(a / b) * b,
  floorDivide: (a, b) => Math.floor(a / b),
  pow: (a, b) => Math.pow(Math.abs(a), b),
};

describe('binary', () => {
  it.each(Object.keys(BINARY_REF).map((op) => [op as BinaryOp]))('%s on broadcast and transposed operands', (op) => {
    const gen = rng(11);
    // a: [4, 1, 5] broadcast to [4, 3, 5]; b: transposed [5, 3] -> [3, 5] broadcast along dim 0.
    const a = expand(stridedRandom('float64', [4, 1, 5], [5, 5, 1], 2, gen, (u) => (op === 'pow' ? u * 3 + 0.1 : u * 8 - 4)), [4, 3, 5]);
    const bBase = permute(stridedRandom('float64', [5, 3], [3, 1], 1, gen, (u) => u * 6 - 3 || 1), [1, 0]);
    const b = expand({ ...bBase, shape: [1, 3, 5], strides: [0, ...bBase.strides] }, [4, 3, 5]);
    const out = empty('float64', [4, 3, 5]);
    be.binary(op, a, b, out);
    for (const idx of allIndices(out.shape)) {
      const x = at(a, idx);
      const y = at(b, idx);
      const want = BINARY_REF[op]!(op === 'pow' ? Math.abs(x) : x, y);
      expect(close(at(out, idx), want, 1e-12), `${op}(${x}, ${y})`).toBe(true);
    }
  });

  it('remainder takes the sign of the divisor, floorDivide floors', () => {
    const a = tensor('float64', [6], [5, -5, 5, -5, 5.5, -0]);
    const b = tensor('float64', [6], [3, 3, -3, -3, 2, 3]);
    const out = empty('float64', [6]);
    be.binary('remainder', a, b, out);
    expect(values(out)).toEqual([2, 1, -1, -2, 1.5, -0]); // fmod keeps the sign of -0
    be.binary('floorDivide', a, b, out);
    expect(values(out)).toEqual([1, -2, -2, 1, 2, -0]);
    const ai = tensor('int32', [4], [7, -7, 7, -7]);
    const bi = tensor('int32', [4], [2, 2, -2, -2]);
    const oi = empty('int32', [4]);
    be.binary('remainder', ai, bi, oi);
    expect(values(oi)).toEqual([1, 1, -1, -1]);
    be.binary('floorDivide', ai, bi, oi);
    expect(values(oi)).toEqual([3, -4, -4, 3]);
    expect(() => be.binary('remainder', ai, tensor('int32', [4], [1, 0, 1, 1]), oi)).toThrow(RangeError);
  });

  it('int32 add/sub/mul wrap; int32 pow is integer power', () => {
    const a = tensor('int32', [4], [2147483647, -2147483648, 65537, 3]);
    const b = tensor('int32', [4], [1, 1, 65537, 19]);
    const out = empty('int32', [4]);
    be.binary('add', a, b, out);
    expect(values(out)).toEqual([-2147483648, -2147483647, 131074, 22]);
    be.binary('sub', a, b, out);
    expect(values(out)).toEqual([2147483646, 2147483647, 0, -16]);
    be.binary('mul', a, b, out);
    expect(values(out)).toEqual([2147483647, -2147483648, Math.imul(65537, 65537), 57]);
    be.binary('pow', tensor('int32', [4], [3, 2, -1, 2]), tensor('int32', [4], [19, 31, -3, -1]), out);
    expect(values(out)).toEqual([1162261467, -2147483648, -1, 0]);
  });

  it('pow follows C for 1 ** NaN and x ** 0', () => {
    const out = empty('float64', [2]);
    be.binary('pow', tensor('float64', [2], [1, NaN]), tensor('float64', [2], [NaN, 0]), out);
    expect(values(out)).toEqual([1, 1]);
  });

  it('comparisons and logical ops output bool; NaN is truthy', () => {
    const a = tensor('float32', [4], [1, NaN, 0, 2]);
    const b = tensor('float32', [4], [1, NaN, 3, 0]);
    const out = empty('bool', [4]);
    const run = (op: BinaryOp) => {
      be.binary(op, a, b, out);
      return values(out);
    };
    expect(run('eq')).toEqual([1, 0, 0, 0]);
    expect(run('ne')).toEqual([0, 1, 1, 1]);
    expect(run('lt')).toEqual([0, 0, 1, 0]);
    expect(run('le')).toEqual([1, 0, 1, 0]);
    expect(run('gt')).toEqual([0, 0, 0, 1]);
    expect(run('ge')).toEqual([1, 0, 0, 1]);
    expect(run('logicalAnd')).toEqual([1, 1, 0, 0]);
    expect(run('logicalOr')).toEqual([1, 1, 1, 1]);
    expect(run('logicalXor')).toEqual([0, 0, 1, 1]);
  });

  it('bool arithmetic stays 0/1', () => {
    const out = empty('bool', [2]);
    be.binary('add', tensor('bool', [2], [1, 0]), tensor('bool', [2], [1, 0]), out);
    expect(values(out)).toEqual([1, 0]);
  });

  it('maximum/minimum propagate NaN', () => {
    const out = empty('float32', [2]);
    be.binary('maximum', tensor('float32', [2], [NaN, 1]), tensor('float32', [2], [1, NaN]), out);
    expect(values(out).every(Number.isNaN)).toBe(true);
  });
});

describe('where, cast, assign, fill, arange', () => {
  it('where selects on a broadcast bool condition', () => {
    const cond = expand(tensor('bool', [1, 3], [1, 0, 1]), [2, 3]);
    const a = tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const b = expand(tensor('float32', [2, 1], [-1, -2]), [2, 3]);
    const out = empty('float32', [2, 3]);
    be.where(cond, a, b, out);
    expect(values(out)).toEqual([1, -1, 3, 4, -2, 6]);
  });

  it('cast truncates toward zero, maps to bool by != 0 (NaN -> true)', () => {
    const x = permute(tensor('float64', [2, 3], [1.9, -1.9, NaN, 0, -0, 2.5]), [1, 0]);
    const i = empty('int32', [3, 2]);
    be.cast(x, i);
    expect(values(i)).toEqual([1, 0, -1, 0, 0, 2]);
    const bo = empty('bool', [3, 2]);
    be.cast(x, bo);
    expect(values(bo)).toEqual([1, 0, 1, 0, 1, 1]);
    const f = empty('float32', [3, 2]);
    be.cast(bo, f);
    expect(values(f)).toEqual([1, 0, 1, 0, 1, 1]);
  });

  it('assign writes a broadcast source into a strided destination', () => {
    const dst = tensor('float32', [3, 4], new Array(12).fill(0));
    // Column 1..2 of every row: shape [3, 2], strides [4, 1], offset 1.
    const window = { ...dst, shape: [3, 2], strides: [4, 1], offset: 1 };
    be.assign(window, expand(tensor('float32', [1, 2], [7, 8]), [3, 2]));
    expect(values(dst)).toEqual([0, 7, 8, 0, 0, 7, 8, 0, 0, 7, 8, 0]);
  });

  it('assign between overlapping views of one buffer behaves like a copy', () => {
    const t = tensor('int32', [5], [1, 2, 3, 4, 5]);
    be.assign({ ...t, shape: [4], offset: 1 }, { ...t, shape: [4], offset: 0 });
    expect(values(t)).toEqual([1, 1, 2, 3, 4]);
  });

  it('fill writes a strided view and normalises bool', () => {
    const t = tensor('float64', [2, 3], new Array(6).fill(0));
    be.fill(permute({ ...t, shape: [2, 2], strides: [3, 2] }, [1, 0]), 5);
    expect(values(t)).toEqual([5, 0, 5, 5, 0, 5]);
    const b = empty('bool', [2]);
    be.fill(b, NaN);
    expect(values(b)).toEqual([1, 1]);
    const s = empty('int32', []);
    be.fill(s, -3.7);
    expect(values(s)).toEqual([-3]);
  });

  it('arange', () => {
    const out = empty('float32', [4]);
    be.arange(out, 1, 0.5);
    expect(values(out)).toEqual([1, 1.5, 2, 2.5]);
  });
});
