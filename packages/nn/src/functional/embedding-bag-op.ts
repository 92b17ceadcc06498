/**
 * `embeddingBag` (modes sum and mean) as ONE registered op with its own derivative, so a
 * bag of thousands of rows is one recorded node (and one line in `profile()`), not a gather,
 * a scatter and their backward.
 *
 * Inputs `[weight (N, D), indices (T) int32, offsets (B) int32, perSampleWeights? (T)]`: bag b
 * spans `[offsets[b], offsets[b + 1])`, the last bag ends at T. Output `[B, D]`.
 *
 * Forward uses the backend's fused `embeddingBag` kernel where it has one and composes
 * `indexSelect` + `indexAdd` otherwise. Backward (`embeddingBagBackward`, a registered
 * non-differentiable op: double backward is not supported) computes one gradient row per
 * entry with the fused `embeddingBagBackwardSparse` or composed ops; with `sparse` the weight
 * gradient is a `RowSparseTensor` of those rows (no dense [N, D] buffer), otherwise they are
 * `indexAdd`ed into a dense gradient.
 */
import { RowSparseTensor, defineDerivatives, type BackwardContext } from '@torchlet/autograd';
import {
  allocTensor,
  alias,
  call1,
  cast,
  clampMin,
  cumsum,
  div,
  fromHost,
  indexAdd,
  indexSelect,
  mul,
  ne,
  ones,
  registerOp,
  scatterAdd,
  slice,
  sum,
  tidy,
  unsqueeze,
  zeros,
  type Tensor,
} from '@torchlet/tensor';

export interface EmbeddingBagOpAttrs {
  readonly mode: 'sum' | 'mean';
  /** Row left out of its bag (−1: none). */
  readonly paddingIdx: number;
  /** Produce a row-sparse weight gradient. */
  readonly sparse: boolean;
  /** Force the composed path even where the backend has the fused kernels (tests). */
  readonly composed?: boolean;
}

/** Bag number of every entry (int32 [T]). */
function bagIndex(offsets: Tensor, total: number): Tensor {
  const numBags = offsets.shape[0]!;
  if (offsets.backend.canReadSync) {
    const off = offsets.dataSync() as Int32Array;
    const host = new Int32Array(total);
    for (let b = 0; b < numBags; b++) {
      const end = b + 1 < numBags ? Math.min(off[b + 1]!, total) : total;
      for (let i = off[b]!; i < end; i++) host[i] = b;
    }
    return fromHost(host, [total], 'int32', offsets.device);
  }
  const starts = slice(offsets, 0, 1, numBags);
  const marks = scatterAdd(zeros([total + 1], { dtype: 'int32', device: offsets.device }), 0, starts, ones([starts.numel()], { dtype: 'int32', device: offsets.device }));
  return cast(cumsum(slice(marks, 0, 0, total), 0), 'int32');
}

/** Per-entry scale: keep mask × per-sample weight (sum) or keep mask / kept count of its bag (mean). Null when all ones. */
function entryScale(indices: Tensor, bagIdx: Tensor, numBags: number, psw: Tensor | null, attrs: EmbeddingBagOpAttrs, dtype: Tensor['dtype']): Tensor | null {
  const keep = attrs.paddingIdx >= 0 ? cast(ne(indices, attrs.paddingIdx), dtype) : null;
  if (attrs.mode === 'sum') return psw ? (keep ? mul(keep, psw) : psw) : keep;
  const k = keep ?? ones([indices.shape[0]!], { dtype, device: indices.device });
  const counts = clampMin(indexAdd(zeros([numBags], { dtype, device: indices.device }), 0, bagIdx, k), 1);
  return div(k, indexSelect(counts, 0, bagIdx));
}

function forward(inputs: readonly Tensor[], attrs: EmbeddingBagOpAttrs): Tensor {
  const [weight, indices, offsets, psw] = inputs as [Tensor, Tensor, Tensor, Tensor | undefined];
  const B = offsets.shape[0]!;
  const D = weight.shape[1]!;
  const fused = attrs.composed ? undefined : weight.backend.fused.embeddingBag;
  if (fused && indices.isContiguous() && offsets.isContiguous()) {
    const out = allocTensor([B, D], weight.dtype, weight.device);
    weight.backend.fused.embeddingBag!(weight.kernelView, indices.kernelView, offsets.kernelView, psw ? psw.kernelView : null, attrs.mode, attrs.paddingIdx, out.kernelView);
    return out;
  }
  return tidy(() => {
    const T = indices.shape[0]!;
    if (T === 0) return zeros([B, D], { dtype: weight.dtype, device: weight.device });
    const bagIdx = bagIndex(offsets, T);
    const rows = indexSelect(weight, 0, indices);
    const scale = entryScale(indices, bagIdx, B, psw ?? null, attrs, weight.dtype);
    return indexAdd(zeros([B, D], { dtype: weight.dtype, device: weight.device }), 0, bagIdx, scale ? mul(rows, unsqueeze(scale, 1)) : rows);
  });
}

