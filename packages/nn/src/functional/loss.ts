/**
 * Loss functions with PyTorch's exact semantics: reductions `'none' | 'mean' | 'sum'`,
 * weighted means normalised by the sum of the weights picked, `ignoreIndex`, label
 * smoothing (with weights), probability targets, `posWeight`, `batchmean`.
 */
import {
  DTypeError,
  IndexError,
  ShapeError,
  ValueError,
  abs,
  add,
  cast,
  clamp,
  clampMin,
  div,
  eq,
  exp,
  fmtShape,
  gather,
  indexSelect,
  log,
  logSoftmax,
  lt,
  maximum,
  mean,
  movedim,
  mul,
  ne,
  neg,
  reshape,
  softplus,
  sqrt,
  square,
  squeeze,
  sub,
  sum,
  tidy,
  unsqueeze,
  where,
  type Tensor,
} from '@torchlet/tensor';
import { softmaxCrossEntropy } from './cross-entropy-op.js';

/** How per-element losses are combined: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
export type Reduction = 'none' | 'mean' | 'sum';

/** The `reduction` option shared by the losses. */
export interface ReductionOptions {
  /** How per-element losses are combined (default `'mean'`). */
  reduction?: Reduction;
}

function checkReduction(reduction: string, op: string, extra: readonly string[] = []): void {
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum' && !extra.includes(reduction)) {
    throw new ValueError(`${op}: ${reduction} is not a valid value for reduction`);
  }
}

/** Applies a reduction to an elementwise loss (inside a tidy scope). */
function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'sum') return sum(loss);
  if (reduction === 'mean') return mean(loss);
  return loss;
}

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (input.ndim !== target.ndim || input.shape.some((n, i) => n !== target.shape[i])) {
    throw new ShapeError(
      `${op}: Using a target size (${fmtShape(target.shape)}) that is different to the input size (${fmtShape(input.shape)}) is not supported. Please ensure they have the same size.`,
    );
  }
}

function checkFloat(op: string, name: string, t: Tensor): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'float16') {
    throw new DTypeError(`${op}: expected ${name} to be a floating point tensor (got ${t.dtype})`);
  }
}

// ---- class-index losses ------------------------------------------------------------------------------

/** Options of `nllLoss` (`F.nll_loss`). */
export interface NllLossOptions extends ReductionOptions {
  /** Per-class rescaling weight, shape [C]. */
  weight?: Tensor | null;
  /** Target value that contributes nothing (default -100). */
  ignoreIndex?: number;
}

interface ClassGeometry {
  classDim: number;
  numClasses: number;
}

function classGeometry(op: string, input: Tensor, target: Tensor, weight: Tensor | null | undefined): ClassGeometry {
  if (input.ndim === 0) throw new ShapeError(`${op}: input must have at least 1 dimension (got a 0-d tensor)`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const numClasses = input.shape[classDim]!;
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== numClasses)) {
    throw new ShapeError(
      `${op}: weight tensor should be defined either for all ${numClasses} classes or no classes but got weight tensor of shape: ${fmtShape(weight.shape)}`,
    );
  }
  if (target.dtype !== 'int32') throw new DTypeError(`${op}: expected target of dtype int32 (class indices), got ${target.dtype}`);
  const expected = input.shape.filter((_, i) => i !== classDim);
  if (input.ndim === 1 ? target.ndim !== 0 : target.ndim !== input.ndim - 1) {
    throw new ShapeError(`${op}: Expected target of shape ${fmtShape(expected)} for input of shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`);
  }
  if (input.ndim >= 2 && target.shape[0] !== input.shape[0]) {
    throw new ShapeError(`Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.shape[0]}).`);
  }
  if (target.shape.some((n, i) => n !== expected[i])) {
    throw new ShapeError(`${op}: Expected target size ${fmtShape(expected)}, got ${fmtShape(target.shape)}`);
  }
  return { classDim, numClasses };
}

function checkTargets(target: Tensor, numClasses: number, ignoreIndex: number): void {
  if (!target.backend.canReadSync || target.numel() === 0) return;
  const host = target.dataSync();
  for (let i = 0; i < host.length; i++) {
    const v = host[i]!;
    if (v !== ignoreIndex && (v < 0 || v >= numClasses)) throw new IndexError(`Target ${v} is out of bounds.`);
  }
}

