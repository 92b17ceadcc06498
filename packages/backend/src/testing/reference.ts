/**
 * Naive, obviously-correct reference implementations (float64 JavaScript on plain
 * numbers) of the backend primitives' semantics, following PyTorch.
 */
import type { DType } from '../dtype.js';
import type { ArgReduceOp, BinaryOp, ReduceOp, ScanOp, UnaryOp } from '../primitives.js';
import { numel, ravel, roundHalfEven, roundToDType, unravel } from './helpers.js';

// ---- special functions ---------------------------------------------------------------

/** erf in float64: Maclaurin series for |x| < 3, Laplace continued fraction for erfc beyond. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return -1;
  const a = Math.abs(x);
  if (a < 3) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x; // (-1)^n x^(2n+1) / n!
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfcLarge(a));
}

/** erfc(x) for x ≥ 3: exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
function erfcLarge(x: number): number {
  let f = x;
  for (let k = 300; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

// ---- elementwise ---------------------------------------------------------------------

/** PyTorch's unary op on `x` in float64 (ints wrap; bool-output ops return 0/1). */
export function unaryRef(op: UnaryOp, x: number, dtype: DType): number {
  const int = dtype === 'int32';
  switch (op) {
    case 'neg': return -x;
    case 'abs': return Math.abs(x);
    case 'sign': return x > 0 ? 1 : x < 0 ? -1 : Number.isNaN(x) ? NaN : 0;
    case 'reciprocal': return 1 / x;
    case 'square': return int ? Math.imul(x, x) : x * x;
    case 'exp': return Math.exp(x);
    case 'expm1': return Math.expm1(x);
    case 'log': return Math.log(x);
    case 'log1p': return Math.log1p(x);
    case 'log2': return Math.log2(x);
    case 'sqrt': return Math.sqrt(x);
    case 'rsqrt': return 1 / Math.sqrt(x);
    case 'sin': return Math.sin(x);
    case 'cos': return Math.cos(x);
    case 'tan': return Math.tan(x);
    case 'asin': return Math.asin(x);
    case 'acos': return Math.acos(x);
    case 'atan': return Math.atan(x);
    case 'sinh': return Math.sinh(x);
    case 'cosh': return Math.cosh(x);
    case 'tanh': return Math.tanh(x);
    case 'asinh': return Math.asinh(x);
    case 'acosh': return Math.acosh(x);
    case 'atanh': return Math.atanh(x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'relu': return Number.isNaN(x) ? NaN : x > 0 ? x : 0;
    case 'gelu': return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'geluTanh': return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    case 'silu': return x / (1 + Math.exp(-x));
    case 'erf': return erf(x);
    case 'softplus': return x > 20 ? x : Math.log1p(Math.exp(x));
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'round': return roundHalfEven(x);
    case 'trunc': return Math.trunc(x);
    case 'logicalNot': return x === 0 ? 1 : 0;
    case 'isnan': return Number.isNaN(x) ? 1 : 0;
    case 'isinf': return x === Infinity || x === -Infinity ? 1 : 0;
    case 'isfinite': return Number.isFinite(x) ? 1 : 0;
  }
}

/** fmod with C semantics (JavaScript's `%` on numbers is exactly that). */
function fmod(a: number, b: number): number {
  return a % b;
}

/** PyTorch's `remainder` (sign of the divisor), as `at::native` computes it. */
export function remainderRef(a: number, b: number, int: boolean): number {
  if (int) {
    const r = a % b;
    return r !== 0 && r < 0 !== b < 0 ? r + b : r;
  }
  const mod = fmod(a, b);
  return mod !== 0 && b < 0 !== mod < 0 ? mod + b : mod;
}

/** `torch.div(a, b, rounding_mode='floor')`, as `at::native::div_floor_floating`. */
export function floorDivideRef(a: number, b: number, int: boolean): number {
  if (int) return Math.floor(a / b);
  if (b === 0) return a / b;
  const mod = fmod(a, b);
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) return Math.sign(a / b) * 0;
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

const truthy = (v: number): boolean => v !== 0; // NaN is true, as in PyTorch

/** PyTorch's binary op in float64 (ints wrap; comparisons return 0/1). */
export function binaryRef(op: BinaryOp, a: number, b: number, dtype: DType): number {
  const int = dtype === 'int32';
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return int ? Math.imul(a, b) : a * b;
    case 'div': return a / b;
    case 'pow': return Math.pow(a, b);
    case 'maximum': return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
    case 'minimum': return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b);
    case 'atan2': return Math.atan2(a, b);
    case 'remainder': return remainderRef(a, b, int);
    case 'floorDivide': return floorDivideRef(a, b, int);
    case 'eq': return a === b ? 1 : 0;
    case 'ne': return a !== b ? 1 : 0;
    case 'lt': return a < b ? 1 : 0;
    case 'le': return a <= b ? 1 : 0;
    case 'gt': return a > b ? 1 : 0;
    case 'ge': return a >= b ? 1 : 0;
    case 'logicalAnd': return truthy(a) && truthy(b) ? 1 : 0;
    case 'logicalOr': return truthy(a) || truthy(b) ? 1 : 0;
    case 'logicalXor': return truthy(a) !== truthy(b) ? 1 : 0;
  }
}

