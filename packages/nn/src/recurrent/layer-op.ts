/**
 * The recurrent time loop of one layer and direction as ONE registered op (`recurrentLayer`)
 * with its own derivative (backpropagation through time), instead of thousands of tiny
 * recorded nodes.
 *
 * The caller computes the input projection of every timestep with one matmul
 * (`gx = x W_ihᵀ + b_ih`, autograd-differentiated as usual) and passes it here in packed
 * layout: the rows of step t are consecutive, `batchSizes[t]` of them (an unpacked [T, B, ·]
 * sequence is the packed layout with every batch size B). Each step then runs
 *
 * - one recurrent matmul `h W_hhᵀ` (a backend `matmul` call), and
 * - one fused gate kernel (`backend.fused.gruCell` / `lstmCell`), or the same arithmetic
 *   composed from tensor ops where the backend has no fused kernel.
 *
 * A reset-before GRU (`resetAfter: false`, Cho et al. 2014 / Keras `reset_after=False`) needs r
 * before gate n's product, so its step is two of each: `h W_rzᵀ`, the reset gate
 * (`gruResetGate`: r ⊙ h), `(r ⊙ h) W_hnᵀ`, then `gruCell` with that product as `ghn`. Its
 * workspace keeps r ⊙ h in place of gh_n + b_n (W_hn's weight gradient needs it).
 *
 * Backward walks the steps in reverse with the fused backward step (or its composed
 * equivalent) and one matmul per step for the recurrent gradient; the weight gradients are
 * one matmul each over all steps at the end.
 *
 * Inputs: `[gx (N, G·H), h0 (B, P), w_hh (G·H, P), b_hh? (G·H), c0? (B, H), w_hr? (P, H)]`
 * (optional ones present per attrs), P = projection size or H.
 * Outputs: `[out (N, P), hN (B, P), cN (B, H) | [0], ws, hPrev (N, P), hTilde (N, H) | [0]]`;
 * the last three are saved for backward (empty when `saveForBackward` is false).
 *
 * Double backward through this op is not supported (as with PyTorch's cuDNN RNN).
 */
import { defineDerivatives, isGradEnabled, noGrad, type BackwardContext } from '@torchlet/autograd';
import type { Backend, TensorView } from '@torchlet/backend';
import {
  RuntimeError,
  add,
  allocTensor,
  copy_,
  gt,
  mul,
  registerOp,
  relu,
  sub,
  sigmoid,
  square,
  sum,
  tanh,
  viewOf,
  where,
  type Tensor,
} from '@torchlet/tensor';

export type RecurrentMode = 'rnn_tanh' | 'rnn_relu' | 'gru' | 'lstm';

declare module '@torchlet/backend' {
  interface FusedKernels {
    /**
     * The whole time loop of an unpacked GRU/LSTM layer-direction (every step has batch B, no
     * projection) in one call, equal to the per-step `gruCell`/`lstmCell` loop below: `gx`
     * [T·B, G·H], `whh` [G·H, H], `bhh` or null; `hState` [B, H] in/out (h0 → h_T), `cState`
     * [B, H] in/out (LSTM, else null); writes `out` [T·B, H] and, when given, `ws` and `hPrev`
     * [T·B, H]. Returns false, having done nothing, when it cannot take the call.
     */
    recurrentForward(
      mode: 'gru' | 'lstm',
      gx: TensorView,
      whh: TensorView,
      bhh: TensorView | null,
      steps: number,
      reverse: boolean,
      hState: TensorView,
      cState: TensorView | null,
      out: TensorView,
      ws: TensorView | null,
      hPrev: TensorView | null,
      resetAfter?: boolean,
    ): boolean;
    /**
     * Backward of `recurrentForward`, equal to the per-step backward loop below: `dOut` [T·B, H]
     * or null, `dhState` [B, H] in/out (∂L/∂h_T → ∂L/∂h0), `dcState` in/out (LSTM), `hPrev`
     * (GRU, else null); writes `dgx` and `dgh` (LSTM: the same view). False when it cannot.
     * `resetAfter` false: the reset-before GRU (see `gruCell`'s `ghn`).
     */
    recurrentBackward(
      mode: 'gru' | 'lstm',
      whh: TensorView,
      steps: number,
      reverse: boolean,
      dOut: TensorView | null,
      dhState: TensorView,
      dcState: TensorView | null,
      ws: TensorView,
      hPrev: TensorView | null,
      dgx: TensorView,
      dgh: TensorView,
      resetAfter?: boolean,
    ): boolean;
  }
}

