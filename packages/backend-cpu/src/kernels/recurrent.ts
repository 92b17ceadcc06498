/**
 * Fused recurrent-cell kernels (the `gruCell`, `lstmCell`, `sruSequence` capabilities and their
 * backward steps; semantics in @torchlet/backend's `FusedKernels`). One pass over the step's
 * rows does the whole gate arithmetic, in float64 per element, for float32 and float64 views
 * with any strides. nn's recurrent layers call them once per timestep (SRU: once per layer).
 * Float32 views in the Wasm heap go to the Wasm SIMD versions (recurrent-wasm.ts) instead.
 */
import type { TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';
import {
  wasmGruCell,
  wasmGruCellBackward,
  wasmGruResetGate,
  wasmGruResetGateBackward,
  wasmLstmCell,
  wasmLstmCellBackward,
} from './recurrent-wasm.js';

type Arr = Float32Array | Float64Array;

/** A 2-D view as (data, offset, row stride, column stride). */
interface M {
  d: Arr;
  o: number;
  rs: number;
  cs: number;
}

function m2(v: TensorView, op: string, cols: number, rows?: number): M {
  if (v.dtype !== 'float32' && v.dtype !== 'float64') throw new TypeError(`${op}: expected a float view, got ${v.dtype}`);
  if (v.shape.length !== 2 || v.shape[1] !== cols || (rows !== undefined && v.shape[0]! < rows)) {
    throw new RangeError(`${op}: expected a [${rows ?? 'R'}, ${cols}] view, got [${v.shape.join(', ')}]`);
  }
  return { d: dataOf(v) as Arr, o: v.offset, rs: v.strides[0]!, cs: v.strides[1]! };
}

function m1(v: TensorView, op: string, n: number): M {
  if (v.shape.length !== 1 || v.shape[0] !== n) throw new RangeError(`${op}: expected a [${n}] view, got [${v.shape.join(', ')}]`);
  return { d: dataOf(v) as Arr, o: v.offset, rs: 0, cs: v.strides[0]! };
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

// ---- GRU ------------------------------------------------------------------------------------

export function gruCell(
  gx: TensorView,
  gh: TensorView,
  bhh: TensorView | null,
  h: TensorView,
  hOut: TensorView,
  ws: TensorView | null,
  ghn: TensorView | null = null,
): void {
  if (wasmGruCell(gx, gh, bhh, h, hOut, ws, ghn)) return;
  const op = 'gruCell';
  const R = h.shape[0]!;
  const H = h.shape[1]!;
  const X = m2(gx, op, 3 * H, R);
  // reset-before: gh holds the r and z blocks, ghn the n block W_hn (r ⊙ h)
  const G = m2(gh, op, (ghn ? 2 : 3) * H, R);
  const GN = ghn ? m2(ghn, op, H, R) : null;
  const B = bhh ? m1(bhh, op, 3 * H) : null;
  const Hm = m2(h, op, H, R);
  const O = m2(hOut, op, H, R);
  const W = ws ? m2(ws, op, 4 * H, R) : null;
  const xd = X.d, gd = G.d, hd = Hm.d, od = O.d;
  for (let r = 0; r < R; r++) {
    const xo = X.o + r * X.rs;
    const go = G.o + r * G.rs;
    const ho = Hm.o + r * Hm.rs;
    const oo = O.o + r * O.rs;
    const wo = W ? W.o + r * W.rs : 0;
    for (let j = 0; j < H; j++) {
      const jr = j, jz = j + H, jn = j + 2 * H;
      let ar = xd[xo + jr * X.cs]! + gd[go + jr * G.cs]!;
      let az = xd[xo + jz * X.cs]! + gd[go + jz * G.cs]!;
      let ghn = GN ? GN.d[GN.o + r * GN.rs + j * GN.cs]! : gd[go + jn * G.cs]!;
      if (B) {
        ar += B.d[B.o + jr * B.cs]!;
        az += B.d[B.o + jz * B.cs]!;
        ghn += B.d[B.o + jn * B.cs]!;
      }
      const rg = sigmoid(ar);
      const zg = sigmoid(az);
      const hp = hd[ho + j * Hm.cs]!;
      const n = Math.tanh(xd[xo + jn * X.cs]! + (GN ? ghn : rg * ghn));
      od[oo + j * O.cs] = (1 - zg) * n + zg * hp;
      if (W) {
        const wd = W.d;
        wd[wo + jr * W.cs] = rg;
        wd[wo + jz * W.cs] = zg;
        wd[wo + jn * W.cs] = n;
        wd[wo + (j + 3 * H) * W.cs] = GN ? rg * hp : ghn;
      }
    }
  }
}

/** rh = σ(gx_r + gh_r + b_r) ⊙ h (the reset-before GRU's input to W_hn). */
export function gruResetGate(gx: TensorView, gh: TensorView, bhr: TensorView | null, h: TensorView, rh: TensorView): void {
  if (wasmGruResetGate(gx, gh, bhr, h, rh)) return;
  const op = 'gruResetGate';
  const R = h.shape[0]!;
  const H = h.shape[1]!;
  const X = m2(gx, op, H, R);
  const G = m2(gh, op, H, R);
  const B = bhr ? m1(bhr, op, H) : null;
  const Hm = m2(h, op, H, R);
  const O = m2(rh, op, H, R);
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < H; j++) {
      let a = X.d[X.o + r * X.rs + j * X.cs]! + G.d[G.o + r * G.rs + j * G.cs]!;
      if (B) a += B.d[B.o + j * B.cs]!;
      O.d[O.o + r * O.rs + j * O.cs] = sigmoid(a) * Hm.d[Hm.o + r * Hm.rs + j * Hm.cs]!;
    }
  }
}

