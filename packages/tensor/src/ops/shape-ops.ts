/**
 * Shape ops that make new tensors (or lists of views): cat, stack, split, chunk, unbind,
 * flip, roll, repeat, repeatInterleave, pad, tril/triu, diag.
 *
 * Registered primitives: `cat` (attrs `{ dim }`), `flip` (`{ dims }`), `pad` (constant mode:
 * `{ pad, value }`). The rest are composites of views and primitives.
 */
import { promoteTypes, type DType } from '@torchlet/backend';
import { DeviceError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { allocTensor, fromHost } from '../core/factory.js';
import { normalizeDim, normalizeDims, numelOf } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { call1, dispatch } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { castKernel, commonDevice, scalarTensor } from './common.js';
import { alias, clone } from './conversion.js';
import { eq, ge, le, sub, where } from './elementwise.js';
import { checkIndexDType, indexSelect, withTemps } from './indexing.js';
import { expand, narrow, reshape, select, sizesFrom, unsqueeze, view, flatten } from './views.js';
import { arange } from '../creation/filled.js';

// ---- cat / stack ---------------------------------------------------------------------------------------------

/**
 * inputs: the tensors (same ndim, sizes equal except along `dim`); attrs `{ dim }` (normalised).
 * The result has the promoted dtype; each input's gradient is `grad.narrow(dim, offset, size)`.
 */
export const catDef = registerOp<{ dim: number }>({
  name: 'cat',
  kind: 'primitive',
  differentiable: true,
  forward: (inputs, { dim }) => {
    const first = inputs[0]!;
    let dtype: DType = first.dtype;
    for (const t of inputs) dtype = promoteTypes(dtype, t.dtype);
    const shape = [...first.shape];
    shape[dim] = inputs.reduce((s, t) => s + t.shape[dim]!, 0);
    const out = allocTensor(shape, dtype, first.device);
    const ov = out.kernelView;
    let offset = 0;
    for (const t of inputs) {
      const n = t.shape[dim]!;
      if (t.numel() > 0) {
        const c = castKernel(t, dtype);
        try {
          out.backend.assign({ ...ov, shape: t.shape, offset: offset * ov.strides[dim]! }, c.kernelView);
        } finally {
          if (c !== t) c.dispose();
        }
      }
      offset += n;
    }
    return out;
  },
});

/**
 * `torch.cat(tensors, dim=0)`: joins along an existing dim; dtypes promote. Like PyTorch,
 * 1-D empty tensors (shape [0]) are skipped whatever the others' rank.
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('torch.cat(): expected a non-empty list of Tensors');
  commonDevice(tensors, 'cat');
  tensors.forEach((t, i) => {
    if (t.ndim === 0) throw new ShapeError(`torch.cat(): zero-dimensional tensor (at position ${i}) cannot be concatenated`);
  });
  const used = tensors.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
  if (used.length === 0) {
    let dtype: DType = tensors[0]!.dtype;
    for (const t of tensors) dtype = promoteTypes(dtype, t.dtype);
    const c = castKernel(tensors[0]!, dtype);
    return c === tensors[0] ? alias(c) : c;
  }
  const ref = used[0]!;
  const d = normalizeDim(dim, ref.ndim, 'cat');
  used.forEach((t, i) => {
    if (t.ndim !== ref.ndim) throw new ShapeError(`torch.cat(): Tensors must have same number of dimensions: got ${ref.ndim} and ${t.ndim}`);
    for (let k = 0; k < ref.ndim; k++) {
      if (k !== d && t.shape[k] !== ref.shape[k]) {
        throw new ShapeError(
          `Sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[k]} but got size ${t.shape[k]} for tensor number ${tensors.indexOf(t) === -1 ? i : tensors.indexOf(t)} in the list.`,
        );
      }
    }
  });
  return call1(catDef, used, { dim: d });
}

/** `torch.concat` / `torch.concatenate`: `cat`. */
export const concat = cat;

const stackDef = registerOp<{ dim: number }>({
  name: 'stack',
  kind: 'composite',
  differentiable: true,
  forward: (inputs, { dim }) =>
    withTemps((tmp) => cat(inputs.map((t) => tmp(unsqueeze(t, dim))), dim)),
});

/** `torch.stack(tensors, dim=0)`: joins equal-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('stack expects a non-empty TensorList');
  const ref = tensors[0]!;
  tensors.forEach((t, i) => {
    if (t.ndim !== ref.ndim || t.shape.some((n, k) => n !== ref.shape[k])) {
      throw new ShapeError(`stack expects each tensor to be equal size, but got ${fmtShape(ref.shape)} at entry 0 and ${fmtShape(t.shape)} at entry ${i}`);
    }
  });
  const d = normalizeDim(dim, ref.ndim + 1, 'stack');
  return call1(stackDef, tensors, { dim: d });
}

/** `torch.hstack`, `vstack`: cat along dim 1 (0 for 1-D inputs) / dim 0 of at-least-2-D inputs. */
export function hstack(tensors: readonly Tensor[]): Tensor {
  return cat(tensors, tensors[0] && tensors[0].ndim === 1 ? 0 : 1);
}

/** `torch.vstack(tensors)`: concatenation along dim 0, 1-D inputs taken as rows. */
export function vstack(tensors: readonly Tensor[]): Tensor {
  return withTemps((tmp) => cat(tensors.map((t) => (t.ndim >= 2 ? t : tmp(reshape(t, [1, -1])))), 0));
}

// ---- split / chunk / unbind -----------------------------------------------------------------------------------

const splitDef = registerOp<{ dim: number; sizes: number[] }>({
  name: 'split',
  kind: 'composite',
  differentiable: true,
  forward: ([x], { dim, sizes }) => {
    let start = 0;
    return sizes.map((n) => {
      const part = narrow(x!, dim, start, n);
      start += n;
      return part;
    });
  },
});

/**
 * `torch.split(x, split_size_or_sections, dim=0)`: views of `x`; a number gives equal parts
 * (the last may be smaller), a list gives those sizes (summing to the dim's size).
 */
export function split(x: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  const d = normalizeDim(dim, x.ndim, 'split');
  const n = x.shape[d]!;
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections < 0) throw new ValueError(`split expects split_size be non-negative, but got split_size=${sizeOrSections}`);
    if (sizeOrSections === 0) {
      if (n !== 0) throw new ValueError(`split_size can only be 0 if dimension size is 0, but got dimension size of ${n}`);
      sizes = [0];
    } else {
      sizes = [];
      for (let s = 0; s < n; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - s));
      if (sizes.length === 0) sizes = [0];
    }
  } else {
    sizes = [...sizeOrSections];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || total !== n) {
      throw new ValueError(
        `split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), but got split_sizes=${fmtShape(sizes)}`,
      );
    }
  }
  return dispatch(splitDef, [x], { dim: d, sizes }) as Tensor[];
}