export interface RecurrentLayerAttrs {
  readonly mode: RecurrentMode;
  /** Active sequences per step (non-increasing), host data. */
  readonly batchSizes: readonly number[];
  /** Run the steps from last to first (the `_reverse` direction). */
  readonly reverse: boolean;
  readonly hasBias: boolean;
  /** LSTM with `projSize` (input `w_hr` present). */
  readonly hasProj: boolean;
  /** Keep the workspace backward needs (false under noGrad or when nothing requires grad). */
  readonly saveForBackward: boolean;
  /** GRU only: false for the reset-before form (r multiplies h before W_hn). Default true. */
  readonly resetAfter?: boolean;
}

/** Gates per mode: rows of W_ih / W_hh are G·H. */
export const GATES: Record<RecurrentMode, number> = { rnn_tanh: 1, rnn_relu: 1, gru: 3, lstm: 4 };
/** Workspace columns per row, in units of H. */
const WS: Record<RecurrentMode, number> = { rnn_tanh: 1, rnn_relu: 1, gru: 4, lstm: 6 };

/** Input positions for the optional inputs. */
export function inputIndex(attrs: RecurrentLayerAttrs): { bhh: number; c0: number; whr: number } {
  let k = 3;
  const bhh = attrs.hasBias ? k++ : -1;
  const c0 = attrs.mode === 'lstm' ? k++ : -1;
  const whr = attrs.hasProj ? k : -1;
  return { bhh, c0, whr };
}

export function stepOffsets(batchSizes: readonly number[]): number[] {
  const offsets = new Array<number>(batchSizes.length);
  let o = 0;
  for (let t = 0; t < batchSizes.length; t++) {
    offsets[t] = o;
    o += batchSizes[t]!;
  }
  return offsets;
}

// ---- small helpers on contiguous buffers ------------------------------------------------------

/** Rows [start, start + count) of a contiguous 2-D tensor, as a new view (dispose it). */
function rows(t: Tensor, start: number, count: number): Tensor {
  const cols = t.shape[1]!;
  return viewOf(t, [count, cols], [cols, 1], t.offset + start * cols);
}

/** Rows [start, start + count) of a 2-D view of any strides. */
function rowRange(t: Tensor, start: number, count: number): Tensor {
  return viewOf(t, [count, t.shape[1]!], t.strides, t.offset + start * t.strides[0]!);
}

/** Columns [start, start + count) of a 2-D view. */
function cols(t: Tensor, start: number, count: number): Tensor {
  return viewOf(t, [t.shape[0]!, count], t.strides, t.offset + start * t.strides[1]!);
}

/** The transpose of a 2-D view (no copy). */
function tview(t: Tensor): TensorView {
  const v = t.kernelView;
  return { buffer: v.buffer, dtype: v.dtype, shape: [v.shape[1]!, v.shape[0]!], strides: [v.strides[1]!, v.strides[0]!], offset: v.offset };
}

function mm(backend: Backend, a: TensorView, b: TensorView, out: Tensor): void {
  backend.matmul(a, b, out.kernelView);
}

function assign(dst: Tensor, src: Tensor): void {
  dst.backend.assign(dst.kernelView, src.kernelView);
}

/** dst ← dst + src (dst a view of an internal buffer), composed without aliasing the output. */
function addInto(dst: Tensor, src: Tensor): void {
  const s = add(dst, src);
  assign(dst, s);
  s.dispose();
}

function empty0(like: Tensor): Tensor {
  return allocTensor([0], like.dtype, like.device);
}

// ---- composed (fallback) steps: the fused kernels' semantics in tensor ops -------------------

function bias(b: Tensor | null, start: number, count: number): Tensor | null {
  return b ? viewOf(b, [count], [b.strides[0]!], b.offset + start * b.strides[0]!) : null;
}

/** Disposes everything created in `fn` except nothing: the composed steps only write into views. */
function scoped(fn: (track: <T extends Tensor>(t: T) => T) => void): void {
  const made: Tensor[] = [];
  try {
    fn((t) => {
      made.push(t);
      return t;
    });
  } finally {
    for (const t of made) t.dispose();
  }
}

