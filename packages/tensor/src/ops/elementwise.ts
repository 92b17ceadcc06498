/**
 * Elementwise ops: every backend unary and binary primitive as a registered op, with
 * PyTorch's broadcasting and dtype promotion, plus `where`. Derivatives live in
 * @torchlet/autograd's table under the same names.
 */
import {
  BINARY_BOOL_OUTPUT,
  BINARY_OPS,
  UNARY_BOOL_OUTPUT,
  UNARY_OPS,
  type BinaryOp,
  type DType,
  type UnaryOp,
} from '@torchlet/backend';
import { DTypeError } from '../core/errors.js';
import { allocTensor } from '../core/factory.js';
import { resultType, toFloatDType, type Operand } from '../core/promotion.js';
import { broadcastShapes } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp, type OpDef } from '../dispatch/registry.js';
import { broadcastView, commonDevice, withCast, withTensors } from './common.js';

// ---- unary -------------------------------------------------------------------------------

/** Ops that keep an integer input's dtype; every other unary op computes in float. */
const INT_PRESERVING: ReadonlySet<UnaryOp> = new Set(['neg', 'abs', 'sign', 'square', 'relu', 'floor', 'ceil', 'round', 'trunc']);

function unaryDType(op: UnaryOp, x: DType): DType {
  if (UNARY_BOOL_OUTPUT.has(op)) return x;
  if (x === 'bool' && (op === 'neg' || op === 'sign')) {
    throw new DTypeError(`${op}: is not supported for bool tensors`);
  }
  return INT_PRESERVING.has(op) ? (x === 'bool' ? 'int32' : x) : toFloatDType(x);
}

function unaryForward(op: UnaryOp, x: Tensor): Tensor {
  const dt = unaryDType(op, x.dtype);
  return withCast(x, dt, (xc) => {
    const out = allocTensor(x.shape, UNARY_BOOL_OUTPUT.has(op) ? 'bool' : dt, x.device);
    x.backend.unary(op, xc.kernelView, out.kernelView);
    return out;
  });
}

const unaryDefs = new Map<UnaryOp, OpDef>(
  UNARY_OPS.map((op) => [
    op,
    registerOp({
      name: op,
      kind: 'primitive',
      differentiable: !UNARY_BOOL_OUTPUT.has(op),
      forward: ([x]) => unaryForward(op, x!),
    }),
  ]),
);