export function gruCellBackward(
  dh: TensorView,
  dOut: TensorView | null,
  dhRec: TensorView | null,
  ws: TensorView,
  h: TensorView,
  dgx: TensorView,
  dgh: TensorView,
  resetAfter = true,
): void {
  if (wasmGruCellBackward(dh, dOut, dhRec, ws, h, dgx, dgh, resetAfter)) return;
  const op = 'gruCellBackward';
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  const D = m2(dh, op, H, R);
  const DO = dOut ? m2(dOut, op, H, R) : null;
  const DR = dhRec ? m2(dhRec, op, H) : null;
  const R2 = dhRec ? Math.min(R, dhRec.shape[0]!) : 0;
  const W = m2(ws, op, 4 * H, R);
  const Hm = m2(h, op, H, R);
  const GX = m2(dgx, op, 3 * H, R);
  const GH = m2(dgh, op, 3 * H, R);
  for (let r = 0; r < R; r++) {
    const d0 = D.o + r * D.rs;
    const w0 = W.o + r * W.rs;
    const h0 = Hm.o + r * Hm.rs;
    const x0 = GX.o + r * GX.rs;
    const g0 = GH.o + r * GH.rs;
    for (let j = 0; j < H; j++) {
      let g = D.d[d0 + j * D.cs]!;
      if (DO) g += DO.d[DO.o + r * DO.rs + j * DO.cs]!;
      if (DR && r < R2) g += DR.d[DR.o + r * DR.rs + j * DR.cs]!;
      const rg = W.d[w0 + j * W.cs]!;
      const zg = W.d[w0 + (j + H) * W.cs]!;
      const n = W.d[w0 + (j + 2 * H) * W.cs]!;
      const hp = Hm.d[h0 + j * Hm.cs]!;
      const dnPre = g * (1 - zg) * (1 - n * n);
      const dzPre = g * (hp - n) * zg * (1 - zg);
      GX.d[x0 + (j + H) * GX.cs] = dzPre;
      GX.d[x0 + (j + 2 * H) * GX.cs] = dnPre;
      GH.d[g0 + (j + H) * GH.cs] = dzPre;
      if (resetAfter) {
        const ghn = W.d[w0 + (j + 3 * H) * W.cs]!;
        const drPre = dnPre * ghn * rg * (1 - rg);
        GX.d[x0 + j * GX.cs] = drPre;
        GH.d[g0 + j * GH.cs] = drPre;
        GH.d[g0 + (j + 2 * H) * GH.cs] = dnPre * rg;
      } else GH.d[g0 + (j + 2 * H) * GH.cs] = dnPre;
      D.d[d0 + j * D.cs] = g * zg;
    }
  }
}

