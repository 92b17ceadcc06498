/**
 * Wasm SIMD versions of the recurrent gate kernels: `gruCell`, `lstmCell` and their backward
 * steps (generated in ../wasm/recurrent-kernels.ts as part of the backend's kernel module, so
 * the worker threads can share a step's rows). Each call writes a small parameter block into
 * the heap and runs the kernel over the step's rows.
 *
 * They apply to float32 views in the heap whose rows are contiguous and whose hidden size is
 * a multiple of 4; `false` from a `wasm*` function means "use the TypeScript kernel". The
 * arithmetic is float32 (the TypeScript kernels use float64 per element).
 */
import type { TensorView } from '@torchlet/backend';
import { CpuBuffer } from '../buffer.js';
import { alignUp } from '../wasm/heap.js';
import { matmulScratchBytes, packedBFloats } from '../wasm/kernel-module.js';
import { SEQ_KIND } from '../wasm/recurrent-kernels.js';
import { wasmRuntime, type WasmRuntime } from '../wasm/runtime.js';

// ---- dispatch ---------------------------------------------------------------------------------

/** Elements of a step below which its rows stay on one thread. */
const PARALLEL_MIN = 4096;

/** Byte address of the view's first element and its byte row stride, or null if the kernel cannot read it. */
function rowsOf(rt: WasmRuntime, v: TensorView | null, cols: number): [number, number] | null {
  if (v === null) return [0, 0];
  const b = v.buffer;
  if (v.dtype !== 'float32' || !(b instanceof CpuBuffer) || b.runtime !== rt || b.freed) return null;
  if (v.shape.length === 1) return v.shape[0] === cols && (v.strides[0] === 1 || cols === 1) ? [b.ptr + v.offset * 4, 0] : null;
  if (v.shape.length !== 2 || v.shape[1] !== cols || (v.strides[1] !== 1 && cols > 1)) return null;
  return [b.ptr + v.offset * 4, v.strides[0]! * 4];
}

/** The runtime, when the Wasm kernels can take a step with `R` rows of hidden size `H`. */
function runtimeFor(R: number, H: number): WasmRuntime | null {
  if (H % 4 !== 0 || R === 0) return null;
  return wasmRuntime();
}

/** Runs kernel `name` with parameter block `words` over `R` rows (shared with the workers when large). */
function runRows(rt: WasmRuntime, name: string, words: readonly number[], R: number, H: number): void {
  rt.runBlock(name, words, R, rt.parallelism > 1 && R * H >= PARALLEL_MIN && R > 1 ? rt.parallelism : 1);
}

/** Pointer/stride pairs of every view, or null when one of them cannot be read by the kernels. */
function all(rt: WasmRuntime, specs: readonly [TensorView | null, number][]): [number, number][] | null {
  const out: [number, number][] = [];
  for (const [v, cols] of specs) {
    const p = rowsOf(rt, v, cols);
    if (p === null) return null;
    out.push(p);
  }
  return out;
}

export function wasmGruCell(
  gx: TensorView,
  gh: TensorView,
  bhh: TensorView | null,
  h: TensorView,
  hOut: TensorView,
  ws: TensorView | null,
  ghn: TensorView | null = null,
): boolean {
  const R = h.shape[0]!;
  const H = h.shape[1]!;
  const rt = runtimeFor(R, H);
  if (rt === null) return false;
  const a = all(rt, [[gx, 3 * H], [gh, (ghn ? 2 : 3) * H], [bhh, 3 * H], [h, H], [hOut, H], [ws, 4 * H], [ghn, H]]);
  if (a === null) return false;
  const [x, g, b, hh, o, w, gn] = a as [number, number][] as [[number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number]];
  runRows(rt, 'rnn_gru_fwd', [x[0], x[1], g[0], g[1], b[0], hh[0], hh[1], o[0], o[1], w[0], w[1], H, bhh ? 1 : 0, ws ? 1 : 0, gn[0], gn[1], ghn ? 1 : 0], R, H);
  return true;
}

export function wasmGruResetGate(gx: TensorView, gh: TensorView, bhr: TensorView | null, h: TensorView, rh: TensorView): boolean {
  const R = h.shape[0]!;
  const H = h.shape[1]!;
  const rt = runtimeFor(R, H);
  if (rt === null) return false;
  const a = all(rt, [[gx, H], [gh, H], [bhr, H], [h, H], [rh, H]]);
  if (a === null) return false;
  const [x, g, b, hh, o] = a as [number, number][];
  runRows(rt, 'rnn_gru_reset_fwd', [x![0], x![1], g![0], g![1], b![0], hh![0], hh![1], o![0], o![1], H, bhr ? 1 : 0], R, H);
  return true;
}

