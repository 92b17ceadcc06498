/**
 * `F.embedding` and `F.embedding_bag`.
 *
 * The lookup is one `indexSelect` inside a custom autograd function whose backward is one
 * `indexAdd` into a dense weight gradient, leaving the `paddingIdx` row at zero as PyTorch
 * does (and scaling by inverse frequency for `scaleGradByFreq`). Bags reduce the looked-up
 * rows with `indexAdd` (sum, mean) or a dense gather + `max` (max mode).
 */
import { Function, RowSparseTensor, noGrad, type FunctionCtx } from '@torchlet/autograd';
import { embeddingBagSumMean } from './embedding-bag-op.js';
import {
  DTypeError,
  any,
  arange,
  eq,
  logicalAnd,
  IndexError,
  ShapeError,
  ValueError,
  add,
  alias,
  cast,
  contiguous,
  clampMin,
  cumsum,
  div,
  fmtShape,
  fromHost,
  cat,
  full,
  gt,
  indexAdd,
  indexSelect,
  max,
  mul,
  ne,
  ones,
  reshape,
  scatterAdd,
  scatter_,
  slice,
  sum,
  tidy,
  unique,
  unsqueeze,
  vectorNorm,
  where,
  expand,
  zeros,
  type Tensor,
} from '@torchlet/tensor';

interface EmbeddingCtx {
  numWeights: number;
  paddingIdx: number | null;
  scaleGradByFreq: boolean;
  /** Return a row-sparse weight gradient (`RowSparseTensor`) instead of a dense one. */
  sparse?: boolean;
}

/** The lookup as one autograd node: backward is a dense `indexAdd` (or the rows as a row-sparse gradient), zero at `paddingIdx`. */
class EmbeddingFunction extends Function {
  static override forward(ctx: FunctionCtx, weight: Tensor, indices: Tensor, opts: EmbeddingCtx): Tensor {
    ctx.saveForBackward(indices);
    ctx.opts = opts;
    const d = weight.shape[1]!;
    return tidy(() => reshape(indexSelect(weight, 0, reshape(indices, [-1])), [...indices.shape, d]));
  }

  static override backward(ctx: FunctionCtx, g: Tensor | null): (Tensor | null)[] {
    if (!g) return [null, null, null];
    const [indices] = ctx.savedTensors;
    const opts = ctx.opts as EmbeddingCtx;
    const d = g.shape[g.ndim - 1]!;
    return tidy(() => {
      const flat = reshape(indices!, [-1]);
      let rows = reshape(g, [-1, d]);
      if (opts.paddingIdx !== null) rows = mul(rows, unsqueeze(ne(flat, opts.paddingIdx), 1));
      if (opts.scaleGradByFreq) {
        const counts = indexAdd(zeros([opts.numWeights], { dtype: g.dtype, device: g.device }), 0, flat, ones([flat.numel()], { dtype: g.dtype, device: g.device }));
        rows = div(rows, unsqueeze(indexSelect(counts, 0, flat), 1));
      }
      if (opts.sparse) return [new RowSparseTensor(alias(flat), rows === g ? alias(rows) : rows, [opts.numWeights, d]), null, null];
      const gw = indexAdd(zeros([opts.numWeights, d], { dtype: g.dtype, device: g.device }), 0, flat, rows);
      return [gw, null, null];
    });
  }
}

/** Checks an index tensor's dtype and (on synchronous devices) its range. */
export function checkIndices(op: string, indices: Tensor, n: number): void {
  if (indices.dtype !== 'int32') {
    throw new DTypeError(`${op}: Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${indices.dtype} instead (while checking arguments for ${op})`);
  }
  if (!indices.backend.canReadSync || indices.numel() === 0) return;
  const host = indices.dataSync();
  for (let i = 0; i < host.length; i++) {
    const v = host[i]!;
    if (v < 0 || v >= n) throw new IndexError(`${op}: index ${v} is out of range for ${n} embeddings (index out of range in self)`);
  }
}

/** PyTorch's padding_idx normalisation: negative counts from the end; must lie in [-n, n). */
export function normalizePaddingIdx(paddingIdx: number | null | undefined, n: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (!Number.isInteger(paddingIdx)) throw new ValueError(`padding_idx must be an integer (got ${paddingIdx})`);
  if (paddingIdx >= n || paddingIdx < -n) throw new ValueError('Padding_idx must be within num_embeddings');
  return paddingIdx < 0 ? paddingIdx + n : paddingIdx;
}

/**
 * `embedding_renorm_`: rescales (in place, without grad) each row of `weight` referenced by
 * `indices` whose `normType`-norm exceeds `maxNorm` to norm `maxNorm`.
 */