export const embeddingBagOp = registerOp<EmbeddingBagOpAttrs>({ name: 'embeddingBag', kind: 'primitive', differentiable: true, forward });

/** Inputs `[gradOut (B, D), indices, offsets, perSampleWeights?]` → the per-entry gradient rows `[T, D]`. */
function backwardRows(inputs: readonly Tensor[], attrs: EmbeddingBagOpAttrs): Tensor {
  const [g, indices, offsets, psw] = inputs as [Tensor, Tensor, Tensor, Tensor | undefined];
  const T = indices.shape[0]!;
  const D = g.shape[1]!;
  const fused = attrs.composed ? undefined : g.backend.fused.embeddingBagBackwardSparse;
  if (fused && indices.isContiguous() && offsets.isContiguous()) {
    const values = allocTensor([T, D], g.dtype, g.device);
    g.backend.fused.embeddingBagBackwardSparse!(g.kernelView, indices.kernelView, offsets.kernelView, psw ? psw.kernelView : null, attrs.mode, attrs.paddingIdx, values.kernelView);
    return values;
  }
  return tidy(() => {
    if (T === 0) return zeros([0, D], { dtype: g.dtype, device: g.device });
    const bagIdx = bagIndex(offsets, T);
    const rows = indexSelect(g, 0, bagIdx);
    const scale = entryScale(indices, bagIdx, offsets.shape[0]!, psw ?? null, attrs, g.dtype);
    return scale ? mul(rows, unsqueeze(scale, 1)) : rows;
  });
}

export const embeddingBagBackwardOp = registerOp<EmbeddingBagOpAttrs>({
  name: 'embeddingBagBackward',
  kind: 'primitive',
  differentiable: false,
  forward: backwardRows,
});

defineDerivatives({
  embeddingBag: {
    name: 'EmbeddingBagBackward0',
    save: (needs) => ({ inputs: needs.length > 3 ? (needs[3] ? [0, 1, 2, 3] : [1, 2, 3]) : [1, 2] }),
    backward: (ctx: BackwardContext<EmbeddingBagOpAttrs>, [g]) => {
      if (!g) return [null, null, null, null];
      const attrs = ctx.attrs;
      const hasPsw = ctx.numInputs > 3;
      const indices = ctx.input(1);
      const offsets = ctx.input(2);
      const psw = hasPsw ? ctx.input(3) : null;
      let gw: Tensor | null = null;
      if (ctx.needsInputGrad(0)) {
        const rows = call1(embeddingBagBackwardOp, psw ? [g, indices, offsets, psw] : [g, indices, offsets], attrs) as Tensor;
        const shape = ctx.inputInfo(0).shape;
        if (attrs.sparse) gw = new RowSparseTensor(alias(indices), rows, shape);
        else gw = indexAdd(zeros(shape, { dtype: g.dtype, device: g.device }), 0, indices, rows);
      }
      let gp: Tensor | null = null;
      if (psw && ctx.needsInputGrad(3)) {
        // ∂/∂psw[i] = <gradOut[bag(i)], weight[indices[i]]> (0 at padding entries).
        const weight = ctx.input(0);
        const bagIdx = bagIndex(offsets, indices.shape[0]!);
        gp = sum(mul(indexSelect(g, 0, bagIdx), indexSelect(weight, 0, indices)), 1);
        if (attrs.paddingIdx >= 0) gp = mul(gp, ne(indices, attrs.paddingIdx));
      }
      return [gw, null, null, gp];
    },
  },
});

/**
 * The op for 1-D `indices` and bag-start `offsets` (one entry per bag). `perSampleWeights`
 * only with mode `'sum'`. Arguments are assumed checked (see `F.embeddingBag`).
 */
export function embeddingBagSumMean(weight: Tensor, indices: Tensor, offsets: Tensor, perSampleWeights: Tensor | null, attrs: EmbeddingBagOpAttrs): Tensor {
  return call1(embeddingBagOp, perSampleWeights ? [weight, indices, offsets, perSampleWeights] : [weight, indices, offsets], attrs) as Tensor;
}
