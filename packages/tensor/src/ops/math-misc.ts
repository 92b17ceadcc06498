/**
 * clamp/clip, comparisons with tolerance (isclose, allclose, equal), lerp, addcmul and addcdiv.
 */
import { DTypeError, RuntimeError } from '../core/errors.js';
import { resultType, scalarDType, type Operand, type Scalar } from '../core/promotion.js';
import { shapesEqual } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { commonDevice, scalarTensor } from './common.js';
import { abs, add, eq, isfinite, isnan, le, logicalAnd, logicalOr, maximum, minimum, mul, sub, div } from './elementwise.js';
import { all } from './reduce.js';

// ---- clamp ---------------------------------------------------------------------------------------

export interface ClampAttrs {
  /** Whether inputs[1] is the lower bound. */
  hasMin: boolean;
  /** Whether the next input is the upper bound. */
  hasMax: boolean;
}

/**
 * inputs: [x, min?, max?] (bounds as tensors; scalars arrive as 0-d tensors). PyTorch's
 * gradient passes to x where min <= x <= max (to a tensor bound where it is the one chosen).
 */
const clampDef = registerOp<ClampAttrs>({
  name: 'clamp',
  kind: 'composite',
  differentiable: true,
  ownDerivative: true,
  forward: ([x, ...bounds], { hasMin, hasMax }) => {
    const lo = hasMin ? bounds[0]! : undefined;
    const hi = hasMax ? bounds[hasMin ? 1 : 0]! : undefined;
    if (lo && hi) {
      const t = maximum(x!, lo);
      try {
        return minimum(t, hi);
      } finally {
        t.dispose();
      }
    }
    return lo ? maximum(x!, lo) : minimum(x!, hi!);
  },
});

/** A bound of `clamp`: a number, a tensor (broadcast), or null / undefined for none. */
export type ClampBound = number | Tensor | null | undefined;

/** The options form of `clamp` (`x.clamp({ min, max })`). */
export interface ClampOptions {
  /** Lower bound. */
  min?: ClampBound;
  /** Upper bound. */
  max?: ClampBound;
}

/**
 * `torch.clamp(x, min=None, max=None)` (alias `clip`): `min(max(x, min), max)`; bounds are
 * numbers or tensors (broadcast). Where min > max every element becomes max, and NaN stays
 * NaN, as in PyTorch. The result dtype follows the usual promotion (`intTensor.clamp(0.5)` is float).
 */
