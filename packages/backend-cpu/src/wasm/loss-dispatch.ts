/**
 * Routes `softmaxCrossEntropy` and its backward to the Wasm kernels of ./loss-kernels.ts when
 * every view lives in the heap, the floats are float32, classes are contiguous and the
 * targets (and weight) are contiguous; otherwise (and for float64) the TypeScript kernels of
 * ../kernels/cross-entropy.ts run. Both check their arguments through the same function.
 * Rows are cut into one range per thread for large N·C.
 */
import type { TensorView } from '@torchlet/backend';
import { CpuBuffer } from '../buffer.js';
import * as ts from '../kernels/cross-entropy.js';
import { CROSS_ENTROPY } from './loss-kernels.js';
import type { WasmRuntime } from './runtime.js';

/** Logits below which a job stays on one thread (each costs an exp). */
const PARALLEL_MIN = 1 << 14;

type Field = (typeof CROSS_ENTROPY)[number];

/** Byte address of the view's first element, or -1 when it is not a live view in this heap. */
function ptrOf(rt: WasmRuntime, v: TensorView, dtype: 'float32' | 'int32'): number {
  const b = v.buffer;
  if (v.dtype !== dtype || !(b instanceof CpuBuffer) || b.runtime !== rt || b.freed) return -1;
  return b.ptr + v.offset * 4;
}

/** Address of a contiguous 1-D view, or -1. */
function ptr1d(rt: WasmRuntime, v: TensorView, dtype: 'float32' | 'int32'): number {
  return v.shape[0]! <= 1 || v.strides[0] === 1 ? ptrOf(rt, v, dtype) : -1;
}

/** Byte row stride of a [N, C] float32 view with contiguous classes, or -1. */
function rowStride(v: TensorView): number {
  return v.strides[1] === 1 || v.shape[1]! <= 1 ? v.strides[0]! * 4 : -1;
}

const F32_BITS = new DataView(new ArrayBuffer(4));
function bits(x: number): number {
  F32_BITS.setFloat32(0, x, true);
  return F32_BITS.getInt32(0, true);
}

/** The common part of the parameter block, or null when a view is out of the kernels' reach. */
function commonFields(
  rt: WasmRuntime,
  a: ts.CrossEntropyArgs,
  logits: TensorView,
  target: TensorView,
  weight: TensorView | null,
  ignoreIndex: number,
  labelSmoothing: number,
): Record<Field, number> | null {
  const x = ptrOf(rt, logits, 'float32');
  const xrs = rowStride(logits);
  const tgt = ptr1d(rt, target, 'int32');
  const w = weight ? ptr1d(rt, weight, 'float32') : 0;
  if (x < 0 || xrs < 0 || tgt < 0 || w < 0 || !Number.isInteger(ignoreIndex) || Math.abs(ignoreIndex) > 0x7fffffff) return null;
  const c2 = labelSmoothing / a.C;
  return {
    x,
    xrs,
    tgt,
    w,
    hasW: weight ? 1 : 0,
    C: a.C,
    ignore: ignoreIndex,
    c1: bits(1 - labelSmoothing),
    c2: bits(c2),
    c3: bits(c2 * a.W),
    loss: 0,
    lse: 0,
    g: 0,
    gs: 0,
    h: 0,
    hs: 0,
    hasH: 0,
    out: 0,
    ors: 0,
  };
}

/** Runs kernel `name` with the parameter block of `fields` over the N rows (cut per thread when large). */
function runRows(rt: WasmRuntime, name: string, fields: Record<Field, number>, N: number): void {
  const parts = rt.parallelism > 1 && N * fields.C >= PARALLEL_MIN ? rt.parallelism : 1;
  rt.runBlock(name, CROSS_ENTROPY.map((f) => fields[f]), N, parts);
}

export function softmaxCrossEntropy(
  rt: WasmRuntime,
  logits: TensorView,
  target: TensorView,
  weight: TensorView | null,
  ignoreIndex: number,
  labelSmoothing: number,
  loss: TensorView,
  lse: TensorView,
): void {
  const a = ts.crossEntropyArgs('softmaxCrossEntropy', logits, target, weight, labelSmoothing, [
    [loss, 'loss', 1],
    [lse, 'lse', 1],
  ]);
  const fields = commonFields(rt, a, logits, target, weight, ignoreIndex, labelSmoothing);
  const pl = ptr1d(rt, loss, 'float32');
  const ps = ptr1d(rt, lse, 'float32');
  if (fields === null || pl < 0 || ps < 0 || a.C === 0) return ts.softmaxCrossEntropy(logits, target, weight, ignoreIndex, labelSmoothing, loss, lse);
  fields.loss = pl;
  fields.lse = ps;
  runRows(rt, 'ce_fwd', fields, a.N);
}

export function softmaxCrossEntropyBackward(
  rt: WasmRuntime,
  gradLoss: TensorView,
  gradLse: TensorView | null,
  logits: TensorView,
  target: TensorView,
  weight: TensorView | null,
  lse: TensorView,
  ignoreIndex: number,
  labelSmoothing: number,
  gradLogits: TensorView,
): void {
  const a = ts.crossEntropyBackwardArgs(gradLoss, gradLse, logits, target, weight, lse, labelSmoothing, gradLogits);
  const fields = commonFields(rt, a, logits, target, weight, ignoreIndex, labelSmoothing);
  const pg = ptrOf(rt, gradLoss, 'float32');
  const ph = gradLse ? ptrOf(rt, gradLse, 'float32') : 0;
  const ps = ptr1d(rt, lse, 'float32');
  const po = ptrOf(rt, gradLogits, 'float32');
  const ors = rowStride(gradLogits);
  if (fields === null || pg < 0 || ph < 0 || ps < 0 || po < 0 || ors < 0 || a.C === 0) {
    return ts.softmaxCrossEntropyBackward(gradLoss, gradLse, logits, target, weight, lse, ignoreIndex, labelSmoothing, gradLogits);
  }
  fields.lse = ps;
  fields.g = pg;
  fields.gs = gradLoss.strides[0]! * 4;
  if (gradLse) {
    fields.h = ph;
    fields.hs = gradLse.strides[0]! * 4;
    fields.hasH = 1;
  }
  fields.out = po;
  fields.ors = ors;
  runRows(rt, 'ce_bwd', fields, a.N);
}
