/**
 * The softmax cross-entropy kernels of the backend's Wasm module (float32 SIMD), with the
 * semantics of the `softmaxCrossEntropy` / `softmaxCrossEntropyBackward` fused kernels
 * (documented in @torchlet/backend's `FusedKernels`; reference in ../kernels/cross-entropy.ts):
 *
 * - `ce_fwd(tid, params, r0, r1)`: rows [r0, r1) of the forward — the row max, then one pass
 *   for Σ exp(x − max) (accumulated in float64, as the softmax kernel) and, with label
 *   smoothing, Σ w_c·(x_c − max); writes the row's loss and log-sum-exp.
 * - `ce_bwd(tid, params, r0, r1)`: rows [r0, r1) of the backward, one pass writing
 *   a·exp(x − lse) − b·w_c and a scalar fix-up at the target.
 *
 * Both read a parameter block laid out as `CROSS_ENTROPY` (one word each: byte addresses,
 * byte row strides, int32 sizes and flags, float32 coefficients as their bits). Rows are
 * independent, so the thread pool can share them out. Classes are contiguous; they run four
 * at a time with a scalar tail.
 */
import { F32, F64, I32, V128, type Code, type FunctionBuilder, type Local, type ModuleBuilder } from './encoder.js';
import { VMath } from './vmath.js';

/**
 * Parameter block: `x`/`xrs` logits, `tgt` int32 targets, `w` weight (when `hasW`), `C`
 * classes, `ignore` the ignored target, `c1` = 1 − ε, `c2` = ε/C, `c3` = ε·W/C (float bits);
 * forward: `loss`, `lse` (contiguous); backward: `lse`, `g`/`gs` the loss gradient and its
 * byte stride, `h`/`hs` the lse gradient (when `hasH`), `out`/`ors` the logits gradient.
 */
export const CROSS_ENTROPY = ['x', 'xrs', 'tgt', 'w', 'hasW', 'C', 'ignore', 'c1', 'c2', 'c3', 'loss', 'lse', 'g', 'gs', 'h', 'hs', 'hasH', 'out', 'ors'] as const;
type Field = (typeof CROSS_ENTROPY)[number];
const FLOAT_FIELDS: ReadonlySet<Field> = new Set(['c1', 'c2', 'c3']);

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const SWAP_HALVES = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const SWAP_PAIRS = [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11];

/** Declares `name(tid, params, r0, r1)` and loads the parameter block into locals. */
function rowKernel(m: ModuleBuilder, name: string): { f: FunctionBuilder; p: Record<Field, Local>; r0: Local; r1: Local } {
  const f = m.func([I32, I32, I32, I32], [], name);
  const [, params, r0, r1] = f.params as [Local, Local, Local, Local];
  const p = {} as Record<Field, Local>;
  CROSS_ENTROPY.forEach((field, i) => {
    const float = FLOAT_FIELDS.has(field);
    p[field] = f.local(float ? F32 : I32);
    f.code.get(params).mem(float ? 'f32.load' : 'i32.load', 4 * i).set(p[field]);
  });
  return { f, p, r0: r0!, r1: r1! };
}

/**
 * `body(vector)` for each byte offset `j` of a row: sixteen bytes at a time up to `vecBytes`,
 * then four (`vector` false: the body loads with `v128.load32_splat` and uses lane 0).
 */
function overRow(c: Code, j: Local, vecBytes: Local, rowBytes: Local, body: (vector: boolean) => void): void {
  c.range(j, 0, vecBytes, 16, () => body(true));
  c.range(j, vecBytes, rowBytes, 4, () => body(false));
}

/** Pushes the v128 at `ptr + j` (a splat of one float for the tail). */
function load(c: Code, ptr: Local, j: Local, vector: boolean): Code {
  return c.get(ptr).get(j).op('i32.add').mem(vector ? 'v128.load' : 'v128.load32_splat');
}

/** The row's vector part and whole length in bytes. */
function rowBytes(f: FunctionBuilder, C: Local): [Local, Local] {
  const vec = f.local(I32);
  const all = f.local(I32);
  f.code.get(C).i32(2).op('i32.shl').tee(all).i32(~15).op('i32.and').set(vec);
  return [vec, all];
}

/** `v` ← its four lanes combined by `op` in every lane. */
function horizontal(c: Code, v: Local, op: 'f32x4.max' | 'f32x4.add'): void {
  c.get(v).get(v).get(v).shuffle(SWAP_HALVES).op(op).set(v);
  c.get(v).get(v).get(v).shuffle(SWAP_PAIRS).op(op).set(v);
}

