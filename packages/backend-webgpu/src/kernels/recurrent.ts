/**
 * Fused recurrent-cell kernels in WGSL (`gruCell`, `lstmCell`, `sruSequence` and their
 * backward steps; semantics in @torchlet/backend's `FusedKernels`, reference in the CPU
 * backend's `kernels/recurrent.ts`). The GRU/LSTM steps are one dispatch each, one invocation
 * per (row, hidden unit); nn's recurrent layers call them once per timestep, between one
 * recurrent matmul and the next step. SRU runs a whole layer-direction in one dispatch: its
 * state is elementwise, so each (sequence, unit) walks the time steps on its own.
 */
import type { TensorView } from '@torchlet/backend';
import type { GpuRuntime } from '../runtime.js';
import { runRows } from './rows.js';

function checkRows(op: string, v: TensorView | null, what: string, cols: number, rows: number): void {
  if (!v) return;
  if (v.dtype !== 'float32') throw new TypeError(`${op}: webgpu supports float32 only (${what} is ${v.dtype})`);
  if (v.shape.length !== 2 || v.shape[1] !== cols || v.shape[0]! < rows) {
    throw new RangeError(`${op}: expected ${what} as a [${rows}, ${cols}] view, got [${v.shape.join(', ')}]`);
  }
}

function checkVec(op: string, v: TensorView | null, what: string, n: number): void {
  if (!v) return;
  if (v.dtype !== 'float32') throw new TypeError(`${op}: webgpu supports float32 only (${what} is ${v.dtype})`);
  if (v.shape.length !== 1 || v.shape[0] !== n) throw new RangeError(`${op}: expected ${what} as a [${n}] view, got [${v.shape.join(', ')}]`);
}

// ---- GRU --------------------------------------------------------------------------------------

export function gruCell(
  rt: GpuRuntime,
  gx: TensorView,
  gh: TensorView,
  bhh: TensorView | null,
  h: TensorView,
  hOut: TensorView,
  ws: TensorView | null,
  ghn: TensorView | null = null,
): void {
  const op = 'gruCell';
  const R = h.shape[0]!;
  const H = h.shape[1]!;
  checkRows(op, h, 'h', H, R);
  checkRows(op, gx, 'gx', 3 * H, R);
  // reset-before: gh holds the r and z blocks, ghn the n block W_hn (r ⊙ h)
  checkRows(op, gh, 'gh', (ghn ? 2 : 3) * H, R);
  checkRows(op, ghn, 'ghn', H, R);
  checkVec(op, bhh, 'bhh', 3 * H);
  checkRows(op, hOut, 'hOut', H, R);
  checkRows(op, ws, 'ws', 4 * H, R);
  runRows(rt, {
    name: 'fused.gruCell',
    rows: R,
    cols: H,
    scalars: [H],
    operands: [
      { name: 'X', view: gx },
      { name: 'G', view: gh },
      { name: 'Bh', view: bhh },
      { name: 'Hp', view: h },
      { name: 'O', view: hOut, write: true },
      { name: 'W', view: ws, write: true },
      { name: 'GN', view: ghn },
    ],
    body: (has) => {
      const b = (k: string): string => (has.Bh ? ` + Bh(0, ${k})` : '');
      return `
  let H = S(0u);
  let ar = X(r, j) + G(r, j)${b('j')};
  let az = X(r, j + H) + G(r, j + H)${b('j + H')};
  let ghn = ${has.GN ? 'GN(r, j)' : 'G(r, j + 2 * H)'}${b('j + 2 * H')};
  let rg = sigm(ar);
  let zg = sigm(az);
  let nn = t_tanh(X(r, j + 2 * H) + ${has.GN ? 'ghn' : 'rg * ghn'});
  let hp = Hp(r, j);
  O_set(r, j, (1.0 - zg) * nn + zg * hp);
  ${has.W ? `W_set(r, j, rg); W_set(r, j + H, zg); W_set(r, j + 2 * H, nn); W_set(r, j + 3 * H, ${has.GN ? 'rg * hp' : 'ghn'});` : ''}`;
    },
  });
}