export function embeddingRenorm_(weight: Tensor, indices: Tensor, maxNorm: number, normType = 2): Tensor {
  noGrad(() =>
    tidy(() => {
      const uniq = unique(reshape(indices, [-1])) as Tensor;
      if (uniq.numel() === 0) return;
      const rows = indexSelect(weight, 0, uniq);
      const norms = vectorNorm(rows, { ord: normType, dim: 1, keepdim: true });
      const scale = where(gt(norms, maxNorm), div(maxNorm, add(norms, 1e-7)), 1);
      const idx = expand(unsqueeze(uniq, 1), [uniq.numel(), weight.shape[1]!]);
      scatter_(weight, 0, idx, mul(rows, scale));
    }),
  );
  return weight;
}

/** Options of `embedding` (`F.embedding`). */
export interface EmbeddingOptions {
  /** Row whose gradient stays zero (and that EmbeddingBag leaves out of its bags). */
  paddingIdx?: number | null;
  /** Renormalise looked-up rows to at most this norm (modifies `weight` in place). */
  maxNorm?: number | null;
  /** The p of the `maxNorm` norm (default 2). */
  normType?: number;
  /** Scale gradients by the inverse frequency of each index in the batch. */
  scaleGradByFreq?: boolean;
  /**
   * Row-sparse gradient for `weight`: `weight.grad` becomes a `RowSparseTensor` holding only
   * the looked-up rows (SGD, Adagrad and SparseAdam update just those rows).
   */
  sparse?: boolean;
}

/** `F.embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)`. */
export function embedding(input: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  if (weight.ndim !== 2) throw new ShapeError(`embedding: 'weight' must be 2-D (got shape ${fmtShape(weight.shape)})`);
  const n = weight.shape[0]!;
  const paddingIdx = normalizePaddingIdx(options.paddingIdx, n);
  checkIndices('embedding', input, n);
  if (options.maxNorm !== null && options.maxNorm !== undefined) embeddingRenorm_(weight, input, options.maxNorm, options.normType ?? 2);
  return EmbeddingFunction.apply(weight, input, { numWeights: n, paddingIdx, scaleGradByFreq: options.scaleGradByFreq ?? false, sparse: options.sparse ?? false });
}

/** How `embeddingBag` reduces a bag: sum, mean or elementwise max of its rows. */
export type EmbeddingBagMode = 'sum' | 'mean' | 'max';

/** Options of `embeddingBag` (`F.embedding_bag`). */
export interface EmbeddingBagOptions extends EmbeddingOptions {
  /** Start of each bag in a 1-D `input` (required for 1-D input, refused for 2-D). */
  offsets?: Tensor | null;
  /** How a bag is reduced (default `'mean'`). */
  mode?: EmbeddingBagMode;
  /** One weight per index, multiplying its row (mode 'sum' only). */
  perSampleWeights?: Tensor | null;
  /** `offsets` has one more entry, the end of the last bag (CSR layout). */
  includeLastOffset?: boolean;
}

function bagReduce1d(rows: Tensor, keep: Tensor | null, bagIdx: Tensor, numBags: number, mode: EmbeddingBagMode, hostBags: Int32Array | null): Tensor {
  const d = rows.shape[1]!;
  const opts = { dtype: rows.dtype, device: rows.device };
  if (mode !== 'max') {
    const weighted = keep ? mul(rows, unsqueeze(keep, 1)) : rows;
    const total = indexAdd(zeros([numBags, d], opts), 0, bagIdx, weighted);
    if (mode === 'sum') return total;
    const ones1 = keep ?? ones([rows.shape[0]!], opts);
    const counts = indexAdd(zeros([numBags], opts), 0, bagIdx, ones1);
    return div(total, unsqueeze(clampMin(counts, 1), 1));
  }
  if (!hostBags) return bagMaxOnDevice(rows, keep, bagIdx, numBags);
  // max: a dense [bags, longest] layout of row positions (host-built), -inf where empty.
  const keepHost = keep ? keep.dataSync() : null;
  const lengths = new Int32Array(numBags);
  for (let i = 0; i < hostBags.length; i++) {
    const b = hostBags[i]!;
    if (!keepHost || keepHost[i]) lengths[b] = lengths[b]! + 1;
  }
  const longest = Math.max(1, ...lengths);
  const layout = new Int32Array(numBags * longest).fill(rows.shape[0]!);
  const fill = new Int32Array(numBags);
  for (let i = 0; i < hostBags.length; i++) {
    if (keepHost && !keepHost[i]) continue;
    const b = hostBags[i]!;
    layout[b * longest + fill[b]!] = i;
    fill[b] = fill[b]! + 1;
  }
  const padded = cat0(rows, -Infinity);
  const picked = reshape(indexSelect(padded, 0, fromHost(layout, [numBags * longest], 'int32', rows.device)), [numBags, longest, d]);
  const { values } = max(picked, 1);
  const nonEmpty = unsqueeze(fromHost(Uint8Array.from(lengths, (l) => (l > 0 ? 1 : 0)), [numBags], 'bool', rows.device), 1);
  return where(nonEmpty, values, 0);
}

