/**
 * The recurrent gate kernels of the backend's Wasm module: the GRU and LSTM step
 * (`rnn_gru_fwd`, `rnn_lstm_fwd`) and their backward steps (`rnn_gru_bwd`, `rnn_lstm_bwd`),
 * with the semantics of the `gruCell` … `lstmCellBackward` fused kernels in float32 SIMD.
 *
 * Each is `<name>(tid, params, r0, r1)`: it processes rows [r0, r1) of the step, reading its
 * arguments from a parameter block in the heap laid out as the `*_FWD` / `*_BWD` lists say
 * (one i32 word each: byte addresses, byte row strides, the hidden size H (a multiple of 4),
 * flags). Rows are independent, so the thread pool can share them out. An internal version
 * of each also takes a range of hidden columns, which the whole-step kernels `rnn_seq_fwd` /
 * `rnn_seq_bwd` use after their column block of the recurrent matmul.
 */
import { I32, V128, type Code, type FunctionBuilder, type Local, type ModuleBuilder } from './encoder.js';
import { VMath } from './vmath.js';

/** Parameter-block layouts: word index of each field (pointer fields come with a row stride). */
export const GRU_FWD = ['x', 'xrs', 'gh', 'ghrs', 'b', 'h', 'hrs', 'out', 'ors', 'ws', 'wsrs', 'H', 'hasB', 'hasWs', 'gn', 'gnrs', 'hasGn'] as const;
/** The reset-before GRU's reset gate: rh = σ(x_r + gh_r + b_r) ⊙ h. */
export const GRU_RESET_FWD = ['x', 'xrs', 'gh', 'ghrs', 'b', 'h', 'hrs', 'rh', 'rhrs', 'H', 'hasB'] as const;
export const LSTM_FWD = ['x', 'xrs', 'gh', 'ghrs', 'b', 'c', 'crs', 'cout', 'cors', 'hout', 'hors', 'ws', 'wsrs', 'H', 'hasB', 'hasWs'] as const;
export const GRU_BWD = ['dh', 'dhrs', 'do', 'dors', 'dr', 'drrs', 'R2', 'ws', 'wsrs', 'h', 'hrs', 'dgx', 'dgxrs', 'dgh', 'dghrs', 'H', 'hasDo', 'resetAfter'] as const;
/** Its backward from drh = ∂L/∂(r ⊙ h): the r blocks of dgx and dgh, and dh += drh ⊙ r. */
export const GRU_RESET_BWD = ['drh', 'drhrs', 'ws', 'wsrs', 'h', 'hrs', 'dgx', 'dgxrs', 'dgh', 'dghrs', 'dh', 'dhrs', 'H'] as const;
export const LSTM_BWD = ['dh', 'dhrs', 'do', 'dors', 'dr', 'drrs', 'R2', 'dc', 'dcrs', 'ws', 'wsrs', 'dg', 'dgrs', 'H', 'hasDo'] as const;

type Fields<L extends readonly string[]> = Record<L[number], Local>;

/**
 * Declares the internal kernel `(params, r0, r1, c0, c1)` (rows [r0, r1), hidden columns
 * [c0, c1), c0 and c1 multiples of 4) and loads every field of the parameter block into a
 * local; also exports `name(tid, params, r0, r1)`, the same over all H columns.
 */
function kernel<L extends readonly string[]>(
  m: ModuleBuilder,
  name: string,
  layout: L,
): { f: FunctionBuilder; p: Fields<L>; r0: Local; r1: Local; c0: Local; c1: Local } {
  const f = m.func([I32, I32, I32, I32, I32], []);
  const [params, r0, r1, c0, c1] = f.params as [Local, Local, Local, Local, Local];
  const p = {} as Record<string, Local>;
  layout.forEach((field, i) => {
    const l = f.local(I32);
    f.code.get(params).mem('i32.load', 4 * i).set(l);
    p[field] = l;
  });
  const w = m.func([I32, I32, I32, I32], [], name);
  const [, wp, wr0, wr1] = w.params as [Local, Local, Local, Local];
  w.code.get(wp).get(wr0).get(wr1).i32(0).get(wp).mem('i32.load', 4 * layout.indexOf('H')).call(f);
  return { f, p: p as Fields<L>, r0: r0!, r1: r1!, c0: c0!, c1: c1! };
}