/** `torch.chunk(x, chunks, dim=0)`: at most `chunks` equal views (the last may be smaller). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ValueError(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normalizeDim(dim, x.ndim, 'chunk');
  const n = x.shape[d]!;
  if (n === 0) return split(x, Array.from({ length: chunks }, () => 0), d);
  return split(x, Math.ceil(n / chunks), d);
}

/** `torch.unbind(x, dim=0)`: the slices along `dim`, as views without that dim. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normalizeDim(dim, x.ndim, 'unbind');
  return Array.from({ length: x.shape[d]! }, (_, i) => select(x, d, i));
}

// ---- flip / roll -----------------------------------------------------------------------------------------------

/** attrs `{ dims }` (normalised, sorted). Its own inverse: the derivative is `flip(grad, dims)`. */
export const flipDef = registerOp<{ dims: number[] }>({
  name: 'flip',
  kind: 'primitive',
  differentiable: true,
  forward: ([x], { dims }) => {
    const backend = x!.backend;
    const flipped = dims.filter((d) => x!.shape[d]! > 1);
    const out = (): Tensor => allocTensor(x!.shape, x!.dtype, x!.device);
    if (flipped.length === 0 || x!.numel() === 0) {
      const copy = out();
      if (copy.numel() > 0) backend.assign(copy.kernelView, x!.kernelView);
      return copy;
    }
    // One index-select per flipped dim, the first reading x directly.
    let cur: Tensor | null = null;
    for (const d of flipped) {
      const n = x!.shape[d]!;
      const idx = allocTensor([n], 'int32', x!.device);
      const next = out();
      try {
        backend.arange(idx.kernelView, n - 1, -1);
        backend.indexSelect((cur ?? x!).kernelView, d, idx.kernelView, next.kernelView);
      } catch (err) {
        next.dispose();
        throw err;
      } finally {
        idx.dispose();
        cur?.dispose();
      }
      cur = next;
    }
    return cur!;
  },
});

