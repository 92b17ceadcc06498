/** Fused softmax / logSoftmax along an axis, max-subtracted like PyTorch, in float64 per line. */
import type { TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';
import { lineStarts } from '../codegen/strided-loop.js';
import { normAxis } from './views.js';

function softmaxLines(op: string, x: TensorView, axis: number, out: TensorView, log: boolean): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${op}: expected a float input, got ${x.dtype}`);
  const rank = x.shape.length;
  const shape = rank === 0 ? [1] : x.shape;
  const ax = rank === 0 ? 0 : normAxis(op, axis, rank);
  const xStridesAll = rank === 0 ? [1] : x.strides;
  const oStridesAll = rank === 0 ? [1] : out.strides;
  const n = shape[ax]!;
  const xStarts = lineStarts(shape, ax, xStridesAll, x.offset);
  const oStarts = lineStarts(shape, ax, oStridesAll, out.offset);
  const xs = dataOf(x);
  const os = dataOf(out);
  const xStride = xStridesAll[ax]!;
  const oStride = oStridesAll[ax]!;
  const scratch = new Float64Array(log ? 0 : n);
  for (let line = 0; line < xStarts.length; line++) {
    const x0 = xStarts[line]!;
    const o0 = oStarts[line]!;
    let max = -Infinity;
    for (let i = 0, p = x0; i < n; i++, p += xStride) max = Math.max(max, xs[p]!); // NaN propagates
    let sum = 0;
    if (log) {
      for (let i = 0, p = x0; i < n; i++, p += xStride) sum += Math.exp(xs[p]! - max);
      const shift = max + Math.log(sum);
      for (let i = 0, p = x0, q = o0; i < n; i++, p += xStride, q += oStride) os[q] = xs[p]! - shift;
    } else {
      // Keep the exponentials in float64 so a float32 output is rounded once.
      for (let i = 0, p = x0; i < n; i++, p += xStride) {
        const e = Math.exp(xs[p]! - max);
        scratch[i] = e;
        sum += e;
      }
      for (let i = 0, q = o0; i < n; i++, q += oStride) os[q] = scratch[i]! / sum;
    }
  }
}

export function softmax(x: TensorView, axis: number, out: TensorView): void {
  softmaxLines('softmax', x, axis, out, false);
}

export function logSoftmax(x: TensorView, axis: number, out: TensorView): void {
  softmaxLines('logSoftmax', x, axis, out, true);
}
