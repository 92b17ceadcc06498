/**
 * Stable sort along an axis, NaN last ascending and first descending (in input order),
 * as PyTorch. Every element carries its index, and elements are ordered by the total
 * order (value, index), so any correct sorting network is stable. Two algorithms:
 *
 * - short lines (≤ `SORT_CONFIG.rankMax`): ranking. The invocation for element i counts
 *   the elements of its line that order before it and writes value and index at that
 *   rank. O(n²) per line, but one barrier-free dispatch.
 * - long lines: a bitonic network over scratch (key, index) buffers padded to a power of
 *   two, one dispatch per stage (log₂P·(log₂P+1)/2 of them), then one to write out.
 */
import type { TensorView } from '@torchlet/backend';
import { gpuOf, deviceBytes } from '../buffer.js';
import { alongAxis, numel, withStride } from '../layout.js';
import type { GpuRuntime } from '../runtime.js';
import { wgslType } from '../wgsl/codegen.js';
import { runMap } from './map.js';

/** Tunables (tests lower `rankMax` to exercise the bitonic path on small inputs). */
export const SORT_CONFIG = { rankMax: 1024 };

/** WGSL `before(w, m, v, i)`: whether (w, index m) sorts before (v, index i). */
function beforeWGSL(T: string, descending: boolean): string {
  const cmp = descending ? '>' : '<';
  if (T !== 'f32') {
    return `fn before(w: ${T}, m: i32, v: ${T}, i: i32) -> bool {
  if (w == v) { return m < i; }
  return w ${cmp} v;
}`;
  }
  return `fn before(w: f32, m: i32, v: f32, i: i32) -> bool {
  let nw = is_nan(w); let nv = is_nan(v);
  if (nw != nv) { return ${descending ? 'nw' : 'nv'}; }
  if (nw || w == v) { return m < i; }
  return w ${cmp} v;
}`;
}

export function sort(rt: GpuRuntime, x: TensorView, axis: number, descending: boolean, values: TensorView, indices: TensorView): void {
  const rank = x.shape.length;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) throw new RangeError(`sort: axis ${axis} is out of range for rank ${rank}`);
  if (values.dtype !== x.dtype || indices.dtype !== 'int32') throw new TypeError('sort: values must have the input dtype and indices must be int32');
  for (const v of [values, indices]) {
    if (v.shape.length !== rank || v.shape.some((d, i) => d !== x.shape[i])) throw new Error(`sort: outputs must have the input shape [${x.shape.join(', ')}]`);
  }
  if (numel(x.shape) === 0) return;
  if (x.shape[axis]! <= SORT_CONFIG.rankMax) rankSort(rt, x, axis, descending, values, indices);
  else bitonicSort(rt, x, axis, descending, values, indices);
}

function rankSort(rt: GpuRuntime, x: TensorView, axis: number, descending: boolean, values: TensorView, indices: TensorView): void {
  const rank = x.shape.length;
  runMap(rt, {
    name: `sort.rank.${x.dtype}.${descending ? 'desc' : 'asc'}`,
    shape: x.shape,
    operands: [
      { strides: withStride(values.strides, axis, 0), offset: values.offset, buffer: gpuOf(values), dtype: values.dtype, access: 'read_write' },
      { strides: withStride(indices.strides, axis, 0), offset: indices.offset, buffer: gpuOf(indices), dtype: 'int32', access: 'read_write' },
      { strides: withStride(x.strides, axis, 0), offset: x.offset, buffer: gpuOf(x), dtype: x.dtype },
      { strides: alongAxis(rank, axis, 1), offset: 0 },
    ],
    scalars: [x.shape[axis]!, x.strides[axis]!, values.strides[axis]!, indices.strides[axis]!],
    helpers: beforeWGSL(wgslType(x.dtype), descending),
    body: `  let i = p3;
  let xs = S(1u);
  let v = buf2[p2 + i * xs];
  var rank = 0;
  for (var m = 0; m < S(0u); m = m + 1) {
    if (before(buf2[p2 + m * xs], m, v, i)) { rank = rank + 1; }
  }
  buf0[p0 + rank * S(2u)] = v;
  buf1[p1 + rank * S(3u)] = i;`,
  });
}