/** Elementwise conversion to `to`: float→int truncates toward zero, anything→bool is `!= 0`. */
export function castRef(x: number, to: DType): number {
  if (to === 'bool') return x !== 0 ? 1 : 0;
  if (to === 'int32') return Math.trunc(x) | 0;
  return roundToDType(to, x);
}

// ---- reductions ----------------------------------------------------------------------

/** Shape of `shape` with `axes` set to 1. */
export function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * Groups the elements of a row-major tensor by output position of a reduction over
 * `axes`: `groups[o]` lists the values reduced into output element `o`, in row-major order.
 */
export function reductionGroups(values: readonly number[], shape: readonly number[], axes: readonly number[]): number[][] {
  const outShape = keptShape(shape, axes);
  const groups = Array.from({ length: numel(outShape) }, () => [] as number[]);
  for (let i = 0; i < values.length; i++) {
    const idx = unravel(i, shape);
    for (const a of axes) idx[a] = 0;
    groups[ravel(idx, outShape)]!.push(values[i]!);
  }
  return groups;
}

export function reduceRef(op: ReduceOp, group: readonly number[]): number {
  switch (op) {
    case 'sum': return group.reduce((s, v) => s + v, 0);
    case 'prod': return group.reduce((s, v) => s * v, 1);
    case 'max': return group.some(Number.isNaN) ? NaN : Math.max(...group);
    case 'min': return group.some(Number.isNaN) ? NaN : Math.min(...group);
  }
}

/** Index of the first maximum/minimum (ties → first). */
export function argReduceRef(op: ArgReduceOp, group: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < group.length; i++) {
    if (op === 'argmax' ? group[i]! > group[best]! : group[i]! < group[best]!) best = i;
  }
  return best;
}

/** Inclusive scan; NaN propagates through cummax/cummin as in PyTorch. */
export function scanRef(op: ScanOp, line: readonly number[], dtype: DType): number[] {
  const out: number[] = [];
  let acc = NaN;
  for (let i = 0; i < line.length; i++) {
    const v = line[i]!;
    if (i === 0) acc = v;
    else if (op === 'cumsum') acc = acc + v;
    else if (op === 'cumprod') acc = dtype === 'int32' ? Math.imul(acc, v) : acc * v;
    else if (Number.isNaN(acc) || Number.isNaN(v)) acc = NaN;
    else acc = op === 'cummax' ? Math.max(acc, v) : Math.min(acc, v);
    out.push(acc);
  }
  return out;
}

/** Lines of a row-major tensor along `axis`: `lines[k]` are the flat positions of line k. */
export function axisLines(shape: readonly number[], axis: number): number[][] {
  const n = shape[axis]!;
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const lines: number[][] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      lines.push(Array.from({ length: n }, (_, k) => (o * n + k) * inner + i));
    }
  }
  return lines;
}

// ---- sort ----------------------------------------------------------------------------

/** Stable sort permutation of `line`; NaN is larger than everything (last ascending, first descending). */
export function sortPermutation(line: readonly number[], descending: boolean): number[] {
  const key = (v: number) => (Number.isNaN(v) ? 2 : 1);
  const cmp = (a: number, b: number): number => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return ka - kb;
    if (ka === 2) return 0;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  const perm = line.map((_, i) => i);
  // Array.prototype.sort is stable; a descending comparator keeps ties in input order.
  perm.sort((i, j) => (descending ? cmp(line[j]!, line[i]!) : cmp(line[i]!, line[j]!)));
  return perm;
}

// ---- fused ---------------------------------------------------------------------------

/** Softmax of `line` (max-subtracted). */
export function softmaxRef(line: readonly number[]): number[] {
  const m = Math.max(...line);
  const e = line.map((v) => Math.exp(v - m));
  const s = e.reduce((p, v) => p + v, 0);
  return e.map((v) => v / s);
}

/** Log-softmax of `line`: x - max - log Σ exp(x - max). */
export function logSoftmaxRef(line: readonly number[]): number[] {
  const m = Math.max(...line);
  const lse = Math.log(line.reduce((p, v) => p + Math.exp(v - m), 0));
  return line.map((v) => v - m - lse);
}
