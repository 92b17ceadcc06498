/**
 * gather, indexSelect, scatter (set/add) and indexAdd on the strided map.
 *
 * Reads (gather, indexSelect) run one invocation per output element: the indexed operand
 * joins the map with stride 0 along `axis` and the loaded index moves it there.
 *
 * Writes (scatter, indexAdd) run one invocation per *destination* element, which loops
 * over the index entries of its line and applies the matching ones in index order. No
 * two invocations write the same element, so there are no atomics (WGSL has no float
 * atomics anyway) and float additions are deterministic and in the order PyTorch's CPU
 * kernel uses; `set` with duplicate indices keeps the last. The cost is
 * O(destination × index-length) per line, fine for embedding-style updates; a
 * sort-and-segment variant would be the next step for very long index lists.
 *
 * Indices out of range raise the index flag: a RangeError at the next readback.
 */
import type { TensorView } from '@torchlet/backend';
import { gpuOf } from '../buffer.js';
import { alongAxis, withStride } from '../layout.js';
import type { GpuRuntime } from '../runtime.js';
import { operand } from './elementwise.js';
import { runMap } from './map.js';

function shapeError(op: string, what: string, a: readonly number[], b: readonly number[]): never {
  throw new Error(`${op}: ${what} [${a.join(', ')}] does not fit [${b.join(', ')}]`);
}

function checkIndex(op: string, index: TensorView, oneD: boolean): void {
  if (index.dtype !== 'int32') throw new TypeError(`${op}: index must be int32, got ${index.dtype}`);
  if (oneD && index.shape.length !== 1) throw new Error(`${op}: index must be 1-D, got shape [${index.shape.join(', ')}]`);
}

function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) throw new RangeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return axis;
}

/** out[p0] = x[p2 + k · stride] with k = index[p1] checked against the axis size. */
function readIndexed(rt: GpuRuntime, op: string, x: TensorView, axis: number, index: { strides: readonly number[]; offset: number; view: TensorView }, out: TensorView): void {
  if (out.dtype !== x.dtype) throw new TypeError(`${op}: output dtype ${out.dtype} differs from input dtype ${x.dtype}`);
  runMap(rt, {
    name: `${op}.${x.dtype}`,
    shape: out.shape,
    operands: [
      operand(out, 'read_write'),
      { strides: index.strides, offset: index.offset, buffer: gpuOf(index.view), dtype: 'int32' },
      { strides: withStride(x.strides, axis, 0), offset: x.offset, buffer: gpuOf(x), dtype: x.dtype },
    ],
    scalars: [x.strides[axis]!, x.shape[axis]!],
    flags: true,
    body: `  let k = buf1[p1];
  if (k < 0 || k >= S(1u)) { raise_index(k, S(1u)); return; }
  buf0[p0] = buf2[p2 + k * S(0u)];`,
  });
}

export function gather(rt: GpuRuntime, x: TensorView, axis: number, index: TensorView, out: TensorView): void {
  checkIndex('gather', index, false);
  const rank = x.shape.length;
  const ax = normAxis('gather', axis, rank);
  if (index.shape.length !== rank || out.shape.length !== rank) shapeError('gather', 'index shape', index.shape, x.shape);
  for (let d = 0; d < rank; d++) {
    if (index.shape[d] !== out.shape[d]) shapeError('gather', 'index shape', index.shape, out.shape);
    if (d !== ax && out.shape[d]! > x.shape[d]!) shapeError('gather', 'index shape', index.shape, x.shape);
  }
  readIndexed(rt, 'gather', x, ax, { strides: index.strides, offset: index.offset, view: index }, out);
}

export function indexSelect(rt: GpuRuntime, x: TensorView, axis: number, index: TensorView, out: TensorView): void {
  checkIndex('indexSelect', index, true);
  const rank = x.shape.length;
  const ax = normAxis('indexSelect', axis, rank);
  const expected = x.shape.map((n, d) => (d === ax ? index.shape[0]! : n));
  if (out.shape.length !== rank || out.shape.some((n, d) => n !== expected[d])) shapeError('indexSelect', 'output shape', out.shape, expected);
  readIndexed(rt, 'indexSelect', x, ax, { strides: alongAxis(rank, ax, index.strides[0]!), offset: index.offset, view: index }, out);
}

