/**
 * Fused softmax cross-entropy with class-index targets and its backward (the
 * `softmaxCrossEntropy` / `softmaxCrossEntropyBackward` capabilities; semantics in
 * @torchlet/backend's `FusedKernels`): no [N, C] log-probabilities, one row at a time. The
 * reference for the Wasm and WGSL kernels; float32 or float64 views of any strides, each row
 * computed in float64 and rounded once on store.
 */
import type { TensorView } from '@torchlet/backend';
import { dataOf } from '../buffer.js';

type Arr = Float32Array | Float64Array;

/** What both kernels read, checked once: sizes, data, offsets and strides. */
export interface CrossEntropyArgs {
  N: number;
  C: number;
  x: Arr;
  xo: number;
  xrs: number;
  xcs: number;
  t: Int32Array;
  to: number;
  ts: number;
  w: Arr | null;
  wo: number;
  ws: number;
  /** Σ_c w_c (C without a weight). */
  W: number;
}

function checkFloat(op: string, what: string, v: TensorView, dtype: string, shape: readonly number[]): void {
  if (v.dtype !== dtype) throw new TypeError(`${op}: ${what} must be ${dtype} (got ${v.dtype})`);
  if (v.shape.length !== shape.length || v.shape.some((n, i) => n !== shape[i])) {
    throw new RangeError(`${op}: ${what} must be [${shape.join(', ')}] (got [${v.shape.join(', ')}])`);
  }
}