/** The reset-before GRU's reset gate: rh = σ(gx_r + gh_r + b_r) ⊙ h (r blocks given). */
export function gruResetGate(rt: GpuRuntime, gx: TensorView, gh: TensorView, bhr: TensorView | null, h: TensorView, rh: TensorView): void {
  const op = 'gruResetGate';
  const R = h.shape[0]!;
  const H = h.shape[1]!;
  for (const [v, what] of [[gx, 'gx'], [gh, 'gh'], [h, 'h'], [rh, 'rh']] as const) checkRows(op, v, what, H, R);
  checkVec(op, bhr, 'bhr', H);
  runRows(rt, {
    name: 'fused.gruResetGate',
    rows: R,
    cols: H,
    operands: [
      { name: 'X', view: gx },
      { name: 'G', view: gh },
      { name: 'Bh', view: bhr },
      { name: 'Hp', view: h },
      { name: 'O', view: rh, write: true },
    ],
    body: (has) => `
  O_set(r, j, sigm(X(r, j) + G(r, j)${has.Bh ? ' + Bh(0, j)' : ''}) * Hp(r, j));`,
  });
}

/** ∂L/∂h' in full: dh + dOut + the first R2 rows of dhRec (WGSL, `g`). */
function totalGrad(has: Readonly<Record<string, boolean>>): string {
  return `  var g = D(r, j);
  ${has.DO ? 'g = g + DO(r, j);' : ''}
  ${has.DR ? 'if (r < S(1u)) { g = g + DR(r, j); }' : ''}`;
}

export function gruCellBackward(
  rt: GpuRuntime,
  dh: TensorView,
  dOut: TensorView | null,
  dhRec: TensorView | null,
  ws: TensorView,
  h: TensorView,
  dgx: TensorView,
  dgh: TensorView,
  resetAfter = true,
): void {
  const op = 'gruCellBackward';
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  checkRows(op, dh, 'dh', H, R);
  checkRows(op, dOut, 'dOut', H, R);
  checkRows(op, dhRec, 'dhRec', H, 0);
  checkRows(op, ws, 'ws', 4 * H, R);
  checkRows(op, h, 'h', H, R);
  checkRows(op, dgx, 'dgx', 3 * H, R);
  checkRows(op, dgh, 'dgh', 3 * H, R);
  const R2 = dhRec ? Math.min(R, dhRec.shape[0]!) : 0;
  // reset-before: the r blocks are gruResetGateBackward's, after the W_hn product
  const rPart = resetAfter
    ? `
  let drPre = dnPre * W(r, j + 3 * H) * rg * (1.0 - rg);
  GX_set(r, j, drPre);
  GH_set(r, j, drPre);
  GH_set(r, j + 2 * H, dnPre * rg);`
    : `
  GH_set(r, j + 2 * H, dnPre);`;
  runRows(rt, {
    name: resetAfter ? 'fused.gruCellBackward' : 'fused.gruCellBackward.resetBefore',
    rows: R,
    cols: H,
    scalars: [H, R2],
    operands: [
      { name: 'D', view: dh, write: true },
      { name: 'DO', view: dOut },
      { name: 'DR', view: dhRec },
      { name: 'W', view: ws },
      { name: 'Hp', view: h },
      { name: 'GX', view: dgx, write: true },
      { name: 'GH', view: dgh, write: true },
    ],
    body: (has) => `
  let H = S(0u);
${totalGrad(has)}
  let rg = W(r, j);
  let zg = W(r, j + H);
  let nn = W(r, j + 2 * H);
  let hp = Hp(r, j);
  let dnPre = g * (1.0 - zg) * (1.0 - nn * nn);
  let dzPre = g * (hp - nn) * zg * (1.0 - zg);
  GX_set(r, j + H, dzPre);
  GX_set(r, j + 2 * H, dnPre);
  GH_set(r, j + H, dzPre);${rPart}
  D_set(r, j, g * zg);`,
  });
}