/** The log-probabilities at the targets, the per-element weights (0 where ignored). */
function pickTargets(logp: Tensor, target: Tensor, g: ClassGeometry, weight: Tensor | null | undefined, ignoreIndex: number): { picked: Tensor; w: Tensor } {
  const keep = ne(target, ignoreIndex);
  const safe = where(keep, target, 0);
  const picked = squeeze(gather(logp, g.classDim, unsqueeze(safe, g.classDim)), g.classDim);
  const keepF = cast(keep, logp.dtype);
  const w = weight ? mul(reshape(indexSelect(weight, 0, reshape(safe, [-1])), target.shape), keepF) : keepF;
  return { picked, w };
}

/**
 * `F.nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean')` on
 * log-probabilities `[N, C, …]` (or `[C]`) and class indices `[N, …]`. The weighted mean
 * divides by the sum of the weights of the non-ignored targets.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'nll_loss');
  const ignoreIndex = options.ignoreIndex ?? -100;
  const g = classGeometry('nll_loss', input, target, options.weight);
  checkTargets(target, g.numClasses, ignoreIndex);
  return tidy(() => {
    const { picked, w } = pickTargets(input, target, g, options.weight, ignoreIndex);
    const loss = neg(mul(picked, w));
    if (reduction === 'none') return loss;
    if (reduction === 'sum') return sum(loss);
    return div(sum(loss), sum(w));
  });
}

/** Options of `crossEntropy` (`F.cross_entropy`). */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mixes the target with the uniform distribution: (1 − ε)·target + ε/C. */
  labelSmoothing?: number;
}

/**
 * `F.cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean',
 * label_smoothing=0.0)`: log-softmax over the class dim (1, or 0 for a 1-D input), then the
 * NLL of class-index targets (int32) or the cross-entropy with class-probability targets
 * (float, same shape as input), exactly as PyTorch's `cross_entropy`. Class-index targets
 * run as one fused op (`softmaxCrossEntropy`, see ./cross-entropy-op.ts) where the backend
 * has its kernels: no `[N, C]` log-probabilities, one pass per row forward and backward.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return crossEntropyImpl(input, target, options, true);
}

/** `crossEntropy` always composed from log-softmax and the NLL (never the fused op); for tests. */
export function crossEntropyComposed(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return crossEntropyImpl(input, target, options, false);
}

/**
 * Whether class-index `crossEntropy` can run as the fused `softmaxCrossEntropy` op: the
 * backend has the kernels, float32/float64 logits, a weight of the same dtype that needs no
 * gradient (the op differentiates the logits only).
 */
function fusedApplies(input: Tensor, weight: Tensor | null): boolean {
  if (!input.backend.fused.softmaxCrossEntropy) return false;
  if (input.dtype !== 'float32' && input.dtype !== 'float64') return false;
  return weight === null || (weight.dtype === input.dtype && !weight.requiresGrad);
}

/** Class-index cross-entropy through the fused op: logits as [rows, C] (classes moved last for [N, C, d…]). */
function crossEntropyFused(input: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number, labelSmoothing: number, reduction: Reduction): Tensor {
  return tidy(() => {
    const C = input.shape[input.ndim === 1 ? 0 : 1]!;
    const x = input.ndim === 1 ? reshape(input, [1, C]) : input.ndim === 2 ? input : reshape(movedim(input, 1, -1), [-1, C]);
    const t = reshape(target, [-1]);
    const loss = softmaxCrossEntropy(x, t, weight, { ignoreIndex, labelSmoothing });
    if (reduction === 'none') return input.ndim === 2 ? loss : reshape(loss, target.shape);
    if (reduction === 'sum') return sum(loss);
    // mean: over the summed weights of the targets not ignored
    const keep = ne(t, ignoreIndex);
    const denom = weight ? sum(where(keep, indexSelect(weight, 0, where(keep, t, 0)), 0)) : sum(cast(keep, x.dtype));
    return div(sum(loss), denom);
  });
}