function bitonicSort(rt: GpuRuntime, x: TensorView, axis: number, descending: boolean, values: TensorView, indices: TensorView): void {
  const rank = x.shape.length;
  const n = x.shape[axis]!;
  let p = 1;
  while (p < n) p *= 2;
  const lines = numel(x.shape) / n;
  const total = lines * p;
  // Scratch position of element (line, i): line · P + i, i.e. strides P·(row-major over the
  // other dims) and 1 along the axis.
  const scratchStrides = new Array<number>(rank);
  let s = p;
  for (let d = rank - 1; d >= 0; d--) {
    if (d === axis) {
      scratchStrides[d] = 1;
    } else {
      scratchStrides[d] = s;
      s *= x.shape[d]!;
    }
  }
  const keys = rt.acquire(deviceBytes(total));
  const idx = rt.acquire(deviceBytes(total));
  const tag = `${x.dtype}.${descending ? 'desc' : 'asc'}`;
  try {
    // Padding entries carry index ≥ n, which orders after every real element.
    runMap(rt, {
      name: 'sort.bitonic.pad',
      shape: [total],
      operands: [{ strides: [1], offset: 0, buffer: idx, dtype: 'int32', access: 'read_write' }],
      scalars: [n],
      body: '  buf0[p0] = S(0u);',
    });
    runMap(rt, {
      name: `sort.bitonic.load.${x.dtype}`,
      shape: x.shape,
      operands: [
        { strides: scratchStrides, offset: 0, buffer: keys, dtype: x.dtype, access: 'read_write' },
        { strides: scratchStrides, offset: 0, buffer: idx, dtype: 'int32', access: 'read_write' },
        { strides: x.strides, offset: x.offset, buffer: gpuOf(x), dtype: x.dtype },
        { strides: alongAxis(rank, axis, 1), offset: 0 },
      ],
      body: '  buf0[p0] = buf2[p2];\n  buf1[p1] = p3;',
    });
    const helpers = `${beforeWGSL(wgslType(x.dtype), descending)}
fn ordered(ka: ${wgslType(x.dtype)}, ia: i32, kb: ${wgslType(x.dtype)}, ib: i32, n: i32) -> bool {
  if (ia >= n || ib >= n) { return ia < ib; }
  return before(ka, ia, kb, ib);
}`;
    for (let k = 2; k <= p; k *= 2) {
      for (let j = k / 2; j >= 1; j /= 2) {
        runMap(rt, {
          name: `sort.bitonic.step.${tag}`,
          shape: [total],
          operands: [
            { strides: [1], offset: 0, buffer: keys, dtype: x.dtype, access: 'read_write' },
            { strides: [1], offset: 0, buffer: idx, dtype: 'int32', access: 'read_write' },
          ],
          scalars: [n, p, k, j],
          helpers,
          body: `  let P = S(1u);
  let i = p0 % P;
  let l = i ^ S(3u);
  if (l <= i) { return; }
  let q = p0 - i + l;
  let up = (i & S(2u)) == 0;
  let ka = buf0[p0]; let ia = buf1[p0];
  let kb = buf0[q]; let ib = buf1[q];
  // ascending blocks want (a, b) ordered; descending blocks want them reversed
  if (ordered(ka, ia, kb, ib, S(0u)) != up) {
    buf0[p0] = kb; buf1[p0] = ib;
    buf0[q] = ka; buf1[q] = ia;
  }`,
        });
      }
    }
    runMap(rt, {
      name: `sort.bitonic.store.${x.dtype}`,
      shape: x.shape,
      operands: [
        { strides: values.strides, offset: values.offset, buffer: gpuOf(values), dtype: values.dtype, access: 'read_write' },
        { strides: indices.strides, offset: indices.offset, buffer: gpuOf(indices), dtype: 'int32', access: 'read_write' },
        { strides: scratchStrides, offset: 0, buffer: keys, dtype: x.dtype },
        { strides: scratchStrides, offset: 0, buffer: idx, dtype: 'int32' },
      ],
      body: '  buf0[p0] = buf2[p2];\n  buf1[p1] = buf3[p3];',
    });
  } finally {
    rt.release(keys);
    rt.release(idx);
  }
}
