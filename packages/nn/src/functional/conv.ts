/**
 * `F.conv1d`, `F.conv2d`, `F.conv3d`: im2col (one `indexSelect` of every window) and one
 * batched matmul per group. Padding is explicit (`pad` with zeros), 'valid' or 'same'
 * (asymmetric when the total is odd, extra on the right, as PyTorch).
 */
import { ShapeError, ValueError, add, fmtShape, indexSelect, matmul, pad, reshape, squeeze, tidy, unsqueeze, type Tensor } from '@torchlet/tensor';
import { checkSpatialInput, slidingOut, tuple, windowIndexTensor } from './im2col.js';

/** Convolution padding: one number, one per spatial dim, or `'same'` / `'valid'` (no padding). */
export type ConvPadding = number | readonly number[] | 'same' | 'valid';

/** Options of `conv1d`, `conv2d`, `conv3d` (`F.conv2d(input, weight, bias, stride, padding, dilation, groups)`). */
export interface ConvOptions {
  /** Step of the kernel along each spatial dim (default 1). */
  stride?: number | readonly number[];
  /** Zero padding on both sides of each spatial dim (default 0). */
  padding?: ConvPadding;
  /** Spacing between kernel elements (default 1). */
  dilation?: number | readonly number[];
  /** Blocked connections: channels split into this many groups (default 1). */
  groups?: number;
}

/** The (before, after) pairs of a padding argument, or of 'same' for the given kernel/dilation. */
export function convPadPairs(op: string, padding: ConvPadding, kernel: number[], dilation: number[], stride: number[]): [number, number][] {
  const nd = kernel.length;
  if (padding === 'valid') return kernel.map(() => [0, 0]);
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) throw new ValueError(`${op}: padding='same' is not supported for strided convolutions`);
    return kernel.map((k, i) => {
      const total = dilation[i]! * (k - 1);
      const left = Math.floor(total / 2);
      return [left, total - left];
    });
  }
  if (typeof padding === 'string') throw new ValueError(`Invalid padding string '${padding}', should be one of {'valid', 'same'}`);
  const p = tuple(padding, nd, 'padding', op);
  if (p.some((v) => v < 0)) throw new ValueError(`${op}: negative padding is not supported`);
  return p.map((v) => [v, v]);
}

/** Flattens per-dim (before, after) pairs into F.pad's last-dim-first list. */
export function padList(pairs: [number, number][]): number[] {
  const out: number[] = [];
  for (let i = pairs.length - 1; i >= 0; i--) out.push(pairs[i]![0], pairs[i]![1]);
  return out;
}

function fmtDims(dims: readonly number[]): string {
  return `(${dims.join(' x ')})`;
}

/** N-d convolution over `nd` spatial dims. */
export function convNd(nd: number, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ConvOptions = {}): Tensor {
  const op = `conv${nd}d`;
  const batched = checkSpatialInput(op, x, nd);
  if (weight.ndim !== nd + 2) {
    throw new ShapeError(`${op}: Expected ${nd + 2}-dimensional weight for ${nd + 2}-dimensional input, but got ${weight.ndim}-dimensional weight of size ${fmtShape(weight.shape)}`);
  }
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${op}: non-positive groups is not supported (got ${groups})`);
  const stride = tuple(options.stride ?? 1, nd, 'stride', op);
  const dilation = tuple(options.dilation ?? 1, nd, 'dilation', op);
  if (stride.some((s) => s < 1)) throw new ValueError(`${op}: non-positive stride is not supported`);
  if (dilation.some((d) => d < 1)) throw new ValueError(`${op}: dilation should be greater than zero`);
  const kernel = weight.shape.slice(2) as number[];
  const outC = weight.shape[0]!;
  const inputShape = batched ? x.shape : [1, ...x.shape];
  const cin = inputShape[1]!;
  if (outC % groups !== 0) {
    throw new ShapeError(`Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmtShape(weight.shape)} instead`);
  }
  if (weight.shape[1]! * groups !== cin) {
    throw new ShapeError(
      `Given groups=${groups}, weight of size ${fmtShape(weight.shape)}, expected input${fmtShape(inputShape)} to have ${weight.shape[1]! * groups} channels, but got ${cin} channels instead`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outC)) {
    throw new ShapeError(`${op}: expected bias of shape [${outC}] (got ${fmtShape(bias.shape)})`);
  }
  const pairs = convPadPairs(op, options.padding ?? 0, kernel, dilation, stride);
  const spatial = inputShape.slice(2);
  const padded = spatial.map((n, i) => n + pairs[i]![0] + pairs[i]![1]);
  const effective = kernel.map((k, i) => dilation[i]! * (k - 1) + 1);
  if (padded.some((p, i) => p < effective[i]!)) {
    throw new ShapeError(
      `Calculated padded input size per channel: ${fmtDims(padded)}. Kernel size: ${fmtDims(effective)}. Kernel size can't be greater than actual input size`,
    );
  }
  const out = padded.map((p, i) => slidingOut(p, kernel[i]!, stride[i]!, dilation[i]!));
  const n = inputShape[0]!;
  const K = kernel.reduce((a, b) => a * b, 1);
  const L = out.reduce((a, b) => a * b, 1);
  const cg = cin / groups;
  return tidy(() => {
    let xb = batched ? x : unsqueeze(x, 0);
    if (pairs.some(([a, b]) => a > 0 || b > 0)) xb = pad(xb, padList(pairs));
    const flat = reshape(xb, [n, cin, -1]);
    const cols = indexSelect(flat, 2, windowIndexTensor({ padded, kernel, stride, dilation, out }, x.device)); // [n, cin, K·L]
    const colsG = reshape(cols, [n, groups, cg * K, L]);
    const w = reshape(weight, [groups, outC / groups, cg * K]);
    let y = reshape(matmul(w, colsG), [n, outC, ...out]);
    if (bias) y = add(y, reshape(bias, [1, outC, ...new Array<number>(nd).fill(1)]));
    return batched ? y : squeeze(y, 0);
  });
}

/** `F.conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd(1, x, weight, bias, options);
}

/** `F.conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd(2, x, weight, bias, options);
}

/** `F.conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`. */
export function conv3d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd(3, x, weight, bias, options);
}
