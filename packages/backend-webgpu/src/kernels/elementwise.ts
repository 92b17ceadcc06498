/** unary, binary, where, cast, assign, fill and arange on the strided map. */
import { BINARY_BOOL_OUTPUT, UNARY_BOOL_OUTPUT, type BinaryOp, type DType, type TensorView, type UnaryOp } from '@torchlet/backend';
import { gpuOf } from '../buffer.js';
import type { GpuRuntime } from '../runtime.js';
import { f32Word, wgslType } from '../wgsl/codegen.js';
import { runMap, type MapOperand } from './map.js';

/** A view as a map operand (read unless `access` says otherwise). */
export function operand(view: TensorView, access: 'read' | 'read_write' = 'read'): MapOperand {
  return { strides: view.strides, offset: view.offset, buffer: gpuOf(view), dtype: view.dtype, access };
}

function checkShape(op: string, out: TensorView, ...inputs: TensorView[]): void {
  for (const x of inputs) {
    if (x.shape.length !== out.shape.length || x.shape.some((d, i) => d !== out.shape[i])) {
      throw new Error(`${op}: input shape [${x.shape.join(', ')}] does not match the output shape [${out.shape.join(', ')}]`);
    }
  }
}

// ---- unary ------------------------------------------------------------------------------

/** float32 expressions of `x` (NaN inputs are passed through before these run). */
const F32_UNARY: Partial<Record<UnaryOp, string>> = {
  neg: '-x',
  abs: 'f_abs(x)',
  sign: 'select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0)',
  reciprocal: '1.0 / x',
  square: 'x * x',
  exp: 't_exp(x)',
  expm1: 't_expm1(x)',
  log: 't_log(x)',
  log1p: 't_log1p(x)',
  log2: 'select(select(log2(x), x, is_inf(x)), select(-f_inf(), f_nan(), x < 0.0), x <= 0.0)',
  sqrt: 'select(select(sqrt(x), x, is_inf(x)), f_nan(), x < 0.0)',
  rsqrt: 'select(select(select(1.0 / sqrt(x), 0.0, is_inf(x)), f_inf(), x == 0.0), f_nan(), x < 0.0)',
  sin: 'sincos(x).x',
  cos: 'sincos(x).y',
  tan: 'tan_(x)',
  asin: 't_asin(x)',
  acos: 't_acos(x)',
  atan: 't_atan(x)',
  sinh: 't_sinh(x)',
  cosh: 't_cosh(x)',
  tanh: 't_tanh(x)',
  asinh: 't_asinh(x)',
  acosh: 't_acosh(x)',
  atanh: 't_atanh(x)',
  sigmoid: '1.0 / (1.0 + t_exp(-x))',
  relu: 'select(0.0, x, x > 0.0)',
  gelu: '0.5 * x * t_erfc(-x * 0.70710678118654752)',
  geluTanh: '0.5 * x * (1.0 + t_tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))',
  silu: 'x / (1.0 + t_exp(-x))',
  erf: 't_erf(x)',
  softplus: 'select(t_log1p(t_exp(x)), x, x > 20.0)',
  floor: 'floor(x)',
  ceil: 'ceil(x)',
  round: 'round(x)',
  trunc: 'trunc(x)',
};

const F32_UNARY_BOOL: Partial<Record<UnaryOp, string>> = {
  logicalNot: '!truthy(x)',
  isnan: 'is_nan(x)',
  isinf: 'is_inf(x)',
  isfinite: 'is_finite(x)',
};

const I32_UNARY: Partial<Record<UnaryOp, string>> = {
  neg: '-x',
  abs: 'abs(x)',
  sign: 'sign(x)',
  square: 'x * x',
  relu: 'max(x, 0)',
};
const I32_UNARY_BOOL: Partial<Record<UnaryOp, string>> = { logicalNot: 'x == 0', isnan: 'false', isinf: 'false', isfinite: 'true' };
const BOOL_UNARY_BOOL: Partial<Record<UnaryOp, string>> = { logicalNot: 'x == 0u', isnan: 'false', isinf: 'false', isfinite: 'true' };

const HELPERS = /* wgsl */ `
fn tan_(x: f32) -> f32 { let sc = sincos(x); return sc.x / sc.y; }
`;

function boolWrap(expr: string): string {
  return `select(0u, 1u, ${expr})`;
}