/** p ← base + r·rowStride + c0·4. */
function rowPtr(c: Code, dst: Local, base: Local, r: Local, rs: Local, c0: Local): void {
  c.get(base).get(r).get(rs).op('i32.mul', 'i32.add').get(c0).i32(2).op('i32.shl', 'i32.add').set(dst);
}

/** Loads the v128 at `ptr + off` (off a local or null). */
function load(c: Code, ptr: Local, off: Local | null): Code {
  c.get(ptr);
  if (off) c.get(off).op('i32.add');
  return c.mem('v128.load');
}

/** Stores local `v` at `ptr + off`. */
function store(c: Code, ptr: Local, off: Local | null, v: Local): void {
  c.get(ptr);
  if (off) c.get(off).op('i32.add');
  c.get(v).mem('v128.store');
}

/** Gate-block byte offsets g1 = 4H, g2 = 8H, … up to `n` blocks. */
function gateOffsets(f: FunctionBuilder, H: Local, n: number): Local[] {
  const c = f.code;
  const g: Local[] = [];
  for (let k = 1; k <= n; k++) {
    const l = f.local(I32);
    c.get(H).i32(4 * k).op('i32.mul').set(l);
    g.push(l);
  }
  return g;
}


function gruForward(m: ModuleBuilder): FunctionBuilder {
  const { f, p, r0, r1, c0, c1 } = kernel(m, 'rnn_gru_fwd', GRU_FWD);
  const c = f.code;
  const vm = new VMath(f);
  const i32 = (): Local => f.local(I32);
  const v = (): Local => f.local(V128);
  const [r, j, n4, px, pg, pgn, pb, ph, po, pw] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
  const [ar, az, ghn, rg, zg, an, nn, hp, t] = [v(), v(), v(), v(), v(), v(), v(), v(), v()];
  const [g1, g2, g3] = gateOffsets(f, p.H, 3) as [Local, Local, Local];
  c.get(c1).get(c0).op('i32.sub').i32(2).op('i32.shr_s').set(n4);
  c.range(r!, r0, r1, 1, () => {
    rowPtr(c, px!, p.x, r!, p.xrs, c0);
    rowPtr(c, pg!, p.gh, r!, p.ghrs, c0);
    // reset-before: the n block W_hn (r ⊙ h) comes from its own view
    c.get(p.hasGn).if();
    rowPtr(c, pgn!, p.gn, r!, p.gnrs, c0);
    c.else();
    c.get(pg!).get(g2).op('i32.add').set(pgn!);
    c.end();
    rowPtr(c, ph!, p.h, r!, p.hrs, c0);
    rowPtr(c, po!, p.out, r!, p.ors, c0);
    rowPtr(c, pw!, p.ws, r!, p.wsrs, c0);
    c.get(p.b).get(c0).i32(2).op('i32.shl', 'i32.add').set(pb!);
    c.range(j!, 0, n4!, 1, () => {
      load(c, px!, null);
      load(c, pg!, null).op('f32x4.add');
      c.set(ar!);
      c.get(p.hasB).if().get(ar!).get(pb!).mem('v128.load').op('f32x4.add').set(ar!).end();
      load(c, px!, g1);
      load(c, pg!, g1).op('f32x4.add').set(az!);
      c.get(p.hasB).if().get(az!).get(pb!).get(g1).op('i32.add').mem('v128.load').op('f32x4.add').set(az!).end();
      load(c, pgn!, null).set(ghn!);
      c.get(p.hasB).if().get(ghn!).get(pb!).get(g2).op('i32.add').mem('v128.load').op('f32x4.add').set(ghn!).end();
      vm.sigmoid(ar!, rg!);
      vm.sigmoid(az!, zg!);
      load(c, ph!, null).set(hp!);
      c.get(p.hasGn).if();
      load(c, px!, g2).get(ghn!).op('f32x4.add').set(an!);
      c.else();
      load(c, px!, g2).get(rg!).get(ghn!).op('f32x4.mul', 'f32x4.add').set(an!);
      c.end();
      vm.tanh(an!, nn!);
      // h' = n + z (h − n)
      c.get(nn!).get(zg!).get(hp!).get(nn!).op('f32x4.sub', 'f32x4.mul', 'f32x4.add').set(t!);
      store(c, po!, null, t!);
      c.get(p.hasWs).if();
      store(c, pw!, null, rg!);
      store(c, pw!, g1, zg!);
      store(c, pw!, g2, nn!);
      // the last block: gh_n + b_n, or r ⊙ h (reset-before)
      c.get(p.hasGn).if().get(rg!).get(hp!).op('f32x4.mul').set(ghn!).end();
      store(c, pw!, g3, ghn!);
      c.end();
      for (const q of [px, pg, pgn, pb, ph, po, pw]) c.inc(q!, 16);
    });
  });
  return f;
}