/** The r part of a reset-before GRU backward step from drh = ∂L/∂(r ⊙ h); dh += drh ⊙ r. */
export function gruResetGateBackward(rt: GpuRuntime, drh: TensorView, ws: TensorView, h: TensorView, dgx: TensorView, dgh: TensorView, dh: TensorView): void {
  const op = 'gruResetGateBackward';
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  for (const [v, what] of [[drh, 'drh'], [h, 'h'], [dgx, 'dgx'], [dgh, 'dgh'], [dh, 'dh']] as const) checkRows(op, v, what, H, R);
  checkRows(op, ws, 'ws', 4 * H, R);
  runRows(rt, {
    name: 'fused.gruResetGateBackward',
    rows: R,
    cols: H,
    operands: [
      { name: 'DRH', view: drh },
      { name: 'W', view: ws },
      { name: 'Hp', view: h },
      { name: 'GX', view: dgx, write: true },
      { name: 'GH', view: dgh, write: true },
      { name: 'D', view: dh, write: true },
    ],
    body: () => `
  let d = DRH(r, j);
  let rg = W(r, j);
  let drPre = d * Hp(r, j) * rg * (1.0 - rg);
  GX_set(r, j, drPre);
  GH_set(r, j, drPre);
  D_set(r, j, D(r, j) + d * rg);`,
  });
}

// ---- LSTM -------------------------------------------------------------------------------------

export function lstmCell(
  rt: GpuRuntime,
  gx: TensorView,
  gh: TensorView,
  bhh: TensorView | null,
  c: TensorView,
  cOut: TensorView,
  hOut: TensorView,
  ws: TensorView | null,
): void {
  const op = 'lstmCell';
  const R = c.shape[0]!;
  const H = c.shape[1]!;
  checkRows(op, c, 'c', H, R);
  checkRows(op, gx, 'gx', 4 * H, R);
  checkRows(op, gh, 'gh', 4 * H, R);
  checkVec(op, bhh, 'bhh', 4 * H);
  checkRows(op, cOut, 'cOut', H, R);
  checkRows(op, hOut, 'hOut', H, R);
  checkRows(op, ws, 'ws', 6 * H, R);
  runRows(rt, {
    name: 'fused.lstmCell',
    rows: R,
    cols: H,
    scalars: [H],
    operands: [
      { name: 'X', view: gx },
      { name: 'G', view: gh },
      { name: 'Bh', view: bhh },
      { name: 'C', view: c },
      { name: 'CO', view: cOut, write: true },
      { name: 'HO', view: hOut, write: true },
      { name: 'W', view: ws, write: true },
    ],
    body: (has) => {
      const pre = (k: string): string => `X(r, ${k}) + G(r, ${k})${has.Bh ? ` + Bh(0, ${k})` : ''}`;
      return `
  let H = S(0u);
  let ig = sigm(${pre('j')});
  let fg = sigm(${pre('j + H')});
  let gg = t_tanh(${pre('j + 2 * H')});
  let og = sigm(${pre('j + 3 * H')});
  let cp = C(r, j);
  let cn = fg * cp + ig * gg;
  let tc = t_tanh(cn);
  CO_set(r, j, cn);
  HO_set(r, j, og * tc);
  ${has.W ? 'W_set(r, j, ig); W_set(r, j + H, fg); W_set(r, j + 2 * H, gg); W_set(r, j + 3 * H, og); W_set(r, j + 4 * H, cp); W_set(r, j + 5 * H, tc);' : ''}`;
    },
  });
}

