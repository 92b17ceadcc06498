/**
 * Softmax cross-entropy with class-index targets as ONE registered op with its own
 * derivative (`softmaxCrossEntropy`), so `F.crossEntropy` on `[N, C]` logits allocates no
 * `[N, C]` log-probabilities and records one node instead of log-softmax, gather, weights and
 * their backward.
 *
 * Inputs `[logits (N, C), target (N) int32, weight? (C)]`; outputs `[loss (N), lse (N)]`: the
 * unreduced loss of PyTorch's `cross_entropy(..., reduction='none')` (ignored rows 0) and each
 * row's log-sum-exp, saved for the backward. The reduction is applied by the caller.
 *
 * Forward and backward use the backend's fused `softmaxCrossEntropy` /
 * `softmaxCrossEntropyBackward` kernels where it has them and compose tensor ops otherwise.
 * The backward is a registered non-differentiable op (one pass writing the `[N, C]`
 * gradient, the lse output's gradient included); under `createGraph` (double backward) the gradient is composed from
 * differentiable ops instead, so higher-order gradients still work. Gradients flow to the
 * logits only: the op refuses a weight that requires grad (the caller composes then).
 */
import { defineDerivatives, isGradEnabled, type BackwardContext } from '@torchlet/autograd';
import {
  RuntimeError,
  add,
  allocTensor,
  arange,
  call1,
  cast,
  contiguous,
  dispatch,
  eq,
  gather,
  indexSelect,
  logsumexp,
  mul,
  ne,
  registerOp,
  softmax,
  squeeze,
  sub,
  sum,
  tidy,
  unsqueeze,
  where,
  zeros as torchZeros,
  type Tensor,
} from '@torchlet/tensor';

export interface SoftmaxCrossEntropyAttrs {
  /** Target value that contributes nothing. */
  readonly ignoreIndex: number;
  /** ε in [0, 1]: the target is mixed with the uniform distribution, (1 − ε)·onehot + ε/C. */
  readonly labelSmoothing: number;
  /** Force the composed path even where the backend has the fused kernels (tests). */
  readonly composed?: boolean;
}

/** Views the fused kernels take: classes contiguous, target and weight contiguous. */
function kernelReady(x: Tensor, target: Tensor, weight: Tensor | null): boolean {
  return (x.strides[1] === 1 || x.shape[1]! <= 1) && target.isContiguous() && (weight === null || weight.isContiguous());
}

/** keep (float), safe target (ignored → 0) and the target's weight w_t (null: all ones). */
function picks(target: Tensor, weight: Tensor | null, attrs: SoftmaxCrossEntropyAttrs, dtype: Tensor['dtype']): { keep: Tensor; safe: Tensor; wt: Tensor | null } {
  const keepB = ne(target, attrs.ignoreIndex);
  const safe = where(keepB, target, 0);
  return { keep: cast(keepB, dtype), safe, wt: weight ? indexSelect(weight, 0, safe) : null };
}

/** loss = keep·((1 − ε)·w_t·(lse − x_t) + (ε/C)·Σ_c w_c·(lse − x_c)) from tensor ops. */
function forwardComposed(x: Tensor, target: Tensor, weight: Tensor | null, attrs: SoftmaxCrossEntropyAttrs): Tensor[] {
  return tidy(() => {
    const C = x.shape[1]!;
    const eps = attrs.labelSmoothing;
    const lse = logsumexp(x, 1);
    const nlogp = sub(unsqueeze(lse, 1), x);
    const { keep, safe, wt } = picks(target, weight, attrs, x.dtype);
    const picked = squeeze(gather(nlogp, 1, unsqueeze(safe, 1)), 1);
    let loss = mul(wt ? mul(picked, wt) : picked, 1 - eps);
    if (eps > 0) loss = add(loss, mul(sum(weight ? mul(nlogp, weight) : nlogp, 1), eps / C));
    return [mul(loss, keep), lse];
  });
}

function forward(inputs: readonly Tensor[], attrs: SoftmaxCrossEntropyAttrs): Tensor[] {
  const [x, target, weight = null] = inputs as [Tensor, Tensor, Tensor | undefined];
  const fused = attrs.composed ? undefined : x.backend.fused.softmaxCrossEntropy;
  if (!fused || !kernelReady(x, target, weight)) return forwardComposed(x, target, weight, attrs);
  const N = x.shape[0]!;
  const loss = allocTensor([N], x.dtype, x.device);
  const lse = allocTensor([N], x.dtype, x.device);
  if (N > 0) x.backend.fused.softmaxCrossEntropy!(x.kernelView, target.kernelView, weight?.kernelView ?? null, attrs.ignoreIndex, attrs.labelSmoothing, loss.kernelView, lse.kernelView);
  return [loss, lse];
}

export const softmaxCrossEntropyOp = registerOp<SoftmaxCrossEntropyAttrs>({
  name: 'softmaxCrossEntropy',
  kind: 'composite',
  differentiable: true,
  ownDerivative: true,
  forward,
});

