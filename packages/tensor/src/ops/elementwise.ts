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

/** `torch.neg(x)`: −x. Keeps an integer dtype; refused for bool. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** `torch.abs(x)`: |x|. Keeps an integer dtype. */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** `torch.sign(x)`: −1, 0 or 1 by the sign of each element (NaN stays NaN). Keeps an integer dtype; refused for bool. */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** `torch.reciprocal(x)`: 1 / x, in float (integer inputs become float32). */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
/** `torch.square(x)`: x². Keeps an integer dtype (bool becomes int32). */
export const square = (x: Tensor): Tensor => unary('square', x);
/** `torch.exp(x)`: eˣ, in float. */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** `torch.expm1(x)`: eˣ − 1, accurate for small x. */
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
/** `torch.log(x)`: the natural logarithm, in float (NaN below 0, −∞ at 0). */
export const log = (x: Tensor): Tensor => unary('log', x);
/** `torch.log1p(x)`: log(1 + x), accurate for small x. */
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
/** `torch.log2(x)`: the base-2 logarithm. */
export const log2 = (x: Tensor): Tensor => unary('log2', x);
/** `torch.sqrt(x)`: √x, in float (NaN below 0). */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** `torch.rsqrt(x)`: 1 / √x. */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
/** `torch.sin(x)`, x in radians. */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/** `torch.cos(x)`, x in radians. */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/** `torch.tan(x)`, x in radians. */
export const tan = (x: Tensor): Tensor => unary('tan', x);
/** `torch.asin(x)`: arcsine in radians (NaN outside [−1, 1]). */
export const asin = (x: Tensor): Tensor => unary('asin', x);
/** `torch.acos(x)`: arccosine in radians (NaN outside [−1, 1]). */
export const acos = (x: Tensor): Tensor => unary('acos', x);
/** `torch.atan(x)`: arctangent in radians. */
export const atan = (x: Tensor): Tensor => unary('atan', x);
/** `torch.sinh(x)`: hyperbolic sine. */
export const sinh = (x: Tensor): Tensor => unary('sinh', x);
/** `torch.cosh(x)`: hyperbolic cosine. */
export const cosh = (x: Tensor): Tensor => unary('cosh', x);
/** `torch.tanh(x)`: hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** `torch.asinh(x)`: inverse hyperbolic sine. */
export const asinh = (x: Tensor): Tensor => unary('asinh', x);
/** `torch.acosh(x)`: inverse hyperbolic cosine (NaN below 1). */
export const acosh = (x: Tensor): Tensor => unary('acosh', x);
/** `torch.atanh(x)`: inverse hyperbolic tangent (NaN outside [−1, 1]). */
export const atanh = (x: Tensor): Tensor => unary('atanh', x);
/** `torch.sigmoid(x)`: 1 / (1 + e⁻ˣ). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** `torch.relu(x)`: max(x, 0). Keeps an integer dtype. */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** `F.silu(x)`: x · σ(x) (swish). */
export const silu = (x: Tensor): Tensor => unary('silu', x);
/** `torch.erf(x)`: the Gauss error function. */
export const erf = (x: Tensor): Tensor => unary('erf', x);
/** `F.softplus(x)` with beta 1 and threshold 20: log(1 + eˣ), and x itself above 20. */
export const softplus = (x: Tensor): Tensor => unary('softplus', x);
/** `torch.floor(x)`: round toward −∞. Keeps an integer dtype. */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/** `torch.ceil(x)`: round toward +∞. Keeps an integer dtype. */
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/** `torch.round(x)`: round to the nearest integer, halves to even (as PyTorch). Keeps an integer dtype. */
export const round = (x: Tensor): Tensor => unary('round', x);
/** `torch.trunc(x)`: round toward zero. Keeps an integer dtype. */
export const trunc = (x: Tensor): Tensor => unary('trunc', x);
/** `torch.logical_not(x)`: a bool tensor, true where x is zero. */
export const logicalNot = (x: Tensor): Tensor => unary('logicalNot', x);
/** `torch.isnan(x)`: a bool tensor, true where x is NaN. */
export const isnan = (x: Tensor): Tensor => unary('isnan', x);
/** `torch.isinf(x)`: a bool tensor, true where x is ±∞. */
export const isinf = (x: Tensor): Tensor => unary('isinf', x);
/** `torch.isfinite(x)`: a bool tensor, true where x is neither NaN nor ±∞. */
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

