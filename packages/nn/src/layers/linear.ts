/** `nn.Identity`, `nn.Linear`, `nn.Bilinear`, `nn.Flatten`, `nn.Unflatten`. */
import { ValueError, alias, empty, flatten, unflatten, type DType, type DeviceName, type Tensor } from '@torchlet/tensor';
import { bilinear, linear } from '../functional/linear.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyBool, pyTuple } from '../repr.js';

/** Where a layer creates its parameters (PyTorch's `factory_kwargs`). */
export interface FactoryOptions {
  /** dtype of the parameters (default float32). */
  dtype?: DType;
  /** Device of the parameters (default `'cpu'`). */
  device?: DeviceName;
}

export function checkSize(op: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`${op}: ${name} must be a non-negative integer (got ${n})`);
}

/** `nn.Identity()`: returns its input (as a new tensor object). */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return alias(x);
  }
}

/**
 * `nn.Linear(in_features, out_features, bias=True)`: y = x·Wᵀ + b. Weight `[out, in]` from
 * kaiming_uniform_(a=√5), bias from U(−1/√in, 1/√in), as PyTorch.
 */
export class Linear extends Module {
  /** Features of the input's last dim. */
  readonly inFeatures: number;
  /** Features of the output's last dim. */
  readonly outFeatures: number;
  /** [outFeatures, inFeatures], Kaiming-uniform with a = √5 (as PyTorch). */
  weight: Parameter;
  /** [outFeatures], uniform in ±1/√inFeatures (null without `bias`). */
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: FactoryOptions & { bias?: boolean } = {}) {
    super();
    checkSize('Linear', 'in_features', inFeatures);
    checkSize('Linear', 'out_features', outFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const f = { dtype: options.dtype, device: options.device };
    this.weight = new Parameter(empty([outFeatures, inFeatures], f));
    this.bias = options.bias ?? true ? new Parameter(empty([outFeatures], f)) : null;
    this.resetParameters();
  }

  /** Re-initialises `weight` and `bias` as the constructor does. */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }

  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** `nn.Bilinear(in1_features, in2_features, out_features, bias=True)`: y = x1ᵀ·W·x2 + b. */
export class Bilinear extends Module {
  /** Features of the first input's last dim. */
  readonly in1Features: number;
  /** Features of the second input's last dim. */
  readonly in2Features: number;
  /** Features of the output's last dim. */
  readonly outFeatures: number;
  /** [outFeatures, in1Features, in2Features], uniform in ±1/√in1Features. */
  weight: Parameter;
  /** [outFeatures], uniform in ±1/√in1Features (null without `bias`). */
  bias: Parameter | null;

  constructor(in1Features: number, in2Features: number, outFeatures: number, options: FactoryOptions & { bias?: boolean } = {}) {
    super();
    checkSize('Bilinear', 'in1_features', in1Features);
    checkSize('Bilinear', 'in2_features', in2Features);
    checkSize('Bilinear', 'out_features', outFeatures);
    this.in1Features = in1Features;
    this.in2Features = in2Features;
    this.outFeatures = outFeatures;
    const f = { dtype: options.dtype, device: options.device };
    this.weight = new Parameter(empty([outFeatures, in1Features, in2Features], f));
    this.bias = options.bias ?? true ? new Parameter(empty([outFeatures], f)) : null;
    this.resetParameters();
  }

  /** Re-initialises `weight` and `bias` as the constructor does. */
  resetParameters(): void {
    const bound = this.in1Features > 0 ? 1 / Math.sqrt(this.in1Features) : 0;
    uniform_(this.weight, -bound, bound);
    if (this.bias) uniform_(this.bias, -bound, bound);
  }

  override forward(x1: Tensor, x2: Tensor): Tensor {
    return bilinear(x1, x2, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** `nn.Flatten(start_dim=1, end_dim=-1)`. */
export class Flatten extends Module {
  /** First dim flattened (default 1, keeping the batch). */
  readonly startDim: number;
  /** Last dim flattened (default -1). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** `nn.Unflatten(dim, unflattened_size)`. */
export class Unflatten extends Module {
  /** The dim split. */
  readonly dim: number;
  /** The sizes it is split into. */
  readonly unflattenedSize: readonly number[];

  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    if (!Array.isArray(unflattenedSize) || unflattenedSize.some((n) => !Number.isInteger(n))) {
      throw new ValueError(`Unflatten: unflattened_size must be a list of integers (got ${JSON.stringify(unflattenedSize)})`);
    }
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }

  override forward(x: Tensor): Tensor {
    return unflatten(x, this.dim, this.unflattenedSize);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}