export function unary(rt: GpuRuntime, op: UnaryOp, x: TensorView, out: TensorView): void {
  checkShape(`unary ${op}`, out, x);
  const boolOut = UNARY_BOOL_OUTPUT.has(op);
  const want: DType = boolOut ? 'bool' : x.dtype;
  if (out.dtype !== want) throw new TypeError(`unary ${op}: output dtype must be ${want}, got ${out.dtype}`);
  let expr: string | undefined;
  if (x.dtype === 'float32') {
    expr = boolOut ? F32_UNARY_BOOL[op] : F32_UNARY[op];
    if (expr && !boolOut) expr = `select(${expr}, x, is_nan(x))`;
  } else if (x.dtype === 'int32') {
    expr = boolOut ? I32_UNARY_BOOL[op] : I32_UNARY[op];
  } else if (x.dtype === 'bool') {
    expr = boolOut ? BOOL_UNARY_BOOL[op] : undefined;
  }
  if (!expr) throw new TypeError(`unary ${op}: not supported for ${x.dtype} on webgpu`);
  if (boolOut) expr = boolWrap(expr);
  runMap(rt, {
    name: `unary.${op}.${x.dtype}`,
    shape: out.shape,
    operands: [operand(out, 'read_write'), operand(x)],
    helpers: HELPERS,
    body: `  let x = buf1[p1];\n  buf0[p0] = ${expr};`,
  });
}

// ---- binary -----------------------------------------------------------------------------

const F32_BINARY: Partial<Record<BinaryOp, string>> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  maximum: 'select(b, a, a > b)',
  minimum: 'select(b, a, a < b)',
  atan2: 't_atan2(a, b)',
  remainder: 'remainder_f(a, b)',
  floorDivide: 'floor_divide_f(a, b)',
};
/** Ops whose float definition handles NaN itself. */
const F32_BINARY_OWN_NAN: Partial<Record<BinaryOp, string>> = { pow: 't_pow(a, b)' };
const F32_BINARY_BOOL: Partial<Record<BinaryOp, string>> = {
  eq: '!nan_ab && a == b',
  ne: 'nan_ab || a != b',
  lt: '!nan_ab && a < b',
  le: '!nan_ab && a <= b',
  gt: '!nan_ab && a > b',
  ge: '!nan_ab && a >= b',
  logicalAnd: 'truthy(a) && truthy(b)',
  logicalOr: 'truthy(a) || truthy(b)',
  logicalXor: 'truthy(a) != truthy(b)',
};
const I32_BINARY: Partial<Record<BinaryOp, string>> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  maximum: 'max(a, b)',
  minimum: 'min(a, b)',
  remainder: 'remainder_i(a, b)',
  floorDivide: 'floor_divide_i(a, b)',
};
const I32_BINARY_BOOL: Partial<Record<BinaryOp, string>> = {
  eq: 'a == b',
  ne: 'a != b',
  lt: 'a < b',
  le: 'a <= b',
  gt: 'a > b',
  ge: 'a >= b',
  logicalAnd: 'a != 0 && b != 0',
  logicalOr: 'a != 0 || b != 0',
  logicalXor: '(a != 0) != (b != 0)',
};
const BOOL_BINARY_BOOL: Partial<Record<BinaryOp, string>> = {
  eq: 'a == b',
  ne: 'a != b',
  lt: 'a < b',
  le: 'a <= b',
  gt: 'a > b',
  ge: 'a >= b',
  logicalAnd: 'a != 0u && b != 0u',
  logicalOr: 'a != 0u || b != 0u',
  logicalXor: '(a != 0u) != (b != 0u)',
};
const BOOL_BINARY: Partial<Record<BinaryOp, string>> = {
  maximum: 'max(a, b)',
  minimum: 'min(a, b)',
  mul: 'a & b',
  add: 'a | b',
};

const BINARY_HELPERS = /* wgsl */ `
fn remainder_f(a: f32, b: f32) -> f32 {
  var m = t_fmod(a, b);
  if (m != 0.0 && (b < 0.0) != (m < 0.0)) { m = m + b; }
  return m;
}
fn floor_divide_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return a / b; }
  let m = t_fmod(a, b);
  var d = (a - m) / b;
  if (m != 0.0 && (b < 0.0) != (m < 0.0)) { d = d - 1.0; }
  if (d == 0.0) { return copy_sign(0.0, select(1.0, -1.0, sign_bit(a) != sign_bit(b))); }
  var f = floor(d);
  if (d - f > 0.5) { f = f + 1.0; }
  return f;
}
fn remainder_i(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  return select(r, r + b, r != 0 && ((r < 0) != (b < 0)));
}
fn floor_divide_i(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let q = a / b;
  return select(q, q - 1, (a % b != 0) && ((a < 0) != (b < 0)));
}
`;