export function wasmLstmCell(
  gx: TensorView,
  gh: TensorView,
  bhh: TensorView | null,
  c: TensorView,
  cOut: TensorView,
  hOut: TensorView,
  ws: TensorView | null,
): boolean {
  const R = c.shape[0]!;
  const H = c.shape[1]!;
  const rt = runtimeFor(R, H);
  if (rt === null) return false;
  const a = all(rt, [[gx, 4 * H], [gh, 4 * H], [bhh, 4 * H], [c, H], [cOut, H], [hOut, H], [ws, 6 * H]]);
  if (a === null) return false;
  const [x, g, b, cc, co, ho, w] = a as [number, number][];
  runRows(rt, 'rnn_lstm_fwd', [x![0], x![1], g![0], g![1], b![0], cc![0], cc![1], co![0], co![1], ho![0], ho![1], w![0], w![1], H, bhh ? 1 : 0, ws ? 1 : 0], R, H);
  return true;
}

export function wasmGruCellBackward(
  dh: TensorView,
  dOut: TensorView | null,
  dhRec: TensorView | null,
  ws: TensorView,
  h: TensorView,
  dgx: TensorView,
  dgh: TensorView,
  resetAfter = true,
): boolean {
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  const rt = runtimeFor(R, H);
  if (rt === null) return false;
  const a = all(rt, [[dh, H], [dOut, H], [dhRec, H], [ws, 4 * H], [h, H], [dgx, 3 * H], [dgh, 3 * H]]);
  if (a === null) return false;
  const [d, o, r, w, hh, gx, gh] = a as [number, number][];
  const R2 = dhRec ? Math.min(R, dhRec.shape[0]!) : 0;
  runRows(rt, 'rnn_gru_bwd', [d![0], d![1], o![0], o![1], r![0], r![1], R2, w![0], w![1], hh![0], hh![1], gx![0], gx![1], gh![0], gh![1], H, dOut ? 1 : 0, resetAfter ? 1 : 0], R, H);
  return true;
}

export function wasmGruResetGateBackward(drh: TensorView, ws: TensorView, h: TensorView, dgx: TensorView, dgh: TensorView, dh: TensorView): boolean {
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  const rt = runtimeFor(R, H);
  if (rt === null) return false;
  const a = all(rt, [[drh, H], [ws, 4 * H], [h, H], [dgx, H], [dgh, H], [dh, H]]);
  if (a === null) return false;
  const [d, w, hh, gx, gh, o] = a as [number, number][];
  runRows(rt, 'rnn_gru_reset_bwd', [d![0], d![1], w![0], w![1], hh![0], hh![1], gx![0], gx![1], gh![0], gh![1], o![0], o![1], H], R, H);
  return true;
}

export function wasmLstmCellBackward(dh: TensorView, dOut: TensorView | null, dhRec: TensorView | null, dc: TensorView, ws: TensorView, dgates: TensorView): boolean {
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  const rt = runtimeFor(R, H);
  if (rt === null) return false;
  const a = all(rt, [[dh, H], [dOut, H], [dhRec, H], [dc, H], [ws, 6 * H], [dgates, 4 * H]]);
  if (a === null) return false;
  const [d, o, r, cc, w, g] = a as [number, number][];
  const R2 = dhRec ? Math.min(R, dhRec.shape[0]!) : 0;
  runRows(rt, 'rnn_lstm_bwd', [d![0], d![1], o![0], o![1], r![0], r![1], R2, cc![0], cc![1], w![0], w![1], g![0], g![1], H, dOut ? 1 : 0], R, H);
  return true;
}

// ---- whole sequences: one job per step ---------------------------------------------------------

/** Multiply-adds of a step below which it stays on one thread. */
const SEQ_PARALLEL_MIN = 1 << 16;

/** Hidden-column blocks (multiples of 8) for `p` threads. */
function columnBlocks(H: number, p: number): [number, number][] {
  const chunk = Math.max(8, Math.ceil(H / p / 8) * 8);
  const blocks: [number, number][] = [];
  for (let j0 = 0; j0 < H; j0 += chunk) blocks.push([j0, Math.min(H, j0 + chunk)]);
  return blocks;
}

