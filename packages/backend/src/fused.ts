import type { TensorView } from './backend.js';

/**
 * Optional fused kernels a backend may declare. The op library checks
 * `backend.fused.<name>` and composes primitives when it is absent; tests prove both
 * paths agree. Later layers (nn, optim) add their kernels here by declaration merging:
 *
 * ```ts
 * declare module '@torchlet/backend' { interface FusedKernels { gruCell(...): void } }
 * ```
 */
export interface FusedKernels {
  /** Softmax along `axis` of `x` into contiguous `out` (max-subtracted, as PyTorch). */
  softmax(x: TensorView, axis: number, out: TensorView): void;
  /** Log-softmax along `axis` of `x` into contiguous `out`. */
  logSoftmax(x: TensorView, axis: number, out: TensorView): void;

  // ---- recurrent cells (nn's RNN/GRU/LSTM time loop; see @torchlet/nn src/recurrent) ----
  // Every view below is 2-D `[rows, cols]` with any strides (biases are 1-D); `rows` is the
  // number of active sequences at the step. In/out arguments may alias as documented.

  /**
   * One GRU step (PyTorch's gate order r, z, n). `gx` [R, 3H] = W_ih x + b_ih, `gh` [R, 3H] =
   * W_hh h (no bias), `bhh` [3H] or null. Writes `hOut` [R, H] (may alias `h`):
   * r = σ(gx_r + gh_r + b_r), z = σ(gx_z + gh_z + b_z), n = tanh(gx_n + r ⊙ (gh_n + b_n)),
   * h' = (1 − z) ⊙ n + z ⊙ h, and, when `ws` [R, 4H] is given, the workspace [r, z, n, gh_n + b_n].
   *
   * With `ghn` [R, H] the step is the reset-before form (Cho et al. 2014, Keras
   * `reset_after=False`): `ghn` = W_hn (r ⊙ h), computed by the caller from `gruResetGate`'s
   * output, `gh` is [R, 2H] (the r and z blocks), n = tanh(gx_n + ghn + b_n), and the last
   * workspace block is r ⊙ h (the input of W_hn, for its weight gradient).
   */
  gruCell(gx: TensorView, gh: TensorView, bhh: TensorView | null, h: TensorView, hOut: TensorView, ws: TensorView | null, ghn?: TensorView | null): void;
  /**
   * The first half of a reset-before GRU step: `rh` [R, H] = σ(gx_r + gh_r + b_r) ⊙ h, with
   * `gx` and `gh` the r blocks [R, H] and `bhr` [H] or null (the caller then computes
   * W_hn · rh and calls `gruCell` with it as `ghn`).
   */
  gruResetGate(gx: TensorView, gh: TensorView, bhr: TensorView | null, h: TensorView, rh: TensorView): void;
  /**
   * Backward of `gruCell`. `dh` [R, H] is in/out: on entry part of ∂L/∂h', to which `dOut`
   * [R, H] and the first rows of `dhRec` [R2 ≤ R, H] are added (either may be null); on exit
   * the direct part of ∂L/∂h (dh ⊙ z). Writes `dgx` [R, 3H] (∂L/∂gx) and `dgh` [R, 3H]
   * (∂L/∂(W_hh h + b_hh)). `ws` is the forward workspace, `h` the step's previous state.
   *
   * With `resetAfter` false (the reset-before form) it writes only the z and n blocks of `dgx`
   * and `dgh` (the n block of `dgh` is ∂L/∂(W_hn (r ⊙ h) + b_hn)); the caller computes
   * ∂L/∂(r ⊙ h) = dgh_n W_hn and finishes the step with `gruResetGateBackward`.
   */
  gruCellBackward(
    dh: TensorView,
    dOut: TensorView | null,
    dhRec: TensorView | null,
    ws: TensorView,
    h: TensorView,
    dgx: TensorView,
    dgh: TensorView,
    resetAfter?: boolean,
  ): void;
  /**
   * The rest of a reset-before GRU backward step: from `drh` [R, H] = ∂L/∂(r ⊙ h), the
   * workspace `ws` [R, 4H] and the previous state `h`, writes the r blocks `dgx` and `dgh`
   * [R, H] (both ∂L/∂ of r's pre-activation) and adds drh ⊙ r to `dh` [R, H] (in/out).
   */
  gruResetGateBackward(drh: TensorView, ws: TensorView, h: TensorView, dgx: TensorView, dgh: TensorView, dh: TensorView): void;
  /**
   * One LSTM step (gate order i, f, g, o). `gx` [R, 4H] = W_ih x + b_ih, `gh` [R, 4H] = W_hh h,
   * `bhh` [4H] or null, `c` [R, H] the previous cell state. Writes `cOut` [R, H] (may alias
   * `c`): c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), `hOut` [R, H] = σ(o) ⊙ tanh(c'), and, when `ws`
   * [R, 6H] is given, the workspace [i, f, g, o (activated), c, tanh(c')].
   */
  lstmCell(gx: TensorView, gh: TensorView, bhh: TensorView | null, c: TensorView, cOut: TensorView, hOut: TensorView, ws: TensorView | null): void;
  /**
   * Backward of `lstmCell`. `dh` [R, H] (∂L/∂h', plus `dOut` and the first rows of `dhRec` as
   * in `gruCellBackward`) is in/out and is zeroed on exit (h feeds the next step only through
   * W_hh). `dc` [R, H] is in/out: ∂L/∂c' on entry, ∂L/∂c on exit. Writes `dgates` [R, 4H],
   * the gradient of the pre-activation gates (equal for gx and gh).
   */
  lstmCellBackward(dh: TensorView, dOut: TensorView | null, dhRec: TensorView | null, dc: TensorView, ws: TensorView, dgates: TensorView): void;
  /**
   * A whole SRU (Lei et al. 2018) layer-direction. `u` [N, k·H] holds W x for the packed rows
   * (blocks x̃, f, r and, when k = 4, the highway input), `x` [N, H] the highway input when
   * k = 3 (else null), `vc` [2H] = [v_f, v_r], `b` [2H] = [b_f, b_r], `c0` [B, H]. Steps t
   * run over `batchSizes` (rows of step t are consecutive, `batchSizes[t]` of them), in reverse
   * time when `reverse`. Writes `h` [N, H], `cN` [B, H] (each sequence's last state) and, when
   * given, `ws` [N, 3H] = [f, r, c_prev].
   */
  sruSequence(
    u: TensorView,
    x: TensorView | null,
    vc: TensorView,
    b: TensorView,
    c0: TensorView,
    batchSizes: readonly number[],
    reverse: boolean,
    h: TensorView,
    cN: TensorView,
    ws: TensorView | null,
  ): void;
  /**
   * Backward of `sruSequence`: from `dh` [N, H] (or null), `dcN` [B, H] (or null) and the
   * forward's `ws`, writes `du` [N, k·H], `dx` [N, H] (k = 3, else null), `dvc` [2H], `db`
   * [2H] (both overwritten, not accumulated) and `dc0` [B, H].
   */
  sruSequenceBackward(
    dh: TensorView | null,
    dcN: TensorView | null,
    u: TensorView,
    x: TensorView | null,
    vc: TensorView,
    ws: TensorView,
    batchSizes: readonly number[],
    reverse: boolean,
    du: TensorView,
    dx: TensorView | null,
    dvc: TensorView,
    db: TensorView,
    dc0: TensorView,
  ): void;