/** One GRU step; with `ghn` (reset-before) gh is [R, 2H] and ghn = W_hn (r ⊙ h). */
function gruStepComposed(gx: Tensor, gh: Tensor, bhh: Tensor | null, h: Tensor, hOut: Tensor, ws: Tensor | null, ghn: Tensor | null = null): void {
  const H = h.shape[1]!;
  scoped((k) => {
    const part = (t: Tensor, g: number): Tensor => k(cols(t, g * H, H));
    const withB = (t: Tensor, g: number): Tensor => {
      const b = bias(bhh, g * H, H);
      if (!b) return part(t, g);
      k(b);
      return k(add(part(t, g), b));
    };
    const r = k(sigmoid(k(add(part(gx, 0), withB(gh, 0)))));
    const z = k(sigmoid(k(add(part(gx, 1), withB(gh, 1)))));
    let nPre: Tensor;
    let last: Tensor;
    if (ghn) {
      const b = bias(bhh, 2 * H, H);
      nPre = k(add(part(gx, 2), b ? k(add(ghn, k(b))) : ghn));
      last = k(mul(r, h));
    } else {
      last = withB(gh, 2);
      nPre = k(add(part(gx, 2), k(mul(r, last))));
    }
    const n = k(tanh(nPre));
    // h' = (1 − z) n + z h = n + z (h − n)
    const hNew = k(add(n, k(mul(z, k(add(h, k(mul(n, -1))))))));
    if (ws) {
      copy_(k(cols(ws, 0, H)), r);
      copy_(k(cols(ws, H, H)), z);
      copy_(k(cols(ws, 2 * H, H)), n);
      copy_(k(cols(ws, 3 * H, H)), last);
    }
    copy_(hOut, hNew);
  });
}

/** The reset-before GRU's reset gate: rh = σ(gx_r + gh_r + b_r) ⊙ h (r blocks given). */
function gruResetGateComposed(gx: Tensor, gh: Tensor, bhr: Tensor | null, h: Tensor, rh: Tensor): void {
  scoped((k) => {
    let a = k(add(gx, gh));
    if (bhr) a = k(add(a, bhr));
    copy_(rh, k(mul(k(sigmoid(a)), h)));
  });
}

function gruStepBackwardComposed(dh: Tensor, dOut: Tensor | null, dhRec: Tensor | null, ws: Tensor, h: Tensor, dgx: Tensor, dgh: Tensor, resetAfter = true): void {
  const H = dh.shape[1]!;
  scoped((k) => {
    const g = totalGrad(dh, dOut, dhRec, k);
    const r = k(cols(ws, 0, H));
    const z = k(cols(ws, H, H));
    const n = k(cols(ws, 2 * H, H));
    const dnPre = k(mul(k(mul(g, k(sub(1, z)))), k(sub(1, k(square(n))))));
    const dzPre = k(mul(k(mul(g, k(add(h, k(mul(n, -1)))))), k(mul(z, k(sub(1, z))))));
    copy_(k(cols(dgx, H, H)), dzPre);
    copy_(k(cols(dgx, 2 * H, H)), dnPre);
    copy_(k(cols(dgh, H, H)), dzPre);
    if (resetAfter) {
      const ghn = k(cols(ws, 3 * H, H));
      const drPre = k(mul(k(mul(dnPre, ghn)), k(mul(r, k(sub(1, r))))));
      copy_(k(cols(dgx, 0, H)), drPre);
      copy_(k(cols(dgh, 0, H)), drPre);
      copy_(k(cols(dgh, 2 * H, H)), k(mul(dnPre, r)));
    } else copy_(k(cols(dgh, 2 * H, H)), dnPre);
    copy_(dh, k(mul(g, z)));
  });
}

/** The r part of a reset-before GRU backward step from drh = ∂L/∂(r ⊙ h); dh += drh ⊙ r. */
function gruResetGateBackwardComposed(drh: Tensor, ws: Tensor, h: Tensor, dgx: Tensor, dgh: Tensor, dh: Tensor): void {
  const H = dh.shape[1]!;
  scoped((k) => {
    const r = k(cols(ws, 0, H));
    const drPre = k(mul(k(mul(drh, h)), k(mul(r, k(sub(1, r))))));
    copy_(dgx, drPre);
    copy_(dgh, drPre);
    copy_(dh, k(add(dh, k(mul(drh, r)))));
  });
}