function forwardKernel(m: ModuleBuilder): void {
  const { f, p, r0, r1 } = rowKernel(m, 'ce_fwd');
  const c = f.code;
  const vm = new VMath(f);
  const [r, j, px, t] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const [mx, v, e, z, ls, lane0] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const [acc0, acc1] = [f.local(V128), f.local(V128)];
  const [sm, lsm, wt, lv] = [f.local(F32), f.local(F32), f.local(F32), f.local(F32)];
  const s64 = f.local(F64);
  f.prologue.i32x4(-1, 0, 0, 0).set(lane0);
  const [C4, CB] = rowBytes(f, p.C);
  // the smoothing sum Σ w_c·(x_c − max) is needed only when ε > 0
  const smooth = f.local(I32);
  c.get(p.c2).f32(0).op('f32.ne').set(smooth);
  c.range(r, r0, r1, 1, () => {
    c.get(p.x).get(r).get(p.xrs).op('i32.mul', 'i32.add').set(px);
    // pass 1: row max (NaN propagates)
    c.f32x4(-Infinity).set(mx);
    overRow(c, j, C4, CB, (vector) => void load(c, px, j, vector).get(mx).op('f32x4.max').set(mx));
    horizontal(c, mx, 'f32x4.max');
    // pass 2: Σ exp(x − max) in float64 and Σ w·(x − max)
    c.f64(0).op('f64x2.splat').tee(acc0).set(acc1);
    c.f32x4(0).set(z);
    const step = (vector: boolean, weighted: boolean | null) => {
      load(c, px, j, vector).get(mx).op('f32x4.sub').set(v);
      vm.exp(v, e);
      if (!vector) c.get(e).get(lane0).op('v128.and').set(e);
      c.get(acc0).get(e).op('f64x2.promote_low_f32x4', 'f64x2.add').set(acc0);
      c.get(acc1).get(e).get(e).shuffle(HIGH_HALF).op('f64x2.promote_low_f32x4', 'f64x2.add').set(acc1);
      if (weighted === null) return;
      c.get(z).get(v);
      if (weighted) load(c, p.w, j, vector).op('f32x4.mul');
      if (!vector) c.get(lane0).op('v128.and');
      c.op('f32x4.add').set(z);
    };
    c.get(smooth).if();
    {
      c.get(p.hasW).if();
      overRow(c, j, C4, CB, (vector) => step(vector, true));
      c.else();
      overRow(c, j, C4, CB, (vector) => step(vector, false));
      c.end();
    }
    c.else();
    overRow(c, j, C4, CB, (vector) => step(vector, null));
    c.end();
    c.get(acc0).get(acc1).op('f64x2.add').set(acc0);
    c.get(acc0).lane('f64x2.extract_lane', 0).get(acc0).lane('f64x2.extract_lane', 1).op('f64.add').set(s64);
    c.get(s64).op('f32.demote_f64', 'f32x4.splat').set(ls);
    vm.log(ls, ls);
    horizontal(c, z, 'f32x4.add');
    c.get(mx).lane('f32x4.extract_lane', 0).set(sm);
    c.get(ls).lane('f32x4.extract_lane', 0).set(lsm);
    // lse = max + log s
    c.get(p.lse).get(r).i32(2).op('i32.shl', 'i32.add').get(sm).get(lsm).op('f32.add').mem('f32.store');
    // loss: 0 at ignoreIndex, NaN out of range, else c1·w_t·(log s − (x_t − max)) + c3·log s − c2·Σ w·(x − max)
    c.get(p.tgt).get(r).i32(2).op('i32.shl', 'i32.add').mem('i32.load').tee(t).get(p.ignore).op('i32.eq').if();
    c.f32(0).set(lv);
    c.else();
    c.get(t).get(p.C).op('i32.ge_u').if();
    c.f32(NaN).set(lv);
    c.else();
    c.f32(1).set(wt);
    c.get(p.hasW).if().get(p.w).get(t).i32(2).op('i32.shl', 'i32.add').mem('f32.load').set(wt).end();
    c.get(p.c1).get(wt).op('f32.mul');
    c.get(lsm).get(px).get(t).i32(2).op('i32.shl', 'i32.add').mem('f32.load').get(sm).op('f32.sub', 'f32.sub', 'f32.mul');
    c.get(p.c3).get(lsm).op('f32.mul', 'f32.add');
    c.get(p.c2).get(z).lane('f32x4.extract_lane', 0).op('f32.mul', 'f32.sub');
    c.set(lv);
    c.end();
    c.end();
    c.get(p.loss).get(r).i32(2).op('i32.shl', 'i32.add').get(lv).mem('f32.store');
  });
}

