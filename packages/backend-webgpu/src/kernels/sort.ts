/**
 * Stable sort along an axis by ranking: the invocation for element i of a line counts the
 * elements that order before it under the total order (value, then index), and writes
 * the value and its index at that rank. Ties keep input order by construction, NaN sorts
 * last ascending and first descending (in input order), like PyTorch. Work is O(n²) per
 * line of length n but fully parallel and barrier-free; a bitonic network would be the
 * next step for very long lines.
 */
import type { TensorView } from '@torchlet/backend';
import { gpuOf } from '../buffer.js';
import { alongAxis, withStride } from '../layout.js';
import type { GpuRuntime } from '../runtime.js';
import { wgslType } from '../wgsl/codegen.js';
import { runMap } from './map.js';

export function sort(rt: GpuRuntime, x: TensorView, axis: number, descending: boolean, values: TensorView, indices: TensorView): void {
  const rank = x.shape.length;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) throw new RangeError(`sort: axis ${axis} is out of range for rank ${rank}`);
  if (values.dtype !== x.dtype || indices.dtype !== 'int32') throw new TypeError('sort: values must have the input dtype and indices must be int32');
  for (const v of [values, indices]) {
    if (v.shape.length !== rank || v.shape.some((d, i) => d !== x.shape[i])) throw new Error(`sort: outputs must have the input shape [${x.shape.join(', ')}]`);
  }
  const T = wgslType(x.dtype);
  const float = T === 'f32';
  const cmp = descending ? '>' : '<';
  const nanOrder = descending ? 'return nw;' : 'return nv;';
  const before = float
    ? `fn before(w: f32, m: i32, v: f32, i: i32) -> bool {
  let nw = is_nan(w); let nv = is_nan(v);
  if (nw != nv) { ${nanOrder} }
  if (nw || w == v) { return m < i; }
  return w ${cmp} v;
}`
    : `fn before(w: ${T}, m: i32, v: ${T}, i: i32) -> bool {
  if (w == v) { return m < i; }
  return w ${cmp} v;
}`;
  runMap(rt, {
    name: `sort.${x.dtype}.${descending ? 'desc' : 'asc'}`,
    shape: x.shape,
    operands: [
      { strides: withStride(values.strides, axis, 0), offset: values.offset, buffer: gpuOf(values), dtype: values.dtype, access: 'read_write' },
      { strides: withStride(indices.strides, axis, 0), offset: indices.offset, buffer: gpuOf(indices), dtype: 'int32', access: 'read_write' },
      { strides: withStride(x.strides, axis, 0), offset: x.offset, buffer: gpuOf(x), dtype: x.dtype },
      { strides: alongAxis(rank, axis, 1), offset: 0 },
    ],
    scalars: [x.shape[axis]!, x.strides[axis]!, values.strides[axis]!, indices.strides[axis]!],
    helpers: before,
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