function lstmStepComposed(gx: Tensor, gh: Tensor, bhh: Tensor | null, c: Tensor, cOut: Tensor, hOut: Tensor, ws: Tensor | null): void {
  const H = c.shape[1]!;
  scoped((k) => {
    let pre = k(add(gx, gh));
    if (bhh) pre = k(add(pre, bhh));
    const i = k(sigmoid(k(cols(pre, 0, H))));
    const f = k(sigmoid(k(cols(pre, H, H))));
    const g = k(tanh(k(cols(pre, 2 * H, H))));
    const o = k(sigmoid(k(cols(pre, 3 * H, H))));
    const cNew = k(add(k(mul(f, c)), k(mul(i, g))));
    const tc = k(tanh(cNew));
    if (ws) {
      copy_(k(cols(ws, 0, H)), i);
      copy_(k(cols(ws, H, H)), f);
      copy_(k(cols(ws, 2 * H, H)), g);
      copy_(k(cols(ws, 3 * H, H)), o);
      copy_(k(cols(ws, 4 * H, H)), c);
      copy_(k(cols(ws, 5 * H, H)), tc);
    }
    copy_(hOut, k(mul(o, tc)));
    copy_(cOut, cNew);
  });
}

function lstmStepBackwardComposed(dh: Tensor, dOut: Tensor | null, dhRec: Tensor | null, dc: Tensor, ws: Tensor, dgates: Tensor): void {
  const H = dh.shape[1]!;
  scoped((k) => {
    const g = totalGrad(dh, dOut, dhRec, k);
    const i = k(cols(ws, 0, H));
    const f = k(cols(ws, H, H));
    const gg = k(cols(ws, 2 * H, H));
    const o = k(cols(ws, 3 * H, H));
    const cp = k(cols(ws, 4 * H, H));
    const tc = k(cols(ws, 5 * H, H));
    const dct = k(add(dc, k(mul(k(mul(g, o)), k(sub(1, k(square(tc))))))));
    const dsig = (y: Tensor): Tensor => k(mul(y, k(sub(1, y))));
    copy_(k(cols(dgates, 0, H)), k(mul(k(mul(dct, gg)), dsig(i))));
    copy_(k(cols(dgates, H, H)), k(mul(k(mul(dct, cp)), dsig(f))));
    copy_(k(cols(dgates, 2 * H, H)), k(mul(k(mul(dct, i)), k(sub(1, k(square(gg)))))));
    copy_(k(cols(dgates, 3 * H, H)), k(mul(k(mul(g, tc)), dsig(o))));
    copy_(dc, k(mul(dct, f)));
    dh.backend.fill(dh.kernelView, 0);
  });
}

/** dh + dOut + (first rows of) dhRec, as a new tensor registered with `k`. */
function totalGrad(dh: Tensor, dOut: Tensor | null, dhRec: Tensor | null, k: <T extends Tensor>(t: T) => T): Tensor {
  let g = dh;
  if (dOut) g = k(add(g, dOut));
  if (dhRec && dhRec.shape[0]! > 0) {
    const R2 = Math.min(dhRec.shape[0]!, dh.shape[0]!);
    const full = k(allocTensor(dh.shape, dh.dtype, dh.device));
    dh.backend.fill(full.kernelView, 0);
    assign(k(rows(full, 0, R2)), k(rows(dhRec, 0, R2)));
    g = k(add(g, full));
  }
  return g === dh ? k(add(dh, 0)) : g;
}

function rnnStep(mode: RecurrentMode, gx: Tensor, gh: Tensor, bhh: Tensor | null, hOut: Tensor, ws: Tensor | null): void {
  scoped((k) => {
    let pre = k(add(gx, gh));
    if (bhh) pre = k(add(pre, bhh));
    const y = k(mode === 'rnn_tanh' ? tanh(pre) : relu(pre));
    copy_(hOut, y);
    if (ws) copy_(ws, y);
  });
}

function rnnStepBackward(mode: RecurrentMode, dh: Tensor, dOut: Tensor | null, dhRec: Tensor | null, ws: Tensor, dgates: Tensor): void {
  scoped((k) => {
    const g = totalGrad(dh, dOut, dhRec, k);
    const d = mode === 'rnn_tanh' ? k(mul(g, k(sub(1, k(square(ws)))))) : k(where(k(gt(ws, 0)), g, 0));
    copy_(dgates, d);
    dh.backend.fill(dh.kernelView, 0);
  });
}

// ---- the op -----------------------------------------------------------------------------------