/** `torch.flip(x, dims)`: reverses the order along `dims` (a copy, as in PyTorch). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  return call1(flipDef, [x], { dims: normalizeDims(dims, x.ndim, 'flip') });
}

/** `torch.fliplr(x)`: `x` reversed along dim 1. */
export function fliplr(x: Tensor): Tensor {
  if (x.ndim < 2) throw new ShapeError('fliplr: Input must be >= 2-d.');
  return flip(x, 1);
}

/** `torch.flipud(x)`: `x` reversed along dim 0. */
export function flipud(x: Tensor): Tensor {
  if (x.ndim < 1) throw new ShapeError('flipud: Input must be >= 1-d.');
  return flip(x, 0);
}

const rollDef = registerOp<{ shifts: number[]; dims: number[] | null }>({
  name: 'roll',
  kind: 'composite',
  differentiable: true,
  forward: ([x], { shifts, dims }) =>
    withTemps((tmp) => {
      if (dims === null) {
        const flat = tmp(flatten(x!));
        return view(tmp(rollDim(flat, shifts[0]!, 0, tmp)), x!.shape);
      }
      let cur = x!;
      shifts.forEach((s, i) => (cur = tmp(rollDim(cur, s, dims[i]!, tmp))));
      return cur === x ? alias(x!) : clone(cur);
    }),
});

function rollDim(x: Tensor, shift: number, dim: number, tmp: (t: Tensor) => Tensor): Tensor {
  const n = x.shape[dim]!;
  const s = n === 0 ? 0 : ((shift % n) + n) % n;
  if (s === 0) return alias(x);
  return cat([tmp(narrow(x, dim, n - s, s)), tmp(narrow(x, dim, 0, n - s))], dim);
}

/** `torch.roll(x, shifts, dims)`: elements shifted cyclically; without dims, over the flattened tensor. */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const s = typeof shifts === 'number' ? [shifts] : [...shifts];
  if (dims === undefined) {
    if (s.length !== 1) throw new ValueError(`roll: shifts and dimensions must align. shifts: ${s.length}, dims: 0`);
    return call1(rollDef, [x], { shifts: s, dims: null });
  }
  const d = (typeof dims === 'number' ? [dims] : [...dims]).map((k) => normalizeDim(k, x.ndim, 'roll'));
  if (d.length !== s.length) throw new ValueError(`roll: shifts and dimensions must align. shifts: ${s.length}, dims: ${d.length}`);
  return call1(rollDef, [x], { shifts: s, dims: d });
}

// ---- repeat / repeatInterleave --------------------------------------------------------------------------------

