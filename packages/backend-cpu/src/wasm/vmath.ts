/**
 * Vectorised float32 math for generated kernels: exp, log, tanh and sigmoid on f32x4
 * lanes, as Cephes-style range reduction plus minimax polynomials (about 1–3 ulp, i.e.
 * ~1e-7 relative), with IEEE special cases (±inf, NaN, ±0, denormal results) handled.
 *
 * Each routine reads a v128 local and writes another; temporaries are locals of the
 * function being built, allocated once per routine and function.
 */
import { V128, type Code, type FunctionBuilder, type Local } from './encoder.js';

const LOG2E = 1.4426950408889634;
/** 1.5·2^23: adding it rounds a float below 2^22 in magnitude to an integer (ties to even). */
const ROUND_MAGIC = 12582912;
const ROUND_MAGIC_BITS = 0x4b400000;
/** ln 2 split in two: the first part has few significant bits so n·LN2_HI is exact. */
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const LOG_POLY = [
  7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
];
const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];

export class VMath {
  readonly #temps = new Map<string, Local>();
  readonly #consts = new Map<string, Local>();

  constructor(readonly f: FunctionBuilder) {}

  get c(): Code {
    return this.f.code;
  }

  /** A v128 temporary named `key`, shared by every use of the same routine in this function. */
  tmp(key: string): Local {
    let l = this.#temps.get(key);
    if (l === undefined) this.#temps.set(key, (l = this.f.local(V128)));
    return l;
  }

  /**
   * A local holding a constant f32x4 splat (or i32x4 with `int`), set once in the function's
   * prologue: engines re-materialise a v128.const inside a loop on every iteration.
   */
  konst(value: number, int = false): Local {
    const key = `${int ? 'i' : 'f'}${Object.is(value, -0) ? '-0' : value}`;
    let l = this.#consts.get(key);
    if (l === undefined) {
      l = this.f.local(V128);
      if (int) this.f.prologue.i32x4(value);
      else this.f.prologue.f32x4(value);
      this.f.prologue.set(l);
      this.#consts.set(key, l);
    }
    return l;
  }

  /** Pushes p(z) by Horner's rule (coefficients from the highest degree). */
  horner(z: Local, coeffs: readonly number[]): void {
    const c = this.c;
    c.get(this.konst(coeffs[0]!));
    for (let i = 1; i < coeffs.length; i++) c.get(z).op('f32x4.mul').get(this.konst(coeffs[i]!)).op('f32x4.add');
  }

  /**
   * out = e^x. Results below 2^-149 flush to 0, above the float range give +inf, NaN stays NaN.
   * `range` promises the sign of x, which saves the clamp and scaling steps that cannot apply.
   */
  exp(x: Local, out: Local, range: 'any' | 'nonneg' | 'nonpos' = 'any'): void {
    const c = this.c;
    const tx = this.tmp('exp.x');
    const tn = this.tmp('exp.n');
    const tr = this.tmp('exp.r');
    const ti = this.tmp('exp.i');
    const th = this.tmp('exp.h');
    // Clamp with pmax/pmin (single instructions; a NaN x passes through as x).
    c.get(x);
    if (range !== 'nonneg') c.get(this.konst(-104)).op('f32x4.pmax');
    if (range !== 'nonpos') c.get(this.konst(89)).op('f32x4.pmin');
    c.set(tx);
    // n = round(x·log2 e) by the 1.5·2^23 trick: the integer lands in the low mantissa bits.
    c.get(tx).get(this.konst(LOG2E)).op('f32x4.mul').get(this.konst(ROUND_MAGIC)).op('f32x4.add').tee(ti);
    c.get(this.konst(ROUND_MAGIC)).op('f32x4.sub').set(tn);
    // r = x - n ln2, in two steps
    c.get(tx).get(tn).get(this.konst(LN2_HI)).op('f32x4.mul', 'f32x4.sub');
    c.get(tn).get(this.konst(LN2_LO)).op('f32x4.mul', 'f32x4.sub').set(tr);
    // y = 1 + r + r² p(r)
    this.horner(tr, EXP_POLY);
    c.get(tr).get(tr).op('f32x4.mul', 'f32x4.mul').get(tr).op('f32x4.add').get(this.konst(1)).op('f32x4.add');
    if (range === 'nonneg') {
      // 0 ≤ n ≤ 128: one factor 2^n (n = 128 gives the bits of +inf, as it should)
      c.get(ti).get(this.konst(ROUND_MAGIC_BITS - 127, true)).op('i32x4.sub').i32(23).op('i32x4.shl', 'f32x4.mul');
    } else {
      // y · 2^(n>>1) · 2^(n - (n>>1)), so both factors are normal numbers down to n = -150.
      c.get(ti).get(this.konst(ROUND_MAGIC_BITS, true)).op('i32x4.sub').set(ti);
      c.get(ti).i32(1).op('i32x4.shr_s').set(th);
      c.get(th).get(this.konst(127, true)).op('i32x4.add').i32(23).op('i32x4.shl', 'f32x4.mul');
      c.get(ti).get(th).op('i32x4.sub').get(this.konst(127, true)).op('i32x4.add').i32(23).op('i32x4.shl', 'f32x4.mul');
    }
    c.set(out);
  }