export function clamp(x: Tensor, minOrOptions?: ClampBound | ClampOptions, maxArg?: ClampBound): Tensor {
  let lo: ClampBound;
  let hi: ClampBound;
  if (minOrOptions !== null && typeof minOrOptions === 'object' && !(minOrOptions instanceof Tensor)) {
    lo = minOrOptions.min;
    hi = minOrOptions.max;
  } else {
    lo = minOrOptions;
    hi = maxArg;
  }
  const hasMin = lo !== null && lo !== undefined;
  const hasMax = hi !== null && hi !== undefined;
  if (!hasMin && !hasMax) throw new RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  const device = commonDevice([x, ...(hasMin ? [lo as Operand] : []), ...(hasMax ? [hi as Operand] : [])], 'clamp');
  const temps: Tensor[] = [];
  const asTensor = (b: number | Tensor): Tensor => {
    if (b instanceof Tensor) return b;
    const t = scalarTensor(b, scalarDType(b), device);
    temps.push(t);
    return t;
  };
  try {
    const inputs = [x];
    if (hasMin) inputs.push(asTensor(lo as number | Tensor));
    if (hasMax) inputs.push(asTensor(hi as number | Tensor));
    return call1(clampDef, inputs, { hasMin, hasMax });
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** `torch.clip`: alias of `clamp`. */
export const clip = clamp;

/** `torch.clamp_min(x, min)`. */
export function clampMin(x: Tensor, min: number | Tensor): Tensor {
  return clamp(x, { min });
}

/** `torch.clamp_max(x, max)`. */
export function clampMax(x: Tensor, max: number | Tensor): Tensor {
  return clamp(x, { max });
}

// ---- isclose / allclose / equal ---------------------------------------------------------------------------

/** Tolerances of `isclose` / `allclose`: |a − b| ≤ atol + rtol · |b|. */
export interface IscloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Whether two NaNs count as equal (default false). */
  equalNan?: boolean;
}

interface IscloseAttrs {
  rtol: number;
  atol: number;
  equalNan: boolean;
}

const iscloseDef = registerOp<IscloseAttrs>({
  name: 'isclose',
  kind: 'composite',
  differentiable: false,
  forward: ([a, b], { rtol, atol, equalNan }) => {
    const owned: Tensor[] = [];
    const own = (t: Tensor): Tensor => {
      owned.push(t);
      return t;
    };
    try {
      // Exactly equal (covers equal infinities), or finite and within atol + rtol·|b|.
      let close = own(eq(a!, b!));
      if (equalNan) close = own(logicalOr(close, own(logicalAnd(own(isnan(a!)), own(isnan(b!))))));
      const diff = own(abs(own(sub(a!, b!))));
      const allowed = own(add(own(mul(own(abs(b!)), rtol)), atol));
      const within = own(logicalAnd(own(isfinite(diff)), own(le(diff, allowed))));
      return logicalOr(close, within);
    } finally {
      for (const t of owned) t.dispose();
    }
  },
});

function checkSameDType(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new DTypeError(`${op}: ${a.dtype} did not match ${b.dtype} (both tensors must have the same dtype)`);
}

/** `torch.isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False)`: `|a − b| <= atol + rtol·|b|`, elementwise (bool). */
export function isclose(a: Tensor, b: Tensor, options: IscloseOptions = {}): Tensor {
  checkSameDType('isclose', a, b);
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  if (rtol < 0) throw new RuntimeError(`isclose: rtol must be greater than or equal to zero, but got ${rtol}`);
  if (atol < 0) throw new RuntimeError(`isclose: atol must be greater than or equal to zero, but got ${atol}`);
  return call1(iscloseDef, [a, b], { rtol, atol, equalNan: options.equalNan ?? false });
}

function allTrue(t: Tensor): Tensor {
  try {
    return all(t);
  } finally {
    t.dispose();
  }
}

/** `torch.allclose(a, b, …)`: whether every element is close. Synchronous read (CPU); see `allcloseAsync`. */
export function allclose(a: Tensor, b: Tensor, options: IscloseOptions = {}): boolean {
  const r = allTrue(isclose(a, b, options));
  try {
    return r.item() !== 0;
  } finally {
    r.dispose();
  }
}

/** `allclose` for every device. */
export async function allcloseAsync(a: Tensor, b: Tensor, options: IscloseOptions = {}): Promise<boolean> {
  const r = allTrue(isclose(a, b, options));
  try {
    return (await r.itemAsync()) !== 0;
  } finally {
    r.dispose();
  }
}

/** `torch.equal(a, b)`: same shape and the same values (NaN is never equal). Synchronous read (CPU); see `equalAsync`. */
export function equal(a: Tensor, b: Tensor): boolean {
  if (!shapesEqual(a.shape, b.shape)) return false;
  const r = allTrue(eq(a, b));
  try {
    return r.item() !== 0;
  } finally {
    r.dispose();
  }
}

/** `equal` for every device. */
export async function equalAsync(a: Tensor, b: Tensor): Promise<boolean> {
  if (!shapesEqual(a.shape, b.shape)) return false;
  const r = allTrue(eq(a, b));
  try {
    return (await r.itemAsync()) !== 0;
  } finally {
    r.dispose();
  }
}

// ---- lerp / addcmul / addcdiv ------------------------------------------------------------------------------

/**
 * `torch.lerp(start, end, weight)`: `start + weight·(end − start)` (float tensors; weight a
 * number or tensor). A number weight rounds as ATen does: `start + w·d` for |w| < 0.5, else
 * `end − d·(1 − w)` with d = end − start, so the result is exact at both ends.
 */
export function lerp(start: Tensor, end: Tensor, weight: number | Tensor): Tensor {
  const dt = resultType(start, end);
  if (dt !== 'float32' && dt !== 'float64' && dt !== 'float16') throw new DTypeError(`lerp: expected floating point tensors, got ${start.dtype} and ${end.dtype}`);
  const d = sub(end, start);
  try {
    const w = typeof weight !== 'number' || dt === 'float64' ? weight : Math.fround(weight);
    if (typeof w === 'number' && !(Math.abs(w) < 0.5)) {
      const t = mul(d, dt === 'float64' ? 1 - w : Math.fround(1 - w));
      try {
        return sub(end, t);
      } finally {
        t.dispose();
      }
    }
    const t = mul(d, w);
    try {
      return add(start, t);
    } finally {
      t.dispose();
    }
  } finally {
    d.dispose();
  }
}

/** `torch.addcmul(input, t1, t2, value=1)`: `input + value·t1·t2`, rounded as ATen: (value·t1)·t2. */
export function addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, options: { value?: Scalar } = {}): Tensor {
  const s = options.value === undefined || options.value === 1 ? null : mul(tensor1, options.value);
  const p = mul(s ?? tensor1, tensor2);
  s?.dispose();
  try {
    return add(input, p);
  } finally {
    p.dispose();
  }
}