const repeatDef = registerOp<{ repeats: number[] }>({
  name: 'repeat',
  kind: 'composite',
  differentiable: true,
  forward: ([x], { repeats }) =>
    withTemps((tmp) => {
      const lead = repeats.length - x!.ndim;
      const padded = [...new Array<number>(lead).fill(1), ...x!.shape];
      const interleaved = padded.flatMap((n) => [1, n]);
      const target = padded.flatMap((n, i) => [repeats[i]!, n]);
      const e = tmp(expand(tmp(reshape(x!, interleaved)), target));
      return view(tmp(clone(e)), padded.map((n, i) => n * repeats[i]!));
    }),
});

/** `x.repeat(*sizes)`: tiles `x` (a copy); `sizes` may add leading dims. */
export function repeat(x: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  const repeats = sizesFrom(sizes);
  if (repeats.length < x.ndim) {
    throw new ShapeError('Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor');
  }
  if (repeats.some((r) => !Number.isInteger(r) || r < 0)) throw new ValueError(`repeat: Trying to create tensor with negative dimension: ${fmtShape(repeats)}`);
  return call1(repeatDef, [x], { repeats });
}

/** `x.tile(dims)`: like repeat, with fewer dims than x allowed (leading 1s). */
export function tile(x: Tensor, dims: readonly number[]): Tensor {
  const padded = dims.length < x.ndim ? [...new Array<number>(x.ndim - dims.length).fill(1), ...dims] : [...dims];
  return repeat(x, padded);
}

/**
 * `torch.repeat_interleave(x, repeats, dim=None)`: each element (or slice along `dim`)
 * repeated; `repeats` is a number or an int32 tensor with one count per slice (read on the
 * host). Without `dim` the input is flattened. `repeatInterleave(counts)` alone gives the
 * indices `[0]*counts[0] + [1]*counts[1] + …`.
 */
export function repeatInterleave(x: Tensor, repeats?: number | Tensor, dim?: number): Tensor {
  if (repeats === undefined) {
    checkIndexDType('repeat_interleave', x);
    return withTemps((tmp) => repeatInterleave(tmp(arange(x.numel(), { dtype: 'int32', device: x.device })), x, 0));
  }
  return withTemps((tmp) => {
    let src = x;
    let d: number;
    if (dim === undefined) {
      src = tmp(flatten(x));
      d = 0;
    } else d = normalizeDim(dim, x.ndim, 'repeat_interleave');
    const n = src.ndim === 0 ? 1 : src.shape[d]!;
    if (typeof repeats === 'number') {
      if (!Number.isInteger(repeats) || repeats < 0) throw new ValueError('repeat_interleave: repeats can not be negative');
      const u = tmp(unsqueeze(src, d + 1));
      const target = [...u.shape];
      target[d + 1] = repeats;
      const e = tmp(expand(u, target));
      const shape = [...src.shape];
      shape[d] = n * repeats;
      return view(tmp(clone(e)), shape);
    }
    checkIndexDType('repeat_interleave', repeats);
    if (repeats.ndim > 1) throw new ShapeError('repeat_interleave: repeats must be 0-dim or 1-dim tensor');
    if (!repeats.backend.canReadSync) {
      throw new DeviceError(`repeat_interleave(): tensor repeats on '${repeats.device}' need a synchronous read; pass a number or move repeats to the CPU`);
    }
    const host = repeats.dataSync();
    const counts = repeats.numel() === 1 ? new Array<number>(n).fill(host[0]!) : Array.from(host);
    if (counts.length !== n) throw new ShapeError(`repeat_interleave: repeats must have the same size as input along dim, but got repeats.size(0) = ${counts.length} and input.size(${d}) = ${n}`);
    if (counts.some((c) => c < 0)) throw new ValueError('repeat_interleave: repeats can not be negative');
    const total = counts.reduce((a, b) => a + b, 0);
    const idx = new Int32Array(total);
    let k = 0;
    counts.forEach((c, i) => idx.fill(i, k, (k += c)));
    return indexSelect(src, d, tmp(fromHost(idx, [total], 'int32', src.device)));
  });
}

// ---- pad --------------------------------------------------------------------------------------------------------