  // ---- embedding bags (nn's `embeddingBag` op; the fastText path) ----

  /**
   * `embedding_bag` forward for modes `'sum'` and `'mean'`: `weight` [N, D] (any strides),
   * `indices` [T] and `offsets` [B] contiguous int32 (bag b spans `[offsets[b], offsets[b + 1])`,
   * the last bag ends at T), `perSampleWeights` [T] or null (multiplies each row; sum only),
   * entries equal to `paddingIdx` (−1: none) left out. Writes `out` [B, D] (contiguous): the
   * sum of each bag's rows, or their mean over the kept entries (zeros for an empty bag).
   * Indices are assumed in range (the op checks them).
   */
  embeddingBag(
    weight: TensorView,
    indices: TensorView,
    offsets: TensorView,
    perSampleWeights: TensorView | null,
    mode: 'sum' | 'mean',
    paddingIdx: number,
    out: TensorView,
  ): void;
  /**
   * The row-sparse weight gradient of `embeddingBag`: one row per entry of `indices`,
   * `values[i] = gradOut[bag(i)] · s_i` with s_i = `perSampleWeights[i]` (sum), 1/(kept
   * entries of the bag) (mean), and 0 for padding entries. `gradOut` [B, D] any strides,
   * `values` [T, D] contiguous. The gradient is `(indices, values)`; its dense form is
   * `zeros([N, D]).index_add_(0, indices, values)`.
   */
  embeddingBagBackwardSparse(
    gradOut: TensorView,
    indices: TensorView,
    offsets: TensorView,
    perSampleWeights: TensorView | null,
    mode: 'sum' | 'mean',
    paddingIdx: number,
    values: TensorView,
  ): void;
  /**
   * In place: `dst[indices[i], :] += alpha · values[i, :]` for a 2-D `dst` [N, D] (any strides),
   * `indices` [T] contiguous int32 (in range, may repeat: applied in order) and `values` [T, D].
   * The row-sparse optimizer update (SGD, Adagrad, SparseAdam) without a scaled copy.
   */
  addRows(dst: TensorView, indices: TensorView, values: TensorView, alpha: number): void;

