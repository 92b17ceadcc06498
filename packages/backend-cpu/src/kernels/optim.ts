/**
 * Fused optimizer updates (the `sgdStep`, `adamStep`, `rmspropStep` and `adagradStep`
 * capabilities; semantics in @torchlet/backend's `FusedKernels`): one pass over a parameter,
 * its gradient and its state instead of a tensor op (and a temporary) per term.
 *
 * They reproduce PyTorch's single-tensor (foreach=False) update in the parameter's dtype,
 * operation by operation: for float32 every product, quotient, sum and square root is
 * rounded with `Math.fround` (a float64 result of one operation on float32 values, rounded
 * once, is the correctly rounded float32 result, so this equals float32 arithmetic and the
 * Wasm SIMD kernels bit for bit); float64 computes in double. Scalars are converted to the
 * dtype as PyTorch converts a Python float (`*Scalars` below; the Wasm kernels read the same).
 * Contiguous views only: anything else returns false and optim composes tensor ops.
 *
 * Each update has a float32 loop and a float64 loop with the same formula: one loop taking
 * the rounding as a callback turns polymorphic once both dtypes have run and is then about
 * fifteen times slower.
 */
import { isContiguousView, type AdagradStepOptions, type AdamStepOptions, type RmspropStepOptions, type SgdStepOptions, type TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';

/** Rounds to the working dtype: `Math.fround` (float32) or the identity (float64); for scalars. */
type Round = (x: number) => number;

const identity: Round = (x) => x;
const fr = Math.fround;

/** The rounding of a float dtype. */
export function roundingOf(dtype: string): Round {
  return dtype === 'float32' ? fr : identity;
}

/** The float32 data behind `v` and its offset (null: absent). */
function f32(v: TensorView | null): [Float32Array, number] {
  return v === null ? [EMPTY32, 0] : [dataOf(v) as Float32Array, v.offset];
}

function f64(v: TensorView | null): [Float64Array, number] {
  return v === null ? [EMPTY64, 0] : [dataOf(v) as Float64Array, v.offset];
}

const EMPTY32 = new Float32Array(0);
const EMPTY64 = new Float64Array(0);

/**
 * Checks that every view has the parameter's float dtype and shape (throwing otherwise) and
 * tells whether they are all contiguous (what the kernels need).
 */
export function stepViews(op: string, param: TensorView, others: readonly (TensorView | null)[]): boolean {
  if (param.dtype !== 'float32' && param.dtype !== 'float64') throw new TypeError(`${op}: expected a float32 or float64 parameter, got ${param.dtype}`);
  let contiguous = isContiguousView(param.shape, param.strides);
  for (const v of others) {
    if (v === null) continue;
    if (v.dtype !== param.dtype) throw new TypeError(`${op}: every tensor must be ${param.dtype} like the parameter (got ${v.dtype})`);
    if (v.shape.length !== param.shape.length || v.shape.some((n, i) => n !== param.shape[i])) {
      throw new RangeError(`${op}: a tensor of shape [${v.shape.join(', ')}] does not match the parameter's [${param.shape.join(', ')}]`);
    }
    if (!isContiguousView(v.shape, v.strides)) contiguous = false;
  }
  return contiguous;
}

/** Elements of a view. */
export function numelOf(v: TensorView): number {
  let n = 1;
  for (const s of v.shape) n *= s;
  return n;
}

/**
 * PyTorch's `lerp_(end, w)` with a scalar weight as `base + coef·(end − start)`: base = start,
 * coef = w when |w| < 0.5, else base = end, coef = −(1 − w) (`end − (end − start)·(1 − w)`;
 * negating a product is exact, so both forms round alike). `1 − w` is taken in the dtype.
 */
function lerpCoef(weight: number, r: Round): { fromEnd: boolean; coef: number } {
  const w = r(weight);
  return Math.abs(w) < 0.5 ? { fromEnd: false, coef: w } : { fromEnd: true, coef: -r(1 - w) };
}

// ---- SGD --------------------------------------------------------------------------------------

export interface SgdScalars {
  maximize: boolean;
  hasWd: boolean;
  hasMomentum: boolean;
  firstStep: boolean;
  nesterov: boolean;
  wd: number;
  momentum: number;
  /** 1 − dampening. */
  damp1: number;
  negLr: number;
}

export function sgdScalars(o: SgdStepOptions, r: Round): SgdScalars {
  return {
    maximize: o.maximize,
    hasWd: o.weightDecay !== 0,
    hasMomentum: o.momentum !== 0,
    firstStep: o.firstStep,
    nesterov: o.nesterov,
    wd: r(o.weightDecay),
    momentum: r(o.momentum),
    damp1: r(1 - o.dampening),
    negLr: r(-o.lr),
  };
}

/** Checks `sgdStep`'s arguments; false when the kernels cannot take the views. */
export function sgdViews(param: TensorView, grad: TensorView, buf: TensorView | null, o: SgdStepOptions): boolean {
  if ((o.momentum !== 0) !== (buf !== null)) throw new TypeError('sgdStep: a momentum buffer is needed exactly when momentum is not 0');
  return stepViews('sgdStep', param, [grad, buf]);
}

export function sgdStep(param: TensorView, grad: TensorView, buf: TensorView | null, o: SgdStepOptions): boolean {
  if (!sgdViews(param, grad, buf, o)) return false;
  const n = numelOf(param);
  if (param.dtype === 'float32') sgd32(f32(param), f32(grad), f32(buf), n, sgdScalars(o, fr));
  else sgd64(f64(param), f64(grad), f64(buf), n, sgdScalars(o, identity));
  return true;
}

function sgd32([pd, po]: [Float32Array, number], [gd, go]: [Float32Array, number], [bd, bo]: [Float32Array, number], n: number, s: SgdScalars): void {
  const { wd, momentum, damp1, negLr, maximize, hasWd, hasMomentum, firstStep, nesterov } = s;
  for (let i = 0; i < n; i++) {
    const p = pd[po + i]!;
    let g = gd[go + i]!;
    if (maximize) g = -g;
    if (hasWd) g = fr(g + fr(wd * p));
    if (hasMomentum) {
      const b = firstStep ? g : fr(fr(bd[bo + i]! * momentum) + fr(damp1 * g));
      bd[bo + i] = b;
      g = nesterov ? fr(g + fr(momentum * b)) : b;
    }
    pd[po + i] = fr(p + fr(negLr * g));
  }
}

function sgd64([pd, po]: [Float64Array, number], [gd, go]: [Float64Array, number], [bd, bo]: [Float64Array, number], n: number, s: SgdScalars): void {
  const { wd, momentum, damp1, negLr, maximize, hasWd, hasMomentum, firstStep, nesterov } = s;
  for (let i = 0; i < n; i++) {
    const p = pd[po + i]!;
    let g = gd[go + i]!;
    if (maximize) g = -g;
    if (hasWd) g = g + wd * p;
    if (hasMomentum) {
      const b = firstStep ? g : bd[bo + i]! * momentum + damp1 * g;
      bd[bo + i] = b;
      g = nesterov ? g + momentum * b : b;
    }
    pd[po + i] = p + negLr * g;
  }
}

// ---- Adam / AdamW -----------------------------------------------------------------------------

export interface AdamScalars {
  maximize: boolean;
  /** Decoupled decay p·(1 − lr·wd) (AdamW with wd ≠ 0). */
  decay: boolean;
  /** L2 term g + wd·p (Adam with wd ≠ 0). */
  l2: boolean;
  amsgrad: boolean;
  /** lerp form (see `lerpCoef`). */
  fromEnd: boolean;
  wd: number;
  /** 1 − lr·wd. */
  decayFactor: number;
  coef: number;
  beta2: number;
  /** 1 − β2. */
  omb2: number;
  /** √bc2. */
  bc2Sqrt: number;
  eps: number;
  /** −lr / bc1. */
  negStepSize: number;
}

export function adamScalars(o: AdamStepOptions, r: Round): AdamScalars {
  const hasWd = o.weightDecay !== 0;
  const { fromEnd, coef } = lerpCoef(1 - o.beta1, r);
  return {
    maximize: o.maximize,
    decay: hasWd && o.decoupled,
    l2: hasWd && !o.decoupled,
    amsgrad: o.amsgrad,
    fromEnd,
    wd: r(o.weightDecay),
    decayFactor: r(1 - o.lr * o.weightDecay),
    coef,
    beta2: r(o.beta2),
    omb2: r(1 - o.beta2),
    bc2Sqrt: r(Math.sqrt(o.biasCorrection2)),
    eps: r(o.eps),
    negStepSize: r(-(o.lr / o.biasCorrection1)),
  };
}

/** Checks `adamStep`'s arguments; false when the kernels cannot take the views. */
export function adamViews(param: TensorView, grad: TensorView, m: TensorView, v: TensorView, vmax: TensorView | null, o: AdamStepOptions): boolean {
  if (o.amsgrad !== (vmax !== null)) throw new TypeError('adamStep: maxExpAvgSq is needed exactly when amsgrad is set');
  return stepViews('adamStep', param, [grad, m, v, vmax]);
}

export function adamStep(param: TensorView, grad: TensorView, expAvg: TensorView, expAvgSq: TensorView, maxExpAvgSq: TensorView | null, o: AdamStepOptions): boolean {
  if (!adamViews(param, grad, expAvg, expAvgSq, maxExpAvgSq, o)) return false;
  const n = numelOf(param);
  if (param.dtype === 'float32') adam32(f32(param), f32(grad), f32(expAvg), f32(expAvgSq), f32(maxExpAvgSq), n, adamScalars(o, fr));
  else adam64(f64(param), f64(grad), f64(expAvg), f64(expAvgSq), f64(maxExpAvgSq), n, adamScalars(o, identity));
  return true;
}

function adam32(
  [pd, po]: [Float32Array, number],
  [gd, go]: [Float32Array, number],
  [md, mo]: [Float32Array, number],
  [vd, vo]: [Float32Array, number],
  [xd, xo]: [Float32Array, number],
  n: number,
  s: AdamScalars,
): void {
  const { maximize, decay, l2, amsgrad, fromEnd, wd, decayFactor, coef, beta2, omb2, bc2Sqrt, eps, negStepSize } = s;
  for (let i = 0; i < n; i++) {
    let p = pd[po + i]!;
    let g = gd[go + i]!;
    if (maximize) g = -g;
    if (decay) p = fr(p * decayFactor);
    if (l2) g = fr(g + fr(wd * p));
    const m0 = md[mo + i]!;
    const m = fr((fromEnd ? g : m0) + fr(coef * fr(g - m0)));
    md[mo + i] = m;
    let v = fr(fr(vd[vo + i]! * beta2) + fr(fr(omb2 * g) * g));
    vd[vo + i] = v;
    if (amsgrad) {
      v = Math.max(xd[xo + i]!, v);
      xd[xo + i] = v;
    }
    const denom = fr(fr(fr(Math.sqrt(v)) / bc2Sqrt) + eps);
    pd[po + i] = fr(p + fr(fr(negStepSize * m) / denom));
  }
}

function adam64(
  [pd, po]: [Float64Array, number],
  [gd, go]: [Float64Array, number],
  [md, mo]: [Float64Array, number],
  [vd, vo]: [Float64Array, number],
  [xd, xo]: [Float64Array, number],
  n: number,
  s: AdamScalars,
): void {
  const { maximize, decay, l2, amsgrad, fromEnd, wd, decayFactor, coef, beta2, omb2, bc2Sqrt, eps, negStepSize } = s;
  for (let i = 0; i < n; i++) {
    let p = pd[po + i]!;
    let g = gd[go + i]!;
    if (maximize) g = -g;
    if (decay) p = p * decayFactor;
    if (l2) g = g + wd * p;
    const m0 = md[mo + i]!;
    const m = (fromEnd ? g : m0) + coef * (g - m0);
    md[mo + i] = m;
    let v = vd[vo + i]! * beta2 + omb2 * g * g;
    vd[vo + i] = v;
    if (amsgrad) {
      v = Math.max(xd[xo + i]!, v);
      xd[xo + i] = v;
    }
    pd[po + i] = p + (negStepSize * m) / (Math.sqrt(v) / bc2Sqrt + eps);
  }
}

// ---- RMSprop ----------------------------------------------------------------------------------

export interface RmspropScalars {
  maximize: boolean;
  hasWd: boolean;
  centered: boolean;
  hasMomentum: boolean;
  fromEnd: boolean;
  wd: number;
  alpha: number;
  /** 1 − α. */
  oma: number;
  coef: number;
  eps: number;
  momentum: number;
  negLr: number;
}

export function rmspropScalars(o: RmspropStepOptions, r: Round): RmspropScalars {
  const { fromEnd, coef } = lerpCoef(1 - o.alpha, r);
  return {
    maximize: o.maximize,
    hasWd: o.weightDecay !== 0,
    centered: o.centered,
    hasMomentum: o.momentum > 0,
    fromEnd,
    wd: r(o.weightDecay),
    alpha: r(o.alpha),
    oma: r(1 - o.alpha),
    coef,
    eps: r(o.eps),
    momentum: r(o.momentum),
    negLr: r(-o.lr),
  };
}

/** Checks `rmspropStep`'s arguments; false when the kernels cannot take the views. */
export function rmspropViews(param: TensorView, grad: TensorView, sq: TensorView, ga: TensorView | null, buf: TensorView | null, o: RmspropStepOptions): boolean {
  if (o.centered !== (ga !== null)) throw new TypeError('rmspropStep: gradAvg is needed exactly when centered is set');
  if (o.momentum > 0 !== (buf !== null)) throw new TypeError('rmspropStep: a momentum buffer is needed exactly when momentum > 0');
  return stepViews('rmspropStep', param, [grad, sq, ga, buf]);
}

export function rmspropStep(
  param: TensorView,
  grad: TensorView,
  squareAvg: TensorView,
  gradAvg: TensorView | null,
  momentumBuffer: TensorView | null,
  o: RmspropStepOptions,
): boolean {
  if (!rmspropViews(param, grad, squareAvg, gradAvg, momentumBuffer, o)) return false;
  const n = numelOf(param);
  if (param.dtype === 'float32') rmsprop32(f32(param), f32(grad), f32(squareAvg), f32(gradAvg), f32(momentumBuffer), n, rmspropScalars(o, fr));
  else rmsprop64(f64(param), f64(grad), f64(squareAvg), f64(gradAvg), f64(momentumBuffer), n, rmspropScalars(o, identity));
  return true;
}

function rmsprop32(
  [pd, po]: [Float32Array, number],
  [gd, go]: [Float32Array, number],
  [vd, vo]: [Float32Array, number],
  [ad, ao]: [Float32Array, number],
  [bd, bo]: [Float32Array, number],
  n: number,
  s: RmspropScalars,
): void {
  const { maximize, hasWd, centered, hasMomentum, fromEnd, wd, alpha, oma, coef, eps, momentum, negLr } = s;
  for (let i = 0; i < n; i++) {
    const p = pd[po + i]!;
    let g = gd[go + i]!;
    if (maximize) g = -g;
    if (hasWd) g = fr(g + fr(wd * p));
    const v = fr(fr(vd[vo + i]! * alpha) + fr(fr(oma * g) * g));
    vd[vo + i] = v;
    let avg: number;
    if (centered) {
      const a0 = ad[ao + i]!;
      const a = fr((fromEnd ? g : a0) + fr(coef * fr(g - a0)));
      ad[ao + i] = a;
      avg = fr(Math.sqrt(fr(v - fr(a * a))));
    } else avg = fr(Math.sqrt(v));
    avg = fr(avg + eps);
    if (hasMomentum) {
      const b = fr(fr(bd[bo + i]! * momentum) + fr(g / avg));
      bd[bo + i] = b;
      pd[po + i] = fr(p + fr(negLr * b));
    } else pd[po + i] = fr(p + fr(fr(negLr * g) / avg));
  }
}

function rmsprop64(
  [pd, po]: [Float64Array, number],
  [gd, go]: [Float64Array, number],
  [vd, vo]: [Float64Array, number],
  [ad, ao]: [Float64Array, number],
  [bd, bo]: [Float64Array, number],
  n: number,
  s: RmspropScalars,
): void {
  const { maximize, hasWd, centered, hasMomentum, fromEnd, wd, alpha, oma, coef, eps, momentum, negLr } = s;
  for (let i = 0; i < n; i++) {
    const p = pd[po + i]!;
    let g = gd[go + i]!;
    if (maximize) g = -g;
    if (hasWd) g = g + wd * p;
    const v = vd[vo + i]! * alpha + oma * g * g;
    vd[vo + i] = v;
    let avg: number;
    if (centered) {
      const a0 = ad[ao + i]!;
      const a = (fromEnd ? g : a0) + coef * (g - a0);
      ad[ao + i] = a;
      avg = Math.sqrt(v - a * a) + eps;
    } else avg = Math.sqrt(v) + eps;
    if (hasMomentum) {
      const b = bd[bo + i]! * momentum + g / avg;
      bd[bo + i] = b;
      pd[po + i] = p + negLr * b;
    } else pd[po + i] = p + (negLr * g) / avg;
  }
}

// ---- Adagrad ----------------------------------------------------------------------------------

export interface AdagradScalars {
  maximize: boolean;
  hasWd: boolean;
  wd: number;
  eps: number;
  negClr: number;
}

export function adagradScalars(o: AdagradStepOptions, r: Round): AdagradScalars {
  return { maximize: o.maximize, hasWd: o.weightDecay !== 0, wd: r(o.weightDecay), eps: r(o.eps), negClr: r(-o.clr) };
}

export function adagradStep(param: TensorView, grad: TensorView, sum: TensorView, o: AdagradStepOptions): boolean {
  if (!stepViews('adagradStep', param, [grad, sum])) return false;
  const n = numelOf(param);
  if (param.dtype === 'float32') adagrad32(f32(param), f32(grad), f32(sum), n, adagradScalars(o, fr));
  else adagrad64(f64(param), f64(grad), f64(sum), n, adagradScalars(o, identity));
  return true;
}

function adagrad32([pd, po]: [Float32Array, number], [gd, go]: [Float32Array, number], [sd, so]: [Float32Array, number], n: number, s: AdagradScalars): void {
  const { maximize, hasWd, wd, eps, negClr } = s;
  for (let i = 0; i < n; i++) {
    const p = pd[po + i]!;
    let g = gd[go + i]!;
    if (maximize) g = -g;
    if (hasWd) g = fr(g + fr(wd * p));
    const sum = fr(sd[so + i]! + fr(g * g));
    sd[so + i] = sum;
    pd[po + i] = fr(p + fr(fr(negClr * g) / fr(fr(Math.sqrt(sum)) + eps)));
  }
}

function adagrad64([pd, po]: [Float64Array, number], [gd, go]: [Float64Array, number], [sd, so]: [Float64Array, number], n: number, s: AdagradScalars): void {
  const { maximize, hasWd, wd, eps, negClr } = s;
  for (let i = 0; i < n; i++) {
    const p = pd[po + i]!;
    let g = gd[go + i]!;
    if (maximize) g = -g;
    if (hasWd) g = g + wd * p;
    const sum = sd[so + i]! + g * g;
    sd[so + i] = sum;
    pd[po + i] = p + (negClr * g) / (Math.sqrt(sum) + eps);
  }
}

/** The four updates, as the backend's `fused` entries. */
export const optimSteps = { sgdStep, adamStep, rmspropStep, adagradStep } as const;