function crossEntropyImpl(input: Tensor, target: Tensor, options: CrossEntropyOptions, allowFused: boolean): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'cross_entropy');
  const ls = options.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new ValueError(`label_smoothing must be between 0.0 and 1.0. Got: ${ls}`);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const weight = options.weight ?? null;
  checkFloat('cross_entropy', 'input', input);
  if (input.ndim === 0) throw new ShapeError('cross_entropy: input must have at least 1 dimension (got a 0-d tensor)');
  const classDim = input.ndim === 1 ? 0 : 1;
  const numClasses = input.shape[classDim]!;
  const weightShape = input.shape.map((n, i) => (i === classDim ? n : 1));

  if (target.dtype !== 'int32') {
    // Class probabilities.
    checkFloat('cross_entropy', 'target', target);
    if (input.ndim !== target.ndim || input.shape.some((n, i) => n !== target.shape[i])) {
      throw new ShapeError(`cross_entropy: Expected input and target (class probabilities) to have the same shape, but got input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)}`);
    }
    if (weight && (weight.ndim !== 1 || weight.shape[0] !== numClasses)) {
      throw new ShapeError(`cross_entropy: weight tensor should be defined either for all ${numClasses} classes or no classes but got weight tensor of shape: ${fmtShape(weight.shape)}`);
    }
    return tidy(() => {
      const logp = logSoftmax(input, classDim);
      const t = ls > 0 ? add(mul(target, 1 - ls), ls / numClasses) : target;
      let prod = mul(logp, t);
      if (weight) prod = mul(prod, reshape(weight, weightShape));
      const loss = neg(sum(prod, classDim));
      if (reduction === 'none') return loss;
      if (reduction === 'sum') return sum(loss);
      return div(sum(loss), input.numel() / numClasses);
    });
  }

  const g = classGeometry('cross_entropy', input, target, weight);
  checkTargets(target, g.numClasses, ignoreIndex);
  if (allowFused && fusedApplies(input, weight)) return crossEntropyFused(input, target, weight, ignoreIndex, ls, reduction);
  return tidy(() => {
    const logp = logSoftmax(input, classDim);
    const { picked, w } = pickTargets(logp, target, g, weight, ignoreIndex);
    const nll = neg(mul(picked, w));
    const nllRed = reduction === 'none' ? nll : reduction === 'sum' ? sum(nll) : div(sum(nll), sum(w));
    if (ls === 0) return nllRed;
    // Smoothing term: −Σ_c w_c·logp_c per element, zero where ignored.
    const keepF = cast(ne(target, ignoreIndex), logp.dtype);
    const smooth = mul(neg(sum(weight ? mul(logp, reshape(weight, weightShape)) : logp, classDim)), keepF);
    let smoothRed: Tensor;
    if (reduction === 'none') smoothRed = smooth;
    else if (reduction === 'sum') smoothRed = sum(smooth);
    else smoothRed = div(sum(smooth), sum(w));
    return add(mul(nllRed, 1 - ls), mul(smoothRed, ls / numClasses));
  });
}

// ---- regression losses --------------------------------------------------------------------------------

/** `F.mse_loss(input, target, reduction='mean')` (broadcasting like PyTorch). */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'mse_loss');
  return tidy(() => reduce(square(sub(input, target)), reduction));
}

/** `F.l1_loss(input, target, reduction='mean')`. */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'l1_loss');
  return tidy(() => reduce(abs(sub(input, target)), reduction));
}

/** `F.smooth_l1_loss(input, target, reduction='mean', beta=1.0)`: 0.5·d²/β where |d| < β, else |d| − 0.5·β. */
export function smoothL1Loss(input: Tensor, target: Tensor, options: ReductionOptions & { beta?: number } = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'smooth_l1_loss');
  const beta = options.beta ?? 1;
  if (beta < 0) throw new ValueError('smooth_l1_loss does not support negative values for beta.');
  if (beta === 0) return l1Loss(input, target, { reduction });
  return tidy(() => {
    const d = sub(input, target);
    const a = abs(d);
    return reduce(where(lt(a, beta), div(mul(square(d), 0.5), beta), sub(a, 0.5 * beta)), reduction);
  });
}