function gruResetForward(m: ModuleBuilder): FunctionBuilder {
  const { f, p, r0, r1, c0, c1 } = kernel(m, 'rnn_gru_reset_fwd', GRU_RESET_FWD);
  const c = f.code;
  const vm = new VMath(f);
  const i32 = (): Local => f.local(I32);
  const [r, j, n4, px, pg, pb, ph, po] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
  const [a, rg, t] = [f.local(V128), f.local(V128), f.local(V128)];
  c.get(c1).get(c0).op('i32.sub').i32(2).op('i32.shr_s').set(n4!);
  c.range(r!, r0, r1, 1, () => {
    rowPtr(c, px!, p.x, r!, p.xrs, c0);
    rowPtr(c, pg!, p.gh, r!, p.ghrs, c0);
    rowPtr(c, ph!, p.h, r!, p.hrs, c0);
    rowPtr(c, po!, p.rh, r!, p.rhrs, c0);
    c.get(p.b).get(c0).i32(2).op('i32.shl', 'i32.add').set(pb!);
    c.range(j!, 0, n4!, 1, () => {
      load(c, px!, null);
      load(c, pg!, null).op('f32x4.add').set(a);
      c.get(p.hasB).if().get(a).get(pb!).mem('v128.load').op('f32x4.add').set(a).end();
      vm.sigmoid(a, rg);
      c.get(rg);
      load(c, ph!, null).op('f32x4.mul').set(t);
      store(c, po!, null, t);
      for (const q of [px, pg, pb, ph, po]) c.inc(q!, 16);
    });
  });
  return f;
}