/** The r part of a reset-before GRU backward step, from drh = ∂L/∂(r ⊙ h). */
export function gruResetGateBackward(drh: TensorView, ws: TensorView, h: TensorView, dgx: TensorView, dgh: TensorView, dh: TensorView): void {
  if (wasmGruResetGateBackward(drh, ws, h, dgx, dgh, dh)) return;
  const op = 'gruResetGateBackward';
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  const DRH = m2(drh, op, H, R);
  const W = m2(ws, op, 4 * H, R);
  const Hm = m2(h, op, H, R);
  const GX = m2(dgx, op, H, R);
  const GH = m2(dgh, op, H, R);
  const D = m2(dh, op, H, R);
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < H; j++) {
      const d = DRH.d[DRH.o + r * DRH.rs + j * DRH.cs]!;
      const rg = W.d[W.o + r * W.rs + j * W.cs]!;
      const drPre = d * Hm.d[Hm.o + r * Hm.rs + j * Hm.cs]! * rg * (1 - rg);
      GX.d[GX.o + r * GX.rs + j * GX.cs] = drPre;
      GH.d[GH.o + r * GH.rs + j * GH.cs] = drPre;
      D.d[D.o + r * D.rs + j * D.cs]! += d * rg;
    }
  }
}

// ---- LSTM -----------------------------------------------------------------------------------

export function lstmCell(
  gx: TensorView,
  gh: TensorView,
  bhh: TensorView | null,
  c: TensorView,
  cOut: TensorView,
  hOut: TensorView,
  ws: TensorView | null,
): void {
  if (wasmLstmCell(gx, gh, bhh, c, cOut, hOut, ws)) return;
  const op = 'lstmCell';
  const R = c.shape[0]!;
  const H = c.shape[1]!;
  const X = m2(gx, op, 4 * H, R);
  const G = m2(gh, op, 4 * H, R);
  const B = bhh ? m1(bhh, op, 4 * H) : null;
  const C = m2(c, op, H, R);
  const CO = m2(cOut, op, H, R);
  const HO = m2(hOut, op, H, R);
  const W = ws ? m2(ws, op, 6 * H, R) : null;
  const xd = X.d, gd = G.d;
  for (let r = 0; r < R; r++) {
    const xo = X.o + r * X.rs;
    const go = G.o + r * G.rs;
    const wo = W ? W.o + r * W.rs : 0;
    for (let j = 0; j < H; j++) {
      let ai = xd[xo + j * X.cs]! + gd[go + j * G.cs]!;
      let af = xd[xo + (j + H) * X.cs]! + gd[go + (j + H) * G.cs]!;
      let ag = xd[xo + (j + 2 * H) * X.cs]! + gd[go + (j + 2 * H) * G.cs]!;
      let ao = xd[xo + (j + 3 * H) * X.cs]! + gd[go + (j + 3 * H) * G.cs]!;
      if (B) {
        ai += B.d[B.o + j * B.cs]!;
        af += B.d[B.o + (j + H) * B.cs]!;
        ag += B.d[B.o + (j + 2 * H) * B.cs]!;
        ao += B.d[B.o + (j + 3 * H) * B.cs]!;
      }
      const ig = sigmoid(ai);
      const fg = sigmoid(af);
      const gg = Math.tanh(ag);
      const og = sigmoid(ao);
      const cp = C.d[C.o + r * C.rs + j * C.cs]!;
      const cn = fg * cp + ig * gg;
      const tc = Math.tanh(cn);
      CO.d[CO.o + r * CO.rs + j * CO.cs] = cn;
      HO.d[HO.o + r * HO.rs + j * HO.cs] = og * tc;
      if (W) {
        const wd = W.d;
        wd[wo + j * W.cs] = ig;
        wd[wo + (j + H) * W.cs] = fg;
        wd[wo + (j + 2 * H) * W.cs] = gg;
        wd[wo + (j + 3 * H) * W.cs] = og;
        wd[wo + (j + 4 * H) * W.cs] = cp;
        wd[wo + (j + 5 * H) * W.cs] = tc;
      }
    }
  }
}