/**
 * Bag maxima where the bag layout cannot be read on the host (WebGPU): a [bags, entries]
 * membership mask selects each bag's rows, -inf elsewhere, then one `max` over the entries.
 * Costs bags × entries × columns of memory, against the host path's bags × longest × columns.
 */
function bagMaxOnDevice(rows: Tensor, keep: Tensor | null, bagIdx: Tensor, numBags: number): Tensor {
  const bags = arange(numBags, { dtype: 'int32', device: rows.device });
  let member = eq(unsqueeze(bagIdx, 0), unsqueeze(bags, 1));
  if (keep) member = logicalAnd(member, unsqueeze(keep, 0));
  const { values } = max(where(unsqueeze(member, 2), unsqueeze(rows, 0), -Infinity), 1);
  return where(unsqueeze(any(member, 1), 1), values, 0);
}

/** `rows` with one extra row of `value` appended. */
function cat0(rows: Tensor, value: number): Tensor {
  return cat([rows, full([1, rows.shape[1]!], value, { dtype: rows.dtype, device: rows.device })], 0);
}

/**
 * `F.embedding_bag(input, weight, offsets, max_norm, norm_type, scale_grad_by_freq, mode,
 * sparse, per_sample_weights, include_last_offset, padding_idx)`: sums, means or maxes of
 * bags of rows. `input` is 1-D with `offsets`, or 2-D (one bag per row). Entries equal to
 * `paddingIdx` are left out of their bag (an empty bag gives zeros).
 */