export function binary(rt: GpuRuntime, op: BinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
  checkShape(`binary ${op}`, out, a, b);
  if (a.dtype !== b.dtype) throw new TypeError(`binary ${op}: operands must share a dtype, got ${a.dtype} and ${b.dtype}`);
  const boolOut = BINARY_BOOL_OUTPUT.has(op);
  const want: DType = boolOut ? 'bool' : a.dtype;
  if (out.dtype !== want) throw new TypeError(`binary ${op}: output dtype must be ${want}, got ${out.dtype}`);
  let expr: string | undefined;
  let pre = '';
  if (a.dtype === 'float32') {
    if (boolOut) {
      expr = F32_BINARY_BOOL[op];
      pre = '  let nan_ab = is_nan(a) || is_nan(b);\n';
    } else if (F32_BINARY_OWN_NAN[op]) {
      expr = F32_BINARY_OWN_NAN[op];
    } else {
      expr = F32_BINARY[op];
      if (expr) expr = `select(${expr}, f_nan(), is_nan(a) || is_nan(b))`;
    }
  } else if (a.dtype === 'int32') {
    expr = boolOut ? I32_BINARY_BOOL[op] : I32_BINARY[op];
  } else if (a.dtype === 'bool') {
    expr = boolOut ? BOOL_BINARY_BOOL[op] : BOOL_BINARY[op];
  }
  if (!expr) throw new TypeError(`binary ${op}: not supported for ${a.dtype} on webgpu`);
  if (boolOut) expr = boolWrap(expr);
  runMap(rt, {
    name: `binary.${op}.${a.dtype}`,
    shape: out.shape,
    operands: [operand(out, 'read_write'), operand(a), operand(b)],
    helpers: BINARY_HELPERS,
    body: `  let a = buf1[p1];\n  let b = buf2[p2];\n${pre}  buf0[p0] = ${expr};`,
  });
}

// ---- where, cast ------------------------------------------------------------------------

export function where(rt: GpuRuntime, cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
  checkShape('where', out, cond, a, b);
  if (cond.dtype !== 'bool') throw new TypeError(`where: condition must be bool, got ${cond.dtype}`);
  if (a.dtype !== out.dtype || b.dtype !== out.dtype) throw new TypeError(`where: operands must share the output dtype ${out.dtype}`);
  runMap(rt, {
    name: `where.${out.dtype}`,
    shape: out.shape,
    operands: [operand(out, 'read_write'), operand(cond), operand(a), operand(b)],
    body: '  buf0[p0] = select(buf3[p3], buf2[p2], buf1[p1] != 0u);',
  });
}

function castExpr(from: DType, to: DType): string {
  if (from === to) return 'x';
  const t = wgslType(to);
  if (to === 'bool') return from === 'float32' ? 'select(0u, 1u, truthy(x))' : `select(0u, 1u, x != ${wgslType(from) === 'i32' ? '0' : '0u'})`;
  if (from === 'float32' && to === 'int32') return 'select(i32(x), 0, is_nan(x))';
  return `${t}(x)`;
}

export function cast(rt: GpuRuntime, x: TensorView, out: TensorView): void {
  checkShape('cast', out, x);
  runMap(rt, {
    name: `cast.${x.dtype}.${out.dtype}`,
    shape: out.shape,
    operands: [operand(out, 'read_write'), operand(x)],
    body: `  let x = buf1[p1];\n  buf0[p0] = ${castExpr(x.dtype, out.dtype)};`,
  });
}

// ---- assign, fill, arange -----------------------------------------------------------------

export function assign(rt: GpuRuntime, dst: TensorView, src: TensorView): void {
  checkShape('assign', dst, src);
  if (src.dtype !== dst.dtype) throw new TypeError(`assign: source dtype ${src.dtype} differs from destination dtype ${dst.dtype}`);
  runMap(rt, {
    name: `assign.${dst.dtype}`,
    shape: dst.shape,
    operands: [operand(dst, 'read_write'), operand(src)],
    body: '  buf0[p0] = buf1[p1];',
  });
}

/** `value` as the i32 meta word holding its bits in `dtype`. */
export function scalarWord(dtype: DType, value: number): number {
  if (dtype === 'float32') return f32Word(value);
  if (dtype === 'bool') return value !== 0 ? 1 : 0;
  return Math.trunc(value) | 0;
}

function loadScalar(dtype: DType, j: number): string {
  if (dtype === 'float32') return `SF(${j}u)`;
  if (dtype === 'bool') return `u32(S(${j}u))`;
  return `S(${j}u)`;
}

export function fill(rt: GpuRuntime, out: TensorView, value: number): void {
  runMap(rt, {
    name: `fill.${out.dtype}`,
    shape: out.shape,
    operands: [operand(out, 'read_write')],
    scalars: [scalarWord(out.dtype, value)],
    body: `  buf0[p0] = ${loadScalar(out.dtype, 0)};`,
  });
}

export function arange(rt: GpuRuntime, out: TensorView, start: number, step: number): void {
  if (out.shape.length !== 1) throw new Error(`arange: expected a 1-D output, got shape [${out.shape.join(', ')}]`);
  let body: string;
  if (out.dtype === 'float32') body = '  buf0[p0] = SF(0u) + f32(gid) * SF(1u);';
  else if (out.dtype === 'int32') body = '  buf0[p0] = S(0u) + i32(gid) * S(1u);';
  else throw new TypeError(`arange: dtype ${out.dtype} is not supported`);
  runMap(rt, {
    name: `arange.${out.dtype}`,
    shape: out.shape,
    operands: [operand(out, 'read_write')],
    scalars: [scalarWord(out.dtype, start), scalarWord(out.dtype, step)],
    body,
  });
}
