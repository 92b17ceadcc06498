/** Pooling layers: `MaxPool1d/2d/3d`, `AvgPool1d/2d/3d`, `AdaptiveAvgPool1d/2d/3d`, `AdaptiveMaxPool1d/2d`. */
import type { Tensor } from '@torchlet/tensor';
import {
  adaptiveAvgPoolNd,
  adaptiveMaxPoolNd,
  avgPoolNd,
  maxPoolNd,
  maxPoolNdWithIndices,
  type AdaptiveSize,
  type AvgPoolOptions,
  type MaxPoolOptions,
} from '../functional/pooling.js';
import { Module } from '../module.js';
import { pyBool, pyIntOrTuple, pyTuple } from '../repr.js';

type IntOrTuple = number | readonly number[];

/** PyTorch's `_MaxPoolNd`; with `returnIndices` the forward returns `[output, indices]`. */
export class MaxPoolNd extends Module {
  /** Spatial dims: 1, 2 or 3. */
  readonly nd: number;
  /** Window size, one number or one per spatial dim. */
  readonly kernelSize: IntOrTuple;
  /** Window step (default: the kernel size). */
  readonly stride: IntOrTuple;
  /** Implicit −∞ padding on both sides. */
  readonly padding: IntOrTuple;
  /** Spacing between window elements. */
  readonly dilation: IntOrTuple;
  /** Round the output size up instead of down. */
  readonly ceilMode: boolean;
  /** `forward` returns `[output, indices]`. */
  readonly returnIndices: boolean;

  constructor(nd: number, kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: boolean } = {}) {
    super();
    this.nd = nd;
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.ceilMode = options.ceilMode ?? false;
    this.returnIndices = options.returnIndices ?? false;
  }

  override forward(x: Tensor): any {
    const o = { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
    if (this.returnIndices) {
      const { values, indices } = maxPoolNdWithIndices(this.nd, x, this.kernelSize, o);
      return [values, indices];
    }
    return maxPoolNd(this.nd, x, this.kernelSize, o);
  }

  override _getName(): string {
    return `MaxPool${this.nd}d`;
  }

  override extraRepr(): string {
    return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(this.stride)}, padding=${pyIntOrTuple(this.padding)}, dilation=${pyIntOrTuple(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

export class MaxPool1d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: boolean } = {}) {
    super(1, kernelSize, options);
  }
}

export class MaxPool2d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: boolean } = {}) {
    super(2, kernelSize, options);
  }
}

export class MaxPool3d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices?: boolean } = {}) {
    super(3, kernelSize, options);
  }
}

/** PyTorch's `_AvgPoolNd`. */
export class AvgPoolNd extends Module {
  /** Spatial dims: 1, 2 or 3. */
  readonly nd: number;
  /** Window size, one number or one per spatial dim. */
  readonly kernelSize: IntOrTuple;
  /** Window step (default: the kernel size). */
  readonly stride: IntOrTuple;
  /** Implicit zero padding on both sides. */
  readonly padding: IntOrTuple;
  /** Round the output size up instead of down. */
  readonly ceilMode: boolean;
  /** Count the padding zeros in the divisor. */
  readonly countIncludePad: boolean;
  /** Divide every window by this instead (null: the window's size). */
  readonly divisorOverride: number | null;

  constructor(nd: number, kernelSize: IntOrTuple, options: AvgPoolOptions = {}) {
    super();
    this.nd = nd;
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
  }

  override forward(x: Tensor): Tensor {
    return avgPoolNd(this.nd, x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override _getName(): string {
    return `AvgPool${this.nd}d`;
  }

  override extraRepr(): string {
    // AvgPool1d stores tuples (PyTorch's _single); 2-D and 3-D keep what was given.
    const f = (v: IntOrTuple): string => (this.nd === 1 ? pyTuple(typeof v === 'number' ? [v] : v) : pyIntOrTuple(v));
    return `kernel_size=${f(this.kernelSize)}, stride=${f(this.stride)}, padding=${f(this.padding)}`;
  }
}

export class AvgPool1d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, options: AvgPoolOptions = {}) {
    super(1, kernelSize, options);
  }
}

export class AvgPool2d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, options: AvgPoolOptions = {}) {
    super(2, kernelSize, options);
  }
}

export class AvgPool3d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, options: AvgPoolOptions = {}) {
    super(3, kernelSize, options);
  }
}

function fmtAdaptive(size: AdaptiveSize): string {
  if (size === null) return 'None';
  if (typeof size === 'number') return String(size);
  const parts = size.map((s) => (s === null ? 'None' : String(s)));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
}

/** `nn.AdaptiveAvgPool{1,2,3}d(output_size)`. */
export class AdaptiveAvgPoolNd extends Module {
  /** Spatial dims: 1, 2 or 3. */
  readonly nd: number;
  /** The output's spatial size (null entries keep the input's). */
  readonly outputSize: AdaptiveSize;

  constructor(nd: number, outputSize: AdaptiveSize) {
    super();
    this.nd = nd;
    this.outputSize = outputSize;
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPoolNd(this.nd, x, this.outputSize);
  }

  override _getName(): string {
    return `AdaptiveAvgPool${this.nd}d`;
  }

  override extraRepr(): string {
    return `output_size=${fmtAdaptive(this.outputSize)}`;
  }
}

export class AdaptiveAvgPool1d extends AdaptiveAvgPoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(1, outputSize);
  }
}

export class AdaptiveAvgPool2d extends AdaptiveAvgPoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(2, outputSize);
  }
}

export class AdaptiveAvgPool3d extends AdaptiveAvgPoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(3, outputSize);
  }
}

/** `nn.AdaptiveMaxPool{1,2}d(output_size)`. */
export class AdaptiveMaxPoolNd extends Module {
  /** Spatial dims: 1 or 2. */
  readonly nd: number;
  /** The output's spatial size (null entries keep the input's). */
  readonly outputSize: AdaptiveSize;

  constructor(nd: number, outputSize: AdaptiveSize) {
    super();
    this.nd = nd;
    this.outputSize = outputSize;
  }

  override forward(x: Tensor): Tensor {
    return adaptiveMaxPoolNd(this.nd, x, this.outputSize);
  }

  override _getName(): string {
    return `AdaptiveMaxPool${this.nd}d`;
  }

  override extraRepr(): string {
    return `output_size=${fmtAdaptive(this.outputSize)}`;
  }
}

export class AdaptiveMaxPool1d extends AdaptiveMaxPoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(1, outputSize);
  }
}

export class AdaptiveMaxPool2d extends AdaptiveMaxPoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(2, outputSize);
  }
}