export function embeddingBag(input: Tensor, weight: Tensor, options: EmbeddingBagOptions = {}): Tensor {
  const mode = options.mode ?? 'mean';
  if (mode !== 'sum' && mode !== 'mean' && mode !== 'max') throw new ValueError(`mode has to be one of sum, mean or max (got '${String(mode)}')`);
  if (weight.ndim !== 2) throw new ShapeError(`embedding_bag: weight has to be a 2D Tensor, but got Tensor of dimension ${weight.ndim}`);
  const n = weight.shape[0]!;
  const paddingIdx = normalizePaddingIdx(options.paddingIdx, n);
  const psw = options.perSampleWeights ?? null;
  const offsets = options.offsets ?? null;
  if (psw && mode !== 'sum') {
    throw new ValueError(
      `embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='${mode}'). Please open a feature request on GitHub.`,
    );
  }
  if (psw && (psw.ndim !== input.ndim || psw.shape.some((s, i) => s !== input.shape[i]))) {
    throw new ShapeError(
      `embedding_bag: If per_sample_weights (${fmtShape(psw.shape)}) is not None, then it must have the same shape as the input (${fmtShape(input.shape)})`,
    );
  }
  if (input.ndim === 2) {
    if (offsets) {
      throw new ValueError(
        'if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type Tensor',
      );
    }
  } else if (input.ndim === 1) {
    if (!offsets) throw new ValueError('offsets has to be a 1D Tensor but got None');
    if (offsets.ndim !== 1) throw new ShapeError(`offsets has to be a 1D Tensor (got shape ${fmtShape(offsets.shape)})`);
    if (offsets.dtype !== 'int32') throw new DTypeError(`embedding_bag: offsets must be an int32 tensor (got ${offsets.dtype})`);
  } else {
    throw new ShapeError(`input has to be 1D or 2D Tensor, but got Tensor of dimension ${input.ndim}`);
  }
  checkIndices('embedding_bag', input, n);
  if (options.maxNorm !== null && options.maxNorm !== undefined) embeddingRenorm_(weight, input, options.maxNorm, options.normType ?? 2);
  const fnOpts = { numWeights: n, paddingIdx, scaleGradByFreq: options.scaleGradByFreq ?? false, sparse: options.sparse ?? false };
  // Sum and mean without gradient scaling take the one-node `embeddingBag` op (fused kernels where the backend has them).
  const useOp = mode !== 'max' && !fnOpts.scaleGradByFreq && (!psw || psw.dtype === weight.dtype);
  const opAttrs = { mode: mode as 'sum' | 'mean', paddingIdx: paddingIdx ?? -1, sparse: fnOpts.sparse };

  return tidy(() => {
    const d = weight.shape[1]!;
    const opts = { dtype: weight.dtype, device: weight.device };
    if (input.ndim === 2) {
      const [b, l] = input.shape as [number, number];
      if (useOp && b > 0) {
        const starts = new Int32Array(b);
        for (let i = 0; i < b; i++) starts[i] = i * l;
        return embeddingBagSumMean(weight, reshape(input, [-1]), fromHost(starts, [b], 'int32', input.device), psw ? reshape(psw, [-1]) : null, opAttrs);
      }
      const rows = EmbeddingFunction.apply(weight, input, fnOpts) as Tensor; // [b, l, d]
      const keepMask = paddingIdx === null ? null : ne(input, paddingIdx);
      if (mode === 'max') {
        if (l === 0) return zeros([b, d], opts);
        const masked = keepMask ? where(unsqueeze(keepMask, 2), rows, -Infinity) : rows;
        const { values } = max(masked, 1);
        if (!keepMask) return values;
        const any = gt(sum(cast(keepMask, 'int32'), 1), 0);
        return where(unsqueeze(any, 1), values, 0);
      }
      let w: Tensor | null = keepMask ? cast(keepMask, weight.dtype) : null;
      if (psw) w = w ? mul(w, psw) : psw;
      const total = w ? sum(mul(rows, unsqueeze(w, 2)), 1) : sum(rows, 1);
      if (mode === 'sum') return total;
      const count = keepMask ? clampMin(sum(cast(keepMask, weight.dtype), 1), 1) : null;
      return count ? div(total, unsqueeze(count, 1)) : div(total, Math.max(l, 1));
    }

    // 1-D input with offsets.
    const total = input.shape[0]!;
    let numBags = offsets!.shape[0]!;
    if (options.includeLastOffset) {
      if (numBags < 1) throw new ValueError('include_last_offset: number of offsets should be at least 1');
      numBags -= 1;
    }
    let hostBags: Int32Array | null = null;
    let bagIdx: Tensor;
    if (offsets!.backend.canReadSync) {
      const off = offsets!.dataSync() as Int32Array;
      if (off.length > 0 && off[0] !== 0) {
        throw new ValueError(`offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got ${off[0]}`);
      }
      for (let i = 0; i < off.length; i++) {
        if (off[i]! > total) throw new ValueError(`offsets[-1] can not be greater than input's length (${total}), but got offsets[-1] of ${off[i]}`);
        if (i > 0 && off[i]! < off[i - 1]!) throw new ValueError(`embedding_bag: offsets must be non-decreasing (offsets[${i}] = ${off[i]} < offsets[${i - 1}] = ${off[i - 1]})`);
      }
      if (options.includeLastOffset && off[numBags]! < total) {
        // Entries past the last offset belong to no bag.
        const used = off[numBags]!;
        return embeddingBag(slice(input, 0, 0, used), weight, { ...options, offsets: offsets!, perSampleWeights: psw ? slice(psw, 0, 0, used) : null, maxNorm: null });
      }
      if (useOp) {
        if (numBags === 0) return zeros([0, d], opts);
        const starts = offsets!.shape[0] === numBags ? offsets! : slice(offsets!, 0, 0, numBags);
        return embeddingBagSumMean(weight, input.isContiguous() ? input : contiguous(input), starts.isContiguous() ? starts : contiguous(starts), psw, opAttrs);
      }
      hostBags = new Int32Array(total);
      for (let b = 0; b < numBags; b++) {
        const end = b + 1 < off.length ? off[b + 1]! : total;
        for (let i = off[b]!; i < Math.min(end, total); i++) hostBags[i] = b;
      }
      bagIdx = fromHost(hostBags, [total], 'int32', input.device);
    } else {
      // Bag index of each entry = number of bag starts (after the first) at or before it.
      const starts = slice(offsets!, 0, 1, numBags);
      const marks = scatterAdd(zeros([total + 1], { dtype: 'int32', device: input.device }), 0, starts, ones([starts.numel()], { dtype: 'int32', device: input.device }));
      bagIdx = cast(cumsum(slice(marks, 0, 0, total), 0), 'int32');
    }
    if (numBags === 0) return zeros([0, d], opts);
    if (useOp) {
      const starts = offsets!.shape[0] === numBags ? offsets! : slice(offsets!, 0, 0, numBags);
      return embeddingBagSumMean(weight, input.isContiguous() ? input : contiguous(input), starts.isContiguous() ? starts : contiguous(starts), psw, opAttrs);
    }
    if (total === 0) return zeros([numBags, d], opts);
    const rows = EmbeddingFunction.apply(weight, input, fnOpts) as Tensor; // [total, d]
    let keep: Tensor | null;
    if (mode === 'max') keep = paddingIdx === null ? null : ne(input, paddingIdx);
    else {
      keep = paddingIdx === null ? null : cast(ne(input, paddingIdx), weight.dtype);
      if (psw) keep = keep ? mul(keep, psw) : psw;
    }
    return bagReduce1d(rows, keep, bagIdx, numBags, mode, hostBags);
  });
}