/** Per-dim [before, after] pads from F.pad's flat list (last dim first). */
function padPairs(ndim: number, pad: readonly number[]): [number, number][] {
  const pairs: [number, number][] = Array.from({ length: ndim }, () => [0, 0]);
  for (let i = 0; i < pad.length / 2; i++) pairs[ndim - 1 - i] = [pad[2 * i]!, pad[2 * i + 1]!];
  return pairs;
}

/** attrs `{ pad, value }` in F.pad's format (last dim first; negative pads crop). */
export const padDef = registerOp<{ pad: number[]; value: number }>({
  name: 'pad',
  kind: 'primitive',
  differentiable: true,
  forward: ([x], { pad, value }) => {
    const pairs = padPairs(x!.ndim, pad);
    const shape = x!.shape.map((n, d) => n + pairs[d]![0] + pairs[d]![1]);
    const out = allocTensor(shape, x!.dtype, x!.device);
    if (out.numel() === 0) return out;
    const backend = x!.backend;
    backend.fill(out.kernelView, value);
    // The part of x that survives cropping, and where it lands in out.
    const xv = x!.kernelView;
    const ov = out.kernelView;
    let xOff = xv.offset;
    let oOff = 0;
    const inner: number[] = [];
    for (let d = 0; d < x!.ndim; d++) {
      const [before, after] = pairs[d]!;
      const cropL = Math.max(0, -before);
      const cropR = Math.max(0, -after);
      inner.push(Math.max(0, x!.shape[d]! - cropL - cropR));
      xOff += cropL * xv.strides[d]!;
      oOff += Math.max(0, before) * ov.strides[d]!;
    }
    if (numelOf(inner) > 0) {
      backend.assign({ ...ov, shape: inner, offset: oOff }, { ...xv, shape: inner, offset: xOff });
    }
    return out;
  },
});

/** Options of `pad` (`F.pad(x, pad, mode='constant', value=0)`). */
export interface PadOptions {
  /** How the border is filled (default `'constant'`). */
  mode?: 'constant' | 'reflect' | 'replicate' | 'circular';
  /** The fill value of `'constant'` mode (default 0). */
  value?: number;
}

/** Host index list for one padded dim in a non-constant mode. */
function padIndex(n: number, before: number, after: number, mode: 'reflect' | 'replicate' | 'circular'): Int32Array {
  const out = new Int32Array(n + before + after);
  for (let i = 0; i < out.length; i++) {
    const j = i - before;
    let k: number;
    if (mode === 'replicate') k = Math.min(Math.max(j, 0), n - 1);
    else if (mode === 'circular') k = ((j % n) + n) % n;
    else {
      const period = 2 * (n - 1);
      k = period === 0 ? 0 : ((j % period) + period) % period;
      if (k >= n) k = period - k;
    }
    out[i] = k;
  }
  return out;
}

/**
 * `F.pad(x, pad, mode='constant', value=0)`: `pad` lists (before, after) pairs starting from
 * the last dim. Constant mode pads any dims (negative pads crop); reflect, replicate and
 * circular are gathers along each padded dim.
 */