export function lstmCellBackward(
  rt: GpuRuntime,
  dh: TensorView,
  dOut: TensorView | null,
  dhRec: TensorView | null,
  dc: TensorView,
  ws: TensorView,
  dgates: TensorView,
): void {
  const op = 'lstmCellBackward';
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  checkRows(op, dh, 'dh', H, R);
  checkRows(op, dOut, 'dOut', H, R);
  checkRows(op, dhRec, 'dhRec', H, 0);
  checkRows(op, dc, 'dc', H, R);
  checkRows(op, ws, 'ws', 6 * H, R);
  checkRows(op, dgates, 'dgates', 4 * H, R);
  const R2 = dhRec ? Math.min(R, dhRec.shape[0]!) : 0;
  runRows(rt, {
    name: 'fused.lstmCellBackward',
    rows: R,
    cols: H,
    scalars: [H, R2],
    operands: [
      { name: 'D', view: dh, write: true },
      { name: 'DO', view: dOut },
      { name: 'DR', view: dhRec },
      { name: 'DC', view: dc, write: true },
      { name: 'W', view: ws },
      { name: 'DG', view: dgates, write: true },
    ],
    body: (has) => `
  let H = S(0u);
${totalGrad(has)}
  let ig = W(r, j);
  let fg = W(r, j + H);
  let gg = W(r, j + 2 * H);
  let og = W(r, j + 3 * H);
  let cp = W(r, j + 4 * H);
  let tc = W(r, j + 5 * H);
  let dct = DC(r, j) + g * og * (1.0 - tc * tc);
  DG_set(r, j, dct * gg * ig * (1.0 - ig));
  DG_set(r, j + H, dct * cp * fg * (1.0 - fg));
  DG_set(r, j + 2 * H, dct * ig * (1.0 - gg * gg));
  DG_set(r, j + 3 * H, g * tc * og * (1.0 - og));
  DC_set(r, j, dct * fg);
  D_set(r, j, 0.0);`,
  });
}

// ---- SRU --------------------------------------------------------------------------------------

/**
 * `steps` is a contiguous int32 view [2T]: the row offset of each step, then its batch size
 * (the backend uploads it from the host's `batchSizes`).
 */
export function sruSequence(
  rt: GpuRuntime,
  u: TensorView,
  x: TensorView | null,
  vc: TensorView,
  b: TensorView,
  c0: TensorView,
  steps: TensorView,
  T: number,
  reverse: boolean,
  h: TensorView,
  cN: TensorView,
  ws: TensorView | null,
): void {
  const op = 'sruSequence';
  const B = c0.shape[0]!;
  const H = c0.shape[1]!;
  const k = u.shape[1]! / H;
  if (k !== 3 && k !== 4) throw new RangeError(`${op}: u must have 3H or 4H columns, got ${u.shape[1]} (H = ${H})`);
  if ((k === 3) !== (x !== null)) throw new RangeError(`${op}: x must be given exactly when u has 3H columns`);
  checkRows(op, u, 'u', k * H, 0);
  checkRows(op, x, 'x', H, 0);
  checkVec(op, vc, 'vc', 2 * H);
  checkVec(op, b, 'b', 2 * H);
  checkRows(op, c0, 'c0', H, B);
  checkRows(op, h, 'h', H, 0);
  checkRows(op, cN, 'cN', H, B);
  checkRows(op, ws, 'ws', 3 * H, 0);
  runRows(rt, {
    name: 'fused.sruSequence',
    rows: B,
    cols: H,
    scalars: [H, T, reverse ? 1 : 0],
    operands: [
      { name: 'U', view: u },
      { name: 'Xh', view: x },
      { name: 'V', view: vc },
      { name: 'Bb', view: b },
      { name: 'C0', view: c0 },
      { name: 'ST', view: steps, dtype: 'int32' },
      { name: 'Ho', view: h, write: true },
      { name: 'CN', view: cN, write: true },
      { name: 'W', view: ws, write: true },
    ],
    body: (has) => `
  let H = S(0u);
  let T = S(1u);
  var c = C0(r, j);
  let vf = V(0, j);
  let vr = V(0, j + H);
  let bf = Bb(0, j);
  let br = Bb(0, j + H);
  for (var s = 0; s < T; s = s + 1) {
    var t = s;
    if (S(2u) != 0) { t = T - 1 - s; }
    if (r >= ST(0, T + t)) { continue; }
    let row = ST(0, t) + r;
    let cp = c;
    let xt = U(row, j);
    let f = sigm(U(row, j + H) + vf * cp + bf);
    let rg = sigm(U(row, j + 2 * H) + vr * cp + br);
    let cn = f * cp + (1.0 - f) * xt;
    let hw = ${has.Xh ? 'Xh(row, j)' : 'U(row, j + 3 * H)'};
    Ho_set(row, j, rg * cn + (1.0 - rg) * hw);
    c = cn;
    ${has.W ? 'W_set(row, j, f); W_set(row, j + H, rg); W_set(row, j + 2 * H, cp);' : ''}
  }
  CN_set(r, j, c);`,
  });
}