export function lstmCellBackward(
  dh: TensorView,
  dOut: TensorView | null,
  dhRec: TensorView | null,
  dc: TensorView,
  ws: TensorView,
  dgates: TensorView,
): void {
  if (wasmLstmCellBackward(dh, dOut, dhRec, dc, ws, dgates)) return;
  const op = 'lstmCellBackward';
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  const D = m2(dh, op, H, R);
  const DO = dOut ? m2(dOut, op, H, R) : null;
  const DR = dhRec ? m2(dhRec, op, H) : null;
  const R2 = dhRec ? Math.min(R, dhRec.shape[0]!) : 0;
  const DC = m2(dc, op, H, R);
  const W = m2(ws, op, 6 * H, R);
  const DG = m2(dgates, op, 4 * H, R);
  for (let r = 0; r < R; r++) {
    const d0 = D.o + r * D.rs;
    const c0 = DC.o + r * DC.rs;
    const w0 = W.o + r * W.rs;
    const g0 = DG.o + r * DG.rs;
    for (let j = 0; j < H; j++) {
      let g = D.d[d0 + j * D.cs]!;
      if (DO) g += DO.d[DO.o + r * DO.rs + j * DO.cs]!;
      if (DR && r < R2) g += DR.d[DR.o + r * DR.rs + j * DR.cs]!;
      const ig = W.d[w0 + j * W.cs]!;
      const fg = W.d[w0 + (j + H) * W.cs]!;
      const gg = W.d[w0 + (j + 2 * H) * W.cs]!;
      const og = W.d[w0 + (j + 3 * H) * W.cs]!;
      const cp = W.d[w0 + (j + 4 * H) * W.cs]!;
      const tc = W.d[w0 + (j + 5 * H) * W.cs]!;
      const dct = DC.d[c0 + j * DC.cs]! + g * og * (1 - tc * tc);
      DG.d[g0 + j * DG.cs] = dct * gg * ig * (1 - ig);
      DG.d[g0 + (j + H) * DG.cs] = dct * cp * fg * (1 - fg);
      DG.d[g0 + (j + 2 * H) * DG.cs] = dct * ig * (1 - gg * gg);
      DG.d[g0 + (j + 3 * H) * DG.cs] = g * tc * og * (1 - og);
      DC.d[c0 + j * DC.cs] = dct * fg;
      D.d[d0 + j * D.cs] = 0;
    }
  }
}

// ---- whole layers ---------------------------------------------------------------------------

// The whole-layer loops exist only as Wasm kernels (W_hh packed once, one job per step);
// they return false for anything else and the caller loops over the cell kernels.
export { wasmRecurrentBackward as recurrentBackward, wasmRecurrentForward as recurrentForward } from './recurrent-wasm.js';

// ---- SRU ------------------------------------------------------------------------------------

function stepOffsets(batchSizes: readonly number[]): number[] {
  const offsets = new Array<number>(batchSizes.length);
  let o = 0;
  for (let t = 0; t < batchSizes.length; t++) {
    offsets[t] = o;
    o += batchSizes[t]!;
  }
  return offsets;
}

export function sruSequence(
  u: TensorView,
  x: TensorView | null,
  vc: TensorView,
  b: TensorView,
  c0: TensorView,
  batchSizes: readonly number[],
  reverse: boolean,
  h: TensorView,
  cN: TensorView,
  ws: TensorView | null,
): void {
  const op = 'sruSequence';
  const H = c0.shape[1]!;
  const k = u.shape[1]! / H;
  if (k !== 3 && k !== 4) throw new RangeError(`${op}: u must have 3H or 4H columns, got ${u.shape[1]} (H = ${H})`);
  if ((k === 3) !== (x !== null)) throw new RangeError(`${op}: x must be given exactly when u has 3H columns`);
  const U = m2(u, op, k * H);
  const X = x ? m2(x, op, H) : null;
  const V = m1(vc, op, 2 * H);
  const Bb = m1(b, op, 2 * H);
  const C0 = m2(c0, op, H);
  const Ho = m2(h, op, H);
  const CN = m2(cN, op, H);
  const W = ws ? m2(ws, op, 3 * H) : null;
  const B = c0.shape[0]!;
  // The running states, one row per sequence.
  const c = new Float64Array(B * H);
  for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) c[r * H + j] = C0.d[C0.o + r * C0.rs + j * C0.cs]!;
  const offsets = stepOffsets(batchSizes);
  const T = batchSizes.length;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const R = batchSizes[t]!;
    for (let r = 0; r < R; r++) {
      const row = offsets[t]! + r;
      const uo = U.o + row * U.rs;
      for (let j = 0; j < H; j++) {
        const cp = c[r * H + j]!;
        const xt = U.d[uo + j * U.cs]!;
        const f = sigmoid(U.d[uo + (j + H) * U.cs]! + V.d[V.o + j * V.cs]! * cp + Bb.d[Bb.o + j * Bb.cs]!);
        const rg = sigmoid(U.d[uo + (j + 2 * H) * U.cs]! + V.d[V.o + (j + H) * V.cs]! * cp + Bb.d[Bb.o + (j + H) * Bb.cs]!);
        const cn = f * cp + (1 - f) * xt;
        const hw = X ? X.d[X.o + row * X.rs + j * X.cs]! : U.d[uo + (j + 3 * H) * U.cs]!;
        Ho.d[Ho.o + row * Ho.rs + j * Ho.cs] = rg * cn + (1 - rg) * hw;
        c[r * H + j] = cn;
        if (W) {
          const wo = W.o + row * W.rs;
          W.d[wo + j * W.cs] = f;
          W.d[wo + (j + H) * W.cs] = rg;
          W.d[wo + (j + 2 * H) * W.cs] = cp;
        }
      }
    }
  }
  for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) CN.d[CN.o + r * CN.rs + j * CN.cs] = c[r * H + j]!;
}

