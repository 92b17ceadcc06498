/** `nn.Conv1d`, `nn.Conv2d`, `nn.Conv3d`. */
import { ValueError, empty, pad, tidy, type Tensor } from '@torchlet/tensor';
import { convNd, convPadPairs, padList, type ConvPadding } from '../functional/conv.js';
import { tuple } from '../functional/im2col.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyTuple } from '../repr.js';
import type { FactoryOptions } from './linear.js';

/** How a convolution layer pads its input (`padding_mode`): zeros, or a copy of the border. */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

/** Options of `Conv1d`, `Conv2d` and `Conv3d` (PyTorch's keyword arguments, camelCase). */
export interface ConvLayerOptions extends FactoryOptions {
  /** Step of the kernel along each spatial dim (default 1). */
  stride?: number | readonly number[];
  /** Padding on both sides of each spatial dim, or `'same'` / `'valid'` (default 0). */
  padding?: ConvPadding;
  /** Spacing between kernel elements (default 1). */
  dilation?: number | readonly number[];
  /** Blocked connections: input and output channels split into this many groups (default 1). */
  groups?: number;
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
  /** How the padding is filled (default `'zeros'`). */
  paddingMode?: PaddingMode;
}

/** Shared implementation of `ConvNd` (PyTorch's `_ConvNd`). */
export class ConvNd extends Module {
  /** Spatial dims: 1, 2 or 3. */
  readonly nd: number;
  /** Input channels C_in. */
  readonly inChannels: number;
  /** Output channels C_out. */
  readonly outChannels: number;
  /** Kernel size per spatial dim. */
  readonly kernelSize: number[];
  /** Stride per spatial dim. */
  readonly stride: number[];
  /** Padding per spatial dim, or `'same'` / `'valid'`. */
  readonly padding: number[] | 'same' | 'valid';
  /** Dilation per spatial dim. */
  readonly dilation: number[];
  /** Channel groups. */
  readonly groups: number;
  /** How the padding is filled. */
  readonly paddingMode: PaddingMode;
  /** Kernels [C_out, C_in / groups, ...kernelSize], initialised Kaiming-uniform with a = √5 (as PyTorch). */
  weight: Parameter;
  /** Bias [C_out], uniform in ±1/√fan_in (null without `bias`). */
  bias: Parameter | null;

  constructor(nd: number, inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvLayerOptions = {}) {
    super();
    const op = `Conv${nd}d`;
    const groups = options.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0) throw new ValueError('groups must be a positive integer');
    if (inChannels % groups !== 0) throw new ValueError('in_channels must be divisible by groups');
    if (outChannels % groups !== 0) throw new ValueError('out_channels must be divisible by groups');
    const paddingMode = options.paddingMode ?? 'zeros';
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(paddingMode)) {
      throw new ValueError(`padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode='${String(paddingMode)}'`);
    }
    this.nd = nd;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = tuple(kernelSize, nd, 'kernel_size', op);
    this.stride = tuple(options.stride ?? 1, nd, 'stride', op);
    this.dilation = tuple(options.dilation ?? 1, nd, 'dilation', op);
    const p = options.padding ?? 0;
    if (typeof p === 'string') {
      if (p !== 'same' && p !== 'valid') throw new ValueError(`Invalid padding string '${p}', should be one of ['valid', 'same']`);
      if (p === 'same' && this.stride.some((s) => s !== 1)) throw new ValueError("padding='same' is not supported for strided convolutions");
      this.padding = p;
    } else {
      this.padding = tuple(p, nd, 'padding', op);
    }
    this.groups = groups;
    this.paddingMode = paddingMode;
    const f = { dtype: options.dtype, device: options.device };
    this.weight = new Parameter(empty([outChannels, inChannels / groups, ...this.kernelSize], f));
    this.bias = options.bias ?? true ? new Parameter(empty([outChannels], f)) : null;
    this.resetParameters();
  }

  /** Re-initialises `weight` and `bias` as the constructor does. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        uniform_(this.bias, -bound, bound);
      }
    }
  }

  override forward(x: Tensor): Tensor {
    const options = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    if (this.paddingMode === 'zeros') return convNd(this.nd, x, this.weight, this.bias, { ...options, padding: this.padding });
    const pairs = convPadPairs(`conv${this.nd}d`, this.padding, this.kernelSize, this.dilation, this.stride);
    return tidy(() => convNd(this.nd, pad(x, padList(pairs), { mode: this.paddingMode as 'reflect' | 'replicate' | 'circular' }), this.weight, this.bias, { ...options, padding: 0 }));
  }

  override _getName(): string {
    return `Conv${this.nd}d`;
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((v) => v !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

/** `nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros')`. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvLayerOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, options);
  }
}

/** `nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros')`. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvLayerOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, options);
  }
}

/** `nn.Conv3d(...)`. */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvLayerOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, options);
  }
}