function lstmForward(m: ModuleBuilder): FunctionBuilder {
  const { f, p, r0, r1, c0, c1 } = kernel(m, 'rnn_lstm_fwd', LSTM_FWD);
  const c = f.code;
  const vm = new VMath(f);
  const i32 = (): Local => f.local(I32);
  const v = (): Local => f.local(V128);
  const [r, j, n4, px, pg, pb, pc, pco, pho, pw] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
  const [a, ig, fg, gg, og, cp, cn, tc, t] = [v(), v(), v(), v(), v(), v(), v(), v(), v()];
  const [g1, g2, g3, g4, g5] = gateOffsets(f, p.H, 5) as [Local, Local, Local, Local, Local];
  c.get(c1).get(c0).op('i32.sub').i32(2).op('i32.shr_s').set(n4!);
  const gate = (off: Local | null): void => {
    load(c, px!, off);
    load(c, pg!, off).op('f32x4.add').set(a!);
    c.get(p.hasB).if().get(a!);
    load(c, pb!, off).op('f32x4.add').set(a!);
    c.end();
  };
  c.range(r!, r0, r1, 1, () => {
    rowPtr(c, px!, p.x, r!, p.xrs, c0);
    rowPtr(c, pg!, p.gh, r!, p.ghrs, c0);
    rowPtr(c, pc!, p.c, r!, p.crs, c0);
    rowPtr(c, pco!, p.cout, r!, p.cors, c0);
    rowPtr(c, pho!, p.hout, r!, p.hors, c0);
    rowPtr(c, pw!, p.ws, r!, p.wsrs, c0);
    c.get(p.b).get(c0).i32(2).op('i32.shl', 'i32.add').set(pb!);
    c.range(j!, 0, n4!, 1, () => {
      gate(null);
      vm.sigmoid(a!, ig!);
      gate(g1);
      vm.sigmoid(a!, fg!);
      gate(g2);
      vm.tanh(a!, gg!);
      gate(g3);
      vm.sigmoid(a!, og!);
      load(c, pc!, null).set(cp!);
      c.get(fg!).get(cp!).op('f32x4.mul').get(ig!).get(gg!).op('f32x4.mul', 'f32x4.add').set(cn!);
      vm.tanh(cn!, tc!);
      store(c, pco!, null, cn!);
      c.get(og!).get(tc!).op('f32x4.mul').set(t!);
      store(c, pho!, null, t!);
      c.get(p.hasWs).if();
      store(c, pw!, null, ig!);
      store(c, pw!, g1, fg!);
      store(c, pw!, g2, gg!);
      store(c, pw!, g3, og!);
      store(c, pw!, g4, cp!);
      store(c, pw!, g5, tc!);
      c.end();
      for (const q of [px, pg, pb, pc, pco, pho, pw]) c.inc(q!, 16);
    });
  });
  return f;
}

/**
 * Emits `g = dh (+ dOut) (+ dhRec for rows below R2)` into local `g` at the current pointers.
 * `useRec` is a per-row i32 flag.
 */
function totalGrad(c: Code, g: Local, pdh: Local, pdo: Local, pdr: Local, hasDo: Local, useRec: Local): void {
  load(c, pdh, null).set(g);
  c.get(hasDo).if().get(g);
  load(c, pdo, null).op('f32x4.add').set(g);
  c.end();
  c.get(useRec).if().get(g);
  load(c, pdr, null).op('f32x4.add').set(g);
  c.end();
}

function gruBackward(m: ModuleBuilder): FunctionBuilder {
  const { f, p, r0, r1, c0, c1 } = kernel(m, 'rnn_gru_bwd', GRU_BWD);
  const c = f.code;
  const i32 = (): Local => f.local(I32);
  const v = (): Local => f.local(V128);
  const [r, j, n4, pdh, pdo, pdr, pw, ph, pgx, pgh, useRec] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
  const [g, rg, zg, n, ghn, dn, dz, dr, t, one] = [v(), v(), v(), v(), v(), v(), v(), v(), v(), v()];
  const [g1, g2, g3] = gateOffsets(f, p.H, 3) as [Local, Local, Local];
  c.get(c1).get(c0).op('i32.sub').i32(2).op('i32.shr_s').set(n4!);
  c.f32x4(1).set(one!);
  c.range(r!, r0, r1, 1, () => {
    rowPtr(c, pdh!, p.dh, r!, p.dhrs, c0);
    rowPtr(c, pdo!, p.do, r!, p.dors, c0);
    rowPtr(c, pdr!, p.dr, r!, p.drrs, c0);
    rowPtr(c, pw!, p.ws, r!, p.wsrs, c0);
    rowPtr(c, ph!, p.h, r!, p.hrs, c0);
    rowPtr(c, pgx!, p.dgx, r!, p.dgxrs, c0);
    rowPtr(c, pgh!, p.dgh, r!, p.dghrs, c0);
    c.get(r!).get(p.R2).op('i32.lt_s').set(useRec!);
    c.range(j!, 0, n4!, 1, () => {
      totalGrad(c, g!, pdh!, pdo!, pdr!, p.hasDo, useRec!);
      load(c, pw!, null).set(rg!);
      load(c, pw!, g1).set(zg!);
      load(c, pw!, g2).set(n!);
      // dn = g (1 − z)(1 − n²)
      c.get(g!).get(one!).get(zg!).op('f32x4.sub', 'f32x4.mul');
      c.get(one!).get(n!).get(n!).op('f32x4.mul', 'f32x4.sub', 'f32x4.mul').set(dn!);
      // dz = g (h − n) z (1 − z)
      c.get(g!);
      load(c, ph!, null).get(n!).op('f32x4.sub', 'f32x4.mul');
      c.get(zg!).get(one!).get(zg!).op('f32x4.sub', 'f32x4.mul', 'f32x4.mul').set(dz!);
      store(c, pgx!, g1, dz!);
      store(c, pgx!, g2, dn!);
      store(c, pgh!, g1, dz!);
      c.get(p.resetAfter).if();
      // dr = dn · ghn · r (1 − r)
      load(c, pw!, g3).set(ghn!);
      c.get(dn!).get(ghn!).op('f32x4.mul');
      c.get(rg!).get(one!).get(rg!).op('f32x4.sub', 'f32x4.mul', 'f32x4.mul').set(dr!);
      store(c, pgx!, null, dr!);
      store(c, pgh!, null, dr!);
      c.get(dn!).get(rg!).op('f32x4.mul').set(t!);
      store(c, pgh!, g2, t!);
      c.else();
      // reset-before: the r blocks are rnn_gru_reset_bwd's, after the W_hn product
      store(c, pgh!, g2, dn!);
      c.end();
      c.get(g!).get(zg!).op('f32x4.mul').set(t!);
      store(c, pdh!, null, t!);
      for (const q of [pdh, pdo, pdr, pw, ph, pgx, pgh]) c.inc(q!, 16);
    });
  });
  return f;
}

