/**
 * In-place ops (`add_`, `mul_`, `fill_`, `exp_`, `maskedFill_` …): registered composites
 * (`inplace: true`) that compute the out-of-place result and write it back with the `copy_`
 * primitive, which bumps the storage's version counter. They return `this`, like PyTorch.
 *
 * dtype rule: the result is converted to self's dtype, except that a float result cannot be
 * written into an integer tensor (nor a non-bool result into a bool one): PyTorch's
 * "result type Float can't be cast to the desired output type Int".
 * Writes into expanded views (several elements sharing one memory location) are refused.
 */
import { UNARY_BOOL_OUTPUT, UNARY_OPS, type BinaryOp, type UnaryOp } from '@torchlet/backend';
import { ShapeError, ValueError } from '../core/errors.js';
import type { Operand, Scalar } from '../core/promotion.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp, type OpDef } from '../dispatch/registry.js';
import { checkWritable, copyBack, copy_ } from './copy.js';
import { add, binary, div, maximum, minimum, sub, unary } from './elementwise.js';
import { indexAdd, maskedFill, scatter, scatterAdd } from './indexing.js';

/** Registers `name` as an in-place composite: `compute` gives the out-of-place result, written back with copy_. */
function inplaceOp<A>(name: string, compute: (self: Tensor, rest: readonly Tensor[], attrs: A) => Tensor): OpDef<A> {
  return registerOp<A>({
    name,
    kind: 'composite',
    differentiable: true,
    inplace: true,
    forward: (inputs, attrs) => {
      const self = inputs[0]!;
      checkWritable(self, name);
      const r = compute(self, inputs.slice(1), attrs);
      try {
        return copyBack(self, r, name);
      } finally {
        r.dispose();
      }
    },
  });
}

// ---- binary ------------------------------------------------------------------------------------------------------

interface BinaryAttrs {
  /** The other operand when it is a number/boolean (else it is inputs[1]). */
  scalar?: Scalar;
  alpha?: number;
  roundingMode?: 'trunc' | 'floor';
}

const BINARY_INPLACE = ['add', 'sub', 'mul', 'div', 'pow', 'remainder', 'atan2', 'floorDivide'] as const satisfies readonly BinaryOp[];
type BinaryInplace = (typeof BINARY_INPLACE)[number];

function binaryCompute(op: BinaryInplace, self: Tensor, other: Operand, a: BinaryAttrs): Tensor {
  if (op === 'add') return add(self, other, { alpha: a.alpha });
  if (op === 'sub') return sub(self, other, { alpha: a.alpha });
  if (op === 'div') return div(self, other, { roundingMode: a.roundingMode });
  return binary(op, self, other);
}

const binaryDefs = new Map<BinaryInplace, OpDef<BinaryAttrs>>(
  BINARY_INPLACE.map((op) => [op, inplaceOp<BinaryAttrs>(`${op}_`, (self, [other], a) => binaryCompute(op, self, other ?? a.scalar!, a))]),
);

function binaryInplace(op: BinaryInplace, self: Tensor, other: Operand, extra: Omit<BinaryAttrs, 'scalar'> = {}): Tensor {
  const def = binaryDefs.get(op)!;
  if (other instanceof Tensor) return call1(def, [self, other], extra);
  return call1(def, [self], { ...extra, scalar: other });
}

/** `self.add_(other, alpha=1)`: self += alpha · other. */
export const add_ = (self: Tensor, other: Operand, options: { alpha?: number } = {}): Tensor => binaryInplace('add', self, other, options);
/** `self.sub_(other, alpha=1)`: self -= alpha · other. */
export const sub_ = (self: Tensor, other: Operand, options: { alpha?: number } = {}): Tensor => binaryInplace('sub', self, other, options);
/** `self.mul_(other)`: self *= other, in place; returns self. */
export const mul_ = (self: Tensor, other: Operand): Tensor => binaryInplace('mul', self, other);
/** `self.div_(other, rounding_mode=None)`; true division into an integer tensor is refused, as in PyTorch. */
export const div_ = (self: Tensor, other: Operand, options: { roundingMode?: 'trunc' | 'floor' } = {}): Tensor =>
  binaryInplace('div', self, other, options);