/**
 * For every destination element of the iteration space `shape` (whose `axis` extent is
 * the destination's): loop over the `length` index entries of its line and apply those
 * equal to its coordinate along `axis`, in order.
 */
function writeIndexed(
  rt: GpuRuntime,
  op: string,
  dst: TensorView,
  axis: number,
  shape: readonly number[],
  index: { strides: readonly number[]; offset: number; axisStride: number; view: TensorView },
  src: TensorView,
  length: number,
  mode: 'set' | 'add',
): void {
  if (src.dtype !== dst.dtype) throw new TypeError(`${op}: source dtype ${src.dtype} differs from destination dtype ${dst.dtype}`);
  if (length === 0) return;
  const rank = shape.length;
  const v = 'buf2[p2 + i * S(3u)]';
  const update = mode === 'set' ? v : dst.dtype === 'bool' ? `acc | ${v}` : `acc + ${v}`;
  runMap(rt, {
    name: `${op}.${mode}.${dst.dtype}`,
    shape,
    operands: [
      operand(dst, 'read_write'),
      { strides: index.strides, offset: index.offset, buffer: gpuOf(index.view), dtype: 'int32' },
      { strides: withStride(src.strides, axis, 0), offset: src.offset, buffer: gpuOf(src), dtype: src.dtype },
      { strides: alongAxis(rank, axis, 1), offset: 0 },
    ],
    scalars: [length, dst.shape[axis]!, index.axisStride, src.strides[axis]!],
    flags: true,
    body: `  let size = S(1u);
  var acc = buf0[p0];
  for (var i = 0; i < S(0u); i = i + 1) {
    let k = buf1[p1 + i * S(2u)];
    if (k < 0 || k >= size) { raise_index(k, size); continue; }
    if (k == p3) { acc = ${update}; }
  }
  buf0[p0] = acc;`,
  });
}

export function scatter(rt: GpuRuntime, dst: TensorView, axis: number, index: TensorView, src: TensorView, mode: 'set' | 'add'): void {
  checkIndex('scatter', index, false);
  const rank = dst.shape.length;
  const ax = normAxis('scatter', axis, rank);
  if (index.shape.length !== rank || src.shape.length !== rank) shapeError('scatter', 'index shape', index.shape, dst.shape);
  for (let d = 0; d < rank; d++) {
    if (index.shape[d]! > src.shape[d]! || (d !== ax && index.shape[d]! > dst.shape[d]!)) shapeError('scatter', 'index shape', index.shape, src.shape);
  }
  if (index.shape.some((d) => d === 0)) return;
  const shape = index.shape.map((n, d) => (d === ax ? dst.shape[ax]! : n));
  writeIndexed(rt, 'scatter', dst, ax, shape, { strides: withStride(index.strides, ax, 0), offset: index.offset, axisStride: index.strides[ax]!, view: index }, src, index.shape[ax]!, mode);
}

export function indexAdd(rt: GpuRuntime, dst: TensorView, axis: number, index: TensorView, src: TensorView): void {
  checkIndex('indexAdd', index, true);
  const rank = dst.shape.length;
  const ax = normAxis('indexAdd', axis, rank);
  const expected = dst.shape.map((n, d) => (d === ax ? index.shape[0]! : n));
  if (src.shape.length !== rank || src.shape.some((n, d) => n !== expected[d])) shapeError('indexAdd', 'source shape', src.shape, expected);
  writeIndexed(rt, 'indexAdd', dst, ax, dst.shape, { strides: new Array<number>(rank).fill(0), offset: index.offset, axisStride: index.strides[0]!, view: index }, src, index.shape[0]!, 'add');
}