/** Heap blocks for one sequence call, freed together. */
class Scratch {
  readonly #blocks: number[] = [];
  constructor(readonly rt: WasmRuntime) {}
  alloc(bytes: number): number {
    const p = this.rt.heap.alloc(bytes + 64, false);
    if (p < 0) throw new Error('cpu backend: the Wasm heap is full');
    this.#blocks.push(p);
    return alignUp(p, 64);
  }
  free(): void {
    for (const p of this.#blocks) this.rt.heap.free(p);
  }
}

/** Packs K×N B (byte strides rsB, csB) into `dst` with the matmul's panel layout, shared between threads. */
function packB(rt: WasmRuntime, b: number, dst: number, K: number, N: number, rsB: number, csB: number, p: number): void {
  const NR = rt.geometry.NR;
  const panels = Math.ceil(N / NR);
  const per = Math.ceil(panels / p);
  const tasks: number[][] = [];
  for (let j = 0; j < panels; j += per) tasks.push([b, dst, K, N, rsB, csB, j * NR, Math.min(panels, j + per) * NR]);
  rt.run('mm_packb', tasks, p > 1);
}

interface SeqSetup {
  rt: WasmRuntime;
  H: number;
  B: number;
  p: number;
  blocks: [number, number][];
  scratch: Scratch;
  work: number;
}

function seqSetup(rt: WasmRuntime, B: number, H: number, G: number): SeqSetup {
  const p = rt.parallelism > 1 && B * G * H * H >= SEQ_PARALLEL_MIN ? rt.parallelism : 1;
  const blocks = columnBlocks(H, p);
  const scratch = new Scratch(rt);
  const work = scratch.alloc(matmulScratchBytes(rt.geometry) * rt.parallelism);
  return { rt, H, B, p, blocks, scratch, work };
}

/** Copies `n` floats between heap addresses. */
function heapCopy(rt: WasmRuntime, dst: number, src: number, n: number): void {
  const f = new Float32Array(rt.heap.memory.buffer);
  f.copyWithin(dst / 4, src / 4, src / 4 + n);
}

/**
 * Copies the [B, H] rows at `src` (byte row stride srs) to `dst` (stride drs).
 */
function copyRows(rt: WasmRuntime, dst: number, drs: number, src: number, srs: number, B: number, H: number): void {
  if (drs === srs && srs === H * 4) return heapCopy(rt, dst, src, B * H);
  for (let r = 0; r < B; r++) heapCopy(rt, dst + r * drs, src + r * srs, H);
}

/**
 * The time loop of an unpacked GRU/LSTM layer-direction in one call (every step has the same
 * batch B; no projection): per step the recurrent matmul with W_hh packed once for the whole
 * sequence, and the gate kernel, as one job that the threads share by hidden columns.
 * `gx` [T·B, G·H] (step t's rows at t·B), `whh` [G·H, H], `bhh` [G·H] or null; `hState` [B, H]
 * in/out (h0 → h_T), `cState` [B, H] in/out for LSTM (else null); writes `out` [T·B, H] and,
 * when given, `ws` (the gate kernels' workspace) and `hPrev` [T·B, H] (each step's previous
 * state). Equal to running `gruCell`/`lstmCell` step by step. A reset-before GRU
 * (`resetAfter` false) runs each step as two jobs: gates r and z with the reset gate, then
 * gate n from r ⊙ h with the GRU kernel. Returns false, having done nothing, when it cannot
 * take the call (callers then loop over the cell kernels).
 */
export function wasmRecurrentForward(
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
  resetAfter = true,
): boolean {
  const B = hState.shape[0]!;
  const H = hState.shape[1]!;
  const G = mode === 'gru' ? 3 : 4;
  const GH = G * H;
  const rb = mode === 'gru' && !resetAfter;
  if (H % 8 !== 0 || B === 0 || steps === 0 || (mode === 'lstm') !== (cState !== null)) return false;
  if (whh.shape.length !== 2 || whh.shape[0] !== GH || whh.shape[1] !== H) return false;
  const rt = wasmRuntime();
  if (rt === null) return false;
  const a = all(rt, [[gx, GH], [bhh, GH], [hState, H], [cState, H], [out, H], [ws, (mode === 'gru' ? 4 : 6) * H], [hPrev, H], [whh, H]]);
  if (a === null) return false;
  const [x, b, hs, cs, o, w, hp] = a as [number, number][] as [number, number][];
  const wb = (whh.buffer as CpuBuffer).ptr + whh.offset * 4;
  const s = seqSetup(rt, B, H, G);
  try {
    const bp = s.scratch.alloc(packedBFloats(rt.geometry, H, GH) * 4);
    const gh = s.scratch.alloc(B * GH * 4);
    const gate = s.scratch.alloc(64 * 4);
    const seq = s.scratch.alloc(64 * 4);
    const rh = rb ? s.scratch.alloc(B * H * 4) : 0;
    const gateR = rb ? s.scratch.alloc(64 * 4) : 0;
    const seqR = rb ? s.scratch.alloc(64 * 4) : 0;
    // B = W_hhᵀ (K = H, N = G·H)
    packB(rt, wb, bp, H, GH, whh.strides[1]! * 4, whh.strides[0]! * 4, s.p);
    const words = new Int32Array(rt.heap.memory.buffer);
    const jobs = (params: number): number[][] => s.blocks.map(([j0, j1]) => [params, j0, j1]);
    let prev = hs![0];
    let prevRs = hs![1];
    for (let k = 0; k < steps; k++) {
      const t = reverse ? steps - 1 - k : k;
      const row = t * B;
      const xo = x![0] + row * x![1];
      const oo = o![0] + row * o![1];
      const wo = ws ? w![0] + row * w![1] : 0;
      const hasB = bhh ? 1 : 0;
      if (hPrev) copyRows(rt, hp![0] + row * hp![1], hp![1], prev, prevRs, B, H);
      if (rb) {
        // gates r, z from h, then rh = r ⊙ h (all columns ready after the job's barrier)
        words.set([xo, x![1], gh, GH * 4, b![0], prev, prevRs, rh, H * 4, H, hasB], gateR / 4);
        words.set([gateR, SEQ_KIND.gruReset, prev, prevRs, B, H, bp, GH, gh, s.work, 0, 2, H], seqR / 4);
        rt.run('rnn_seq_fwd', jobs(seqR), s.p > 1);
      }
      const gw =
        mode === 'gru'
          ? [xo, x![1], gh, GH * 4, b![0], prev, prevRs, oo, o![1], wo, w![1], H, hasB, ws ? 1 : 0, gh + 2 * H * 4, GH * 4, rb ? 1 : 0]
          : [xo, x![1], gh, GH * 4, b![0], cs![0], cs![1], cs![0], cs![1], oo, o![1], wo, w![1], H, hasB, ws ? 1 : 0];
      words.set(gw, gate / 4);
      const kind = mode === 'lstm' ? SEQ_KIND.lstm : SEQ_KIND.gru;
      // reset-before: gate n's product takes rh as its left operand
      words.set(rb ? [gate, kind, rh, H * 4, B, H, bp, GH, gh, s.work, 2, 3, H] : [gate, kind, prev, prevRs, B, H, bp, GH, gh, s.work, 0, G, H], seq / 4);
      rt.run('rnn_seq_fwd', jobs(seq), s.p > 1);
      prev = oo;
      prevRs = o![1];
    }
    copyRows(rt, hs![0], hs![1], prev, prevRs, B, H);
  } finally {
    s.scratch.free();
  }
  return true;
}

/**
 * Backward of `wasmRecurrentForward`: `dOut` [T·B, H] or null, `dhState` [B, H] in/out (∂L/∂h_T →
 * ∂L/∂h0), `dcState` [B, H] in/out for LSTM, `ws` and (GRU) `hPrev` from the forward. Writes
 * `dgx` [T·B, G·H] and (GRU) `dgh` (for LSTM pass `dgx` again), as `gruCellBackward` /
 * `lstmCellBackward` step by step with ∂L/∂h_{t−1} += dgh_t W_hh (reset-before GRU: the r, z
 * blocks through W_hh's first 2H rows; the n block through W_hn into ∂L/∂(r ⊙ h), finished
 * by `gruResetGateBackward`). False when it cannot take the call.
 */
export function wasmRecurrentBackward(
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
  resetAfter = true,
): boolean {
  const B = dhState.shape[0]!;
  const H = dhState.shape[1]!;
  const G = mode === 'gru' ? 3 : 4;
  const GH = G * H;
  const rb = mode === 'gru' && !resetAfter;
  if (H % 8 !== 0 || B === 0 || steps === 0 || (mode === 'lstm') !== (dcState !== null) || (mode === 'gru') !== (hPrev !== null)) return false;
  if (whh.shape.length !== 2 || whh.shape[0] !== GH || whh.shape[1] !== H) return false;
  const rt = wasmRuntime();
  if (rt === null) return false;
  const a = all(rt, [[dOut, H], [dhState, H], [dcState, H], [ws, (mode === 'gru' ? 4 : 6) * H], [hPrev, H], [dgx, GH], [dgh, GH], [whh, H]]);
  if (a === null) return false;
  const [dO, dh, dc, w, hp, gx, gh] = a as [number, number][] as [number, number][];
  const wb = (whh.buffer as CpuBuffer).ptr + whh.offset * 4;
  const s = seqSetup(rt, B, H, G);
  try {
    // B = W_hh (K = G·H, N = H); reset-before: its r, z rows (K = 2H) and W_hn (K = H) apart
    const K = rb ? 2 * H : GH;
    const bp = s.scratch.alloc(packedBFloats(rt.geometry, K, H) * 4);
    const rec = s.scratch.alloc(B * H * 4);
    const gate = s.scratch.alloc(64 * 4);
    const seq = s.scratch.alloc(64 * 4);
    const bpN = rb ? s.scratch.alloc(packedBFloats(rt.geometry, H, H) * 4) : 0;
    const drh = rb ? s.scratch.alloc(B * H * 4) : 0;
    const gateR = rb ? s.scratch.alloc(64 * 4) : 0;
    const seqR = rb ? s.scratch.alloc(64 * 4) : 0;
    packB(rt, wb, bp, K, H, whh.strides[0]! * 4, whh.strides[1]! * 4, s.p);
    if (rb) packB(rt, wb + 2 * H * whh.strides[0]! * 4, bpN, H, H, whh.strides[0]! * 4, whh.strides[1]! * 4, s.p);
    const words = new Int32Array(rt.heap.memory.buffer);
    const jobs = (params: number): number[][] => s.blocks.map(([j0, j1]) => [params, j0, j1]);
    let prevGh = 0;
    for (let k = steps - 1; k >= 0; k--) {
      const t = reverse ? steps - 1 - k : k;
      const row = t * B;
      const hasRec = k < steps - 1 ? 1 : 0;
      const doPtr = dOut ? dO![0] + row * dO![1] : 0;
      const wRow = w![0] + row * w![1];
      const gxRow = gx![0] + row * gx![1];
      const ghRow = gh![0] + row * gh![1];
      const gw =
        mode === 'gru'
          ? [dh![0], dh![1], doPtr, dO![1], rec, H * 4, hasRec ? B : 0, wRow, w![1], hp![0] + row * hp![1], hp![1], gxRow, gx![1], ghRow, gh![1], H, dOut ? 1 : 0, rb ? 0 : 1]
          : [dh![0], dh![1], doPtr, dO![1], rec, H * 4, hasRec ? B : 0, dc![0], dc![1], wRow, w![1], gxRow, gx![1], H, dOut ? 1 : 0];
      words.set(gw, gate / 4);
      words.set([gate, mode === 'lstm' ? SEQ_KIND.lstm : SEQ_KIND.gru, hasRec, prevGh, gh![1], B, K, bp, H, rec, s.work, B], seq / 4);
      rt.run('rnn_seq_bwd', jobs(seq), s.p > 1);
      if (rb) {
        // drh = dgh_n W_hn (every column of dgh_n is ready after the barrier), then the r blocks and dh += drh ⊙ r
        words.set([drh, H * 4, wRow, w![1], hp![0] + row * hp![1], hp![1], gxRow, gx![1], ghRow, gh![1], dh![0], dh![1], H], gateR / 4);
        words.set([gateR, SEQ_KIND.gruReset, 1, ghRow + 2 * H * 4, gh![1], B, H, bpN, H, drh, s.work, B], seqR / 4);
        rt.run('rnn_seq_bwd', jobs(seqR), s.p > 1);
      }
      prevGh = ghRow;
    }
    // ∂L/∂h0 += dgh(first step) · W_hh
    rt.run('mm_compute', s.blocks.map(([j0, j1]) => [prevGh, bp, rec, H, K, gh![1], 4, 0, B, s.work, j0, j1]), s.p > 1);
    const f = new Float32Array(rt.heap.memory.buffer);
    for (let r = 0; r < B; r++) {
      const d = (dh![0] + r * dh![1]) / 4;
      const q = rec / 4 + r * H;
      for (let j = 0; j < H; j++) f[d + j]! += f[q + j]!;
    }
  } finally {
    s.scratch.free();
  }
  return true;
}