/** `self.pow_(exponent)`: self = self ** exponent, in place; returns self. */
export const pow_ = (self: Tensor, exponent: Operand): Tensor => binaryInplace('pow', self, exponent);
/** `self.remainder_(other)`: the remainder with the divisor's sign, in place; returns self. */
export const remainder_ = (self: Tensor, other: Operand): Tensor => binaryInplace('remainder', self, other);
/** `self.atan2_(other)`: atan2(self, other), in place; returns self (float tensors only). */
export const atan2_ = (self: Tensor, other: Operand): Tensor => binaryInplace('atan2', self, other);
/** `self.floor_divide_(other)`: ⌊self / other⌋, in place; returns self. */
export const floorDivide_ = (self: Tensor, other: Operand): Tensor => binaryInplace('floorDivide', self, other);

// ---- unary -------------------------------------------------------------------------------------------------------

/** Unary ops with a PyTorch in-place method (`x.exp_()` …). */
export const UNARY_INPLACE_OPS = UNARY_OPS.filter(
  (op) => !UNARY_BOOL_OUTPUT.has(op) && op !== 'gelu' && op !== 'geluTanh' && op !== 'softplus' && op !== 'silu',
) as UnaryOp[];

const unaryDefs = new Map<UnaryOp, OpDef>(UNARY_INPLACE_OPS.map((op) => [op, inplaceOp(`${op}_`, (self) => unary(op, self))]));

/** Applies a unary op in place (`x.exp_()` is `unaryInplace('exp', x)`). */
export function unaryInplace(op: UnaryOp, self: Tensor): Tensor {
  const def = unaryDefs.get(op);
  if (!def) throw new ValueError(`${op}_: no in-place form`);
  return call1(def, [self]);
}

// ---- fill / zero / clamp ------------------------------------------------------------------------------------------

const fillDef = registerOp<{ value?: Scalar }>({
  name: 'fill_',
  kind: 'composite',
  differentiable: true,
  inplace: true,
  forward: ([self, value], attrs) => copy_(self!, value ?? attrs.value!),
});

/** `self.fill_(value)`: every element set to `value` (a number or 0-d tensor), converted to self's dtype. */
export function fill_(self: Tensor, value: Scalar | Tensor): Tensor {
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new ShapeError(`fill_ only supports 0-dimension value tensor but got tensor with ${value.ndim} dimensions.`);
    return call1(fillDef, [self, value]);
  }
  return call1(fillDef, [self], { value });
}

/** `self.zero_()`. */
export function zero_(self: Tensor): Tensor {
  return fill_(self, 0);
}

interface ClampAttrs {
  min?: number;
  max?: number;
  /** Which of inputs[1], inputs[2] are tensor bounds. */
  minTensor: boolean;
  maxTensor: boolean;
}

const clampDef = inplaceOp<ClampAttrs>('clamp_', (self, rest, a) => {
  const lo: Operand | undefined = a.minTensor ? rest[0] : a.min;
  const hi: Operand | undefined = a.maxTensor ? rest[a.minTensor ? 1 : 0] : a.max;
  let r = lo === undefined ? self : maximum(self, lo);
  if (hi !== undefined) {
    const next = minimum(r, hi);
    if (r !== self) r.dispose();
    r = next;
  }
  return r === self ? self.clone() : r;
});

/** `self.clamp_(min, max)`: clamps in place; either bound may be omitted (undefined/null) or a tensor. */
export function clamp_(self: Tensor, min?: Operand | null, max?: Operand | null): Tensor {
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new ValueError("torch.clamp: At least one of 'min' or 'max' must not be None");
  }
  const inputs = [self];
  const attrs: ClampAttrs = { minTensor: false, maxTensor: false };
  if (min instanceof Tensor) {
    inputs.push(min);
    attrs.minTensor = true;
  } else if (min !== undefined && min !== null) attrs.min = Number(min);
  if (max instanceof Tensor) {
    inputs.push(max);
    attrs.maxTensor = true;
  } else if (max !== undefined && max !== null) attrs.max = Number(max);
  return call1(clampDef, inputs, attrs);
}

/** `self.clamp_min_(min)`: `clamp_(self, min, null)`. */
export const clampMin_ = (self: Tensor, min: Operand): Tensor => clamp_(self, min, null);
/** `self.clamp_max_(max)`: `clamp_(self, null, max)`. */
export const clampMax_ = (self: Tensor, max: Operand): Tensor => clamp_(self, null, max);

// ---- indexing in place --------------------------------------------------------------------------------------------

const maskedFillDef = inplaceOp<{ value?: Scalar }>('maskedFill_', (self, [mask, value], a) => maskedFill(self, mask!, value ?? a.value!));

