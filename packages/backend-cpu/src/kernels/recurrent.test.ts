import type { TensorView } from '@torchlet/backend';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { getNumThreads, setNumThreads } from '../wasm/runtime.js';
import { recurrentBackward, recurrentForward } from './recurrent.js';
import { be, rng, values } from '../../test/helpers.js';

const js = new CpuBackend({ kernels: 'js' });

function view(backend: CpuBackend, shape: number[], data: ArrayLike<number>): TensorView {
  const buffer = backend.alloc('float32', data.length);
  for (let i = 0; i < data.length; i++) buffer.data[i] = data[i]!;
  const strides = shape.length === 2 ? [shape[1]!, 1] : [1];
  return { buffer, dtype: 'float32', shape, strides, offset: 0 };
}

function random(n: number, gen: () => number): number[] {
  return Array.from({ length: n }, () => gen() * 4 - 2);
}

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

describe('fused recurrent cells', () => {
  const R = 3;
  const H = 8;
  const gen = rng(7);
  const gx = random(R * 3 * H, gen);
  const gh = random(R * 3 * H, gen);
  const b = random(3 * H, gen);
  const h = random(R * H, gen);

  it('gruCell follows PyTorch equations (r, z, n; r applied to W_hn h + b_hn), in Wasm and TypeScript alike', () => {
    const want: number[] = [];
    for (let r = 0; r < R; r++) {
      for (let j = 0; j < H; j++) {
        const at = (a: number[], g: number): number => a[r * 3 * H + g * H + j]!;
        const rg = sig(at(gx, 0) + at(gh, 0) + b[j]!);
        const z = sig(at(gx, 1) + at(gh, 1) + b[H + j]!);
        const n = Math.tanh(at(gx, 2) + rg * (at(gh, 2) + b[2 * H + j]!));
        want.push((1 - z) * n + z * h[r * H + j]!);
      }
    }
    for (const backend of [be, js]) {
      const hv = view(backend, [R, H], h);
      const ws = view(backend, [R, 4 * H], new Float32Array(R * 4 * H));
      // hOut aliases h: the step updates the state in place
      backend.fused.gruCell!(view(backend, [R, 3 * H], gx), view(backend, [R, 3 * H], gh), view(backend, [3 * H], b), hv, hv, ws);
      values(hv).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    }
  });

  it('lstmCell: Wasm and TypeScript kernels agree, workspace included', () => {
    const g2 = rng(9);
    const x4 = random(R * 4 * H, g2);
    const h4 = random(R * 4 * H, g2);
    const b4 = random(4 * H, g2);
    const c = random(R * H, g2);
    const outs = [be, js].map((backend) => {
      const cv = view(backend, [R, H], c);
      const ho = view(backend, [R, H], new Float32Array(R * H));
      const ws = view(backend, [R, 6 * H], new Float32Array(R * 6 * H));
      backend.fused.lstmCell!(view(backend, [R, 4 * H], x4), view(backend, [R, 4 * H], h4), view(backend, [4 * H], b4), cv, cv, ho, ws);
      return [...values(cv), ...values(ho), ...values(ws)];
    });
    outs[0]!.forEach((v, i) => expect(v).toBeCloseTo(outs[1]![i]!, 5));
    // c' = f c + i g for row 0, unit 0
    const i0 = sig(x4[0]! + h4[0]! + b4[0]!);
    const f0 = sig(x4[H]! + h4[H]! + b4[H]!);
    const g0 = Math.tanh(x4[2 * H]! + h4[2 * H]! + b4[2 * H]!);
    expect(outs[1]![0]).toBeCloseTo(f0 * c[0]! + i0 * g0, 5);
  });

  it('gruCellBackward adds dOut and the first rows of dhRec, and leaves dh ⊙ z as the direct gradient', () => {
    const ws = view(js, [R, 4 * H], new Float32Array(R * 4 * H));
    const hv = view(js, [R, H], h);
    js.fused.gruCell!(view(js, [R, 3 * H], gx), view(js, [R, 3 * H], gh), null, hv, view(js, [R, H], new Float32Array(R * H)), ws);
    const dh = view(js, [R, H], new Float32Array(R * H).fill(1));
    const dOut = view(js, [R, H], new Float32Array(R * H).fill(0.5));
    const dhRec = view(js, [1, H], new Float32Array(H).fill(2)); // only row 0 had a successor step
    const dgx = view(js, [R, 3 * H], new Float32Array(R * 3 * H));
    const dgh = view(js, [R, 3 * H], new Float32Array(R * 3 * H));
    js.fused.gruCellBackward!(dh, dOut, dhRec, ws, hv, dgx, dgh);
    const w = values(ws);
    const out = values(dh);
    for (let r = 0; r < R; r++) {
      const g = 1 + 0.5 + (r === 0 ? 2 : 0);
      for (let j = 0; j < H; j++) expect(out[r * H + j]).toBeCloseTo(g * w[r * 4 * H + H + j]!, 5);
    }
  });

  it('the backward steps: Wasm and TypeScript kernels agree (dOut, partial dhRec; 1 and 2 threads)', () => {
    // Big enough for the Wasm kernels to share rows between threads.
    const RB = 33;
    const HB = 128;
    const g3 = rng(11);
    const rand = (n: number): Float32Array => Float32Array.from(random(n, g3));
    const gxB = rand(RB * 4 * HB);
    const ghB = rand(RB * 4 * HB);
    const hB = rand(RB * HB);
    const dhB = rand(RB * HB);
    const dOutB = rand(RB * HB);
    const recB = rand(20 * HB);
    const dcB = rand(RB * HB);
    const saved = getNumThreads();
    try {
      for (const threads of [1, 2]) {
        setNumThreads(threads);
        be.waitForThreads();
        const outs = [be, js].map((backend) => {
          const v = (shape: number[], d: ArrayLike<number>): TensorView => view(backend, shape, d);
          // GRU
          const hv = v([RB, HB], hB);
          const wsG = v([RB, 4 * HB], new Float32Array(RB * 4 * HB));
          backend.fused.gruCell!(v([RB, 3 * HB], gxB.subarray(0, RB * 3 * HB)), v([RB, 3 * HB], ghB.subarray(0, RB * 3 * HB)), null, hv, v([RB, HB], new Float32Array(RB * HB)), wsG);
          const dh = v([RB, HB], dhB);
          const dgx = v([RB, 3 * HB], new Float32Array(RB * 3 * HB));
          const dgh = v([RB, 3 * HB], new Float32Array(RB * 3 * HB));
          backend.fused.gruCellBackward!(dh, v([RB, HB], dOutB), v([20, HB], recB), wsG, hv, dgx, dgh);
          // LSTM
          const wsL = v([RB, 6 * HB], new Float32Array(RB * 6 * HB));
          const cv = v([RB, HB], hB);
          backend.fused.lstmCell!(v([RB, 4 * HB], gxB), v([RB, 4 * HB], ghB), null, cv, cv, v([RB, HB], new Float32Array(RB * HB)), wsL);
          const dh2 = v([RB, HB], dhB);
          const dc = v([RB, HB], dcB);
          const dg = v([RB, 4 * HB], new Float32Array(RB * 4 * HB));
          backend.fused.lstmCellBackward!(dh2, null, v([20, HB], recB), dc, wsL, dg);
          return [...values(dh), ...values(dgx), ...values(dgh), ...values(dh2), ...values(dc), ...values(dg)];
        });
        let worst = 0;
        outs[0]!.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - outs[1]![i]!) / (1 + Math.abs(outs[1]![i]!)))));
        expect(worst).toBeLessThan(1e-5);
      }
    } finally {
      setNumThreads(saved);
    }
  });

  it('the reset-before GRU step kernels: Wasm and TypeScript agree (1 and 2 threads), and follow Cho et al.', () => {
    const RB = 33;
    const HB = 128;
    const g5 = rng(13);
    const rand = (n: number): Float32Array => Float32Array.from(random(n, g5));
    const d = { gx: rand(RB * 3 * HB), gh: rand(RB * 2 * HB), ghn: rand(RB * HB), b: rand(3 * HB), h: rand(RB * HB), dh: rand(RB * HB), dOut: rand(RB * HB), rec: rand(20 * HB), drh: rand(RB * HB) };
    const cols = (v: TensorView, start: number, count: number): TensorView => ({ ...v, shape: [v.shape[0]!, count], offset: v.offset + start * v.strides[1]! });
    const saved = getNumThreads();
    try {
      for (const threads of [1, 2]) {
        setNumThreads(threads);
        be.waitForThreads();
        const outs = [be, js].map((backend) => {
          const v = (shape: number[], x: ArrayLike<number>): TensorView => view(backend, shape, x);
          const gx = v([RB, 3 * HB], d.gx);
          const gh = v([RB, 2 * HB], d.gh);
          const b = v([3 * HB], d.b);
          const h = v([RB, HB], d.h);
          const rh = v([RB, HB], new Float32Array(RB * HB));
          backend.fused.gruResetGate!(cols(gx, 0, HB), cols(gh, 0, HB), { ...b, shape: [HB] }, h, rh);
          const out = v([RB, HB], new Float32Array(RB * HB));
          const ws = v([RB, 4 * HB], new Float32Array(RB * 4 * HB));
          backend.fused.gruCell!(gx, gh, b, h, out, ws, v([RB, HB], d.ghn));
          const dh = v([RB, HB], d.dh);
          const dgx = v([RB, 3 * HB], new Float32Array(RB * 3 * HB));
          const dgh = v([RB, 3 * HB], new Float32Array(RB * 3 * HB));
          backend.fused.gruCellBackward!(dh, v([RB, HB], d.dOut), v([20, HB], d.rec), ws, h, dgx, dgh, false);
          backend.fused.gruResetGateBackward!(v([RB, HB], d.drh), ws, h, cols(dgx, 0, HB), cols(dgh, 0, HB), dh);
          return [...values(rh), ...values(out), ...values(ws), ...values(dh), ...values(dgx), ...values(dgh)];
        });
        let worst = 0;
        outs[0]!.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - outs[1]![i]!) / (1 + Math.abs(outs[1]![i]!)))));
        expect(worst).toBeLessThan(1e-5);
        // row 0, unit 0 by hand: rh = r h, n = tanh(gx_n + ghn + b_n), ws's last block r h
        const [rh0, out0] = [outs[1]![0]!, outs[1]![RB * HB]!];
        const r = sig(d.gx[0]! + d.gh[0]! + d.b[0]!);
        const z = sig(d.gx[HB]! + d.gh[HB]! + d.b[HB]!);
        const n = Math.tanh(d.gx[2 * HB]! + d.ghn[0]! + d.b[2 * HB]!);
        expect(rh0).toBeCloseTo(r * d.h[0]!, 5);
        expect(out0).toBeCloseTo((1 - z) * n + z * d.h[0]!, 5);
        expect(outs[1]![2 * RB * HB + 3 * HB]).toBeCloseTo(r * d.h[0]!, 5);
      }
    } finally {
      setNumThreads(saved);
    }
  });

  describe('whole layers (recurrentForward / recurrentBackward) equal the step-by-step loop', () => {
    const T = 5;
    const B = 3;
    const HS = 128; // large enough for the threads to split the hidden columns
    const rows = (v: TensorView, start: number, count: number): TensorView => ({
      ...v,
      shape: [count, v.shape[1]!],
      offset: v.offset + start * v.strides[0]!,
    });
    const tr = (v: TensorView): TensorView => ({ ...v, shape: [v.shape[1]!, v.shape[0]!], strides: [v.strides[1]!, v.strides[0]!] });

    const cols = (v: TensorView, start: number, count: number): TensorView => ({ ...v, shape: [v.shape[0]!, count], offset: v.offset + start * v.strides[1]! });
    for (const variant of ['gru', 'gru, resetAfter false', 'lstm'] as const) {
      const mode = variant === 'lstm' ? 'lstm' : 'gru';
      const rb = variant === 'gru, resetAfter false';
      for (const reverse of [false, true]) {
        for (const threads of [1, 2]) {
          it(`${variant}${reverse ? ', reverse' : ''}, ${threads} thread(s)`, () => {
            const G = mode === 'gru' ? 3 : 4;
            const GH = G * HS;
            const WSC = (mode === 'gru' ? 4 : 6) * HS;
            const g4 = rng(21);
            const d = {
              gx: random(T * B * GH, g4),
              whh: random(GH * HS, g4).map((x) => x / 4),
              bhh: random(GH, g4),
              h0: random(B * HS, g4),
              c0: random(B * HS, g4),
              dOut: random(T * B * HS, g4),
              dhN: random(B * HS, g4),
              dcN: random(B * HS, g4),
            };
            const saved = getNumThreads();
            setNumThreads(threads);
            be.waitForThreads();
            try {
              // Step by step on the backend itself (per-step kernels and matmuls), as nn's loop does.
              const ref = (() => {
                const v = (shape: number[], x: ArrayLike<number>): TensorView => view(be, shape, x);
                const gx = v([T * B, GH], d.gx);
                const whh = v([GH, HS], d.whh);
                const bhh = v([GH], d.bhh);
                const h = v([B, HS], d.h0);
                const c = v([B, HS], d.c0);
                const out = v([T * B, HS], new Float32Array(T * B * HS));
                const ws = v([T * B, WSC], new Float32Array(T * B * WSC));
                const hPrev = v([T * B, HS], new Float32Array(T * B * HS));
                const gh = v([B, GH], new Float32Array(B * GH));
                // reset-before: W_rz and W_hn, r ⊙ h and W_hn (r ⊙ h)
                const wRz = rows(whh, 0, 2 * HS);
                const wN = rows(whh, 2 * HS, HS);
                const ghRz = v([B, 2 * HS], new Float32Array(B * 2 * HS));
                const rh = v([B, HS], new Float32Array(B * HS));
                const ghn = v([B, HS], new Float32Array(B * HS));
                for (let s = 0; s < T; s++) {
                  const t = reverse ? T - 1 - s : s;
                  be.assign(rows(hPrev, t * B, B), h);
                  if (rb) {
                    be.matmul(h, tr(wRz), ghRz);
                    be.fused.gruResetGate!(cols(rows(gx, t * B, B), 0, HS), cols(ghRz, 0, HS), { ...bhh, shape: [HS] }, h, rh);
                    be.matmul(rh, tr(wN), ghn);
                    be.fused.gruCell!(rows(gx, t * B, B), ghRz, bhh, h, rows(out, t * B, B), rows(ws, t * B, B), ghn);
                  } else {
                    be.matmul(h, tr(whh), gh);
                    if (mode === 'gru') be.fused.gruCell!(rows(gx, t * B, B), gh, bhh, h, rows(out, t * B, B), rows(ws, t * B, B));
                    else be.fused.lstmCell!(rows(gx, t * B, B), gh, bhh, c, c, rows(out, t * B, B), rows(ws, t * B, B));
                  }
                  be.assign(h, rows(out, t * B, B));
                }
                const dh = v([B, HS], d.dhN);
                const dc = v([B, HS], d.dcN);
                const dOut = v([T * B, HS], d.dOut);
                const dgx = v([T * B, GH], new Float32Array(T * B * GH));
                const dgh = mode === 'gru' ? v([T * B, GH], new Float32Array(T * B * GH)) : dgx;
                const rec = v([B, HS], new Float32Array(B * HS));
                const drh = v([B, HS], new Float32Array(B * HS));
                for (let s = T - 1; s >= 0; s--) {
                  const t = reverse ? T - 1 - s : s;
                  const dr = s < T - 1 ? rec : null;
                  const [wsT, hpT, dgxT, dghT] = [rows(ws, t * B, B), rows(hPrev, t * B, B), rows(dgx, t * B, B), rows(dgh, t * B, B)];
                  if (mode === 'gru') be.fused.gruCellBackward!(dh, rows(dOut, t * B, B), dr, wsT, hpT, dgxT, dghT, !rb);
                  else be.fused.lstmCellBackward!(dh, rows(dOut, t * B, B), dr, dc, wsT, dgxT);
                  if (rb) {
                    be.matmul(cols(dghT, 2 * HS, HS), wN, drh);
                    be.fused.gruResetGateBackward!(drh, wsT, hpT, cols(dgxT, 0, HS), cols(dghT, 0, HS), dh);
                    be.matmul(cols(dghT, 0, 2 * HS), wRz, rec);
                  } else be.matmul(dghT, whh, rec);
                }
                be.binary('add', dh, rec, dh);
                return [out, h, c, ws, hPrev, dh, dc, dgx, dgh].map(values);
              })();
              const got = (() => {
                const v = (shape: number[], x: ArrayLike<number>): TensorView => view(be, shape, x);
                const gx = v([T * B, GH], d.gx);
                const whh = v([GH, HS], d.whh);
                const h = v([B, HS], d.h0);
                const c = mode === 'lstm' ? v([B, HS], d.c0) : null;
                const out = v([T * B, HS], new Float32Array(T * B * HS));
                const ws = v([T * B, WSC], new Float32Array(T * B * WSC));
                const hPrev = v([T * B, HS], new Float32Array(T * B * HS));
                expect(recurrentForward(mode, gx, whh, v([GH], d.bhh), T, reverse, h, c, out, ws, hPrev, !rb)).toBe(true);
                const dh = v([B, HS], d.dhN);
                const dc = mode === 'lstm' ? v([B, HS], d.dcN) : null;
                const dgx = v([T * B, GH], new Float32Array(T * B * GH));
                const dgh = mode === 'gru' ? v([T * B, GH], new Float32Array(T * B * GH)) : dgx;
                expect(recurrentBackward(mode, whh, T, reverse, v([T * B, HS], d.dOut), dh, dc, ws, mode === 'gru' ? hPrev : null, dgx, dgh, !rb)).toBe(true);
                return [out, h, c ?? v([B, HS], d.c0), ws, hPrev, dh, dc ?? v([B, HS], d.dcN), dgx, dgh].map(values);
              })();
              got.forEach((arr, k) => arr.forEach((x, i) => expect(x).toBeCloseTo(ref[k]![i]!, 4)));
            } finally {
              setNumThreads(saved);
            }
          });
        }
      }
    }

    it('are the backend\'s fused kernels, and decline what they do not cover (TypeScript kernels, hidden size not a multiple of 8)', () => {
      expect((be.fused as Record<string, unknown>)['recurrentForward']).toBe(recurrentForward);
      expect((be.fused as Record<string, unknown>)['recurrentBackward']).toBe(recurrentBackward);
      const v = (b: CpuBackend, shape: number[]): TensorView => view(b, shape, new Float32Array(shape.reduce((x, y) => x * y, 1)));
      expect(recurrentForward('gru', v(js, [2, 24]), v(js, [24, 8]), null, 1, false, v(js, [2, 8]), null, v(js, [2, 8]), null, null)).toBe(false);
      expect(recurrentForward('gru', v(be, [2, 12]), v(be, [12, 4]), null, 1, false, v(be, [2, 4]), null, v(be, [2, 4]), null, null)).toBe(false);
    });
  });
});