/** Applies a unary primitive through the dispatcher. */
export function unary(op: UnaryOp, x: Tensor): Tensor {
  return call1(unaryDefs.get(op)!, [x]);
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
export const log2 = (x: Tensor): Tensor => unary('log2', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const sin = (x: Tensor): Tensor => unary('sin', x);
export const cos = (x: Tensor): Tensor => unary('cos', x);
export const tan = (x: Tensor): Tensor => unary('tan', x);
export const asin = (x: Tensor): Tensor => unary('asin', x);
export const acos = (x: Tensor): Tensor => unary('acos', x);
export const atan = (x: Tensor): Tensor => unary('atan', x);
export const sinh = (x: Tensor): Tensor => unary('sinh', x);
export const cosh = (x: Tensor): Tensor => unary('cosh', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const asinh = (x: Tensor): Tensor => unary('asinh', x);
export const acosh = (x: Tensor): Tensor => unary('acosh', x);
export const atanh = (x: Tensor): Tensor => unary('atanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const silu = (x: Tensor): Tensor => unary('silu', x);
export const erf = (x: Tensor): Tensor => unary('erf', x);
export const softplus = (x: Tensor): Tensor => unary('softplus', x);
export const floor = (x: Tensor): Tensor => unary('floor', x);
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
export const round = (x: Tensor): Tensor => unary('round', x);
export const trunc = (x: Tensor): Tensor => unary('trunc', x);
export const logicalNot = (x: Tensor): Tensor => unary('logicalNot', x);
export const isnan = (x: Tensor): Tensor => unary('isnan', x);
export const isinf = (x: Tensor): Tensor => unary('isinf', x);
export const isfinite = (x: Tensor): Tensor => unary('isfinite', x);

/** `F.gelu(x, approximate='none' | 'tanh')`. */
export function gelu(x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  return unary(options.approximate === 'tanh' ? 'geluTanh' : 'gelu', x);
}

// ---- binary ------------------------------------------------------------------------------

const LOGICAL: ReadonlySet<BinaryOp> = new Set(['logicalAnd', 'logicalOr', 'logicalXor']);
const FLOAT_ONLY: ReadonlySet<BinaryOp> = new Set(['div', 'atan2']);

/** The dtype a binary op computes in, given the operands' result type. */
function computeDType(op: BinaryOp, promoted: DType): DType {
  if (LOGICAL.has(op)) return 'bool';
  if (FLOAT_ONLY.has(op)) return toFloatDType(promoted);
  if (promoted === 'bool' && !BINARY_BOOL_OUTPUT.has(op) && op !== 'maximum' && op !== 'minimum' && op !== 'mul') {
    if (op === 'sub') throw new DTypeError('sub: Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logicalXor()` operator instead.');
    return 'int32';
  }
  return promoted;
}

function binaryForward(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const dt = computeDType(op, resultType(a, b));
  return withCast(a, dt, (ac) =>
    withCast(b, dt, (bc) => {
      const out = allocTensor(shape, BINARY_BOOL_OUTPUT.has(op) ? 'bool' : dt, a.device);
      a.backend.binary(op, broadcastView(ac, shape), broadcastView(bc, shape), out.kernelView);
      return out;
    }),
  );
}

const binaryDefs = new Map<BinaryOp, OpDef>(
  BINARY_OPS.map((op) => [
    op,
    registerOp({
      name: op,
      kind: 'primitive',
      differentiable: !BINARY_BOOL_OUTPUT.has(op) && op !== 'floorDivide',
      forward: ([a, b]) => binaryForward(op, a!, b!),
    }),
  ]),
);

/**
 * Applies a binary primitive with broadcasting; number/boolean operands become 0-dim
 * tensors of the type PyTorch would give a Python scalar (see `resultType`).
 */
export function binary(op: BinaryOp, a: Operand, b: Operand): Tensor {
  const device = commonDevice([a, b], op);
  const scalarType = resultType(a, b);
  return withTensors([a, b], scalarType, device, ([ta, tb]) => call1(binaryDefs.get(op)!, [ta!, tb!]));
}

/** `torch.add(a, b, alpha=…)`: a + alpha·b. */
export function add(a: Operand, b: Operand, options: { alpha?: number } = {}): Tensor {
  if (options.alpha === undefined || options.alpha === 1) return binary('add', a, b);
  const scaled = mul(b, options.alpha);
  try {
    return binary('add', a, scaled);
  } finally {
    scaled.dispose();
  }
}

/** `torch.sub(a, b, alpha=…)`: a − alpha·b. */
export function sub(a: Operand, b: Operand, options: { alpha?: number } = {}): Tensor {
  if (options.alpha === undefined || options.alpha === 1) return binary('sub', a, b);
  const scaled = mul(b, options.alpha);
  try {
    return binary('sub', a, scaled);
  } finally {
    scaled.dispose();
  }
}

export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);

/** `torch.div(a, b, rounding_mode=None | 'trunc' | 'floor')`. */
export function div(a: Operand, b: Operand, options: { roundingMode?: 'trunc' | 'floor' } = {}): Tensor {
  if (options.roundingMode === 'floor') return binary('floorDivide', a, b);
  const q = binary('div', a, b);
  if (options.roundingMode !== 'trunc') return q;
  try {
    const t = unary('trunc', q);
    const integral = resultType(a, b);
    if (integral !== 'int32') return t;
    try {
      return t.to({ dtype: 'int32' });
    } finally {
      t.dispose();
    }
  } finally {
    q.dispose();
  }
}

export const pow = (a: Operand, b: Operand): Tensor => binary('pow', a, b);
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', a, b);
export const atan2 = (a: Operand, b: Operand): Tensor => binary('atan2', a, b);
export const remainder = (a: Operand, b: Operand): Tensor => binary('remainder', a, b);
export const floorDivide = (a: Operand, b: Operand): Tensor => binary('floorDivide', a, b);
export const eq = (a: Operand, b: Operand): Tensor => binary('eq', a, b);
export const ne = (a: Operand, b: Operand): Tensor => binary('ne', a, b);
export const lt = (a: Operand, b: Operand): Tensor => binary('lt', a, b);
export const le = (a: Operand, b: Operand): Tensor => binary('le', a, b);
export const gt = (a: Operand, b: Operand): Tensor => binary('gt', a, b);
export const ge = (a: Operand, b: Operand): Tensor => binary('ge', a, b);
export const logicalAnd = (a: Operand, b: Operand): Tensor => binary('logicalAnd', a, b);
export const logicalOr = (a: Operand, b: Operand): Tensor => binary('logicalOr', a, b);
export const logicalXor = (a: Operand, b: Operand): Tensor => binary('logicalXor', a, b);

// ---- where -------------------------------------------------------------------------------

const whereDef = registerOp({
  name: 'where',
  kind: 'primitive',
  differentiable: true,
  forward: ([cond, a, b]) => {
    const shape = broadcastShapes(broadcastShapes(cond!.shape, a!.shape, 'where'), b!.shape, 'where');
    const dt = resultType(a!, b!);
    return withCast(cond!, 'bool', (cc) =>
      withCast(a!, dt, (ac) =>
        withCast(b!, dt, (bc) => {
          const out = allocTensor(shape, dt, a!.device);
          a!.backend.where(broadcastView(cc, shape), broadcastView(ac, shape), broadcastView(bc, shape), out.kernelView);
          return out;
        }),
      ),
    );
  },
});

/** `torch.where(cond, a, b)`: elements of `a` where `cond`, else of `b`. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const device = commonDevice([cond, a, b], 'where');
  return withTensors([a, b], resultType(a, b), device, ([ta, tb]) => call1(whereDef, [cond, ta!, tb!]));
}

// ---- methods -------------------------------------------------------------------------------

type UnaryMethods = {
  [K in Exclude<UnaryOp, 'gelu' | 'geluTanh'>]: () => Tensor;
};

declare module '../core/tensor.js' {
  interface Tensor extends UnaryMethods {
    gelu(options?: { approximate?: 'none' | 'tanh' }): Tensor;
    add(other: Operand, options?: { alpha?: number }): Tensor;
    sub(other: Operand, options?: { alpha?: number }): Tensor;
    mul(other: Operand): Tensor;
    div(other: Operand, options?: { roundingMode?: 'trunc' | 'floor' }): Tensor;
    pow(exponent: Operand): Tensor;
    maximum(other: Operand): Tensor;
    minimum(other: Operand): Tensor;
    atan2(other: Operand): Tensor;
    remainder(other: Operand): Tensor;
    floorDivide(other: Operand): Tensor;
    eq(other: Operand): Tensor;
    ne(other: Operand): Tensor;
    lt(other: Operand): Tensor;
    le(other: Operand): Tensor;
    gt(other: Operand): Tensor;
    ge(other: Operand): Tensor;
    logicalAnd(other: Operand): Tensor;
    logicalOr(other: Operand): Tensor;
    logicalXor(other: Operand): Tensor;
    /** `torch.where(cond, self, other)`: PyTorch's `self.where(cond, other)`. */
    where(cond: Tensor, other: Operand): Tensor;
  }
}