/** `F.huber_loss(input, target, reduction='mean', delta=1.0)`: 0.5·d² where |d| < δ, else δ·(|d| − 0.5·δ). */
export function huberLoss(input: Tensor, target: Tensor, options: ReductionOptions & { delta?: number } = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'huber_loss');
  const delta = options.delta ?? 1;
  if (!(delta > 0)) throw new ValueError('huber_loss does not support non-positive values for delta.');
  return tidy(() => {
    const d = sub(input, target);
    const a = abs(d);
    return reduce(where(lt(a, delta), mul(square(d), 0.5), mul(sub(a, 0.5 * delta), delta)), reduction);
  });
}

// ---- binary losses ----------------------------------------------------------------------------------

/** Options of `binaryCrossEntropy` (`F.binary_cross_entropy`). */
export interface BceOptions extends ReductionOptions {
  /** Per-element rescaling, broadcast to the input. */
  weight?: Tensor | null;
}

/** `F.binary_cross_entropy(input, target, weight=None, reduction='mean')` on probabilities; logs clamped at −100. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'binary_cross_entropy');
  checkSameShape('binary_cross_entropy', input, target);
  if (input.backend.canReadSync && input.numel() > 0) {
    const host = input.dataSync();
    for (let i = 0; i < host.length; i++) {
      const v = host[i]!;
      if (!(v >= 0 && v <= 1)) throw new ValueError('binary_cross_entropy: all elements of input should be between 0 and 1');
    }
  }
  return tidy(() => {
    const logX = clampMin(log(input), -100);
    const log1mX = clampMin(log(sub(1, input)), -100);
    let loss = neg(add(mul(target, logX), mul(sub(1, target), log1mX)));
    if (options.weight) loss = mul(loss, options.weight);
    return reduce(loss, reduction);
  });
}

/** Options of `binaryCrossEntropyWithLogits` (`F.binary_cross_entropy_with_logits`). */
export interface BceWithLogitsOptions extends BceOptions {
  /** Weight of positive examples, broadcast along the last (class) dim. */
  posWeight?: Tensor | null;
}

/**
 * `F.binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean',
 * pos_weight=None)`: (1 − t)·x + (1 + (p − 1)·t)·softplus(−x), stable for any x.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'binary_cross_entropy_with_logits');
  if (input.ndim !== target.ndim || input.shape.some((n, i) => n !== target.shape[i])) {
    throw new ShapeError(`Target size (${fmtShape(target.shape)}) must be the same as input size (${fmtShape(input.shape)})`);
  }
  return tidy(() => {
    const spNeg = softplus(neg(input));
    const oneMinusT = sub(1, target);
    let loss: Tensor;
    if (options.posWeight) {
      const lw = add(mul(sub(options.posWeight, 1), target), 1);
      loss = add(mul(oneMinusT, input), mul(lw, spNeg));
    } else {
      loss = add(mul(oneMinusT, input), spNeg);
    }
    if (options.weight) loss = mul(loss, options.weight);
    return reduce(loss, reduction);
  });
}

// ---- distribution losses ------------------------------------------------------------------------------

/** Options of `klDiv` (`F.kl_div`). */
export interface KlDivOptions {
  /** 'mean' (over all elements, as PyTorch's default), 'batchmean' (sum / batch size), 'sum', 'none'. */
  reduction?: Reduction | 'batchmean';
  /** The target is given as log-probabilities. */
  logTarget?: boolean;
}

/**
 * `F.kl_div(input, target, reduction='mean', log_target=False)` with `input` log-probabilities:
 * target·(log target − input), 0 where target = 0 (or exp(t)·(t − input) for log targets).
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'kl_div', ['batchmean']);
  return tidy(() => {
    let loss: Tensor;
    if (options.logTarget) {
      loss = mul(exp(target), sub(target, input));
    } else {
      const pos = lt(0, target);
      const xlogy = where(pos, mul(target, log(where(pos, target, 1))), 0);
      loss = sub(xlogy, mul(target, input));
    }
    if (reduction === 'batchmean') return input.ndim === 0 ? sum(loss) : div(sum(loss), input.shape[0]!);
    return reduce(loss, reduction);
  });
}

/** Options of `cosineEmbeddingLoss` (`F.cosine_embedding_loss`). */
export interface CosineEmbeddingOptions extends ReductionOptions {
  /** Margin for dissimilar pairs, in [−1, 1] (default 0). */
  margin?: number;
}