/** `torch.mul(a, b)`: a · b, broadcast, with PyTorch's type promotion. */
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

/** `torch.pow(a, b)`: aᵇ, broadcast. Integer powers of integers stay integers. */
export const pow = (a: Operand, b: Operand): Tensor => binary('pow', a, b);
/** `torch.maximum(a, b)`: the elementwise maximum; NaN wins, as in PyTorch. */
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', a, b);
/** `torch.minimum(a, b)`: the elementwise minimum; NaN wins, as in PyTorch. */
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', a, b);
/** `torch.atan2(a, b)`: the angle of the point (b, a) in radians, in (−π, π]. */
export const atan2 = (a: Operand, b: Operand): Tensor => binary('atan2', a, b);
/** `torch.remainder(a, b)`: a − ⌊a / b⌋ · b, with the sign of the divisor (Python's `%`; not `torch.fmod`). */
export const remainder = (a: Operand, b: Operand): Tensor => binary('remainder', a, b);
/** `torch.floor_divide(a, b)`: ⌊a / b⌋ (`torch.div(a, b, rounding_mode='floor')`). */
export const floorDivide = (a: Operand, b: Operand): Tensor => binary('floorDivide', a, b);
/** `torch.eq(a, b)`: a bool tensor, a == b. */
export const eq = (a: Operand, b: Operand): Tensor => binary('eq', a, b);
/** `torch.ne(a, b)`: a bool tensor, a != b. */
export const ne = (a: Operand, b: Operand): Tensor => binary('ne', a, b);
/** `torch.lt(a, b)`: a bool tensor, a < b. */
export const lt = (a: Operand, b: Operand): Tensor => binary('lt', a, b);
/** `torch.le(a, b)`: a bool tensor, a ≤ b. */
export const le = (a: Operand, b: Operand): Tensor => binary('le', a, b);
/** `torch.gt(a, b)`: a bool tensor, a > b. */
export const gt = (a: Operand, b: Operand): Tensor => binary('gt', a, b);
/** `torch.ge(a, b)`: a bool tensor, a ≥ b. */
export const ge = (a: Operand, b: Operand): Tensor => binary('ge', a, b);
/** `torch.logical_and(a, b)`: a bool tensor, both non-zero. */
export const logicalAnd = (a: Operand, b: Operand): Tensor => binary('logicalAnd', a, b);
/** `torch.logical_or(a, b)`: a bool tensor, either non-zero. */
export const logicalOr = (a: Operand, b: Operand): Tensor => binary('logicalOr', a, b);
/** `torch.logical_xor(a, b)`: a bool tensor, exactly one non-zero. */
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
  // The mapped base gives every unary primitive a method; each is declared again here to document it.
  interface Tensor extends UnaryMethods {
    /** Elementwise −x (`torch.neg`). */
    neg(): Tensor;
    /** Elementwise |x| (`torch.abs`). */
    abs(): Tensor;
    /** Elementwise −1, 0 or 1 by sign (`torch.sign`). */
    sign(): Tensor;
    /** Elementwise 1 / x (`torch.reciprocal`). */
    reciprocal(): Tensor;
    /** Elementwise x² (`torch.square`). */
    square(): Tensor;
    /** Elementwise eˣ (`torch.exp`). */
    exp(): Tensor;
    /** Elementwise eˣ − 1 (`torch.expm1`). */
    expm1(): Tensor;
    /** Elementwise natural logarithm (`torch.log`). */
    log(): Tensor;
    /** Elementwise log(1 + x) (`torch.log1p`). */
    log1p(): Tensor;
    /** Elementwise base-2 logarithm (`torch.log2`). */
    log2(): Tensor;
    /** Elementwise √x (`torch.sqrt`). */
    sqrt(): Tensor;
    /** Elementwise 1 / √x (`torch.rsqrt`). */
    rsqrt(): Tensor;
    /** Elementwise sine, radians (`torch.sin`). */
    sin(): Tensor;
    /** Elementwise cosine, radians (`torch.cos`). */
    cos(): Tensor;
    /** Elementwise tangent, radians (`torch.tan`). */
    tan(): Tensor;
    /** Elementwise arcsine (`torch.asin`). */
    asin(): Tensor;
    /** Elementwise arccosine (`torch.acos`). */
    acos(): Tensor;
    /** Elementwise arctangent (`torch.atan`). */
    atan(): Tensor;
    /** Elementwise hyperbolic sine (`torch.sinh`). */
    sinh(): Tensor;
    /** Elementwise hyperbolic cosine (`torch.cosh`). */
    cosh(): Tensor;
    /** Elementwise hyperbolic tangent (`torch.tanh`). */
    tanh(): Tensor;
    /** Elementwise inverse hyperbolic sine (`torch.asinh`). */
    asinh(): Tensor;
    /** Elementwise inverse hyperbolic cosine (`torch.acosh`). */
    acosh(): Tensor;
    /** Elementwise inverse hyperbolic tangent (`torch.atanh`). */
    atanh(): Tensor;
    /** Elementwise 1 / (1 + e⁻ˣ) (`torch.sigmoid`). */
    sigmoid(): Tensor;
    /** Elementwise max(x, 0) (`torch.relu`). */
    relu(): Tensor;
    /** Elementwise x · σ(x) (`F.silu`). */
    silu(): Tensor;
    /** Elementwise the error function (`torch.erf`). */
    erf(): Tensor;
    /** Elementwise log(1 + eˣ), x above 20 (`F.softplus`). */
    softplus(): Tensor;
    /** Elementwise round toward −∞ (`torch.floor`). */
    floor(): Tensor;
    /** Elementwise round toward +∞ (`torch.ceil`). */
    ceil(): Tensor;
    /** Elementwise round half to even (`torch.round`). */
    round(): Tensor;
    /** Elementwise round toward zero (`torch.trunc`). */
    trunc(): Tensor;
    /** Elementwise bool, true where zero (`torch.logical_not`). */
    logicalNot(): Tensor;
    /** Elementwise bool, true where NaN (`torch.isnan`). */
    isnan(): Tensor;
    /** Elementwise bool, true where ±∞ (`torch.isinf`). */
    isinf(): Tensor;
    /** Elementwise bool, true where finite (`torch.isfinite`). */
    isfinite(): Tensor;
    /** `F.gelu(x, approximate='none' | 'tanh')`. */
    gelu(options?: { approximate?: 'none' | 'tanh' }): Tensor;
    /** `torch.add(self, other, alpha=…)`: self + alpha·other, broadcast. */
    add(other: Operand, options?: { alpha?: number }): Tensor;
    /** `torch.sub(self, other, alpha=…)`: self − alpha·other, broadcast. */
    sub(other: Operand, options?: { alpha?: number }): Tensor;
    /** `torch.mul`: self · other, broadcast. */
    mul(other: Operand): Tensor;
    /** `torch.div(self, other, rounding_mode=…)`: true division in float, or rounded toward zero / −∞. */
    div(other: Operand, options?: { roundingMode?: 'trunc' | 'floor' }): Tensor;
    /** `torch.pow`: self raised to `exponent`, broadcast. */
    pow(exponent: Operand): Tensor;
    /** `torch.maximum`: the elementwise maximum (NaN wins). */
    maximum(other: Operand): Tensor;
    /** `torch.minimum`: the elementwise minimum (NaN wins). */
    minimum(other: Operand): Tensor;
    /** `torch.atan2(self, other)`: the angle of (other, self) in radians. */
    atan2(other: Operand): Tensor;
    /** `torch.remainder`: the remainder with the divisor's sign (Python's `%`). */
    remainder(other: Operand): Tensor;
    /** `torch.floor_divide`: ⌊self / other⌋. */
    floorDivide(other: Operand): Tensor;
    /** `torch.eq`: bool, self == other. */
    eq(other: Operand): Tensor;
    /** `torch.ne`: bool, self != other. */
    ne(other: Operand): Tensor;
    /** `torch.lt`: bool, self < other. */
    lt(other: Operand): Tensor;
    /** `torch.le`: bool, self ≤ other. */
    le(other: Operand): Tensor;
    /** `torch.gt`: bool, self > other. */
    gt(other: Operand): Tensor;
    /** `torch.ge`: bool, self ≥ other. */
    ge(other: Operand): Tensor;
    /** `torch.logical_and`: bool, both non-zero. */
    logicalAnd(other: Operand): Tensor;
    /** `torch.logical_or`: bool, either non-zero. */
    logicalOr(other: Operand): Tensor;
    /** `torch.logical_xor`: bool, exactly one non-zero. */
    logicalXor(other: Operand): Tensor;
    /** `torch.where(cond, self, other)`: PyTorch's `self.where(cond, other)`. */
    where(cond: Tensor, other: Operand): Tensor;
  }
}