  // ---- optimizer updates (@torchlet/optim's SGD, Adam/AdamW, RMSprop, Adagrad) ----
  // One parameter per call, in place, in one pass: `param`, `grad` and the state buffers are
  // views of one shape and one float dtype. The arithmetic is PyTorch's single-tensor
  // (foreach=False) update, operation by operation, rounded to the parameter's dtype after
  // each operation, with scalars converted to that dtype as PyTorch converts them (float32:
  // no fused multiply-add). Each returns false, having changed nothing, for views it cannot
  // take (the CPU kernels: non-contiguous ones); optim then composes primitives.

  /**
   * SGD: g = ±grad (+ weightDecay·p); with momentum, `momentumBuffer` (null when momentum is
   * 0) becomes g on the first step (PyTorch's clone) and momentum·buf + (1 − dampening)·g
   * after, and g = g + momentum·buf (nesterov) or buf; then p = p − lr·g.
   */
  sgdStep(param: TensorView, grad: TensorView, momentumBuffer: TensorView | null, options: SgdStepOptions): boolean;
  /**
   * Adam/AdamW: g = ±grad; p = p·(1 − lr·weightDecay) (decoupled) or g = g + weightDecay·p;
   * m = lerp(m, g, 1 − β1); v = β2·v + ((1 − β2)·g)·g; v̂ = max(v̂, v) (amsgrad: `maxExpAvgSq`,
   * else null); p = p + (−lr/bc1 · m) / (√v(̂) / √bc2 + eps).
   */
  adamStep(
    param: TensorView,
    grad: TensorView,
    expAvg: TensorView,
    expAvgSq: TensorView,
    maxExpAvgSq: TensorView | null,
    options: AdamStepOptions,
  ): boolean;
  /**
   * RMSprop: g = ±grad (+ weightDecay·p); v = α·v + ((1 − α)·g)·g; centered: ḡ = lerp(ḡ, g,
   * 1 − α) (`gradAvg`, else null) and a = √(v − ḡ·ḡ) + eps, else a = √v + eps; momentum > 0:
   * buf = momentum·buf + g/a (`momentumBuffer`, else null) and p = p − lr·buf, else
   * p = p + (−lr·g)/a.
   */
  rmspropStep(
    param: TensorView,
    grad: TensorView,
    squareAvg: TensorView,
    gradAvg: TensorView | null,
    momentumBuffer: TensorView | null,
    options: RmspropStepOptions,
  ): boolean;
  /** Adagrad: g = ±grad (+ weightDecay·p); s = s + g·g; p = p + (−clr·g)/(√s + eps). */
  adagradStep(param: TensorView, grad: TensorView, sum: TensorView, options: AdagradStepOptions): boolean;

  // ---- softmax cross-entropy (nn's `softmaxCrossEntropy` op behind `F.crossEntropy`) ----