/**
 * `F.cosine_embedding_loss(x1, x2, y, margin=0, reduction='mean')`: 1 − cos(x1, x2) for y = 1,
 * max(0, cos − margin) for y = −1.
 */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, y: Tensor, options: CosineEmbeddingOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'cosine_embedding_loss');
  const margin = options.margin ?? 0;
  if (x1.ndim !== x2.ndim || x1.shape.some((n, i) => n !== x2.shape[i])) {
    throw new ShapeError(`cosine_embedding_loss: the two inputs must have the same shape (got ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)})`);
  }
  if (x1.ndim !== 1 && x1.ndim !== 2) throw new ShapeError(`cosine_embedding_loss: 1D target tensor expects 2D input tensors, but found inputs with sizes ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}.`);
  const targetDim = x1.ndim - 1;
  if (y.ndim !== targetDim || (targetDim === 1 && y.shape[0] !== x1.shape[0])) {
    throw new ShapeError(`cosine_embedding_loss: ${targetDim === 1 ? '1D target tensor expects 2D input tensors' : '0D target tensor expects 1D input tensors'}, but found inputs with sizes ${fmtShape(x1.shape)}, ${fmtShape(x2.shape)} and target ${fmtShape(y.shape)}.`);
  }
  const EPS = 1e-12;
  return tidy(() => {
    const d = x1.ndim - 1;
    const prod = sum(mul(x1, x2), d);
    const m1 = add(sum(mul(x1, x1), d), EPS);
    const m2 = add(sum(mul(x2, x2), d), EPS);
    const cos = div(prod, sqrt(mul(m1, m2)));
    const pos = where(eq(y, 1), sub(1, cos), 0);
    const negPart = where(eq(y, -1), clampMin(sub(cos, margin), 0), 0);
    return reduce(add(pos, negPart), reduction);
  });
}

/** `F.margin_ranking_loss(x1, x2, y, margin=0)`: max(0, −y·(x1 − x2) + margin). */
export function marginRankingLoss(x1: Tensor, x2: Tensor, y: Tensor, options: CosineEmbeddingOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'margin_ranking_loss');
  return tidy(() => reduce(clampMin(add(mul(neg(y), sub(x1, x2)), options.margin ?? 0), 0), reduction));
}

/** `F.hinge_embedding_loss(x, y, margin=1.0)`: x where y = 1, max(0, margin − x) where y = −1. */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, options: CosineEmbeddingOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'hinge_embedding_loss');
  const margin = options.margin ?? 1;
  return tidy(() => {
    const marginPart = where(ne(target, 1), clampMin(sub(margin, input), 0), 0);
    const selfPart = where(ne(target, -1), input, 0);
    return reduce(add(marginPart, selfPart), reduction);
  });
}

/** `F.soft_margin_loss(x, y)`: log(1 + exp(−y·x)). */
export function softMarginLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'soft_margin_loss');
  return tidy(() => reduce(softplus(neg(mul(target, input))), reduction));
}

/** `F.poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8)`. */
export function poissonNllLoss(input: Tensor, target: Tensor, options: ReductionOptions & { logInput?: boolean; full?: boolean; eps?: number } = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'poisson_nll_loss');
  const eps = options.eps ?? 1e-8;
  return tidy(() => {
    let loss = options.logInput ?? true ? sub(exp(input), mul(target, input)) : sub(input, mul(target, log(add(input, eps))));
    if (options.full) {
      // Stirling term for target > 1.
      const t = target;
      const stirling = add(sub(mul(t, log(maximum(t, 1))), t), mul(0.5, log(mul(2 * Math.PI, maximum(t, 1)))));
      loss = add(loss, where(lt(1, t), stirling, 0));
    }
    return reduce(loss, reduction);
  });
}

/** `F.gaussian_nll_loss(input, target, var, full=False, eps=1e-6)`. */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, options: ReductionOptions & { full?: boolean; eps?: number } = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction(reduction, 'gaussian_nll_loss');
  const eps = options.eps ?? 1e-6;
  return tidy(() => {
    const v = clamp(variance, { min: eps });
    let loss = mul(add(log(v), div(square(sub(input, target)), v)), 0.5);
    if (options.full) loss = add(loss, 0.5 * Math.log(2 * Math.PI));
    return reduce(loss, reduction);
  });
}