export function sruSequenceBackward(
  dh: TensorView | null,
  dcN: TensorView | null,
  u: TensorView,
  x: TensorView | null,
  vc: TensorView,
  ws: TensorView,
  batchSizes: readonly number[],
  reverse: boolean,
  du: TensorView,
  dx: TensorView | null,
  dvc: TensorView,
  db: TensorView,
  dc0: TensorView,
): void {
  const op = 'sruSequenceBackward';
  const H = dc0.shape[1]!;
  const B = dc0.shape[0]!;
  const k = u.shape[1]! / H;
  const DH = dh ? m2(dh, op, H) : null;
  const DCN = dcN ? m2(dcN, op, H) : null;
  const U = m2(u, op, k * H);
  const X = x ? m2(x, op, H) : null;
  const V = m1(vc, op, 2 * H);
  const W = m2(ws, op, 3 * H);
  const DU = m2(du, op, k * H);
  const DX = dx ? m2(dx, op, H) : null;
  const DV = m1(dvc, op, 2 * H);
  const DB = m1(db, op, 2 * H);
  const DC0 = m2(dc0, op, H);
  const dcs = new Float64Array(B * H);
  if (DCN) for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) dcs[r * H + j] = DCN.d[DCN.o + r * DCN.rs + j * DCN.cs]!;
  const dv = new Float64Array(2 * H);
  const dbias = new Float64Array(2 * H);
  const offsets = stepOffsets(batchSizes);
  const T = batchSizes.length;
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const R = batchSizes[t]!;
    for (let r = 0; r < R; r++) {
      const row = offsets[t]! + r;
      const uo = U.o + row * U.rs;
      const wo = W.o + row * W.rs;
      const duo = DU.o + row * DU.rs;
      for (let j = 0; j < H; j++) {
        const f = W.d[wo + j * W.cs]!;
        const rg = W.d[wo + (j + H) * W.cs]!;
        const cp = W.d[wo + (j + 2 * H) * W.cs]!;
        const xt = U.d[uo + j * U.cs]!;
        const cn = f * cp + (1 - f) * xt;
        const hw = X ? X.d[X.o + row * X.rs + j * X.cs]! : U.d[uo + (j + 3 * H) * U.cs]!;
        const g = DH ? DH.d[DH.o + row * DH.rs + j * DH.cs]! : 0;
        const drPre = g * (cn - hw) * rg * (1 - rg);
        const dct = dcs[r * H + j]! + g * rg;
        const dfPre = dct * (cp - xt) * f * (1 - f);
        const vf = V.d[V.o + j * V.cs]!;
        const vr = V.d[V.o + (j + H) * V.cs]!;
        DU.d[duo + j * DU.cs] = dct * (1 - f);
        DU.d[duo + (j + H) * DU.cs] = dfPre;
        DU.d[duo + (j + 2 * H) * DU.cs] = drPre;
        const dhw = g * (1 - rg);
        if (DX) DX.d[DX.o + row * DX.rs + j * DX.cs] = dhw;
        else DU.d[duo + (j + 3 * H) * DU.cs] = dhw;
        dcs[r * H + j] = dct * f + dfPre * vf + drPre * vr;
        dv[j] += dfPre * cp;
        dv[j + H] += drPre * cp;
        dbias[j] += dfPre;
        dbias[j + H] += drPre;
      }
    }
  }
  for (let j = 0; j < 2 * H; j++) {
    DV.d[DV.o + j * DV.cs] = dv[j]!;
    DB.d[DB.o + j * DB.cs] = dbias[j]!;
  }
  for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) DC0.d[DC0.o + r * DC0.rs + j * DC0.cs] = dcs[r * H + j]!;
}