export function pad(x: Tensor, padding: readonly number[], options: PadOptions = {}): Tensor {
  const mode = options.mode ?? 'constant';
  if (padding.length % 2 !== 0) throw new ValueError('Padding length must be divisible by 2');
  if (padding.length / 2 > x.ndim) throw new ValueError('Padding length too large');
  if (padding.some((p) => !Number.isInteger(p))) throw new ValueError(`pad: padding must be integers (got ${fmtShape(padding)})`);
  const pairs = padPairs(x.ndim, padding);
  if (mode === 'constant') {
    pairs.forEach(([b, a], d) => {
      if (x.shape[d]! + b + a < 0) {
        throw new ValueError(`pad: The input size ${x.shape[d]}, plus negative padding ${b} and ${a} resulted in a negative output size, which is invalid. Check dimension ${d} of your input.`);
      }
    });
    return call1(padDef, [x], { pad: [...padding], value: options.value ?? 0 });
  }
  if (options.value !== undefined && options.value !== 0) throw new ValueError(`Padding mode "${mode}" doesn't take in value argument`);
  return withTemps((tmp) => {
    let cur = x;
    pairs.forEach(([b, a], d) => {
      if (b === 0 && a === 0) return;
      const n = x.shape[d]!;
      if (b < 0 || a < 0) throw new ValueError(`pad: negative padding is only supported in constant mode (got ${b}, ${a} at dimension ${d})`);
      if (mode === 'reflect' && (b >= n || a >= n)) {
        throw new ValueError(
          `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${b}, ${a}) at dimension ${d} of input ${fmtShape(x.shape)}`,
        );
      }
      if ((mode === 'replicate' || mode === 'circular') && n === 0) throw new ValueError(`pad: cannot pad an empty dimension ${d} in ${mode} mode`);
      if (mode === 'circular' && (b > n || a > n)) throw new ValueError('Padding value causes wrapping around more than once.');
      const idx = tmp(fromHost(padIndex(n, b, a, mode), [n + b + a], 'int32', x.device));
      cur = tmp(indexSelect(cur, d, idx));
    });
    return cur === x ? clone(x) : clone(cur);
  });
}

// ---- tril / triu / diag ------------------------------------------------------------------------------------

function triangle(x: Tensor, diagonal: number, upper: boolean): Tensor {
  if (x.ndim < 2) throw new ShapeError(`${upper ? 'triu' : 'tril'}: input tensor must have at least 2 dimensions`);
  const n = x.shape[x.ndim - 2]!;
  const m = x.shape[x.ndim - 1]!;
  return withTemps((tmp) => {
    const rows = tmp(reshape(tmp(arange(n, { dtype: 'int32', device: x.device })), [n, 1]));
    const cols = tmp(arange(m, { dtype: 'int32', device: x.device }));
    const offset = tmp(sub(cols, rows));
    const keep = tmp(upper ? ge(offset, diagonal) : le(offset, diagonal));
    return where(keep, x, tmp(scalarTensor(0, x.dtype, x.device)));
  });
}

const trilDef = registerOp<{ diagonal: number }>({
  name: 'tril',
  kind: 'composite',
  differentiable: true,
  forward: ([x], { diagonal }) => triangle(x!, diagonal, false),
});

const triuDef = registerOp<{ diagonal: number }>({
  name: 'triu',
  kind: 'composite',
  differentiable: true,
  forward: ([x], { diagonal }) => triangle(x!, diagonal, true),
});

/** `torch.tril(x, diagonal=0)`: zeros above the `diagonal`-th diagonal of the last two dims. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return call1(trilDef, [x], { diagonal });
}

/** `torch.triu(x, diagonal=0)`: zeros below the `diagonal`-th diagonal of the last two dims. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return call1(triuDef, [x], { diagonal });
}

/**
 * `torch.diag(x, diagonal=0)`: for a 1-D input, a square matrix with `x` on that diagonal;
 * for a 2-D input, that diagonal as a 1-D tensor (a copy).
 */
export function diag(x: Tensor, diagonal = 0): Tensor {
  if (x.ndim === 2) {
    return withTemps((tmp) => clone(tmp(x.diagonal({ offset: diagonal }))));
  }
  if (x.ndim !== 1) throw new ShapeError(`diag(): Supports 1D or 2D tensors. Got ${x.ndim}D`);
  const n = x.shape[0]!;
  const size = n + Math.abs(diagonal);
  return withTemps((tmp) => {
    // Row i holds x[i] when diagonal ≥ 0; column j holds x[j] when diagonal < 0.
    const padded = tmp(pad(x, [0, Math.abs(diagonal)]));
    const along = tmp(reshape(padded, diagonal >= 0 ? [size, 1] : [1, size]));
    const rows = tmp(reshape(tmp(arange(size, { dtype: 'int32', device: x.device })), [size, 1]));
    const cols = tmp(arange(size, { dtype: 'int32', device: x.device }));
    const mask = tmp(eq(tmp(sub(cols, rows)), diagonal));
    return where(mask, along, tmp(scalarTensor(0, x.dtype, x.device)));
  });
}

