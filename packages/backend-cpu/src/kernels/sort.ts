/**
 * Stable sort along an axis with PyTorch's NaN placement: NaN sorts last ascending and
 * first descending. Each line is copied into float64 keys plus int32 positions and sorted
 * by a bottom-up merge sort (insertion-sorted runs, then merges): stable, O(n log n), and
 * with no comparator closure.
 */
import type { TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';
import { lineStarts } from '../codegen/strided-loop.js';
import { checkDType, normAxis } from './views.js';

const RUN = 16;

/** Strict order: whether `a` goes before `b`. Equal keys never do, which keeps the sort stable. */
function before(a: number, b: number, desc: boolean): boolean {
  return desc ? a > b || (a !== a && b === b) : a < b || (b !== b && a === a);
}

/** Sorts keys[0..n) with their positions; uses the scratch arrays for merging. Returns which pair holds the result. */
function mergeSort(
  keys: Float64Array, pos: Int32Array, keys2: Float64Array, pos2: Int32Array, n: number, desc: boolean,
): boolean {
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const k = keys[i]!;
      const p = pos[i]!;
      let j = i - 1;
      while (j >= lo && before(k, keys[j]!, desc)) {
        keys[j + 1] = keys[j]!;
        pos[j + 1] = pos[j]!;
        j--;
      }
      keys[j + 1] = k;
      pos[j + 1] = p;
    }
  }
  let srcK = keys, srcP = pos, dstK = keys2, dstP = pos2;
  let swapped = false;
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo, j = mid, w = lo;
      while (i < mid && j < hi) {
        // Take from the right only when strictly before: stability.
        if (before(srcK[j]!, srcK[i]!, desc)) {
          dstK[w] = srcK[j]!;
          dstP[w++] = srcP[j++]!;
        } else {
          dstK[w] = srcK[i]!;
          dstP[w++] = srcP[i++]!;
        }
      }
      while (i < mid) {
        dstK[w] = srcK[i]!;
        dstP[w++] = srcP[i++]!;
      }
      while (j < hi) {
        dstK[w] = srcK[j]!;
        dstP[w++] = srcP[j++]!;
      }
    }
    [srcK, dstK] = [dstK, srcK];
    [srcP, dstP] = [dstP, srcP];
    swapped = !swapped;
  }
  return swapped;
}

export function sort(x: TensorView, axis: number, descending: boolean, values: TensorView, indices: TensorView): void {
  checkDType('sort', indices, 'int32');
  const rank = x.shape.length;
  // A rank-0 tensor sorts as one line of one element.
  const shape = rank === 0 ? [1] : x.shape;
  const ax = rank === 0 ? 0 : normAxis('sort', axis, rank);
  const strideOf = (v: TensorView) => (rank === 0 ? [1] : v.strides);
  const n = shape[ax]!;
  const xStarts = lineStarts(shape, ax, strideOf(x), x.offset);
  const vStarts = lineStarts(shape, ax, strideOf(values), values.offset);
  const iStarts = lineStarts(shape, ax, strideOf(indices), indices.offset);
  const xs = dataOf(x);
  const vs = dataOf(values);
  const is = dataOf(indices);
  const xStride = strideOf(x)[ax]!;
  const vStride = strideOf(values)[ax]!;
  const iStride = strideOf(indices)[ax]!;
  const keys = new Float64Array(n);
  const pos = new Int32Array(n);
  const keys2 = new Float64Array(n);
  const pos2 = new Int32Array(n);
  for (let line = 0; line < xStarts.length; line++) {
    for (let i = 0, p = xStarts[line]!; i < n; i++, p += xStride) {
      keys[i] = xs[p]!;
      pos[i] = i;
    }
    const swapped = mergeSort(keys, pos, keys2, pos2, n, descending);
    const k = swapped ? keys2 : keys;
    const q = swapped ? pos2 : pos;
    for (let i = 0, pv = vStarts[line]!, pi = iStarts[line]!; i < n; i++, pv += vStride, pi += iStride) {
      vs[pv] = k[i]!;
      is[pi] = q[i]!;
    }
  }
}
