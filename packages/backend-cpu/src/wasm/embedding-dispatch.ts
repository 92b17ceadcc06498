/**
 * Routes `embeddingBag`, `embeddingBagBackwardSparse` and `addRows` to the Wasm kernels of
 * ./embedding-kernels.ts when every view lives in the heap, the floats are float32 and rows
 * are contiguous; otherwise (and for float64) the TypeScript kernels of
 * ../kernels/embedding-bag.ts run. Both check their arguments through the same functions.
 */
import type { TensorView } from '@torchlet/backend';
import { CpuBuffer } from '../buffer.js';
import * as ts from '../kernels/embedding-bag.js';
import { EMBEDDING_BAG } from './embedding-kernels.js';
import type { WasmRuntime } from './runtime.js';

/** Floats moved below which a job stays on one thread. */
const PARALLEL_MIN = 1 << 15;
const ADD_ROWS_PARALLEL_MIN = 1 << 19;

/** Byte address of the view's first element, or -1 when it is not a live view in this heap. */
function ptrOf(rt: WasmRuntime, v: TensorView, dtype: 'float32' | 'int32'): number {
  const b = v.buffer;
  if (v.dtype !== dtype || !(b instanceof CpuBuffer) || b.runtime !== rt || b.freed) return -1;
  return b.ptr + v.offset * 4;
}

/** Byte row stride of a float32 [rows, D] view with contiguous rows, or -1. */
function rowStride(v: TensorView): number {
  return v.strides[1] === 1 || v.shape[1]! <= 1 ? v.strides[0]! * 4 : -1;
}

/** Threads for a job moving `work` floats. */
function parts(rt: WasmRuntime, work: number): number {
  return rt.parallelism > 1 && work >= PARALLEL_MIN ? rt.parallelism : 1;
}

/** The parameter block of `eb_fwd` / `eb_bwd`, or null when a view is out of the kernels' reach. */
function bagParams(
  rt: WasmRuntime,
  src: TensorView,
  indices: TensorView,
  offsets: TensorView,
  perSampleWeights: TensorView | null,
  dst: TensorView,
  mode: 'sum' | 'mean',
  paddingIdx: number,
): number[] | null {
  const ps = ptrOf(rt, src, 'float32');
  const pd = ptrOf(rt, dst, 'float32');
  const pi = ptrOf(rt, indices, 'int32');
  const po = ptrOf(rt, offsets, 'int32');
  const pw = perSampleWeights === null ? 0 : ptrOf(rt, perSampleWeights, 'float32');
  const srs = rowStride(src);
  const drs = rowStride(dst);
  if (ps < 0 || pd < 0 || pi < 0 || po < 0 || pw < 0 || srs < 0 || drs < 0) return null;
  const fields: Record<(typeof EMBEDDING_BAG)[number], number> = {
    src: ps,
    srs,
    idx: pi,
    off: po,
    T: indices.shape[0]!,
    B: offsets.shape[0]!,
    pw,
    pws: perSampleWeights === null ? 0 : (perSampleWeights.strides[0] ?? 1) * 4,
    dst: pd,
    drs,
    D: src.shape[1]!,
    mean: mode === 'mean' ? 1 : 0,
    pad: paddingIdx,
    hasPw: perSampleWeights === null ? 0 : 1,
  };
  return EMBEDDING_BAG.map((f) => fields[f]);
}

export function embeddingBag(
  rt: WasmRuntime,
  weight: TensorView,
  indices: TensorView,
  offsets: TensorView,
  perSampleWeights: TensorView | null,
  mode: 'sum' | 'mean',
  paddingIdx: number,
  out: TensorView,
): void {
  const { B, T } = ts.checkBagArgs('embeddingBag', weight, indices, offsets, perSampleWeights, out);
  const words = bagParams(rt, weight, indices, offsets, perSampleWeights, out, mode, paddingIdx);
  if (words === null) return ts.embeddingBag(weight, indices, offsets, perSampleWeights, mode, paddingIdx, out);
  rt.runBlock('eb_fwd', words, B, parts(rt, (T + B) * weight.shape[1]!));
}

export function embeddingBagBackwardSparse(
  rt: WasmRuntime,
  gradOut: TensorView,
  indices: TensorView,
  offsets: TensorView,
  perSampleWeights: TensorView | null,
  mode: 'sum' | 'mean',
  paddingIdx: number,
  values: TensorView,
): void {
  const { B, T } = ts.checkBagArgs('embeddingBagBackwardSparse', gradOut, indices, offsets, perSampleWeights, values);
  const words = bagParams(rt, gradOut, indices, offsets, perSampleWeights, values, mode, paddingIdx);
  if (words === null) return ts.embeddingBagBackwardSparse(gradOut, indices, offsets, perSampleWeights, mode, paddingIdx, values);
  rt.runBlock('eb_bwd', words, B, parts(rt, T * gradOut.shape[1]!));
}

const F32_BITS = new DataView(new ArrayBuffer(4));

export function addRows(rt: WasmRuntime, dst: TensorView, indices: TensorView, values: TensorView, alpha: number): void {
  ts.checkAddRowsArgs(dst, indices, values);
  const pd = ptrOf(rt, dst, 'float32');
  const pv = ptrOf(rt, values, 'float32');
  const pi = ptrOf(rt, indices, 'int32');
  const drs = rowStride(dst);
  const vrs = rowStride(values);
  if (pd < 0 || pv < 0 || pi < 0 || drs < 0 || vrs < 0) return ts.addRows(dst, indices, values, alpha);
  const T = indices.shape[0]!;
  const D = dst.shape[1]!;
  if (T === 0 || D === 0) return;
  F32_BITS.setFloat32(0, alpha, true);
  const bits = F32_BITS.getInt32(0, true);
  // Entries may name the same row, so threads take column ranges (multiples of four floats).
  // Scattered rows make each thread's share memory-bound: only large updates are split.
  const pieces = rt.parallelism > 1 && T * D >= ADD_ROWS_PARALLEL_MIN && D >= 32 ? rt.parallelism : 1;
  const chunk = Math.ceil(D / pieces / 4) * 4;
  const tasks: number[][] = [];
  for (let c0 = 0; c0 < D; c0 += chunk) tasks.push([pd, drs, pi, pv, vrs, bits, 0, T, c0, Math.min(D, c0 + chunk)]);
  rt.run('add_rows', tasks, tasks.length > 1);
}