function gruResetBackward(m: ModuleBuilder): FunctionBuilder {
  const { f, p, r0, r1, c0, c1 } = kernel(m, 'rnn_gru_reset_bwd', GRU_RESET_BWD);
  const c = f.code;
  const i32 = (): Local => f.local(I32);
  const v = (): Local => f.local(V128);
  const [r, j, n4, pd, pw, ph, pgx, pgh, pdh] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
  const [d, rg, t, one] = [v(), v(), v(), v()];
  c.get(c1).get(c0).op('i32.sub').i32(2).op('i32.shr_s').set(n4!);
  c.f32x4(1).set(one!);
  c.range(r!, r0, r1, 1, () => {
    rowPtr(c, pd!, p.drh, r!, p.drhrs, c0);
    rowPtr(c, pw!, p.ws, r!, p.wsrs, c0);
    rowPtr(c, ph!, p.h, r!, p.hrs, c0);
    rowPtr(c, pgx!, p.dgx, r!, p.dgxrs, c0);
    rowPtr(c, pgh!, p.dgh, r!, p.dghrs, c0);
    rowPtr(c, pdh!, p.dh, r!, p.dhrs, c0);
    c.range(j!, 0, n4!, 1, () => {
      load(c, pd!, null).set(d!);
      load(c, pw!, null).set(rg!);
      // dr = drh · h · r (1 − r)
      c.get(d!);
      load(c, ph!, null).op('f32x4.mul');
      c.get(rg!).get(one!).get(rg!).op('f32x4.sub', 'f32x4.mul', 'f32x4.mul').set(t!);
      store(c, pgx!, null, t!);
      store(c, pgh!, null, t!);
      load(c, pdh!, null).get(d!).get(rg!).op('f32x4.mul', 'f32x4.add').set(t!);
      store(c, pdh!, null, t!);
      for (const q of [pd, pw, ph, pgx, pgh, pdh]) c.inc(q!, 16);
    });
  });
  return f;
}