/** `torch.addcdiv(input, t1, t2, value=1)`: `input + value·t1/t2`, rounded as ATen: (value·t1)/t2. */
export function addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, options: { value?: Scalar } = {}): Tensor {
  if (tensor1.dtype !== 'float32' && tensor1.dtype !== 'float64' && tensor1.dtype !== 'float16' && tensor2.dtype !== 'float32' && tensor2.dtype !== 'float64' && tensor2.dtype !== 'float16') {
    throw new DTypeError('addcdiv: Integer division with addcdiv is no longer supported; use addcmul(input, tensor1, 1 / tensor2) or float tensors');
  }
  const s = options.value === undefined || options.value === 1 ? null : mul(tensor1, options.value);
  const q = div(s ?? tensor1, tensor2);
  s?.dispose();
  try {
    return add(input, q);
  } finally {
    q.dispose();
  }
}

// ---- methods ---------------------------------------------------------------------------------------------------

declare module '../core/tensor.js' {
  interface Tensor {
    /** `x.clamp(min=None, max=None)`: every element clamped into [min, max]; at least one bound is needed. */
    clamp(minOrOptions?: ClampBound | ClampOptions, max?: ClampBound): Tensor;
    /** `x.clip(min, max)`: alias of `clamp`. */
    clip(minOrOptions?: ClampBound | ClampOptions, max?: ClampBound): Tensor;
    /** `x.clamp_min(min)`: max(x, min). */
    clampMin(min: number | Tensor): Tensor;
    /** `x.clamp_max(max)`: min(x, max). */
    clampMax(max: number | Tensor): Tensor;
    /** `x.isclose(other, rtol=1e-5, atol=1e-8, equal_nan=False)`: bool, elementwise |x − other| ≤ atol + rtol · |other|. */
    isclose(other: Tensor, options?: IscloseOptions): Tensor;
    /** `x.allclose(other, rtol, atol, equal_nan)`: whether every element is close (CPU; elsewhere `allcloseAsync`). */
    allclose(other: Tensor, options?: IscloseOptions): boolean;
    /** `x.equal(other)`: same shape and same values (CPU; elsewhere `equalAsync`). */
    equal(other: Tensor): boolean;
    /** `x.lerp(end, weight)`: x + weight · (end − x). */
    lerp(end: Tensor, weight: number | Tensor): Tensor;
    /** `x.addcmul(tensor1, tensor2, value=1)`: x + value · tensor1 · tensor2. */
    addcmul(tensor1: Tensor, tensor2: Tensor, options?: { value?: Scalar }): Tensor;
    /** `x.addcdiv(tensor1, tensor2, value=1)`: x + value · tensor1 / tensor2. */
    addcdiv(tensor1: Tensor, tensor2: Tensor, options?: { value?: Scalar }): Tensor;
  }
}

/** Puts the clamp/compare/lerp methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installMathMiscMethods(): void {
  Tensor.prototype.clamp = function (a, b) {
    return clamp(this, a, b);
  };
  Tensor.prototype.clip = function (a, b) {
    return clamp(this, a, b);
  };
  Tensor.prototype.clampMin = function (min) {
    return clampMin(this, min);
  };
  Tensor.prototype.clampMax = function (max) {
    return clampMax(this, max);
  };
  Tensor.prototype.isclose = function (other, options) {
    return isclose(this, other, options);
  };
  Tensor.prototype.allclose = function (other, options) {
    return allclose(this, other, options);
  };
  Tensor.prototype.equal = function (other) {
    return equal(this, other);
  };
  Tensor.prototype.lerp = function (end, weight) {
    return lerp(this, end, weight);
  };
  Tensor.prototype.addcmul = function (t1, t2, options) {
    return addcmul(this, t1, t2, options);
  };
  Tensor.prototype.addcdiv = function (t1, t2, options) {
    return addcdiv(this, t1, t2, options);
  };
}
