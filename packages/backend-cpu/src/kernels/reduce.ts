/**
 * Reductions over a set of axes, and argmax/argmin along one axis.
 *
 * `reduce` walks `x` once in its own memory order and folds each element into a float64
 * accumulator whose strides are 0 on the reduced axes: the same generated strided loop as
 * the elementwise ops, in its reduction form (the accumulator stays in a register when the
 * innermost axis is reduced). Float64 accumulation is exact for int32 sums and at least as
 * accurate as PyTorch's float32 cascade sum.
 */
import { contiguousStrides, type ArgReduceOp, type ReduceOp, type TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';
import { compileLoop, lineStarts, numel, runLoop } from '../codegen/strided-loop.js';
import { checkDType, normAxis, operand } from './views.js';

const COMBINE: Readonly<Record<ReduceOp, string>> = {
  sum: 'acc + v',
  prod: 'acc * v',
  // Math.max/min propagate NaN, as torch.max/min do.
  max: 'Math.max(acc, v)',
  min: 'Math.min(acc, v)',
};

const IDENTITY: Readonly<Record<ReduceOp, number>> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

export function reduce(op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
  const rank = x.shape.length;
  const reduced = new Array<boolean>(rank).fill(false);
  for (const axis of axes) reduced[normAxis(op, axis, rank)] = true;
  const outShape = x.shape.map((n, d) => (reduced[d] ? 1 : n));
  if (out.shape.length !== rank || out.shape.some((n, d) => n !== outShape[d])) {
    throw new Error(`${op}: output shape [${out.shape.join(', ')}] should be [${outShape.join(', ')}]`);
  }
  const outSize = numel(outShape);
  if (outSize === 0) return;
  if ((op === 'max' || op === 'min') && numel(x.shape) === 0) {
    throw new RangeError(`${op}: cannot reduce an empty axis of shape [${x.shape.join(', ')}]: the operation has no identity`);
  }

  const acc = new Float64Array(outSize).fill(IDENTITY[op]);
  // Contiguous accumulator strides with 0 on the reduced axes.
  const accStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    accStrides[d] = reduced[d] ? 0 : s;
    s *= outShape[d]!;
  }
  const kernel = compileLoop({ key: `reduce:${op}:${x.dtype}`, nOps: 2, body: '', combine: COMBINE[op] });
  runLoop(kernel, x.shape, [{ data: acc, offset: 0, strides: accStrides }, operand(x)]);

  if (out.dtype === 'int32') checkInt32(op, acc);
  const outData = dataOf(out);
  const toBool = out.dtype === 'bool';
  const outContiguous = contiguousStrides(outShape);
  const write = compileLoop({
    key: `reduce-out:${out.dtype}`,
    nOps: 2,
    nScalars: 1,
    body: '{ const v = a1[q1]; a0[q0] = c0 !== 0 ? (v !== 0 ? 1 : 0) : v; }',
  });
  runLoop(write, outShape, [{ data: outData, offset: out.offset, strides: out.strides }, { data: acc, offset: 0, strides: outContiguous }], [toBool ? 1 : 0]);
}

/** int32 results must be representable; an inf·0 (NaN) product came from a zero factor, so it is 0. */
function checkInt32(op: ReduceOp, acc: Float64Array): void {
  for (let i = 0; i < acc.length; i++) {
    const v = acc[i]!;
    if (v !== v) acc[i] = 0;
    else if (v > INT32_MAX || v < INT32_MIN) throw new RangeError(`${op}: int32 overflow (the result ${v} does not fit in int32)`);
  }
}

/** Index of the first max (min) along `axis`; a NaN counts as the extreme, as in PyTorch. */
export function argReduce(op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
  checkDType(op, out, 'int32');
  const ax = normAxis(op, axis, x.shape.length);
  const n = x.shape[ax]!;
  const xStarts = lineStarts(x.shape, ax, x.strides, x.offset);
  const outShape = x.shape.map((m, d) => (d === ax ? 1 : m));
  const outStarts = lineStarts(outShape, ax, out.strides, out.offset);
  if (xStarts.length === 0) return;
  if (n === 0) throw new RangeError(`${op}: cannot reduce an empty axis of shape [${x.shape.join(', ')}]`);
  const xs = dataOf(x);
  const o = dataOf(out) as Int32Array;
  const stride = x.strides[ax]!;
  const isMax = op === 'argmax';
  for (let line = 0; line < xStarts.length; line++) {
    let p = xStarts[line]!;
    let best = xs[p]!;
    let bestIndex = 0;
    if (best === best) {
      for (let i = 1; i < n; i++) {
        p += stride;
        const v = xs[p]!;
        if (v !== v) {
          bestIndex = i;
          break;
        }
        if (isMax ? v > best : v < best) {
          best = v;
          bestIndex = i;
        }
      }
    }
    o[outStarts[line]!] = bestIndex;
  }
}
