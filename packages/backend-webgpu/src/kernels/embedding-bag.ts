/**
 * Fused `embeddingBag` (modes sum and mean) and its row-sparse backward in WGSL (semantics in
 * @torchlet/backend's `FusedKernels`, reference in the CPU backend's `kernels/embedding-bag.ts`).
 * Forward: one invocation per (bag, column) sums the bag's rows in entry order. Backward: one
 * invocation per (entry, column) finds its bag by binary search over the offsets and writes
 * the scaled gradient row. No atomics, deterministic.
 */
import type { TensorView } from '@torchlet/backend';
import type { GpuRuntime } from '../runtime.js';
import { runRows } from './rows.js';

function check(op: string, indices: TensorView, offsets: TensorView, perSampleWeights: TensorView | null): void {
  for (const [what, v] of [['indices', indices], ['offsets', offsets]] as const) {
    if (v.dtype !== 'int32' || v.shape.length !== 1) throw new TypeError(`${op}: ${what} must be a 1-D int32 view`);
  }
  if (perSampleWeights && (perSampleWeights.shape.length !== 1 || perSampleWeights.shape[0] !== indices.shape[0])) {
    throw new RangeError(`${op}: perSampleWeights must be [${indices.shape[0]}]`);
  }
}

/** WGSL: `start`/`end` of bag `bag` (the last bag ends at T). */
const BAG_RANGE = /* wgsl */ `
fn bag_start(bag: i32) -> i32 { return OF(0, bag); }
fn bag_end(bag: i32) -> i32 {
  let T = S(0u);
  if (bag + 1 < S(1u)) { return min(OF(0, bag + 1), T); }
  return T;
}`;

export function embeddingBag(
  rt: GpuRuntime,
  weight: TensorView,
  indices: TensorView,
  offsets: TensorView,
  perSampleWeights: TensorView | null,
  mode: 'sum' | 'mean',
  paddingIdx: number,
  out: TensorView,
): void {
  const op = 'embeddingBag';
  check(op, indices, offsets, perSampleWeights);
  const T = indices.shape[0]!;
  const B = offsets.shape[0]!;
  const D = weight.shape[1]!;
  if (weight.shape.length !== 2 || out.shape.length !== 2 || out.shape[0] !== B || out.shape[1] !== D) {
    throw new RangeError(`${op}: out must be [${B}, ${D}] (got [${out.shape.join(', ')}])`);
  }
  runRows(rt, {
    name: `fused.embeddingBag.${mode}`,
    rows: B,
    cols: D,
    scalars: [T, B, paddingIdx],
    helpers: BAG_RANGE,
    operands: [
      { name: 'Wt', view: weight },
      { name: 'IX', view: indices, dtype: 'int32' },
      { name: 'OF', view: offsets, dtype: 'int32' },
      { name: 'PW', view: perSampleWeights },
      { name: 'O', view: out, write: true },
    ],
    body: (has) => `
  var acc = 0.0;
  var count = 0;
  let end = bag_end(r);
  for (var i = bag_start(r); i < end; i = i + 1) {
    let row = IX(0, i);
    if (row == S(2u)) { continue; }
    count = count + 1;
    acc = acc + ${has.PW ? 'PW(0, i) * ' : ''}Wt(row, j);
  }
  ${mode === 'mean' ? 'if (count > 1) { acc = acc / f32(count); }' : ''}
  O_set(r, j, acc);`,
  });
}

export function embeddingBagBackwardSparse(
  rt: GpuRuntime,
  gradOut: TensorView,
  indices: TensorView,
  offsets: TensorView,
  perSampleWeights: TensorView | null,
  mode: 'sum' | 'mean',
  paddingIdx: number,
  values: TensorView,
): void {
  const op = 'embeddingBagBackwardSparse';
  check(op, indices, offsets, perSampleWeights);
  const T = indices.shape[0]!;
  const B = offsets.shape[0]!;
  const D = gradOut.shape[1]!;
  if (values.shape.length !== 2 || values.shape[0] !== T || values.shape[1] !== D) {
    throw new RangeError(`${op}: values must be [${T}, ${D}] (got [${values.shape.join(', ')}])`);
  }
  if (B === 0) return;
  runRows(rt, {
    name: `fused.embeddingBagBackwardSparse.${mode}`,
    rows: T,
    cols: D,
    scalars: [T, B, paddingIdx],
    helpers: BAG_RANGE,
    operands: [
      { name: 'G', view: gradOut },
      { name: 'IX', view: indices, dtype: 'int32' },
      { name: 'OF', view: offsets, dtype: 'int32' },
      { name: 'PW', view: perSampleWeights },
      { name: 'V', view: values, write: true },
    ],
    body: (has) => `
  // The last bag whose start is at or before entry r (empty bags share their start).
  var lo = 0;
  var hi = S(1u) - 1;
  while (lo < hi) {
    let mid = (lo + hi + 1) / 2;
    if (OF(0, mid) <= r) { lo = mid; } else { hi = mid - 1; }
  }
  let bag = lo;
  if (IX(0, r) == S(2u)) {
    V_set(r, j, 0.0);
    return;
  }
  ${
    has.PW
      ? 'V_set(r, j, PW(0, r) * G(bag, j));'
      : mode === 'mean'
        ? `var count = 0;
  let end = bag_end(bag);
  for (var i = bag_start(bag); i < end; i = i + 1) { if (IX(0, i) != S(2u)) { count = count + 1; } }
  V_set(r, j, G(bag, j) / f32(count));`
        : 'V_set(r, j, G(bag, j));'
  }`,
  });
}