function lstmBackward(m: ModuleBuilder): FunctionBuilder {
  const { f, p, r0, r1, c0, c1 } = kernel(m, 'rnn_lstm_bwd', LSTM_BWD);
  const c = f.code;
  const i32 = (): Local => f.local(I32);
  const v = (): Local => f.local(V128);
  const [r, j, n4, pdh, pdo, pdr, pdc, pw, pdg, useRec] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
  const [g, ig, fg, gg, og, tc, dct, t, one, zero] = [v(), v(), v(), v(), v(), v(), v(), v(), v(), v()];
  const [g1, g2, g3, g4, g5] = gateOffsets(f, p.H, 5) as [Local, Local, Local, Local, Local];
  c.get(c1).get(c0).op('i32.sub').i32(2).op('i32.shr_s').set(n4!);
  c.f32x4(1).set(one!);
  c.f32x4(0).set(zero!);
  const dsig = (y: Local): void => void c.get(y).get(one!).get(y).op('f32x4.sub', 'f32x4.mul');
  c.range(r!, r0, r1, 1, () => {
    rowPtr(c, pdh!, p.dh, r!, p.dhrs, c0);
    rowPtr(c, pdo!, p.do, r!, p.dors, c0);
    rowPtr(c, pdr!, p.dr, r!, p.drrs, c0);
    rowPtr(c, pdc!, p.dc, r!, p.dcrs, c0);
    rowPtr(c, pw!, p.ws, r!, p.wsrs, c0);
    rowPtr(c, pdg!, p.dg, r!, p.dgrs, c0);
    c.get(r!).get(p.R2).op('i32.lt_s').set(useRec!);
    c.range(j!, 0, n4!, 1, () => {
      totalGrad(c, g!, pdh!, pdo!, pdr!, p.hasDo, useRec!);
      load(c, pw!, null).set(ig!);
      load(c, pw!, g1).set(fg!);
      load(c, pw!, g2).set(gg!);
      load(c, pw!, g3).set(og!);
      load(c, pw!, g5).set(tc!);
      // dct = dc + g o (1 − tc²)
      load(c, pdc!, null).get(g!).get(og!).op('f32x4.mul');
      c.get(one!).get(tc!).get(tc!).op('f32x4.mul', 'f32x4.sub', 'f32x4.mul', 'f32x4.add').set(dct!);
      // di = dct gg i (1 − i)
      c.get(dct!).get(gg!).op('f32x4.mul');
      dsig(ig!);
      c.op('f32x4.mul').set(t!);
      store(c, pdg!, null, t!);
      // df = dct c_prev f (1 − f)
      c.get(dct!);
      load(c, pw!, g4).op('f32x4.mul');
      dsig(fg!);
      c.op('f32x4.mul').set(t!);
      store(c, pdg!, g1, t!);
      // dg = dct i (1 − gg²)
      c.get(dct!).get(ig!).op('f32x4.mul');
      c.get(one!).get(gg!).get(gg!).op('f32x4.mul', 'f32x4.sub', 'f32x4.mul').set(t!);
      store(c, pdg!, g2, t!);
      // do = g tc o (1 − o)
      c.get(g!).get(tc!).op('f32x4.mul');
      dsig(og!);
      c.op('f32x4.mul').set(t!);
      store(c, pdg!, g3, t!);
      c.get(dct!).get(fg!).op('f32x4.mul').set(t!);
      store(c, pdc!, null, t!);
      store(c, pdh!, null, zero!);
      for (const q of [pdh, pdo, pdr, pdc, pw, pdg]) c.inc(q!, 16);
    });
  });
  return f;
}

/**
 * `rnn_seq_fwd(tid, params, j0, j1)`: one whole forward step for hidden columns [j0, j1)
 * (multiples of 8): gh[:, g·H + j0 : g·H + j1] = A · Bp for gates g in [g0, g1) (A the
 * previous state [R, K], Bp the packed W_hhᵀ, through `mm_compute`), then the gate kernel
 * `kind` (0 GRU, 1 LSTM, 2 the reset-before GRU's reset gate) on those columns. Threads take
 * disjoint column blocks, so one job (one barrier) runs a step; a reset-before GRU step is
 * two jobs (gates r, z and the reset gate; then gate n from r ⊙ h and the GRU kernel).
 */