  /**
   * `F.cross_entropy(logits, target, weight, ignore_index, reduction='none', label_smoothing)`
   * for class-index targets, in one pass per row. `logits` [N, C] (any row stride, classes
   * contiguous), `target` [N] contiguous int32, `weight` [C] contiguous or null (w = ones).
   * With W = Σ_c w_c, ε = `labelSmoothing`, t = target[i] and lse_i = log Σ_c exp(x_ic), writes
   * `loss` [N]: (1 − ε)·w_t·(lse_i − x_it) + (ε/C)·Σ_c w_c·(lse_i − x_ic), 0 where
   * t = `ignoreIndex`, NaN for any other t outside [0, C); and `lse` [N] (every row; saved for
   * the backward). Both outputs contiguous.
   */
  softmaxCrossEntropy(
    logits: TensorView,
    target: TensorView,
    weight: TensorView | null,
    ignoreIndex: number,
    labelSmoothing: number,
    loss: TensorView,
    lse: TensorView,
  ): void;
  /**
   * Backward of `softmaxCrossEntropy`: writes `gradLogits` [N, C] (any row stride, classes
   * contiguous) = g_i·(p_ic·((1 − ε)·w_t + (ε/C)·W) − (ε/C)·w_c − (1 − ε)·w_t·[c = t]) + h_i·p_ic
   * with p_ic = exp(x_ic − lse_i), g = `gradLoss` [N] and h = `gradLse` [N] or null (zeros),
   * both of any stride (0 for a broadcast scalar). Rows where t = `ignoreIndex` take only the
   * h term (zero rows when h is), NaN rows for other targets outside [0, C).
   */
  softmaxCrossEntropyBackward(
    gradLoss: TensorView,
    gradLse: TensorView | null,
    logits: TensorView,
    target: TensorView,
    weight: TensorView | null,
    lse: TensorView,
    ignoreIndex: number,
    labelSmoothing: number,
    gradLogits: TensorView,
  ): void;
}

/** The name of a fused kernel. */
export type FusedKernelName = keyof FusedKernels;

/** Hyper-parameters of `FusedKernels.sgdStep` (torch.optim.SGD's). */
export interface SgdStepOptions {
  /** Learning rate. */
  readonly lr: number;
  /** Momentum factor (0: no momentum buffer). */
  readonly momentum: number;
  /** Dampening of the gradient in the momentum buffer. */
  readonly dampening: number;
  /** L2 penalty added to the gradient. */
  readonly weightDecay: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
  /** Ascend instead of descend. */
  readonly maximize: boolean;
  /** The momentum buffer's first step: it is set to g instead of updated. */
  readonly firstStep: boolean;
}

/** Hyper-parameters of `FusedKernels.adamStep`; the bias corrections are the caller's (float64). */
export interface AdamStepOptions {
  /** Learning rate. */
  readonly lr: number;
  /** Decay of the first-moment average. */
  readonly beta1: number;
  /** Decay of the second-moment average. */
  readonly beta2: number;
  /** Added to the denominator. */
  readonly eps: number;
  /** Weight decay (L2, or decoupled with `decoupled`). */
  readonly weightDecay: number;
  /** AdamW's decoupled decay p·(1 − lr·weightDecay) instead of the L2 term in g. */
  readonly decoupled: boolean;
  /** Keep the running maximum of the second moment (AMSGrad). */
  readonly amsgrad: boolean;
  /** Ascend instead of descend. */
  readonly maximize: boolean;
  /** 1 − β1ᵗ for this step t. */
  readonly biasCorrection1: number;
  /** 1 − β2ᵗ for this step t. */
  readonly biasCorrection2: number;
}

/** Hyper-parameters of `FusedKernels.rmspropStep` (torch.optim.RMSprop's). */
export interface RmspropStepOptions {
  /** Learning rate. */
  readonly lr: number;
  /** Decay of the squared-gradient average. */
  readonly alpha: number;
  /** Added to the denominator. */
  readonly eps: number;
  /** L2 penalty added to the gradient. */
  readonly weightDecay: number;
  /** Momentum factor (0: none). */
  readonly momentum: number;
  /** Normalise by the estimated variance (subtracting the squared mean gradient). */
  readonly centered: boolean;
  /** Ascend instead of descend. */
  readonly maximize: boolean;
}

/** Hyper-parameters of `FusedKernels.adagradStep`: `clr` is this step's rate lr / (1 + (t − 1)·lrDecay). */
export interface AdagradStepOptions {
  /** This step's learning rate, lr / (1 + (t − 1) · lrDecay). */
  readonly clr: number;
  /** Added to the denominator. */
  readonly eps: number;
  /** L2 penalty added to the gradient. */
  readonly weightDecay: number;
  /** Ascend instead of descend. */
  readonly maximize: boolean;
}