/** Checks the shapes and dtypes shared by the forward and the backward; `outs` are [view, name, shape] triples. */
export function crossEntropyArgs(
  op: string,
  logits: TensorView,
  target: TensorView,
  weight: TensorView | null,
  labelSmoothing: number,
  outs: readonly [TensorView, string, 1 | 2][],
): CrossEntropyArgs {
  if (logits.dtype !== 'float32' && logits.dtype !== 'float64') throw new TypeError(`${op}: logits must be float32 or float64 (got ${logits.dtype})`);
  if (logits.shape.length !== 2) throw new RangeError(`${op}: logits must be 2-D [N, C] (got [${logits.shape.join(', ')}])`);
  const N = logits.shape[0]!;
  const C = logits.shape[1]!;
  if (target.dtype !== 'int32' || target.shape.length !== 1 || target.shape[0] !== N) {
    throw new TypeError(`${op}: target must be an int32 view of shape [${N}] (got ${target.dtype} [${target.shape.join(', ')}])`);
  }
  if (weight) checkFloat(op, 'weight', weight, logits.dtype, [C]);
  for (const [v, what, rank] of outs) checkFloat(op, what, v, logits.dtype, rank === 2 ? [N, C] : [N]);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1] (got ${labelSmoothing})`);
  const w = weight ? (dataOf(weight) as Arr) : null;
  const wo = weight ? weight.offset : 0;
  const ws = weight ? weight.strides[0]! : 0;
  let W = C;
  if (w) {
    W = 0;
    for (let c = 0; c < C; c++) W += w[wo + c * ws]!;
  }
  return {
    N,
    C,
    x: dataOf(logits) as Arr,
    xo: logits.offset,
    xrs: logits.strides[0]!,
    xcs: logits.strides[1]!,
    t: dataOf(target) as Int32Array,
    to: target.offset,
    ts: target.strides[0]!,
    w,
    wo,
    ws,
    W,
  };
}

export function softmaxCrossEntropy(
  logits: TensorView,
  target: TensorView,
  weight: TensorView | null,
  ignoreIndex: number,
  labelSmoothing: number,
  loss: TensorView,
  lse: TensorView,
): void {
  const a = crossEntropyArgs('softmaxCrossEntropy', logits, target, weight, labelSmoothing, [
    [loss, 'loss', 1],
    [lse, 'lse', 1],
  ]);
  const { N, C, x, xrs, xcs, t, w, wo, ws, W } = a;
  const lo = dataOf(loss) as Arr;
  const so = dataOf(lse) as Arr;
  const c1 = 1 - labelSmoothing;
  const c2 = labelSmoothing / C;
  for (let i = 0; i < N; i++) {
    const base = a.xo + i * xrs;
    let m = -Infinity;
    for (let c = 0, p = base; c < C; c++, p += xcs) m = Math.max(m, x[p]!); // NaN propagates
    // Σ exp(x − m) and, for the smoothing term, Σ w_c·(x_c − m): Σ_c w_c·(lse − x_c) = W·log s − that,
    // a sum of non-negative terms (no cancellation against a large lse).
    let s = 0;
    let z = 0;
    for (let c = 0, p = base; c < C; c++, p += xcs) {
      const v = x[p]! - m;
      s += Math.exp(v);
      if (c2 !== 0) z += w ? w[wo + c * ws]! * v : v;
    }
    const ls = Math.log(s);
    so[lse.offset + i * lse.strides[0]!] = m + ls;
    const k = t[a.to + i * a.ts]!;
    let l: number;
    if (k === ignoreIndex) l = 0;
    else if (k < 0 || k >= C) l = NaN;
    else {
      const wt = w ? w[wo + k * ws]! : 1;
      l = c1 * wt * (ls - (x[base + k * xcs]! - m));
      if (c2 !== 0) l += c2 * (W * ls - z);
    }
    lo[loss.offset + i * loss.strides[0]!] = l;
  }
}

/** The checks of `softmaxCrossEntropyBackward` (the Wasm kernel runs them too). */
export function crossEntropyBackwardArgs(
  gradLoss: TensorView,
  gradLse: TensorView | null,
  logits: TensorView,
  target: TensorView,
  weight: TensorView | null,
  lse: TensorView,
  labelSmoothing: number,
  gradLogits: TensorView,
): ReturnType<typeof crossEntropyArgs> {
  const outs: [TensorView, string, 1 | 2][] = [
    [gradLoss, 'gradLoss', 1],
    [lse, 'lse', 1],
    [gradLogits, 'gradLogits', 2],
  ];
  if (gradLse) outs.push([gradLse, 'gradLse', 1]);
  return crossEntropyArgs('softmaxCrossEntropyBackward', logits, target, weight, labelSmoothing, outs);
}

export function softmaxCrossEntropyBackward(
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
  const a = crossEntropyBackwardArgs(gradLoss, gradLse, logits, target, weight, lse, labelSmoothing, gradLogits);
  const { N, C, x, xrs, xcs, t, w, wo, ws, W } = a;
  const g = dataOf(gradLoss) as Arr;
  const h = gradLse ? (dataOf(gradLse) as Arr) : null;
  const so = dataOf(lse) as Arr;
  const o = dataOf(gradLogits) as Arr;
  const ors = gradLogits.strides[0]!;
  const ocs = gradLogits.strides[1]!;
  const c1 = 1 - labelSmoothing;
  const c2 = labelSmoothing / C;
  for (let i = 0; i < N; i++) {
    const xb = a.xo + i * xrs;
    const ob = gradLogits.offset + i * ors;
    const k = t[a.to + i * a.ts]!;
    const ignored = k === ignoreIndex;
    const hi = h ? h[gradLse!.offset + i * gradLse!.strides[0]!]! : 0;
    if ((ignored && hi === 0) || (!ignored && (k < 0 || k >= C))) {
      const fill = ignored ? 0 : NaN;
      for (let c = 0, q = ob; c < C; c++, q += ocs) o[q] = fill;
      continue;
    }
    // an ignored row keeps only the lse term
    const gi = ignored ? 0 : g[gradLoss.offset + i * gradLoss.strides[0]!]!;
    const L = so[lse.offset + i * lse.strides[0]!]!;
    const wt = w && !ignored ? w[wo + k * ws]! : 1;
    // g·(p_c·(c1·w_t + c2·W) − c2·w_c) + h·p_c, minus g·c1·w_t at the target
    const pa = gi * (c1 * wt + c2 * W) + hi;
    const pb = gi * c2;
    const pt = gi * c1 * wt;
    const kt = ignored ? -1 : k;
    for (let c = 0, p = xb, q = ob; c < C; c++, p += xcs, q += ocs) {
      let v = pa * Math.exp(x[p]! - L) - (w ? pb * w[wo + c * ws]! : pb);
      if (c === kt) v -= pt;
      o[q] = v;
    }
  }
}