// ---- Tensor methods ---------------------------------------------------------------------------------------------

declare module '../core/tensor.js' {
  interface Tensor {
    /** `x.split(split_size_or_sections, dim=0)`: views of equal size (the last may be smaller) or of the given sizes. */
    split(sizeOrSections: number | readonly number[], dim?: number): Tensor[];
    /** `x.chunk(chunks, dim=0)`: at most `chunks` views of ⌈size / chunks⌉ along `dim`. */
    chunk(chunks: number, dim?: number): Tensor[];
    /** `x.unbind(dim=0)`: the slices along `dim`, that dim removed. */
    unbind(dim?: number): Tensor[];
    /** `x.flip(dims)`: a copy reversed along `dims`. */
    flip(dims: number | readonly number[]): Tensor;
    /** `x.fliplr()`: reversed along dim 1. */
    fliplr(): Tensor;
    /** `x.flipud()`: reversed along dim 0. */
    flipud(): Tensor;
    /** `x.roll(shifts, dims=None)`: elements shifted cyclically along `dims` (the flattened tensor without `dims`). */
    roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
    /** `x.repeat(*sizes)`: `x` tiled `sizes[d]` times along each dim (a copy). */
    repeat(...sizes: number[]): Tensor;
    /** `x.repeat(sizes)`, the sizes as an array. */
    repeat(sizes: readonly number[]): Tensor;
    /** `x.tile(dims)`: as `repeat`, with missing leading counts taken as 1. */
    tile(dims: readonly number[]): Tensor;
    /** `x.repeat_interleave(repeats, dim=None)`: each element (or slice along `dim`) repeated `repeats` times. */
    repeatInterleave(repeats?: number | Tensor, dim?: number): Tensor;
    /** `x.tril(diagonal=0)`: the lower triangle of the last two dims, the rest zeroed. */
    tril(diagonal?: number): Tensor;
    /** `x.triu(diagonal=0)`: the upper triangle of the last two dims, the rest zeroed. */
    triu(diagonal?: number): Tensor;
    /** `x.diag(diagonal=0)`: the diagonal of a 2-D tensor, or a 2-D tensor with a 1-D one on its diagonal. */
    diag(diagonal?: number): Tensor;
  }
}

/** Puts the shape methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installShapeMethods(): void {
  Tensor.prototype.split = function (sizeOrSections, dim) {
    return split(this, sizeOrSections, dim);
  };
  Tensor.prototype.chunk = function (chunks, dim) {
    return chunk(this, chunks, dim);
  };
  Tensor.prototype.unbind = function (dim) {
    return unbind(this, dim);
  };
  Tensor.prototype.flip = function (dims) {
    return flip(this, dims);
  };
  Tensor.prototype.fliplr = function () {
    return fliplr(this);
  };
  Tensor.prototype.flipud = function () {
    return flipud(this);
  };
  Tensor.prototype.roll = function (shifts, dims) {
    return roll(this, shifts, dims);
  };
  (Tensor.prototype as unknown as Record<string, unknown>).repeat = function (this: Tensor, ...sizes: (number | readonly number[])[]) {
    return repeat(this, ...sizes);
  };
  Tensor.prototype.tile = function (dims) {
    return tile(this, dims);
  };
  Tensor.prototype.repeatInterleave = function (repeats, dim) {
    return repeatInterleave(this, repeats, dim);
  };
  Tensor.prototype.tril = function (diagonal) {
    return tril(this, diagonal);
  };
  Tensor.prototype.triu = function (diagonal) {
    return triu(this, diagonal);
  };
  Tensor.prototype.diag = function (diagonal) {
    return diag(this, diagonal);
  };
}