/**
 * Backward of `sruSequence` in one dispatch of one invocation per hidden unit: each walks
 * every sequence back through time, so the v and b gradients (sums over rows and steps)
 * need no atomics and come out in a fixed order.
 */
export function sruSequenceBackward(
  rt: GpuRuntime,
  dh: TensorView | null,
  dcN: TensorView | null,
  u: TensorView,
  x: TensorView | null,
  vc: TensorView,
  ws: TensorView,
  steps: TensorView,
  T: number,
  reverse: boolean,
  du: TensorView,
  dx: TensorView | null,
  dvc: TensorView,
  db: TensorView,
  dc0: TensorView,
): void {
  const op = 'sruSequenceBackward';
  const B = dc0.shape[0]!;
  const H = dc0.shape[1]!;
  const k = u.shape[1]! / H;
  checkRows(op, dh, 'dh', H, 0);
  checkRows(op, dcN, 'dcN', H, B);
  checkRows(op, u, 'u', k * H, 0);
  checkRows(op, x, 'x', H, 0);
  checkVec(op, vc, 'vc', 2 * H);
  checkRows(op, ws, 'ws', 3 * H, 0);
  checkRows(op, du, 'du', k * H, 0);
  checkRows(op, dx, 'dx', H, 0);
  checkVec(op, dvc, 'dvc', 2 * H);
  checkVec(op, db, 'db', 2 * H);
  checkRows(op, dc0, 'dc0', H, B);
  runRows(rt, {
    name: 'fused.sruSequenceBackward',
    rows: 1,
    cols: H,
    scalars: [H, T, reverse ? 1 : 0, B],
    operands: [
      { name: 'DH', view: dh },
      { name: 'DCN', view: dcN },
      { name: 'U', view: u },
      { name: 'Xh', view: x },
      { name: 'V', view: vc },
      { name: 'W', view: ws },
      { name: 'ST', view: steps, dtype: 'int32' },
      { name: 'DU', view: du, write: true },
      { name: 'DX', view: dx, write: true },
      { name: 'DV', view: dvc, write: true },
      { name: 'DB', view: db, write: true },
      { name: 'DC0', view: dc0, write: true },
    ],
    body: (has) => `
  let H = S(0u);
  let T = S(1u);
  let NB = S(3u);
  let vf = V(0, j);
  let vr = V(0, j + H);
  var dvf = 0.0;
  var dvr = 0.0;
  var dbf = 0.0;
  var dbr = 0.0;
  for (var q = 0; q < NB; q = q + 1) {
    var dcs = ${has.DCN ? 'DCN(q, j)' : '0.0'};
    for (var s = T - 1; s >= 0; s = s - 1) {
      var t = s;
      if (S(2u) != 0) { t = T - 1 - s; }
      if (q >= ST(0, T + t)) { continue; }
      let row = ST(0, t) + q;
      let f = W(row, j);
      let rg = W(row, j + H);
      let cp = W(row, j + 2 * H);
      let xt = U(row, j);
      let cn = f * cp + (1.0 - f) * xt;
      let hw = ${has.Xh ? 'Xh(row, j)' : 'U(row, j + 3 * H)'};
      let g = ${has.DH ? 'DH(row, j)' : '0.0'};
      let drPre = g * (cn - hw) * rg * (1.0 - rg);
      let dct = dcs + g * rg;
      let dfPre = dct * (cp - xt) * f * (1.0 - f);
      DU_set(row, j, dct * (1.0 - f));
      DU_set(row, j + H, dfPre);
      DU_set(row, j + 2 * H, drPre);
      ${has.DX ? 'DX_set(row, j, g * (1.0 - rg));' : 'DU_set(row, j + 3 * H, g * (1.0 - rg));'}
      dcs = dct * f + dfPre * vf + drPre * vr;
      dvf = dvf + dfPre * cp;
      dvr = dvr + drPre * cp;
      dbf = dbf + dfPre;
      dbr = dbr + drPre;
    }
    DC0_set(q, j, dcs);
  }
  DV_set(0, j, dvf);
  DV_set(0, j + H, dvr);
  DB_set(0, j, dbf);
  DB_set(0, j + H, dbr);`,
  });
}
