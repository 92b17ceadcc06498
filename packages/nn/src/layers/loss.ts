/**
 * Loss modules (`nn.CrossEntropyLoss` …): options fixed at construction, `forward(input,
 * target)`. Class weights are buffers named `weight` (and `pos_weight`), as in PyTorch.
 */
import type { Tensor } from '@torchlet/tensor';
import * as L from '../functional/loss.js';
import { Module } from '../module.js';

type Reduction = L.Reduction;

class LossBase extends Module {
  /** How per-element losses are combined: `'mean'` (default), `'sum'` or `'none'`. */
  readonly reduction: Reduction;

  constructor(reduction: Reduction | undefined) {
    super();
    this.reduction = reduction ?? 'mean';
  }
}

class WeightedLoss extends LossBase {
  constructor(weight: Tensor | null | undefined, reduction: Reduction | undefined) {
    super(reduction);
    this.registerBuffer('weight', weight ?? null);
  }

  /** The per-class weight buffer (null for none). */
  get weight(): Tensor | null {
    return this.getBuffer('weight');
  }
}

/** `nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0)`. */
export class CrossEntropyLoss extends WeightedLoss {
  /** Targets equal to this class are ignored (default -100). */
  readonly ignoreIndex: number;
  /** Mix of the one-hot target with the uniform distribution, in [0, 1] (default 0). */
  readonly labelSmoothing: number;

  constructor(options: L.CrossEntropyOptions = {}) {
    super(options.weight, options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

/** `nn.NLLLoss(weight=None, ignore_index=-100, reduction='mean')`. */
export class NLLLoss extends WeightedLoss {
  /** Targets equal to this class are ignored (default -100). */
  readonly ignoreIndex: number;

  constructor(options: L.NllLossOptions = {}) {
    super(options.weight, options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** `nn.MSELoss(reduction='mean')`. */
export class MSELoss extends LossBase {
  constructor(options: L.ReductionOptions = {}) {
    super(options.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.mseLoss(input, target, { reduction: this.reduction });
  }
}

/** `nn.L1Loss(reduction='mean')`. */
export class L1Loss extends LossBase {
  constructor(options: L.ReductionOptions = {}) {
    super(options.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.l1Loss(input, target, { reduction: this.reduction });
  }
}

/** `nn.SmoothL1Loss(reduction='mean', beta=1.0)`. */
export class SmoothL1Loss extends LossBase {
  /** The L1/L2 switch point (default 1). */
  readonly beta: number;

  constructor(options: L.ReductionOptions & { beta?: number } = {}) {
    super(options.reduction);
    this.beta = options.beta ?? 1;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** `nn.HuberLoss(reduction='mean', delta=1.0)`. */
export class HuberLoss extends LossBase {
  /** The quadratic/linear switch point (default 1). */
  readonly delta: number;

  constructor(options: L.ReductionOptions & { delta?: number } = {}) {
    super(options.reduction);
    this.delta = options.delta ?? 1;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** `nn.BCELoss(weight=None, reduction='mean')`. */
export class BCELoss extends WeightedLoss {
  constructor(options: L.BceOptions = {}) {
    super(options.weight, options.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** `nn.BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)`. */
export class BCEWithLogitsLoss extends WeightedLoss {
  constructor(options: L.BceWithLogitsOptions = {}) {
    super(options.weight, options.reduction);
    this.registerBuffer('pos_weight', options.posWeight ?? null);
  }

  /** The `pos_weight` buffer: the weight of positive examples per class (null for none). */
  get posWeight(): Tensor | null {
    return this.getBuffer('pos_weight');
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}

/** `nn.KLDivLoss(reduction='mean', log_target=False)`. */
export class KLDivLoss extends Module {
  /** `'mean'` (default), `'batchmean'` (the mathematically correct KL), `'sum'` or `'none'`. */
  readonly reduction: Reduction | 'batchmean';
  /** The target is given as log-probabilities (default false). */
  readonly logTarget: boolean;

  constructor(options: L.KlDivOptions = {}) {
    super();
    this.reduction = options.reduction ?? 'mean';
    this.logTarget = options.logTarget ?? false;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/** `nn.CosineEmbeddingLoss(margin=0.0, reduction='mean')`: `forward(x1, x2, y)`. */
export class CosineEmbeddingLoss extends LossBase {
  /** Margin for dissimilar pairs, in [−1, 1] (default 0). */
  readonly margin: number;

  constructor(options: L.CosineEmbeddingOptions = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 0;
  }

  override forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return L.cosineEmbeddingLoss(x1, x2, y, { margin: this.margin, reduction: this.reduction });
  }
}

/** `nn.MarginRankingLoss(margin=0.0, reduction='mean')`: `forward(x1, x2, y)`. */
export class MarginRankingLoss extends LossBase {
  /** The required gap between the ranked inputs (default 0). */
  readonly margin: number;

  constructor(options: L.CosineEmbeddingOptions = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 0;
  }

  override forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return L.marginRankingLoss(x1, x2, y, { margin: this.margin, reduction: this.reduction });
  }
}

/** `nn.HingeEmbeddingLoss(margin=1.0, reduction='mean')`. */
export class HingeEmbeddingLoss extends LossBase {
  /** Margin for the −1 targets (default 1). */
  readonly margin: number;

  constructor(options: L.CosineEmbeddingOptions = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 1;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.hingeEmbeddingLoss(input, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** `nn.SoftMarginLoss(reduction='mean')`. */
export class SoftMarginLoss extends LossBase {
  constructor(options: L.ReductionOptions = {}) {
    super(options.reduction);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** `nn.PoissonNLLLoss(log_input=True, full=False, eps=1e-8, reduction='mean')`. */
export class PoissonNLLLoss extends LossBase {
  /** The input is log λ (default true) rather than λ. */
  readonly logInput: boolean;
  /** Add Stirling's approximation term (default false). */
  readonly full: boolean;
  /** Added to λ before the log when `logInput` is false (default 1e-8). */
  readonly eps: number;

  constructor(options: L.ReductionOptions & { logInput?: boolean; full?: boolean; eps?: number } = {}) {
    super(options.reduction);
    this.logInput = options.logInput ?? true;
    this.full = options.full ?? false;
    this.eps = options.eps ?? 1e-8;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return L.poissonNllLoss(input, target, { logInput: this.logInput, full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/** `nn.GaussianNLLLoss(full=False, eps=1e-6, reduction='mean')`: `forward(input, target, var)`. */
export class GaussianNLLLoss extends LossBase {
  /** Add the constant log(2π)/2 term (default false). */
  readonly full: boolean;
  /** Clamp for the variance, for stability (default 1e-6). */
  readonly eps: number;

  constructor(options: L.ReductionOptions & { full?: boolean; eps?: number } = {}) {
    super(options.reduction);
    this.full = options.full ?? false;
    this.eps = options.eps ?? 1e-6;
  }

  override forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return L.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}