function backwardKernel(m: ModuleBuilder): void {
  const { f, p, r0, r1 } = rowKernel(m, 'ce_bwd');
  const c = f.code;
  const vm = new VMath(f);
  const [r, j, px, po, t, ign] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const [L, A, B, v, e, fill] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const [g, wt, hv] = [f.local(F32), f.local(F32), f.local(F32)];
  const [C4, CB] = rowBytes(f, p.C);
  const store = (vector: boolean, value: Local) => {
    c.get(po).get(j).op('i32.add').get(value);
    if (vector) c.mem('v128.store');
    else c.lane('f32x4.extract_lane', 0).mem('f32.store');
  };
  c.range(r, r0, r1, 1, () => {
    c.get(p.x).get(r).get(p.xrs).op('i32.mul', 'i32.add').set(px);
    c.get(p.out).get(r).get(p.ors).op('i32.mul', 'i32.add').set(po);
    c.get(p.tgt).get(r).i32(2).op('i32.shl', 'i32.add').mem('i32.load').tee(t).get(p.ignore).op('i32.eq').set(ign);
    c.f32(0).set(hv);
    c.get(p.hasH).if().get(p.h).get(r).get(p.hs).op('i32.mul', 'i32.add').mem('f32.load').set(hv).end();
    // an ignored target without an lse gradient: a zero row; a target out of range: NaN
    c.get(ign).get(hv).f32(0).op('f32.eq', 'i32.and');
    c.get(ign).op('i32.eqz').get(t).get(p.C).op('i32.ge_u', 'i32.and', 'i32.or').if();
    {
      c.get(ign).if().f32x4(0).set(fill).else().f32x4(NaN).set(fill).end();
      overRow(c, j, C4, CB, (vector) => store(vector, fill));
    }
    c.else();
    {
      // an ignored row keeps only the lse term (g = 0)
      c.f32(0).set(g);
      c.f32(1).set(wt);
      c.get(ign).op('i32.eqz').if();
      c.get(p.g).get(r).get(p.gs).op('i32.mul', 'i32.add').mem('f32.load').set(g);
      c.get(p.hasW).if().get(p.w).get(t).i32(2).op('i32.shl', 'i32.add').mem('f32.load').set(wt).end();
      c.end();
      c.get(p.lse).get(r).i32(2).op('i32.shl', 'i32.add').mem('f32.load').op('f32x4.splat').set(L);
      // A = g·(c1·w_t + c3) + h, B = g·c2; out = A·exp(x − lse) − B·w_c
      c.get(g).get(p.c1).get(wt).op('f32.mul').get(p.c3).op('f32.add', 'f32.mul').get(hv).op('f32.add', 'f32x4.splat').set(A);
      c.get(g).get(p.c2).op('f32.mul', 'f32x4.splat').set(B);
      const step = (vector: boolean, weighted: boolean) => {
        load(c, px, j, vector).get(L).op('f32x4.sub').set(v);
        vm.exp(v, e);
        c.get(A).get(e).op('f32x4.mul').get(B);
        if (weighted) load(c, p.w, j, vector).op('f32x4.mul');
        c.op('f32x4.sub').set(v);
        store(vector, v);
      };
      c.get(p.hasW).if();
      overRow(c, j, C4, CB, (vector) => step(vector, true));
      c.else();
      overRow(c, j, C4, CB, (vector) => step(vector, false));
      c.end();
      // the target's own term: − g·c1·w_t
      c.get(ign).op('i32.eqz').if();
      c.get(po).get(t).i32(2).op('i32.shl', 'i32.add').tee(j).get(j).mem('f32.load').get(g).get(p.c1).get(wt).op('f32.mul', 'f32.mul', 'f32.sub');
      c.mem('f32.store');
      c.end();
    }
    c.end();
  });
}

/** Adds `ce_fwd` and `ce_bwd` to the module. */
export function lossKernels(m: ModuleBuilder): void {
  forwardKernel(m);
  backwardKernel(m);
}