  /** out = ln x: −inf at ±0, NaN below 0 and for NaN, +inf at +inf; denormal inputs are exact-scaled. */
  log(x: Local, out: Local): void {
    const c = this.c;
    const den = this.tmp('log.den');
    const xs = this.tmp('log.xs');
    const e = this.tmp('log.e');
    const m = this.tmp('log.m');
    const mask = this.tmp('log.mask');
    const xr = this.tmp('log.xr');
    const ef = this.tmp('log.ef');
    const z = this.tmp('log.z');
    const r = this.tmp('log.r');
    c.get(x).get(this.konst(1.17549435e-38)).op('f32x4.lt').set(den);
    c.get(x).get(this.konst(8388608)).op('f32x4.mul').get(x).get(den).op('v128.bitselect').set(xs);
    // exponent (unbiased so that the mantissa lies in [0.5, 1))
    c.get(xs).i32(23).op('i32x4.shr_u').get(this.konst(0xff, true)).op('v128.and').get(this.konst(126, true)).op('i32x4.sub');
    c.get(den).get(this.konst(23, true)).op('v128.and', 'i32x4.sub').set(e);
    c.get(xs).get(this.konst(0x007fffff, true)).op('v128.and').get(this.konst(0x3f000000, true)).op('v128.or').set(m);
    c.get(m).get(this.konst(0.7071067811865476)).op('f32x4.lt').set(mask);
    // m < √½: use 2m − 1 and e − 1, else m − 1
    c.get(m).get(this.konst(1)).op('f32x4.sub').get(m).get(mask).op('v128.and', 'f32x4.add').set(xr);
    c.get(e).get(mask).op('i32x4.add', 'f32x4.convert_i32x4_s').set(ef);
    c.get(xr).get(xr).op('f32x4.mul').set(z);
    this.horner(xr, LOG_POLY);
    c.get(xr).op('f32x4.mul').get(z).op('f32x4.mul');
    c.get(ef).get(this.konst(LN2_LO)).op('f32x4.mul', 'f32x4.add');
    c.get(z).get(this.konst(0.5)).op('f32x4.mul', 'f32x4.sub');
    c.get(xr).op('f32x4.add').get(ef).get(this.konst(LN2_HI)).op('f32x4.mul', 'f32x4.add').set(r);
    // special values
    c.get(this.konst(Infinity)).get(r).get(x).get(this.konst(Infinity)).op('f32x4.eq', 'v128.bitselect').set(r);
    c.get(this.konst(-Infinity)).get(r).get(x).get(this.konst(0)).op('f32x4.eq', 'v128.bitselect').set(r);
    c.get(this.konst(NaN)).get(r).get(x).get(this.konst(0)).op('f32x4.ge', 'v128.not', 'v128.bitselect').set(out);
  }

  /** out = tanh x: an odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above; sign restored. */
  tanh(x: Local, out: Local): void {
    const c = this.c;
    const a = this.tmp('tanh.a');
    const z = this.tmp('tanh.z');
    const s = this.tmp('tanh.s');
    const x2 = this.tmp('tanh.x2');
    const e = this.tmp('tanh.e');
    c.get(x).op('f32x4.abs').set(a);
    c.get(a).get(a).op('f32x4.mul').set(z);
    this.horner(z, TANH_POLY);
    c.get(z).op('f32x4.mul').get(a).op('f32x4.mul').get(a).op('f32x4.add').set(s);
    c.get(a).get(a).op('f32x4.add').set(x2);
    this.exp(x2, e, 'nonneg');
    c.get(s);
    c.get(this.konst(1)).get(this.konst(2)).get(e).get(this.konst(1)).op('f32x4.add', 'f32x4.div', 'f32x4.sub');
    c.get(a).get(this.konst(0.625)).op('f32x4.lt', 'v128.bitselect');
    c.get(x).get(this.konst(-0x80000000, true)).op('v128.and', 'v128.or').set(out);
  }

  /** out = 1/(1 + e^−x), computed from e^−|x| so it neither overflows nor loses small results. */
  sigmoid(x: Local, out: Local): void {
    const c = this.c;
    const n = this.tmp('sig.n');
    const e = this.tmp('sig.e');
    const r = this.tmp('sig.r');
    c.get(x).op('f32x4.abs', 'f32x4.neg').set(n);
    this.exp(n, e, 'nonpos');
    c.get(this.konst(1)).get(this.konst(1)).get(e).op('f32x4.add', 'f32x4.div').set(r);
    c.get(e).get(r).op('f32x4.mul').get(r).get(x).get(this.konst(0)).op('f32x4.lt', 'v128.bitselect').set(out);
  }
}