/**
 * ∂loss_i/∂x_ic · g_i = g_i·keep_i·(p_ic·((1 − ε)·w_t + (ε/C)·W) − (ε/C)·w_c − (1 − ε)·w_t·[c = t]),
 * plus gLse_i·p_ic, from differentiable tensor ops (p = softmax(x)).
 */
function gradComposed(g: Tensor | null, gLse: Tensor | null, x: Tensor, target: Tensor, weight: Tensor | null, attrs: SoftmaxCrossEntropyAttrs): Tensor {
  return tidy(() => {
    const C = x.shape[1]!;
    const eps = attrs.labelSmoothing;
    const p = softmax(x, 1);
    let grad = gLse ? mul(p, unsqueeze(gLse, 1)) : null;
    if (g) {
      const { keep, safe, wt } = picks(target, weight, attrs, x.dtype);
      const gk = mul(g, keep);
      const W = weight ? sum(weight) : C;
      const gt = mul(gk, wt ? mul(wt, 1 - eps) : 1 - eps); // g·(1 − ε)·w_t
      const a = add(gt, mul(mul(gk, W), eps / C));
      const onehot = cast(eq(unsqueeze(safe, 1), arange(C, { dtype: 'int32', device: x.device })), x.dtype);
      let term = sub(mul(p, unsqueeze(a, 1)), mul(onehot, unsqueeze(gt, 1)));
      if (eps > 0) term = sub(term, mul(unsqueeze(mul(gk, eps / C), 1), weight ?? 1));
      grad = grad ? add(grad, term) : term;
    }
    return grad!;
  });
}

/** Inputs `[gradLoss (N), gradLse (N), logits, target, lse, weight?]` → ∂L/∂logits `[N, C]`. */
function backwardForward(inputs: readonly Tensor[], attrs: SoftmaxCrossEntropyAttrs): Tensor {
  const [g, h, x, target, lse, weight = null] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor | undefined];
  const fused = attrs.composed ? undefined : x.backend.fused.softmaxCrossEntropyBackward;
  if (!fused || !kernelReady(x, target, weight)) return gradComposed(g, h, x, target, weight, attrs);
  const out = allocTensor(x.shape, x.dtype, x.device);
  if (out.numel() > 0) {
    const v = (t: Tensor | null) => t?.kernelView ?? null;
    fused(g.kernelView, h.kernelView, x.kernelView, target.kernelView, v(weight), lse.kernelView, attrs.ignoreIndex, attrs.labelSmoothing, out.kernelView);
  }
  return out;
}

export const softmaxCrossEntropyBackwardOp = registerOp<SoftmaxCrossEntropyAttrs>({
  name: 'softmaxCrossEntropyBackward',
  kind: 'primitive',
  differentiable: false,
  forward: backwardForward,
});

defineDerivatives({
  softmaxCrossEntropy: {
    save: (needs) => ({ inputs: needs.length > 2 ? [0, 1, 2] : [0, 1], outputs: [1] }),
    backward: (ctx: BackwardContext<SoftmaxCrossEntropyAttrs>, [g, h]) => {
      const hasWeight = ctx.numInputs > 2;
      if (hasWeight && ctx.needsInputGrad(2)) {
        throw new RuntimeError("softmaxCrossEntropy: the derivative for 'weight' is not implemented");
      }
      if (!ctx.needsInputGrad(0) || (!g && !h)) return [null, null, null];
      const x = ctx.input(0);
      const target = ctx.input(1);
      const weight = hasWeight ? ctx.input(2) : null;
      // Under createGraph the gradient must itself be differentiable: compose it.
      if (isGradEnabled()) return [gradComposed(g ?? null, h ?? null, x, target, weight, ctx.attrs), null, null];
      // (the engine hands zeros for an output without a gradient, so both are present in practice)
      const N = x.shape[0]!;
      const zeros = () => torchZeros([N], { dtype: x.dtype, device: x.device });
      const inputs = [g ?? zeros(), h ?? zeros(), x, target, ctx.output(1)];
      if (weight) inputs.push(weight);
      return [call1(softmaxCrossEntropyBackwardOp, inputs, ctx.attrs), null, null];
    },
  },
});

/**
 * The op on 2-D logits `[N, C]` with int32 targets `[N]` (made contiguous here): returns the
 * unreduced loss `[N]`. Arguments are assumed checked (see `F.crossEntropy`).
 */
export function softmaxCrossEntropy(logits: Tensor, target: Tensor, weight: Tensor | null, attrs: SoftmaxCrossEntropyAttrs): Tensor {
  return tidy(() => {
    const t = contiguous(target);
    const w = weight ? contiguous(weight) : null;
    const x = logits.strides[1] === 1 || logits.shape[1]! <= 1 ? logits : contiguous(logits);
    // the lse output is saved by the autograd node; this scope frees the caller's handle
    return (dispatch(softmaxCrossEntropyOp, w ? [x, t, w] : [x, t], attrs) as Tensor[])[0]!;
  });
}