function forward(inputs: readonly Tensor[], attrs: RecurrentLayerAttrs): Tensor[] {
  const { mode, batchSizes, reverse, saveForBackward: save } = attrs;
  const idx = inputIndex(attrs);
  const gx = inputs[0]!;
  const h0 = inputs[1]!;
  const whh = inputs[2]!;
  const bhh = idx.bhh >= 0 ? inputs[idx.bhh]! : null;
  const c0 = idx.c0 >= 0 ? inputs[idx.c0]! : null;
  const whr = idx.whr >= 0 ? inputs[idx.whr]! : null;
  const backend = gx.backend;
  const { dtype, device } = gx;
  const N = gx.shape[0]!;
  const B = h0.shape[0]!;
  const P = h0.shape[1]!;
  const GH = whh.shape[0]!;
  const H = GH / GATES[mode];
  const fused = backend.fused;
  // reset-before GRU: the step's second matmul needs r ⊙ h first
  const rb = mode === 'gru' && attrs.resetAfter === false;
  const useGru = mode === 'gru' && fused.gruCell !== undefined && (!rb || fused.gruResetGate !== undefined);
  const useLstm = mode === 'lstm' && fused.lstmCell !== undefined;

  const out = allocTensor([N, P], dtype, device);
  const hState = allocTensor([B, P], dtype, device);
  assign(hState, h0);
  let cState: Tensor | null = null;
  if (c0) {
    cState = allocTensor([B, H], dtype, device);
    assign(cState, c0);
  }
  const ws = save ? allocTensor([N, WS[mode] * H], dtype, device) : empty0(gx);
  const hPrev = save ? allocTensor([N, P], dtype, device) : empty0(gx);
  const hTilde = whr ? allocTensor([N, H], dtype, device) : empty0(gx);
  const gh = allocTensor([B, rb ? 2 * H : GH], dtype, device);
  const whhT = tview(whh);
  const whrT = whr ? tview(whr) : null;
  // reset-before: W_rzᵀ and W_hnᵀ, and the step's r ⊙ h and W_hn (r ⊙ h)
  const wRz = rb ? rowRange(whh, 0, 2 * H) : null;
  const wN = rb ? rowRange(whh, 2 * H, H) : null;
  const rh = rb ? allocTensor([B, H], dtype, device) : null;
  const ghn = rb ? allocTensor([B, H], dtype, device) : null;
  const offsets = stepOffsets(batchSizes);
  const T = batchSizes.length;
  // Every sequence active at every step (unpacked input): each step reads its state straight
  // from the previous step's output rows, and the final state and the saved previous states
  // are copied once after the loop, so a step is just the recurrent matmul and the gate kernel.
  const uniform = batchSizes.every((b) => b === B);
  // The whole loop in one backend call where it can (W_hh packed once, one job per step).
  const whole =
    uniform &&
    (mode === 'gru' || mode === 'lstm') &&
    !whr &&
    fused.recurrentForward !== undefined &&
    fused.recurrentForward(mode, gx.kernelView, whh.kernelView, bhh?.kernelView ?? null, T, reverse, hState.kernelView, cState?.kernelView ?? null, out.kernelView, save ? ws.kernelView : null, save ? hPrev.kernelView : null, !rb);
  let prevOut: Tensor | null = null;
  try {
    for (let s = 0; s < T && !whole; s++) {
      const t = reverse ? T - 1 - s : s;
      const R = batchSizes[t]!;
      const off = offsets[t]!;
      const views: Tensor[] = [];
      const v = <X extends Tensor>(x: X): X => {
        views.push(x);
        return x;
      };
      try {
        const hRows = uniform && prevOut ? prevOut : v(rows(hState, 0, R));
        if (save && !uniform) assign(v(rows(hPrev, off, R)), hRows);
        const ghRows = v(rows(gh, 0, R));
        mm(backend, hRows.kernelView, rb ? tview(wRz!) : whhT, ghRows);
        const gxRows = v(rows(gx, off, R));
        const outRows = v(rows(out, off, R));
        const wsRows = save ? v(rows(ws, off, R)) : null;
        if (mode === 'gru') {
          let ghnRows: Tensor | null = null;
          if (rb) {
            const rhRows = v(rows(rh!, 0, R));
            const [gxr, ghr] = [v(cols(gxRows, 0, H)), v(cols(ghRows, 0, H))];
            const bhr = bhh ? v(bias(bhh, 0, H)!) : null;
            if (useGru) fused.gruResetGate!(gxr.kernelView, ghr.kernelView, bhr?.kernelView ?? null, hRows.kernelView, rhRows.kernelView);
            else gruResetGateComposed(gxr, ghr, bhr, hRows, rhRows);
            ghnRows = v(rows(ghn!, 0, R));
            mm(backend, rhRows.kernelView, tview(wN!), ghnRows);
          }
          if (useGru) {
            fused.gruCell!(gxRows.kernelView, ghRows.kernelView, bhh?.kernelView ?? null, hRows.kernelView, outRows.kernelView, wsRows?.kernelView ?? null, ghnRows?.kernelView ?? null);
          } else gruStepComposed(gxRows, ghRows, bhh, hRows, outRows, wsRows, ghnRows);
        } else if (mode === 'lstm') {
          const cRows = v(rows(cState!, 0, R));
          const hOut = whr ? v(rows(hTilde, off, R)) : outRows;
          if (useLstm) {
            fused.lstmCell!(gxRows.kernelView, ghRows.kernelView, bhh?.kernelView ?? null, cRows.kernelView, cRows.kernelView, hOut.kernelView, wsRows?.kernelView ?? null);
          } else lstmStepComposed(gxRows, ghRows, bhh, cRows, cRows, hOut, wsRows);
          if (whrT) mm(backend, hOut.kernelView, whrT, outRows);
        } else {
          rnnStep(mode, gxRows, ghRows, bhh, outRows, wsRows);
        }
        if (uniform) {
          prevOut?.dispose();
          prevOut = rows(out, off, R);
        } else assign(hRows, outRows);
      } finally {
        for (const x of views) x.dispose();
      }
    }
    if (uniform && prevOut) {
      assign(hState, prevOut);
      if (save) {
        // hPrev at step t is h0 for the first step processed, else the output of the step before.
        const first = rows(hPrev, reverse ? N - B : 0, B);
        assign(first, h0);
        first.dispose();
        if (N > B) {
          const dst = rows(hPrev, reverse ? 0 : B, N - B);
          const src = rows(out, reverse ? B : 0, N - B);
          assign(dst, src);
          dst.dispose();
          src.dispose();
        }
      }
    }
  } finally {
    prevOut?.dispose();
    gh.dispose();
    for (const t of [wRz, wN, rh, ghn]) t?.dispose();
  }
  return [out, hState, cState ?? empty0(gx), ws, hPrev, hTilde];
}