/** `self.masked_fill_(mask, value)`. */
export function maskedFill_(self: Tensor, mask: Tensor, value: Tensor | Scalar): Tensor {
  return value instanceof Tensor ? call1(maskedFillDef, [self, mask, value]) : call1(maskedFillDef, [self, mask], { value });
}

const scatterInplaceDef = inplaceOp<{ dim: number; value?: Scalar }>('scatter_', (self, [index, src], a) =>
  scatter(self, a.dim, index!, src ?? a.value!),
);

/** `self.scatter_(dim, index, src | value)`. */
export function scatter_(self: Tensor, dim: number, index: Tensor, src: Tensor | Scalar): Tensor {
  return src instanceof Tensor ? call1(scatterInplaceDef, [self, index, src], { dim }) : call1(scatterInplaceDef, [self, index], { dim, value: src });
}

const scatterAddInplaceDef = inplaceOp<{ dim: number }>('scatterAdd_', (self, [index, src], a) => scatterAdd(self, a.dim, index!, src!));

/** `self.scatter_add_(dim, index, src)`. */
export function scatterAdd_(self: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return call1(scatterAddInplaceDef, [self, index, src], { dim });
}

const indexAddInplaceDef = inplaceOp<{ dim: number; alpha: number }>('indexAdd_', (self, [index, src], a) =>
  indexAdd(self, a.dim, index!, src!, { alpha: a.alpha }),
);

/** `self.index_add_(dim, index, source, alpha=1)`. */
export function indexAdd_(self: Tensor, dim: number, index: Tensor, source: Tensor, options: { alpha?: number } = {}): Tensor {
  return call1(indexAddInplaceDef, [self, index, source], { dim, alpha: options.alpha ?? 1 });
}

// ---- Tensor methods -------------------------------------------------------------------------------------------------

declare module '../core/tensor.js' {
  interface Tensor {
    /** `self.copy_(src)`: writes `src` (broadcast, cast to self's dtype) into self; returns self. */
    copy_(src: Tensor | Scalar): this;
    /** `self.add_(other, alpha=1)`: self += alpha · other. */
    add_(other: Operand, options?: { alpha?: number }): this;
    /** `self.sub_(other, alpha=1)`: self −= alpha · other. */
    sub_(other: Operand, options?: { alpha?: number }): this;
    /** `self.mul_(other)`: self *= other. */
    mul_(other: Operand): this;
    /** `self.div_(other, rounding_mode=None)`: self /= other; true division into an integer tensor is refused. */
    div_(other: Operand, options?: { roundingMode?: 'trunc' | 'floor' }): this;
    /** `self.pow_(exponent)`: self = self ** exponent. */
    pow_(exponent: Operand): this;
    /** `self.remainder_(other)`: the remainder with the divisor's sign, in place. */
    remainder_(other: Operand): this;
    /** `self.atan2_(other)`: atan2(self, other), in place. */
    atan2_(other: Operand): this;
    /** `self.floor_divide_(other)`: ⌊self / other⌋, in place. */
    floorDivide_(other: Operand): this;
    /** `self.fill_(value)`: sets every element to `value` (a number or a one-element tensor). */
    fill_(value: Scalar | Tensor): this;
    /** `self.zero_()`: sets every element to 0. */
    zero_(): this;
    /** `self.clamp_(min, max)`: clamps into [min, max] in place; either bound may be null, not both. */
    clamp_(min?: Operand | null, max?: Operand | null): this;
    /** `self.clamp_min_(min)`: self = max(self, min). */
    clampMin_(min: Operand): this;
    /** `self.clamp_max_(max)`: self = min(self, max). */
    clampMax_(max: Operand): this;
    /** `self.masked_fill_(mask, value)`: sets the elements where the bool `mask` (broadcast) is true. */
    maskedFill_(mask: Tensor, value: Tensor | Scalar): this;
    /** `self.scatter_(dim, index, src)`: writes `src` (or a scalar) at `index` along `dim`. */
    scatter_(dim: number, index: Tensor, src: Tensor | Scalar): this;
    /** `self.scatter_add_(dim, index, src)`: adds `src` at `index` along `dim`. */
    scatterAdd_(dim: number, index: Tensor, src: Tensor): this;
    /** `self.index_add_(dim, index, source, alpha=1)`: adds alpha · `source` rows at `index` along `dim`. */
    indexAdd_(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): this;
    /** `self.neg_()`: `neg` in place; returns self. */
    neg_(): this;
    /** `self.abs_()`: `abs` in place; returns self. */
    abs_(): this;
    /** `self.sign_()`: `sign` in place; returns self. */
    sign_(): this;
    /** `self.reciprocal_()`: `reciprocal` in place; returns self. */
    reciprocal_(): this;
    /** `self.square_()`: `square` in place; returns self. */
    square_(): this;
    /** `self.exp_()`: `exp` in place; returns self. */
    exp_(): this;
    /** `self.expm1_()`: `expm1` in place; returns self. */
    expm1_(): this;
    /** `self.log_()`: `log` in place; returns self. */
    log_(): this;
    /** `self.log1p_()`: `log1p` in place; returns self. */
    log1p_(): this;
    /** `self.log2_()`: `log2` in place; returns self. */
    log2_(): this;
    /** `self.sqrt_()`: `sqrt` in place; returns self. */
    sqrt_(): this;
    /** `self.rsqrt_()`: `rsqrt` in place; returns self. */
    rsqrt_(): this;
    /** `self.sin_()`: `sin` in place; returns self. */
    sin_(): this;
    /** `self.cos_()`: `cos` in place; returns self. */
    cos_(): this;
    /** `self.tan_()`: `tan` in place; returns self. */
    tan_(): this;
    /** `self.asin_()`: `asin` in place; returns self. */
    asin_(): this;
    /** `self.acos_()`: `acos` in place; returns self. */
    acos_(): this;
    /** `self.atan_()`: `atan` in place; returns self. */
    atan_(): this;
    /** `self.sinh_()`: `sinh` in place; returns self. */
    sinh_(): this;
    /** `self.cosh_()`: `cosh` in place; returns self. */
    cosh_(): this;
    /** `self.tanh_()`: `tanh` in place; returns self. */
    tanh_(): this;
    /** `self.asinh_()`: `asinh` in place; returns self. */
    asinh_(): this;
    /** `self.acosh_()`: `acosh` in place; returns self. */
    acosh_(): this;
    /** `self.atanh_()`: `atanh` in place; returns self. */
    atanh_(): this;
    /** `self.sigmoid_()`: `sigmoid` in place; returns self. */
    sigmoid_(): this;
    /** `self.relu_()`: `relu` in place; returns self. */
    relu_(): this;
    /** `self.erf_()`: `erf` in place; returns self. */
    erf_(): this;
    /** `self.floor_()`: `floor` in place; returns self. */
    floor_(): this;
    /** `self.ceil_()`: `ceil` in place; returns self. */
    ceil_(): this;
    /** `self.round_()`: `round` in place; returns self. */
    round_(): this;
    /** `self.trunc_()`: `trunc` in place; returns self. */
    trunc_(): this;
  }
}

