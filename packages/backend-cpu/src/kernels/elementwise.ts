/**
 * Elementwise primitives (unary, binary, where, cast, assign, fill) as expression templates
 * compiled into the shared strided loop (`codegen/strided-loop.ts`).
 */
import {
  BINARY_BOOL_OUTPUT,
  contiguousStrides,
  UNARY_BOOL_OUTPUT,
  type BinaryOp,
  type DType,
  type TensorView,
  type UnaryOp,
} from '@torchlet/backend';
import { dataOf } from '../buffer.js';
import { compileLoop, numel, runLoop } from '../codegen/strided-loop.js';
import { erf } from '../math/erf.js';
import {
  floorDivideFloat,
  floorDivideInt,
  powFloat,
  powInt,
  remainderFloat,
  remainderInt,
  roundHalfEven,
} from '../math/scalar.js';
import { checkDType, checkShape, operand } from './views.js';

/** Functions the templates may call; passed into every generated kernel by name. */
const HELPERS = {
  erf,
  roundHalfEven,
  powFloat,
  powInt,
  remainderFloat,
  remainderInt,
  floorDivideFloat,
  floorDivideInt,
} as const;

/** Unary templates over `x` (a JS double). */
const UNARY_EXPR: Readonly<Record<UnaryOp, string>> = {
  neg: '-x',
  abs: 'Math.abs(x)',
  // Like ATen's (0 < x) - (x < 0): sign(0) = 0 and sign(NaN) = 0.
  sign: '(x > 0 ? 1 : x < 0 ? -1 : 0)',
  reciprocal: '1 / x',
  square: 'x * x',
  exp: 'Math.exp(x)',
  expm1: 'Math.expm1(x)',
  log: 'Math.log(x)',
  log1p: 'Math.log1p(x)',
  log2: 'Math.log2(x)',
  sqrt: 'Math.sqrt(x)',
  rsqrt: '1 / Math.sqrt(x)',
  sin: 'Math.sin(x)',
  cos: 'Math.cos(x)',
  tan: 'Math.tan(x)',
  asin: 'Math.asin(x)',
  acos: 'Math.acos(x)',
  atan: 'Math.atan(x)',
  sinh: 'Math.sinh(x)',
  cosh: 'Math.cosh(x)',
  tanh: 'Math.tanh(x)',
  asinh: 'Math.asinh(x)',
  acosh: 'Math.acosh(x)',
  atanh: 'Math.atanh(x)',
  sigmoid: '1 / (1 + Math.exp(-x))',
  // relu keeps NaN (clamp_min propagates it).
  relu: '(x > 0 || x !== x ? x : 0)',
  gelu: '0.5 * x * (1 + erf(x * 0.7071067811865476))',
  geluTanh: '0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))',
  silu: 'x / (1 + Math.exp(-x))',
  erf: 'erf(x)',
  // PyTorch's threshold: beyond 20 softplus(x) is x to float precision.
  softplus: '(x > 20 ? x : Math.log1p(Math.exp(x)))',
  floor: 'Math.floor(x)',
  ceil: 'Math.ceil(x)',
  round: 'roundHalfEven(x)',
  trunc: 'Math.trunc(x)',
  logicalNot: '(x === 0 ? 1 : 0)',
  isnan: '(x !== x ? 1 : 0)',
  isinf: '(x === Infinity || x === -Infinity ? 1 : 0)',
  isfinite: '(x - x === 0 ? 1 : 0)',
};

/** int32 overrides: products must wrap like int32, not round in doubles. */
const UNARY_INT_EXPR: Partial<Record<UnaryOp, string>> = {
  square: 'Math.imul(x, x)',
};

/** Binary templates over `a`, `b`. */
const BINARY_EXPR: Readonly<Record<BinaryOp, string>> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'powFloat(a, b)',
  // Math.max/min propagate NaN, as torch.maximum/minimum do.
  maximum: 'Math.max(a, b)',
  minimum: 'Math.min(a, b)',
  atan2: 'Math.atan2(a, b)',
  remainder: 'remainderFloat(a, b)',
  floorDivide: 'floorDivideFloat(a, b)',
  eq: '(a === b ? 1 : 0)',
  ne: '(a !== b ? 1 : 0)',
  lt: '(a < b ? 1 : 0)',
  le: '(a <= b ? 1 : 0)',
  gt: '(a > b ? 1 : 0)',
  ge: '(a >= b ? 1 : 0)',
  logicalAnd: '(a !== 0 && b !== 0 ? 1 : 0)',
  logicalOr: '(a !== 0 || b !== 0 ? 1 : 0)',
  logicalXor: '((a !== 0) !== (b !== 0) ? 1 : 0)',
};

/** int32 overrides; add/sub are exact in doubles and wrap on the Int32Array store. */
const BINARY_INT_EXPR: Partial<Record<BinaryOp, string>> = {
  mul: 'Math.imul(a, b)',
  pow: 'powInt(a, b)',
  remainder: 'remainderInt(a, b)',
  floorDivide: 'floorDivideInt(a, b)',
};

