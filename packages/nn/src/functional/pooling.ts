/**
 * Pooling: `F.max_pool{1,2,3}d`, `F.avg_pool{1,2,3}d` (im2col windows reduced with max or
 * sum), `F.adaptive_avg_pool{1,2}d` (one averaging matrix per dim, applied with matmul) and
 * `F.adaptive_max_pool{1,2}d` (variable windows gathered with a −inf sentinel).
 */
import {
  ShapeError,
  ValueError,
  add,
  arange,
  cat,
  div,
  fmtShape,
  fromHost,
  full,
  indexSelect,
  matmul,
  max,
  mul,
  movedim,
  pad,
  reshape,
  squeeze,
  sum,
  tidy,
  unsqueeze,
  type DType,
  type DeviceName,
  type Tensor,
} from '@torchlet/tensor';
import { padList } from './conv.js';
import { checkSpatialInput, tuple, windowIndexTensor } from './im2col.js';

/** Options of the max-pooling functions and layers (`F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)`). */
export interface MaxPoolOptions {
  /** Default: the kernel size. */
  stride?: number | readonly number[] | null;
  /** Implicit −∞ padding on both sides of each spatial dim (default 0; at most half the kernel). */
  padding?: number | readonly number[];
  /** Spacing between kernel elements (default 1). */
  dilation?: number | readonly number[];
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/** Options of the average-pooling functions and layers (`F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`). */
export interface AvgPoolOptions {
  /** Default: the kernel size. */
  stride?: number | readonly number[] | null;
  /** Implicit zero padding on both sides of each spatial dim (default 0; at most half the kernel). */
  padding?: number | readonly number[];
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window by this instead (default null). */
  divisorOverride?: number | null;
}

/** PyTorch's `pooling_output_shape`. */
function poolOut(n: number, k: number, p: number, s: number, d: number, ceil: boolean): number {
  const num = n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  let o = Math.floor(num / s) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

interface PoolGeometry {
  batched: boolean;
  n: number;
  c: number;
  spatial: number[];
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  out: number[];
  /** (before, after) padding per dim, the after part extended for ceil mode. */
  pairs: [number, number][];
}

function geometry(op: string, nd: number, x: Tensor, kernelSize: number | readonly number[], o: MaxPoolOptions): PoolGeometry {
  const batched = checkSpatialInput(op, x, nd);
  const shape = batched ? x.shape : [1, ...x.shape];
  const kernel = tuple(kernelSize, nd, 'kernel_size', op);
  const stride = o.stride === null || o.stride === undefined || (Array.isArray(o.stride) && o.stride.length === 0) ? kernel : tuple(o.stride, nd, 'stride', op);
  const padding = tuple(o.padding ?? 0, nd, 'padding', op);
  const dilation = tuple(o.dilation ?? 1, nd, 'dilation', op);
  if (kernel.some((k) => k < 1)) throw new ValueError(`${op}: kernel_size must be greater than zero, but got ${fmtShape(kernel)}`);
  if (stride.some((s) => s < 1)) throw new ValueError(`${op}: stride must be greater than zero, but got ${fmtShape(stride)}`);
  if (dilation.some((d) => d < 1)) throw new ValueError(`${op}: dilation must be greater than zero, but got ${fmtShape(dilation)}`);
  padding.forEach((p, i) => {
    const eff = dilation[i]! * (kernel[i]! - 1) + 1;
    if (p < 0 || p > Math.floor(eff / 2)) {
      throw new ValueError(`${op}: pad should be at most half of effective kernel size, but got pad=${p}, kernel_size=${kernel[i]} and dilation=${dilation[i]}`);
    }
  });
  const spatial = shape.slice(2) as number[];
  const out = spatial.map((s, i) => poolOut(s, kernel[i]!, padding[i]!, stride[i]!, dilation[i]!, o.ceilMode ?? false));
  if (out.some((v) => v <= 0)) {
    throw new ShapeError(
      `Given input size: (${[shape[1], ...spatial].join('x')}). Calculated output size: (${[shape[1], ...out].join('x')}). Output size is too small`,
    );
  }
  const pairs = spatial.map((s, i): [number, number] => {
    const needed = (out[i]! - 1) * stride[i]! + dilation[i]! * (kernel[i]! - 1) + 1;
    return [padding[i]!, Math.max(padding[i]!, needed - s - padding[i]!)];
  });
  return { batched, n: shape[0]!, c: shape[1]!, spatial, kernel, stride, padding, dilation, out, pairs };
}

/** `[n, c, K, L]` windows of `x` padded with `value`. */
function windows(x: Tensor, g: PoolGeometry, value: number): Tensor {
  let xb = g.batched ? x : unsqueeze(x, 0);
  if (g.pairs.some(([a, b]) => a > 0 || b > 0)) xb = pad(xb, padList(g.pairs), { value });
  const padded = g.spatial.map((s, i) => s + g.pairs[i]![0] + g.pairs[i]![1]);
  const flat = reshape(xb, [g.n, g.c, -1]);
  const cols = indexSelect(flat, 2, windowIndexTensor({ padded, kernel: g.kernel, stride: g.stride, dilation: g.dilation, out: g.out }, x.device));
  const K = g.kernel.reduce((a, b) => a * b, 1);
  const L = g.out.reduce((a, b) => a * b, 1);
  return reshape(cols, [g.n, g.c, K, L]);
}

function finish(y: Tensor, g: PoolGeometry): Tensor {
  const r = reshape(y, [g.n, g.c, ...g.out]);
  return g.batched ? r : squeeze(r, 0);
}

/** Unpadded flat input position of each (kernel tap, output position); -1 in the padding. */
function positionTable(g: PoolGeometry): Int32Array {
  const nd = g.spatial.length;
  const K = g.kernel.reduce((a, b) => a * b, 1);
  const L = g.out.reduce((a, b) => a * b, 1);
  const table = new Int32Array(K * L);
  const ki = new Array<number>(nd);
  const li = new Array<number>(nd);
  for (let k = 0; k < K; k++) {
    let rem = k;
    for (let i = nd - 1; i >= 0; i--) {
      ki[i] = rem % g.kernel[i]!;
      rem = Math.floor(rem / g.kernel[i]!);
    }
    for (let l = 0; l < L; l++) {
      let r2 = l;
      for (let i = nd - 1; i >= 0; i--) {
        li[i] = r2 % g.out[i]!;
        r2 = Math.floor(r2 / g.out[i]!);
      }
      let pos = 0;
      let inside = true;
      for (let i = 0; i < nd; i++) {
        const p = li[i]! * g.stride[i]! + ki[i]! * g.dilation[i]! - g.padding[i]!;
        if (p < 0 || p >= g.spatial[i]!) inside = false;
        pos = pos * g.spatial[i]! + p;
      }
      table[k * L + l] = inside ? pos : -1;
    }
  }
  return table;
}

/** Max pooling over `nd` spatial dims; `returnIndices` adds the flat input index of each maximum. */
export function maxPoolNd(nd: number, x: Tensor, kernelSize: number | readonly number[], options: MaxPoolOptions = {}): Tensor {
  const g = geometry(`max_pool${nd}d`, nd, x, kernelSize, options);
  return tidy(() => finish(max(windows(x, g, -Infinity), 2).values, g));
}

/** `max_pool` with `return_indices=True`: `{ values, indices }` (indices into each channel's flattened input). */
export function maxPoolNdWithIndices(
  nd: number,
  x: Tensor,
  kernelSize: number | readonly number[],
  options: MaxPoolOptions = {},
): {
  /** The pooled maxima. */
  values: Tensor;
  /** Where each maximum is, as an index into its channel's flattened input (int32). */
  indices: Tensor;
} {
  const g = geometry(`max_pool${nd}d`, nd, x, kernelSize, options);
  return tidy(() => {
    const { values, indices } = max(windows(x, g, -Infinity), 2); // [n, c, L]
    const L = g.out.reduce((a, b) => a * b, 1);
    const flatIdx = add(mul(indices, L), arange(L, { dtype: 'int32', device: x.device }));
    const table = fromHost(positionTable(g), [g.kernel.reduce((a, b) => a * b, 1) * L], 'int32', x.device);
    const pos = reshape(indexSelect(table, 0, reshape(flatIdx, [-1])), indices.shape);
    return { values: finish(values, g), indices: finish(pos, g) };
  });
}

/** `F.max_pool1d(x, kernel_size, …)`: input [N, C, L] or [C, L]. */
export const maxPool1d = (x: Tensor, kernelSize: number | readonly number[], options: MaxPoolOptions = {}): Tensor => maxPoolNd(1, x, kernelSize, options);
/** `F.max_pool2d(x, kernel_size, …)`: input [N, C, H, W] or [C, H, W]. */
export const maxPool2d = (x: Tensor, kernelSize: number | readonly number[], options: MaxPoolOptions = {}): Tensor => maxPoolNd(2, x, kernelSize, options);
/** `F.max_pool3d(x, kernel_size, …)`: input [N, C, D, H, W] or [C, D, H, W]. */
export const maxPool3d = (x: Tensor, kernelSize: number | readonly number[], options: MaxPoolOptions = {}): Tensor => maxPoolNd(3, x, kernelSize, options);

function divisors(g: PoolGeometry, o: AvgPoolOptions, dtype: DType, device: DeviceName): Tensor {
  const nd = g.spatial.length;
  const L = g.out.reduce((a, b) => a * b, 1);
  const dv = new Float64Array(L);
  const li = new Array<number>(nd);
  for (let l = 0; l < L; l++) {
    let rem = l;
    for (let i = nd - 1; i >= 0; i--) {
      li[i] = rem % g.out[i]!;
      rem = Math.floor(rem / g.out[i]!);
    }
    let withPad = 1;
    let without = 1;
    for (let i = 0; i < nd; i++) {
      let start = li[i]! * g.stride[i]! - g.padding[i]!;
      let end = Math.min(start + g.kernel[i]!, g.spatial[i]! + g.padding[i]!);
      withPad *= end - start;
      start = Math.max(start, 0);
      end = Math.min(end, g.spatial[i]!);
      without *= Math.max(end - start, 0);
    }
    dv[l] = o.divisorOverride ?? ((o.countIncludePad ?? true) ? withPad : without);
  }
  const host = dtype === 'float64' ? dv : Float32Array.from(dv);
  return fromHost(host, [L], dtype === 'float64' ? 'float64' : 'float32', device);
}

/** Average pooling over `nd` spatial dims. */
export function avgPoolNd(nd: number, x: Tensor, kernelSize: number | readonly number[], options: AvgPoolOptions = {}): Tensor {
  if (options.divisorOverride !== null && options.divisorOverride !== undefined && options.divisorOverride === 0) {
    throw new ValueError(`avg_pool${nd}d: divisor must be not zero`);
  }
  const g = geometry(`avg_pool${nd}d`, nd, x, kernelSize, { ...options, dilation: 1 });
  return tidy(() => finish(div(sum(windows(x, g, 0), 2), divisors(g, options, x.dtype, x.device)), g));
}

/** `F.avg_pool1d(x, kernel_size, …)`: input [N, C, L] or [C, L]. */
export const avgPool1d = (x: Tensor, kernelSize: number | readonly number[], options: AvgPoolOptions = {}): Tensor => avgPoolNd(1, x, kernelSize, options);
/** `F.avg_pool2d(x, kernel_size, …)`: input [N, C, H, W] or [C, H, W]. */
export const avgPool2d = (x: Tensor, kernelSize: number | readonly number[], options: AvgPoolOptions = {}): Tensor => avgPoolNd(2, x, kernelSize, options);
/** `F.avg_pool3d(x, kernel_size, …)`: input [N, C, D, H, W] or [C, D, H, W]. */
export const avgPool3d = (x: Tensor, kernelSize: number | readonly number[], options: AvgPoolOptions = {}): Tensor => avgPoolNd(3, x, kernelSize, options);

// ---- adaptive ---------------------------------------------------------------------------------------

/** PyTorch's adaptive bins: [floor(o·n/out), ceil((o+1)·n/out)). */
function bins(n: number, out: number): [number, number][] {
  return Array.from({ length: out }, (_, o) => [Math.floor((o * n) / out), Math.ceil(((o + 1) * n) / out)]);
}

/** The output size of adaptive pooling: one size for every spatial dim, or one per dim; null keeps the input's size. */
export type AdaptiveSize = number | null | readonly (number | null)[];

function adaptiveSizes(op: string, nd: number, x: Tensor, outputSize: AdaptiveSize): { batched: boolean; out: number[]; spatial: number[] } {
  const batched = checkSpatialInput(op, x, nd);
  const spatial = x.shape.slice(x.ndim - nd) as number[];
  if (spatial.some((s) => s === 0)) throw new ShapeError(`${op}: expected input to have non-zero size for non-batch dimensions, but input has sizes ${fmtShape(x.shape)}`);
  const raw = typeof outputSize === 'number' || outputSize === null ? new Array<number | null>(nd).fill(outputSize) : [...outputSize];
  if (raw.length !== nd) throw new ValueError(`${op}: output_size must have ${nd} elements (got ${JSON.stringify(outputSize)})`);
  const out = raw.map((o, i) => (o === null ? spatial[i]! : o));
  if (out.some((o) => !Number.isInteger(o) || o < 0)) throw new ValueError(`${op}: output_size must be non-negative integers (got ${JSON.stringify(outputSize)})`);
  return { batched, out, spatial };
}

/** Adaptive average pooling: each spatial dim multiplied by its averaging matrix. */
export function adaptiveAvgPoolNd(nd: number, x: Tensor, outputSize: AdaptiveSize): Tensor {
  const { out, spatial } = adaptiveSizes(`adaptive_avg_pool${nd}d`, nd, x, outputSize);
  return tidy(() => {
    let y = x;
    for (let i = 0; i < nd; i++) {
      const n = spatial[i]!;
      const o = out[i]!;
      const m = new Float64Array(n * o);
      bins(n, o).forEach(([s, e], j) => {
        for (let r = s; r < e; r++) m[r * o + j] = 1 / (e - s);
      });
      const mat = fromHost(x.dtype === 'float64' ? m : Float32Array.from(m), [n, o], x.dtype === 'float64' ? 'float64' : 'float32', x.device);
      const dim = x.ndim - nd + i;
      const moved = movedim(y, dim, -1);
      y = movedim(matmul(moved, mat), -1, dim);
    }
    return y;
  });
}

/** `F.adaptive_avg_pool1d(x, output_size)`: averages over PyTorch's adaptive bins, input [N, C, L] or [C, L]. */
export const adaptiveAvgPool1d = (x: Tensor, outputSize: AdaptiveSize): Tensor => adaptiveAvgPoolNd(1, x, outputSize);
/** `F.adaptive_avg_pool2d(x, output_size)`: input [N, C, H, W] or [C, H, W]. */
export const adaptiveAvgPool2d = (x: Tensor, outputSize: AdaptiveSize): Tensor => adaptiveAvgPoolNd(2, x, outputSize);
/** `F.adaptive_avg_pool3d(x, output_size)`: input [N, C, D, H, W] or [C, D, H, W]. */
export const adaptiveAvgPool3d = (x: Tensor, outputSize: AdaptiveSize): Tensor => adaptiveAvgPoolNd(3, x, outputSize);

/** Adaptive max pooling: variable windows gathered into a fixed width, padded with a −inf sentinel. */
export function adaptiveMaxPoolNd(nd: number, x: Tensor, outputSize: AdaptiveSize): Tensor {
  const { batched, out, spatial } = adaptiveSizes(`adaptive_max_pool${nd}d`, nd, x, outputSize);
  const perDim = spatial.map((n, i) => bins(n, out[i]!));
  const widths = perDim.map((b) => Math.max(1, ...b.map(([s, e]) => e - s)));
  const K = widths.reduce((a, b) => a * b, 1);
  const L = out.reduce((a, b) => a * b, 1);
  const P = spatial.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(K * L);
  const ki = new Array<number>(nd);
  const li = new Array<number>(nd);
  for (let k = 0; k < K; k++) {
    let rem = k;
    for (let i = nd - 1; i >= 0; i--) {
      ki[i] = rem % widths[i]!;
      rem = Math.floor(rem / widths[i]!);
    }
    for (let l = 0; l < L; l++) {
      let r2 = l;
      for (let i = nd - 1; i >= 0; i--) {
        li[i] = r2 % out[i]!;
        r2 = Math.floor(r2 / out[i]!);
      }
      let pos = 0;
      let inside = true;
      for (let i = 0; i < nd; i++) {
        const [s, e] = perDim[i]![li[i]!]!;
        if (s + ki[i]! >= e) inside = false;
        pos = pos * spatial[i]! + s + ki[i]!;
      }
      idx[k * L + l] = inside ? pos : P;
    }
  }
  return tidy(() => {
    const xb = batched ? x : unsqueeze(x, 0);
    const n = xb.shape[0]!;
    const c = xb.shape[1]!;
    const flat = reshape(xb, [n, c, P]);
    const withSentinel = cat([flat, full([n, c, 1], -Infinity, { dtype: x.dtype, device: x.device })], 2);
    const cols = reshape(indexSelect(withSentinel, 2, fromHost(idx, [K * L], 'int32', x.device)), [n, c, K, L]);
    const y = reshape(max(cols, 2).values, [n, c, ...out]);
    return batched ? y : squeeze(y, 0);
  });
}

/** `F.adaptive_max_pool1d(x, output_size)`: maxima over PyTorch's adaptive bins, input [N, C, L] or [C, L]. */
export const adaptiveMaxPool1d = (x: Tensor, outputSize: AdaptiveSize): Tensor => adaptiveMaxPoolNd(1, x, outputSize);
/** `F.adaptive_max_pool2d(x, output_size)`: input [N, C, H, W] or [C, H, W]. */
export const adaptiveMaxPool2d = (x: Tensor, outputSize: AdaptiveSize): Tensor => adaptiveMaxPoolNd(2, x, outputSize);
