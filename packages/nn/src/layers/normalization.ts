/** `nn.LayerNorm`, `nn.GroupNorm`, `nn.BatchNorm1d/2d/3d`, `nn.InstanceNorm1d/2d/3d`. */
import { noGrad } from '@torchlet/autograd';
import { ShapeError, ValueError, add_, fill_, ones, tensor, zero_, zeros, type Tensor } from '@torchlet/tensor';
import { batchNorm, groupNorm, instanceNorm, layerNorm } from '../functional/normalization.js';
import { ones_, zeros_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyBool, pyFloat, pyTuple } from '../repr.js';
import type { FactoryOptions } from './linear.js';

/** Options of `LayerNorm`. */
export interface LayerNormOptions extends FactoryOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /** Learn a per-element `weight` (and `bias`) of `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, learn a bias too (default true). */
  bias?: boolean;
}

/** `nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)`. */
export class LayerNorm extends Module {
  /** The trailing dims normalised over. */
  readonly normalizedShape: number[];
  /** Added to the variance for stability. */
  readonly eps: number;
  /** Whether `weight` and `bias` are learned. */
  readonly elementwiseAffine: boolean;
  /** Scale, of `normalizedShape`, initialised to 1 (null without `elementwiseAffine`). */
  weight: Parameter | null;
  /** Shift, of `normalizedShape`, initialised to 0 (null without it). */
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.some((n) => !Number.isInteger(n) || n < 0)) throw new ValueError(`LayerNorm: bad normalized_shape ${JSON.stringify(normalizedShape)}`);
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const f = { dtype: options.dtype, device: options.device };
    this.weight = this.elementwiseAffine ? new Parameter(ones(this.normalizedShape, f)) : null;
    this.bias = this.elementwiseAffine && (options.bias ?? true) ? new Parameter(zeros(this.normalizedShape, f)) : null;
  }

  /** Re-initialises `weight` to 1 and `bias` to 0. */
  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** `nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)`. */
export class GroupNorm extends Module {
  /** Groups the channels are split into. */
  readonly numGroups: number;
  /** Channels C of the input [N, C, *]. */
  readonly numChannels: number;
  /** Added to the variance for stability. */
  readonly eps: number;
  /** Whether `weight` and `bias` are learned. */
  readonly affine: boolean;
  /** Per-channel scale [C], initialised to 1 (null without `affine`). */
  weight: Parameter | null;
  /** Per-channel shift [C], initialised to 0 (null without `affine`). */
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, options: FactoryOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    if (!Number.isInteger(numGroups) || numGroups <= 0 || numChannels % numGroups !== 0) throw new ValueError('num_channels must be divisible by num_groups');
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    const f = { dtype: options.dtype, device: options.device };
    this.weight = this.affine ? new Parameter(ones([numChannels], f)) : null;
    this.bias = this.affine ? new Parameter(zeros([numChannels], f)) : null;
  }

  override forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}

/** Options of the batch- and instance-norm layers. */
export interface BatchNormLayerOptions extends FactoryOptions {
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running averages; null = cumulative moving average. */
  momentum?: number | null;
  /** Learn a per-channel `weight` and `bias` (default true for BatchNorm, false for InstanceNorm). */
  affine?: boolean;
  /** Keep running mean and variance for evaluation (default true for BatchNorm, false for InstanceNorm). */
  trackRunningStats?: boolean;
}

/**
 * PyTorch's `_NormBase` / `_BatchNorm`: `weight`, `bias` parameters and `running_mean`,
 * `running_var`, `num_batches_tracked` buffers (the state-dict keys PyTorch uses).
 */
export class NormBase extends Module {
  /** Channels C of the input [N, C, *]. */
  readonly numFeatures: number;
  /** Added to the variance for stability. */
  readonly eps: number;
  /** Weight of each new batch in the running averages; null for a cumulative moving average. */
  momentum: number | null;
  /** Whether `weight` and `bias` are learned. */
  readonly affine: boolean;
  /** Whether running statistics are kept. */
  readonly trackRunningStats: boolean;
  /** Per-channel scale [C], initialised to 1 (null without `affine`). */
  weight: Parameter | null;
  /** Per-channel shift [C], initialised to 0 (null without `affine`). */
  bias: Parameter | null;

