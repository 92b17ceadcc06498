/**
 * Fused `embeddingBag` (modes sum and mean) and its row-sparse backward (the
 * `embeddingBag` / `embeddingBagBackwardSparse` capabilities; semantics in @torchlet/backend's
 * `FusedKernels`). One pass over each bag's entries: no gathered [T, D] intermediate in the
 * forward, and the backward writes one scaled copy of the bag's gradient row per entry. The
 * accumulation runs in the view's own precision (float32 or float64), as PyTorch's CPU kernel.
 */
import type { TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';

type Arr = Float32Array | Float64Array;

function checkFloat2d(v: TensorView, op: string, what: string): void {
  if (v.dtype !== 'float32' && v.dtype !== 'float64') throw new TypeError(`${op}: ${what} must be float32 or float64 (got ${v.dtype})`);
  if (v.shape.length !== 2) throw new RangeError(`${op}: ${what} must be 2-D (got [${v.shape.join(', ')}])`);
}

function int1d(v: TensorView, op: string, what: string): Int32Array {
  if (v.dtype !== 'int32' || v.shape.length !== 1 || (v.shape[0]! > 1 && v.strides[0] !== 1)) {
    throw new TypeError(`${op}: ${what} must be a contiguous 1-D int32 view`);
  }
  return dataOf(v) as Int32Array;
}

/** A 2-D float view's shape must be [rows, cols]. */
function checkShape2d(v: TensorView, rows: number, cols: number, op: string, what: string): void {
  if (v.shape[0] !== rows || v.shape[1] !== cols) {
    throw new RangeError(`${op}: ${what} must be [${rows}, ${cols}] (got [${v.shape.join(', ')}])`);
  }
}

/** The bag description both kernels read: entry indices, bag offsets and optional per-entry weights. */
export interface Bags {
  idx: Int32Array;
  io: number;
  off: Int32Array;
  oo: number;
  /** Entries. */
  T: number;
  /** Bags. */
  B: number;
  pw: Arr | null;
  po: number;
  ps: number;
}

function bagsOf(indices: TensorView, offsets: TensorView, perSampleWeights: TensorView | null, op: string): Bags {
  return {
    idx: int1d(indices, op, 'indices'),
    io: indices.offset,
    off: int1d(offsets, op, 'offsets'),
    oo: offsets.offset,
    T: indices.shape[0]!,
    B: offsets.shape[0]!,
    pw: perSampleWeights ? (dataOf(perSampleWeights) as Arr) : null,
    po: perSampleWeights ? perSampleWeights.offset : 0,
    ps: perSampleWeights ? (perSampleWeights.strides[0] ?? 1) : 0,
  };
}

/**
 * Checks the arguments of `embeddingBag` (`src` the weight, `dst` the [B, D] output) or of
 * `embeddingBagBackwardSparse` (`src` the [B, D] output gradient, `dst` the [T, D] values)
 * and returns the bag description. The Wasm kernels run the same checks through it.
 */
export function checkBagArgs(
  op: 'embeddingBag' | 'embeddingBagBackwardSparse',
  src: TensorView,
  indices: TensorView,
  offsets: TensorView,
  perSampleWeights: TensorView | null,
  dst: TensorView,
): Bags {
  const forward = op === 'embeddingBag';
  checkFloat2d(src, op, forward ? 'weight' : 'gradOut');
  checkFloat2d(dst, op, forward ? 'out' : 'values');
  const bags = bagsOf(indices, offsets, perSampleWeights, op);
  checkShape2d(dst, forward ? bags.B : bags.T, src.shape[1]!, op, forward ? 'out' : 'values');
  return bags;
}

/** Checks the arguments of `addRows` (indices in range) and returns the indices. */
export function checkAddRowsArgs(dst: TensorView, indices: TensorView, values: TensorView): Int32Array {
  const op = 'addRows';
  checkFloat2d(dst, op, 'dst');
  checkFloat2d(values, op, 'values');
  const idx = int1d(indices, op, 'indices');
  const T = indices.shape[0]!;
  const N = dst.shape[0]!;
  checkShape2d(values, T, dst.shape[1]!, op, 'values');
  for (let i = indices.offset, e = indices.offset + T; i < e; i++) {
    const r = idx[i]!;
    if (r < 0 || r >= N) throw new RangeError(`${op}: index ${r} is out of range for ${N} rows`);
  }
  return idx;
}

/** Entry range of bag `b`. */
function bagEnd(off: Int32Array, oo: number, b: number, B: number, T: number): number {
  return b + 1 < B ? Math.min(off[oo + b + 1]!, T) : T;
}

export function embeddingBag(
  weight: TensorView,
  indices: TensorView,
  offsets: TensorView,
  perSampleWeights: TensorView | null,
  mode: 'sum' | 'mean',
  paddingIdx: number,
  out: TensorView,
): void {
  const { idx, io, off, oo, T, B, pw, po, ps } = checkBagArgs('embeddingBag', weight, indices, offsets, perSampleWeights, out);
  const D = weight.shape[1]!;
  const w = dataOf(weight) as Arr;
  const o = dataOf(out) as Arr;
  const wo = weight.offset;
  const wrs = weight.strides[0]!;
  const wcs = weight.strides[1]!;
  const ors = out.strides[0]!;
  const ocs = out.strides[1]!;
  for (let b = 0; b < B; b++) {
    const base = out.offset + b * ors;
    for (let j = 0; j < D; j++) o[base + j * ocs] = 0;
    const start = off[oo + b]!;
    const end = bagEnd(off, oo, b, B, T);
    let count = 0;
    for (let i = start; i < end; i++) {
      const r = idx[io + i]!;
      if (r === paddingIdx) continue;
      count++;
      const row = wo + r * wrs;
      if (pw) {
        const s = pw[po + i * ps]!;
        for (let j = 0; j < D; j++) o[base + j * ocs] += s * w[row + j * wcs]!;
      } else if (wcs === 1 && ocs === 1) {
        for (let j = 0; j < D; j++) o[base + j] += w[row + j]!;
      } else {
        for (let j = 0; j < D; j++) o[base + j * ocs] += w[row + j * wcs]!;
      }
    }
    if (mode === 'mean' && count > 1) {
      for (let j = 0; j < D; j++) o[base + j * ocs] /= count;
    }
  }
}

export function embeddingBagBackwardSparse(
  gradOut: TensorView,
  indices: TensorView,
  offsets: TensorView,
  perSampleWeights: TensorView | null,
  mode: 'sum' | 'mean',
  paddingIdx: number,
  values: TensorView,
): void {
  const { idx, io, off, oo, T, B, pw, po, ps } = checkBagArgs('embeddingBagBackwardSparse', gradOut, indices, offsets, perSampleWeights, values);
  const D = gradOut.shape[1]!;
  const g = dataOf(gradOut) as Arr;
  const v = dataOf(values) as Arr;
  const grs = gradOut.strides[0]!;
  const gcs = gradOut.strides[1]!;
  const vrs = values.strides[0]!;
  const vcs = values.strides[1]!;
  for (let b = 0; b < B; b++) {
    const start = off[oo + b]!;
    const end = bagEnd(off, oo, b, B, T);
    // mean: divide by the bag's kept count (as the composed path does); sum: multiply by 1 or the weight.
    let count = 1;
    if (mode === 'mean') {
      count = 0;
      for (let i = start; i < end; i++) if (idx[io + i] !== paddingIdx) count++;
    }
    const gb = gradOut.offset + b * grs;
    for (let i = start; i < end; i++) {
      const vb = values.offset + i * vrs;
      if (idx[io + i] === paddingIdx) {
        for (let j = 0; j < D; j++) v[vb + j * vcs] = 0;
      } else if (pw) {
        const s = pw[po + i * ps]!;
        for (let j = 0; j < D; j++) v[vb + j * vcs] = s * g[gb + j * gcs]!;
      } else if (gcs === 1 && vcs === 1) {
        for (let j = 0; j < D; j++) v[vb + j] = g[gb + j]! / count;
      } else {
        for (let j = 0; j < D; j++) v[vb + j * vcs] = g[gb + j * gcs]! / count;
      }
    }
  }
}

export function addRows(dst: TensorView, indices: TensorView, values: TensorView, alpha: number): void {
  const idx = checkAddRowsArgs(dst, indices, values);
  const T = indices.shape[0]!;
  const D = dst.shape[1]!;
  const d = dataOf(dst) as Arr;
  const v = dataOf(values) as Arr;
  const io = indices.offset;
  const drs = dst.strides[0]!;
  const dcs = dst.strides[1]!;
  const vrs = values.strides[0]!;
  const vcs = values.strides[1]!;
  for (let i = 0; i < T; i++) {
    const db = dst.offset + idx[io + i]! * drs;
    const vb = values.offset + i * vrs;
    if (dcs === 1 && vcs === 1) {
      for (let j = 0; j < D; j++) d[db + j] += alpha * v[vb + j]!;
    } else {
      for (let j = 0; j < D; j++) d[db + j * dcs] += alpha * v[vb + j * vcs]!;
    }
  }
}
