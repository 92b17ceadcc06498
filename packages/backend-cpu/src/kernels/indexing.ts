/**
 * gather, indexSelect, scatter (set/add) and indexAdd, all on the shared strided loop.
 *
 * The trick: the indexed operand joins the loop with stride 0 along `axis`, and the loaded
 * index moves it there (`q + k · axisStride`). gather and indexSelect then share one kernel,
 * as do scatter-add and indexAdd. Every loop runs in row-major order, so float adds to the
 * same destination apply in index order, deterministically.
 */
import type { TensorView } from '@torchlet/backend';
import { compileLoop, runLoop, type LoopOperand } from '../codegen/strided-loop.js';
import { checkDType, normAxis, operand } from './views.js';
import { dataOf } from '../buffer.js';

function outOfRange(k: number, size: number): never {
  throw new RangeError(`index ${k} is out of bounds for dimension with size ${size}`);
}

const HELPERS = { outOfRange } as const;

/** `view` with its stride along `axis` zeroed: the index supplies that coordinate. */
function withoutAxis(view: TensorView, axis: number): LoopOperand {
  return { data: dataOf(view), offset: view.offset, strides: view.strides.map((s, d) => (d === axis ? 0 : s)) };
}

/** A 1-D index broadcast over `rank` dims, walking along `axis`. */
function indexAlong(index: TensorView, axis: number, rank: number): LoopOperand {
  const strides = new Array<number>(rank).fill(0);
  strides[axis] = index.strides[0]!;
  return { data: dataOf(index), offset: index.offset, strides };
}

function check1D(op: string, index: TensorView): void {
  checkDType(op, index, 'int32');
  if (index.shape.length !== 1) throw new Error(`${op}: index must be 1-D, got shape [${index.shape.join(', ')}]`);
}

function shapeError(op: string, what: string, a: readonly number[], b: readonly number[]): never {
  throw new Error(`${op}: ${what} [${a.join(', ')}] does not fit [${b.join(', ')}]`);
}

/** out = a2[q2 + k · c0] with k read from operand 1 (torch.gather and index_select). */
function readIndexed(dtype: string): ReturnType<typeof compileLoop> {
  return compileLoop({
    key: `read-indexed:${dtype}`,
    nOps: 3,
    nScalars: 2,
    body: '{ const k = a1[q1]; if (k < 0 || k >= c1) outOfRange(k, c1); a0[q0] = a2[q2 + k * c0]; }',
    helpers: HELPERS,
  });
}

/** a0[q0 + k · c0] (=|+=) a2[q2] with k read from operand 1 (scatter and index_add). */
function writeIndexed(dtype: string, add: boolean): ReturnType<typeof compileLoop> {
  // bool has no addition: scatter-add on bool is logical or.
  const update = !add ? 'a2[q2]' : dtype === 'bool' ? '(a0[p] !== 0 || a2[q2] !== 0 ? 1 : 0)' : 'a0[p] + a2[q2]';
  const body = `{ const k = a1[q1]; if (k < 0 || k >= c1) outOfRange(k, c1); const p = q0 + k * c0; a0[p] = ${update}; }`;
  return compileLoop({ key: `write-indexed:${dtype}:${add ? 'add' : 'set'}`, nOps: 3, nScalars: 2, body, helpers: HELPERS });
}

export function gather(x: TensorView, axis: number, index: TensorView, out: TensorView): void {
  checkDType('gather', index, 'int32');
  const rank = x.shape.length;
  const ax = normAxis('gather', axis, rank);
  if (index.shape.length !== rank || out.shape.length !== rank) shapeError('gather', 'index shape', index.shape, x.shape);
  for (let d = 0; d < rank; d++) {
    if (index.shape[d] !== out.shape[d]) shapeError('gather', 'index shape', index.shape, out.shape);
    if (d !== ax && out.shape[d]! > x.shape[d]!) shapeError('gather', 'index shape', index.shape, x.shape);
  }
  runLoop(readIndexed(x.dtype), out.shape, [operand(out), operand(index), withoutAxis(x, ax)], [x.strides[ax]!, x.shape[ax]!]);
}

export function indexSelect(x: TensorView, axis: number, index: TensorView, out: TensorView): void {
  check1D('indexSelect', index);
  const rank = x.shape.length;
  const ax = normAxis('indexSelect', axis, rank);
  const expected = x.shape.map((n, d) => (d === ax ? index.shape[0]! : n));
  if (out.shape.length !== rank || out.shape.some((n, d) => n !== expected[d])) shapeError('indexSelect', 'output shape', out.shape, expected);
  runLoop(readIndexed(x.dtype), out.shape, [operand(out), indexAlong(index, ax, rank), withoutAxis(x, ax)], [x.strides[ax]!, x.shape[ax]!]);
}

export function scatter(dst: TensorView, axis: number, index: TensorView, src: TensorView, mode: 'set' | 'add'): void {
  checkDType('scatter', index, 'int32');
  const rank = dst.shape.length;
  const ax = normAxis('scatter', axis, rank);
  if (index.shape.length !== rank || src.shape.length !== rank) shapeError('scatter', 'index shape', index.shape, dst.shape);
  for (let d = 0; d < rank; d++) {
    if (index.shape[d]! > src.shape[d]! || (d !== ax && index.shape[d]! > dst.shape[d]!)) {
      shapeError('scatter', 'index shape', index.shape, src.shape);
    }
  }
  const kernel = writeIndexed(dst.dtype, mode === 'add');
  runLoop(kernel, index.shape, [withoutAxis(dst, ax), operand(index), operand(src)], [dst.strides[ax]!, dst.shape[ax]!]);
}

export function indexAdd(dst: TensorView, axis: number, index: TensorView, src: TensorView): void {
  check1D('indexAdd', index);
  const rank = dst.shape.length;
  const ax = normAxis('indexAdd', axis, rank);
  const expected = dst.shape.map((n, d) => (d === ax ? index.shape[0]! : n));
  if (src.shape.length !== rank || src.shape.some((n, d) => n !== expected[d])) shapeError('indexAdd', 'source shape', src.shape, expected);
  const kernel = writeIndexed(dst.dtype, true);
  runLoop(kernel, src.shape, [withoutAxis(dst, ax), indexAlong(index, ax, rank), operand(src)], [dst.strides[ax]!, dst.shape[ax]!]);
}