  constructor(numFeatures: number, options: BatchNormLayerOptions, defaults: { affine: boolean; track: boolean }) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 0) throw new ValueError(`num_features must be a non-negative integer (got ${numFeatures})`);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? defaults.affine;
    this.trackRunningStats = options.trackRunningStats ?? defaults.track;
    const f = { dtype: options.dtype, device: options.device };
    this.weight = this.affine ? new Parameter(ones([numFeatures], f)) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures], f)) : null;
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], f));
      this.registerBuffer('running_var', ones([numFeatures], f));
      this.registerBuffer('num_batches_tracked', tensor(0, { dtype: 'int32', device: options.device }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
  }

  /** The `running_mean` buffer (null without running statistics). */
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  /** The `running_var` buffer (null without running statistics). */
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  /** The `num_batches_tracked` buffer, an int32 scalar (null without running statistics). */
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  /** Resets the running mean to 0, the running variance to 1 and the batch count to 0. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    noGrad(() => {
      zero_(this.runningMean!);
      fill_(this.runningVar!, 1);
      zero_(this.numBatchesTracked!);
    });
  }

  /** Resets the running statistics, `weight` to 1 and `bias` to 0. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  /** Checks the input rank; overridden per dimensionality. */
  protected checkInputDim(_x: Tensor): void {}

  /** PyTorch's BatchNorm accepts state dicts saved before `num_batches_tracked` existed. */
  protected override _optionalStateKeys(): readonly string[] {
    return ['num_batches_tracked'];
  }

  override forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    let factor = this.momentum ?? 0;
    const nbt = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && nbt) {
      noGrad(() => add_(nbt, 1));
      // momentum null: cumulative moving average, factor 1 / batches seen.
      if (this.momentum === null) factor = 1 / nbt.item();
    }
    const bnTraining = this.training || (this.runningMean === null && this.runningVar === null);
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(x, useRunning ? this.runningMean : null, useRunning ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: bnTraining,
      momentum: factor,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    const m = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${m}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** `nn.BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)`: input [N, C] or [N, C, L]. */
export class BatchNorm1d extends NormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options, { affine: true, track: true });
  }

  protected override checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`expected 2D or 3D input (got ${x.ndim}D input)`);
  }
}

/** `nn.BatchNorm2d(num_features, …)`: input [N, C, H, W]. */
export class BatchNorm2d extends NormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options, { affine: true, track: true });
  }

  protected override checkInputDim(x: Tensor): void {
    if (x.ndim !== 4) throw new ShapeError(`expected 4D input (got ${x.ndim}D input)`);
  }
}

/** `nn.BatchNorm3d(num_features, …)`: input [N, C, D, H, W]. */
export class BatchNorm3d extends NormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options, { affine: true, track: true });
  }

  protected override checkInputDim(x: Tensor): void {
    if (x.ndim !== 5) throw new ShapeError(`expected 5D input (got ${x.ndim}D input)`);
  }
}

/** PyTorch's `_InstanceNorm`: per-sample statistics; affine and running stats off by default. */
export class InstanceNormNd extends NormBase {
  /** Spatial dims: 1, 2 or 3. */
  readonly nd: number;

  constructor(nd: number, numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options, { affine: false, track: false });
    this.nd = nd;
  }

  override forward(x: Tensor): Tensor {
    if (x.ndim !== this.nd + 1 && x.ndim !== this.nd + 2) {
      throw new ShapeError(`expected ${this.nd + 1}D or ${this.nd + 2}D input (got ${x.ndim}D input)`);
    }
    const batched = x.ndim === this.nd + 2;
    const xb = batched ? x : x.unsqueeze(0);
    try {
      const y = instanceNorm(xb, {
        runningMean: this.runningMean,
        runningVar: this.runningVar,
        weight: this.weight,
        bias: this.bias,
        useInputStats: this.training || !this.trackRunningStats,
        momentum: this.momentum ?? 0.1,
        eps: this.eps,
      });
      if (batched) return y;
      const s = y.squeeze(0);
      y.dispose();
      return s;
    } finally {
      if (xb !== x) xb.dispose();
    }
  }

  override _getName(): string {
    return `InstanceNorm${this.nd}d`;
  }
}

export class InstanceNorm1d extends InstanceNormNd {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(1, numFeatures, options);
  }
}

export class InstanceNorm2d extends InstanceNormNd {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(2, numFeatures, options);
  }
}

export class InstanceNorm3d extends InstanceNormNd {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(3, numFeatures, options);
  }
}