/** Puts the in-place methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installInplaceMethods(): void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  for (const op of UNARY_INPLACE_OPS) {
    proto[`${op}_`] = function (this: Tensor) {
      unaryInplace(op, this);
      return this;
    };
  }
  for (const op of ['mul', 'pow', 'remainder', 'atan2', 'floorDivide'] as const) {
    proto[`${op}_`] = function (this: Tensor, other: Operand) {
      binaryInplace(op, this, other);
      return this;
    };
  }
  Tensor.prototype.copy_ = function (src) {
    copy_(this, src);
    return this;
  };
  Tensor.prototype.add_ = function (other, options) {
    add_(this, other, options);
    return this;
  };
  Tensor.prototype.sub_ = function (other, options) {
    sub_(this, other, options);
    return this;
  };
  Tensor.prototype.div_ = function (other, options) {
    div_(this, other, options);
    return this;
  };
  Tensor.prototype.fill_ = function (value) {
    fill_(this, value);
    return this;
  };
  Tensor.prototype.zero_ = function () {
    zero_(this);
    return this;
  };
  Tensor.prototype.clamp_ = function (min, max) {
    clamp_(this, min, max);
    return this;
  };
  Tensor.prototype.clampMin_ = function (min) {
    clampMin_(this, min);
    return this;
  };
  Tensor.prototype.clampMax_ = function (max) {
    clampMax_(this, max);
    return this;
  };
  Tensor.prototype.maskedFill_ = function (mask, value) {
    maskedFill_(this, mask, value);
    return this;
  };
  Tensor.prototype.scatter_ = function (dim, index, src) {
    scatter_(this, dim, index, src);
    return this;
  };
  Tensor.prototype.scatterAdd_ = function (dim, index, src) {
    scatterAdd_(this, dim, index, src);
    return this;
  };
  Tensor.prototype.indexAdd_ = function (dim, index, source, options) {
    indexAdd_(this, dim, index, source, options);
    return this;
  };
}
