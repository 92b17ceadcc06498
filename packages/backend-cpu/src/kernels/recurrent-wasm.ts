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

/** Writes `words` into a fresh parameter block, runs kernel `name` over `R` rows (shared with the workers when large), frees it. */
function runRows(rt: WasmRuntime, name: string, words: readonly number[], R: number, H: number): void {
  const params = rt.heap.alloc(words.length * 4, false);
  if (params < 0) throw new Error('cpu backend: the Wasm heap is full');
  try {
    new Int32Array(rt.heap.memory.buffer, params, words.length).set(words);
    const p = rt.parallelism > 1 && R * H >= PARALLEL_MIN && R > 1 ? Math.min(rt.parallelism, R) : 1;
    const chunk = Math.ceil(R / p);
    const tasks: number[][] = [];
    for (let r0 = 0; r0 < R; r0 += chunk) tasks.push([params, r0, Math.min(R, r0 + chunk)]);
    rt.run(name, tasks, p > 1);
  } finally {
    rt.heap.free(params);
  }
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

export function wasmGruCell(gx: TensorView, gh: TensorView, bhh: TensorView | null, h: TensorView, hOut: TensorView, ws: TensorView | null): boolean {
  const R = h.shape[0]!;
  const H = h.shape[1]!;
  const rt = runtimeFor(R, H);
  if (rt === null) return false;
  const a = all(rt, [[gx, 3 * H], [gh, 3 * H], [bhh, 3 * H], [h, H], [hOut, H], [ws, 4 * H]]);
  if (a === null) return false;
  const [x, g, b, hh, o, w] = a as [number, number][] as [[number, number], [number, number], [number, number], [number, number], [number, number], [number, number]];
  runRows(rt, 'rnn_gru_fwd', [x[0], x[1], g[0], g[1], b[0], hh[0], hh[1], o[0], o[1], w[0], w[1], H, bhh ? 1 : 0, ws ? 1 : 0], R, H);
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
): boolean {
  const R = dh.shape[0]!;
  const H = dh.shape[1]!;
  const rt = runtimeFor(R, H);
  if (rt === null) return false;
  const a = all(rt, [[dh, H], [dOut, H], [dhRec, H], [ws, 4 * H], [h, H], [dgx, 3 * H], [dgh, 3 * H]]);
  if (a === null) return false;
  const [d, o, r, w, hh, gx, gh] = a as [number, number][];
  const R2 = dhRec ? Math.min(R, dhRec.shape[0]!) : 0;
  runRows(rt, 'rnn_gru_bwd', [d![0], d![1], o![0], o![1], r![0], r![1], R2, w![0], w![1], hh![0], hh![1], gx![0], gx![1], gh![0], gh![1], H, dOut ? 1 : 0], R, H);
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
