/** Inclusive scans (cumsum, cumprod, cummax, cummin) along one axis, line by line. */
import type { ScanOp, TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';
import { lineStarts } from '../codegen/strided-loop.js';
import { normAxis } from './views.js';

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

export function scan(op: ScanOp, x: TensorView, axis: number, out: TensorView): void {
  const ax = normAxis(op, axis, x.shape.length);
  const n = x.shape[ax]!;
  const xStarts = lineStarts(x.shape, ax, x.strides, x.offset);
  const oStarts = lineStarts(x.shape, ax, out.strides, out.offset);
  const xs = dataOf(x);
  const os = dataOf(out);
  const xStride = x.strides[ax]!;
  const oStride = out.strides[ax]!;
  // Integer scans check every partial result: they are all outputs.
  const checkInt = out.dtype === 'int32' && (op === 'cumsum' || op === 'cumprod');
  const isSum = op === 'cumsum';
  const isProd = op === 'cumprod';
  const isMax = op === 'cummax';
  for (let line = 0; line < xStarts.length; line++) {
    let p = xStarts[line]!;
    let q = oStarts[line]!;
    let acc = isSum ? 0 : isProd ? 1 : isMax ? -Infinity : Infinity;
    for (let i = 0; i < n; i++, p += xStride, q += oStride) {
      const v = xs[p]!;
      if (isSum) acc += v;
      else if (isProd) acc *= v;
      else if (acc === acc) acc = v !== v ? v : isMax ? (v > acc ? v : acc) : v < acc ? v : acc; // NaN sticks
      if (checkInt && (acc > INT32_MAX || acc < INT32_MIN)) throw new RangeError(`${op}: int32 overflow (partial result ${acc})`);
      os[q] = acc;
    }
  }
}