/** A bool output must hold 0/1 whatever the arithmetic produced (bool + bool is "or"). */
function toOut(expr: string, outDtype: DType, alreadyBool: boolean): string {
  return outDtype === 'bool' && !alreadyBool ? `((${expr}) !== 0 ? 1 : 0)` : expr;
}

export function unary(op: UnaryOp, x: TensorView, out: TensorView): void {
  checkShape(op, x, out.shape);
  const boolOut = UNARY_BOOL_OUTPUT.has(op);
  if (boolOut) checkDType(op, out, 'bool');
  const template = (x.dtype === 'int32' ? UNARY_INT_EXPR[op] : undefined) ?? UNARY_EXPR[op];
  if (template === undefined) throw new Error(`unary: unknown op '${op}'`);
  const expr = toOut(template, out.dtype, boolOut);
  const kernel = compileLoop({
    key: `unary:${op}:${x.dtype}:${out.dtype}`,
    nOps: 2,
    body: `{ const x = a1[q1]; a0[q0] = ${expr}; }`,
    helpers: HELPERS,
  });
  runLoop(kernel, out.shape, [operand(out), operand(x)]);
}

export function binary(op: BinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
  checkShape(op, a, out.shape);
  checkShape(op, b, out.shape);
  const boolOut = BINARY_BOOL_OUTPUT.has(op);
  if (boolOut) checkDType(op, out, 'bool');
  const intMath = a.dtype === 'int32' || (a.dtype === 'bool' && !boolOut);
  const template = (intMath ? BINARY_INT_EXPR[op] : undefined) ?? BINARY_EXPR[op];
  if (template === undefined) throw new Error(`binary: unknown op '${op}'`);
  const expr = toOut(template, out.dtype, boolOut);
  const kernel = compileLoop({
    key: `binary:${op}:${a.dtype}:${b.dtype}:${out.dtype}`,
    nOps: 3,
    body: `{ const a = a1[q1]; const b = a2[q2]; a0[q0] = ${expr}; }`,
    helpers: HELPERS,
  });
  runLoop(kernel, out.shape, [operand(out), operand(a), operand(b)]);
}

export function where(cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
  checkShape('where', cond, out.shape);
  checkShape('where', a, out.shape);
  checkShape('where', b, out.shape);
  const kernel = compileLoop({
    key: `where:${cond.dtype}:${a.dtype}:${b.dtype}:${out.dtype}`,
    nOps: 4,
    body: 'a0[q0] = a1[q1] !== 0 ? a2[q2] : a3[q3];',
  });
  runLoop(kernel, out.shape, [operand(out), operand(cond), operand(a), operand(b)]);
}

/** float→int32 truncates toward zero (the Int32Array store does ToInt32); anything→bool is `!= 0` (NaN → true). */
export function cast(x: TensorView, out: TensorView): void {
  checkShape('cast', x, out.shape);
  const value = out.dtype === 'bool' && x.dtype !== 'bool' ? '(a1[q1] !== 0 ? 1 : 0)' : 'a1[q1]';
  const kernel = compileLoop({ key: `cast:${x.dtype}:${out.dtype}`, nOps: 2, body: `a0[q0] = ${value};` });
  runLoop(kernel, out.shape, [operand(out), operand(x)]);
}

export function assign(dst: TensorView, src: TensorView): void {
  checkShape('assign', src, dst.shape);
  const dstData = dataOf(dst);
  let source = operand(src);
  if (dataOf(src) === dstData) {
    // Source and destination share memory and may overlap: snapshot the source first.
    const snapshot = new (dstData.constructor as new (n: number) => typeof dstData)(numel(src.shape));
    const copy = compileLoop({ key: `copy:${src.dtype}:${src.dtype}`, nOps: 2, body: 'a0[q0] = a1[q1];' });
    runLoop(copy, src.shape, [{ data: snapshot, offset: 0, strides: contiguousStrides(src.shape) }, source]);
    source = { data: snapshot, offset: 0, strides: contiguousStrides(src.shape) };
  }
  const value = dst.dtype === 'bool' && src.dtype !== 'bool' ? '(a1[q1] !== 0 ? 1 : 0)' : 'a1[q1]';
  const kernel = compileLoop({ key: `assign:${src.dtype}:${dst.dtype}`, nOps: 2, body: `a0[q0] = ${value};` });
  runLoop(kernel, dst.shape, [operand(dst), source]);
}

export function fill(out: TensorView, value: number): void {
  const v = out.dtype === 'bool' ? (value !== 0 ? 1 : 0) : value;
  const kernel = compileLoop({ key: `fill:${out.dtype}`, nOps: 1, nScalars: 1, body: 'a0[q0] = c0;' });
  runLoop(kernel, out.shape, [operand(out)], [v]);
}

export function arange(out: TensorView, start: number, step: number): void {
  if (out.shape.length !== 1) throw new Error(`arange: expected a 1-D output, got shape [${out.shape.join(', ')}]`);
  const data = dataOf(out);
  const n = out.shape[0]!;
  const s = out.strides[0]!;
  let p = out.offset;
  for (let i = 0; i < n; i++, p += s) data[p] = start + i * step;
}