/** Under `createGraph` the backward would have to be differentiable itself: refuse, like PyTorch's cuDNN RNN. */
export function refuseDoubleBackward(op: string): void {
  if (isGradEnabled()) {
    throw new RuntimeError(`${op}: double backward (createGraph) is not supported; its backward is a fused backpropagation through time`);
  }
}

function backward(ctx: BackwardContext<RecurrentLayerAttrs>, grads: readonly (Tensor | null)[]): (Tensor | null)[] {
  refuseDoubleBackward('recurrentLayer');
  return noGrad(() => backwardImpl(ctx, grads));
}

function backwardImpl(ctx: BackwardContext<RecurrentLayerAttrs>, grads: readonly (Tensor | null)[]): (Tensor | null)[] {
  const attrs = ctx.attrs;
  const { mode, batchSizes, reverse } = attrs;
  const idx = inputIndex(attrs);
  const whh = ctx.input(2);
  const whr = idx.whr >= 0 ? ctx.input(idx.whr) : null;
  const ws = ctx.output(3);
  const hPrev = ctx.output(4);
  const hTilde = whr ? ctx.output(5) : null;
  if (ws.numel() === 0 && ctx.outputInfo(0).shape[0]! > 0) {
    throw new Error('recurrentLayer: the forward ran without saving its workspace (saveForBackward: false)');
  }
  const gxInfo = ctx.inputInfo(0);
  const { dtype, device } = gxInfo;
  const N = gxInfo.shape[0]!;
  const GH = gxInfo.shape[1]!;
  const H = GH / GATES[mode];
  const B = ctx.inputInfo(1).shape[0]!;
  const P = ctx.inputInfo(1).shape[1]!;
  const backend = ws.backend;
  const fused = backend.fused;
  const dOut = grads[0] ?? null;
  const dhN = grads[1] ?? null;
  const dcN = grads[2] ?? null;
  const rb = mode === 'gru' && attrs.resetAfter === false;

  const contiguousCopy = (g: Tensor | null, shape: readonly number[]): Tensor => {
    const t = allocTensor(shape, dtype, device);
    if (g) backend.assign(t.kernelView, g.kernelView);
    else backend.fill(t.kernelView, 0);
    return t;
  };
  const dOutC = dOut ? contiguousCopy(dOut, [N, P]) : null;
  const dhState = contiguousCopy(dhN, [B, P]);
  const dcState = mode === 'lstm' ? contiguousCopy(dcN, [B, H]) : null;
  const dgx = allocTensor([N, GH], dtype, device);
  const dgh = mode === 'gru' ? allocTensor([N, GH], dtype, device) : dgx;
  const dhTot = whr ? allocTensor([N, P], dtype, device) : null;
  const dhTilde = whr ? allocTensor([B, H], dtype, device) : null;
  const rec = allocTensor([B, P], dtype, device);
  let recRows = 0;
  // reset-before: ∂L/∂h_{t−1} gets dgh_rz W_rz through the matmul and drh ⊙ r from the reset gate's backward
  const wRz = rb ? rowRange(whh, 0, 2 * H) : null;
  const wN = rb ? rowRange(whh, 2 * H, H) : null;
  const drh = rb ? allocTensor([B, H], dtype, device) : null;
  const whhV = wRz ? wRz.kernelView : whh.kernelView;
  const whrV = whr ? whr.kernelView : null;
  const offsets = stepOffsets(batchSizes);
  const T = batchSizes.length;
  const useGru = mode === 'gru' && fused.gruCellBackward !== undefined && (!rb || fused.gruResetGateBackward !== undefined);
  const useLstm = mode === 'lstm' && fused.lstmCellBackward !== undefined;
  const whole =
    (mode === 'gru' || mode === 'lstm') &&
    !whr &&
    batchSizes.every((b) => b === B) &&
    fused.recurrentBackward !== undefined &&
    fused.recurrentBackward(mode, whh.kernelView, T, reverse, dOutC?.kernelView ?? null, dhState.kernelView, dcState?.kernelView ?? null, ws.kernelView, mode === 'gru' ? hPrev.kernelView : null, dgx.kernelView, dgh.kernelView, !rb);
  try {
    for (let s = T - 1; s >= 0 && !whole; s--) {
      const t = reverse ? T - 1 - s : s;
      const R = batchSizes[t]!;
      const off = offsets[t]!;
      const views: Tensor[] = [];
      const v = <X extends Tensor>(x: X): X => {
        views.push(x);
        return x;
      };
      try {
        if (recRows > R) {
          // Sequences that entered at the step just processed (reverse direction, packed): their
          // recurrent gradient is the gradient of their initial state.
          addInto(v(rows(dhState, R, recRows - R)), v(rows(rec, R, recRows - R)));
          recRows = R;
        }
        const dh = v(rows(dhState, 0, R));
        const dO = dOutC ? v(rows(dOutC, off, R)) : null;
        const dr = recRows > 0 ? v(rows(rec, 0, recRows)) : null;
        const wsRows = v(rows(ws, off, R));
        const dgxRows = v(rows(dgx, off, R));
        const dghRows = dgh === dgx ? dgxRows : v(rows(dgh, off, R));
        if (mode === 'gru') {
          const hp = v(rows(hPrev, off, R));
          if (useGru) {
            fused.gruCellBackward!(dh.kernelView, dO?.kernelView ?? null, dr?.kernelView ?? null, wsRows.kernelView, hp.kernelView, dgxRows.kernelView, dghRows.kernelView, !rb);
          } else gruStepBackwardComposed(dh, dO, dr, wsRows, hp, dgxRows, dghRows, !rb);
          if (rb) {
            const drhRows = v(rows(drh!, 0, R));
            mm(backend, v(cols(dghRows, 2 * H, H)).kernelView, wN!.kernelView, drhRows);
            const [dgxr, dghr] = [v(cols(dgxRows, 0, H)), v(cols(dghRows, 0, H))];
            if (useGru) fused.gruResetGateBackward!(drhRows.kernelView, wsRows.kernelView, hp.kernelView, dgxr.kernelView, dghr.kernelView, dh.kernelView);
            else gruResetGateBackwardComposed(drhRows, wsRows, hp, dgxr, dghr, dh);
          }
        } else if (mode === 'lstm') {
          const dc = v(rows(dcState!, 0, R));
          if (whr) {
            // ∂L/∂h (projected) in full, kept for ∂W_hr; then ∂L/∂h̃ = that @ W_hr.
            const tot = v(rows(dhTot!, off, R));
            scoped((k) => assign(tot, totalGrad(dh, dO, dr, k)));
            backend.fill(dh.kernelView, 0);
            const dht = v(rows(dhTilde!, 0, R));
            mm(backend, tot.kernelView, whrV!, dht);
            if (useLstm) fused.lstmCellBackward!(dht.kernelView, null, null, dc.kernelView, wsRows.kernelView, dgxRows.kernelView);
            else lstmStepBackwardComposed(dht, null, null, dc, wsRows, dgxRows);
          } else if (useLstm) {
            fused.lstmCellBackward!(dh.kernelView, dO?.kernelView ?? null, dr?.kernelView ?? null, dc.kernelView, wsRows.kernelView, dgxRows.kernelView);
          } else lstmStepBackwardComposed(dh, dO, dr, dc, wsRows, dgxRows);
        } else {
          rnnStepBackward(mode, dh, dO, dr, wsRows, dgxRows);
        }
        // The recurrent gradient for the previous step: ∂L/∂h_{t−1} += dgh W_hh (reset-before: the r, z blocks).
        mm(backend, (rb ? v(cols(dghRows, 0, 2 * H)) : dghRows).kernelView, whhV, v(rows(rec, 0, R)));
        recRows = R;
      } finally {
        for (const x of views) x.dispose();
      }
    }
    if (recRows > 0) {
      const a = rows(dhState, 0, recRows);
      const b = rows(rec, 0, recRows);
      addInto(a, b);
      a.dispose();
      b.dispose();
    }
    const result: (Tensor | null)[] = new Array(ctx.numInputs).fill(null);
    result[0] = dgx;
    result[1] = dhState;
    if (ctx.needsInputGrad(2)) {
      const dW = allocTensor([GH, P], dtype, device);
      if (rb) {
        // W_rz from the previous states, W_hn from r ⊙ h (the workspace's last block)
        const parts = [rows(dW, 0, 2 * H), cols(dgh, 0, 2 * H), rows(dW, 2 * H, H), cols(dgh, 2 * H, H), cols(ws, 3 * H, H)];
        mm(backend, tview(parts[1]!), hPrev.kernelView, parts[0]!);
        mm(backend, tview(parts[3]!), parts[4]!.kernelView, parts[2]!);
        for (const t of parts) t.dispose();
      } else mm(backend, tview(dgh), hPrev.kernelView, dW);
      result[2] = dW;
    }
    if (idx.bhh >= 0 && ctx.needsInputGrad(idx.bhh)) result[idx.bhh] = sum(dgh, 0);
    if (idx.c0 >= 0) result[idx.c0] = dcState;
    if (whr && ctx.needsInputGrad(idx.whr)) {
      const dWr = allocTensor([P, H], dtype, device);
      mm(backend, tview(dhTot!), hTilde!.kernelView, dWr);
      result[idx.whr] = dWr;
    }
    return result;
  } finally {
    rec.dispose();
    for (const t of [wRz, wN, drh]) t?.dispose();
    dOutC?.dispose();
    if (dgh !== dgx) dgh.dispose();
    dhTot?.dispose();
    dhTilde?.dispose();
  }
}

export const recurrentLayerOp = registerOp<RecurrentLayerAttrs>({
  name: 'recurrentLayer',
  kind: 'primitive',
  differentiable: true,
  forward,
});

defineDerivatives({
  recurrentLayer: {
    name: 'RecurrentLayerBackward0',
    save: (_needs, attrs: RecurrentLayerAttrs) => {
      const idx = inputIndex(attrs);
      return { inputs: idx.whr >= 0 ? [2, idx.whr] : [2], outputs: [3, 4, 5] };
    },
    // the workspace, previous states and projections are for the backward only
    differentiableOutputs: [true, true, true, false, false, false],
    backward,
  },
});

// Re-exported for the cells' tests of the composed steps.
export const composedSteps = {
  gruStepComposed,
  gruStepBackwardComposed,
  gruResetGateComposed,
  gruResetGateBackwardComposed,
  lstmStepComposed,
  lstmStepBackwardComposed,
};