export const SEQ_FWD = ['gate', 'kind', 'a', 'rsA', 'R', 'K', 'bp', 'GH', 'gh', 'scratch', 'g0', 'g1', 'H'] as const;
/**
 * `rnn_seq_bwd(tid, params, j0, j1)`: one backward step for hidden columns [j0, j1): when
 * `hasRec`, rec[:, j0:j1] = A · Bp (A [Rp, K], Bp a packed block of W_hh), then the backward
 * gate kernel `kind` (0 GRU, 1 LSTM, 2 the reset-before GRU's reset gate) on those columns.
 */
export const SEQ_BWD = ['gate', 'kind', 'hasRec', 'a', 'rsA', 'Rp', 'K', 'bp', 'N', 'rec', 'scratch', 'R'] as const;

/** Gate kernels of `rnn_seq_fwd` / `rnn_seq_bwd` by `kind`. */
export const SEQ_KIND = { gru: 0, lstm: 1, gruReset: 2 } as const;

function seqKernel<L extends readonly string[]>(m: ModuleBuilder, name: string, layout: L): { f: FunctionBuilder; p: Fields<L>; tid: Local; j0: Local; j1: Local } {
  const f = m.func([I32, I32, I32, I32], [], name);
  const [tid, params, j0, j1] = f.params as [Local, Local, Local, Local];
  const p = {} as Record<string, Local>;
  layout.forEach((field, i) => {
    const l = f.local(I32);
    f.code.get(params).mem('i32.load', 4 * i).set(l);
    p[field] = l;
  });
  return { f, p: p as Fields<L>, tid: tid!, j0: j0!, j1: j1! };
}

/** Calls the gate kernel `kinds[kind]` as `(gate, 0, R, j0, j1)`. */
function callKind(c: Code, kind: Local, kinds: readonly FunctionBuilder[], gate: Local, R: Local, j0: Local, j1: Local): void {
  kinds.forEach((k, i) => {
    if (i < kinds.length - 1) c.get(kind).i32(i).op('i32.eq').if();
    c.get(gate).i32(0).get(R).get(j0).get(j1).call(k);
    if (i < kinds.length - 1) c.else();
  });
  for (let i = 0; i < kinds.length - 1; i++) c.end();
}

/** Adds the recurrent gate kernels (and the sequence-step kernels that call `compute`, the matmul) to the backend's kernel module. */
export function recurrentKernels(m: ModuleBuilder, compute: FunctionBuilder): void {
  const fwd = [gruForward(m), lstmForward(m), gruResetForward(m)];
  const bwd = [gruBackward(m), lstmBackward(m), gruResetBackward(m)];
  {
    const { f, p, tid, j0, j1 } = seqKernel(m, 'rnn_seq_fwd', SEQ_FWD);
    const c = f.code;
    const g = f.local(I32);
    const off = f.local(I32);
    c.get(p.g0).set(g);
    c.while(
      () => c.get(g).get(p.g1).op('i32.lt_s'),
      () => {
        c.get(g).get(p.H).op('i32.mul').set(off);
        c.get(tid).get(p.a).get(p.bp).get(p.gh).get(p.GH).get(p.K).get(p.rsA).i32(4).i32(0).get(p.R).get(p.scratch);
        c.get(off).get(j0).op('i32.add').get(off).get(j1).op('i32.add').call(compute);
        c.inc(g, 1);
      },
    );
    callKind(c, p.kind, fwd, p.gate, p.R, j0, j1);
  }
  {
    const { f, p, tid, j0, j1 } = seqKernel(m, 'rnn_seq_bwd', SEQ_BWD);
    const c = f.code;
    c.get(p.hasRec).if();
    c.get(tid).get(p.a).get(p.bp).get(p.rec).get(p.N).get(p.K).get(p.rsA).i32(4).i32(0).get(p.Rp).get(p.scratch).get(j0).get(j1).call(compute);
    c.end();
    callKind(c, p.kind, bwd, p.gate, p.R, j0, j1);
  }
}
