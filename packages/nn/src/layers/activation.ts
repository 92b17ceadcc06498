/** Activation modules: thin wrappers over `nn.functional` with PyTorch's reprs. */
import { full, type Tensor } from '@torchlet/tensor';
import * as F from '../functional/activation.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { pyFloat } from '../repr.js';
import type { FactoryOptions } from './linear.js';

/** `nn.ReLU()`. */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

/** `nn.ReLU6()`. */
export class ReLU6 extends Module {
  override forward(x: Tensor): Tensor {
    return F.relu6(x);
  }
}

/** `nn.Sigmoid()`. */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

/** `nn.Tanh()`. */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

/** `nn.SiLU()` (swish). */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

/** `nn.Mish()`. */
export class Mish extends Module {
  override forward(x: Tensor): Tensor {
    return F.mish(x);
  }
}

/** `nn.SELU()`. */
export class SELU extends Module {
  override forward(x: Tensor): Tensor {
    return F.selu(x);
  }
}

/** `nn.Hardsigmoid()`. */
export class Hardsigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return F.hardsigmoid(x);
  }
}

/** `nn.Hardswish()`. */
export class Hardswish extends Module {
  override forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
}

/** `nn.LogSigmoid()`. */
export class LogSigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return F.logsigmoid(x);
  }
}

/** `nn.Softsign()`. */
export class Softsign extends Module {
  override forward(x: Tensor): Tensor {
    return F.softsign(x);
  }
}

/** `nn.Tanhshrink()`. */
export class Tanhshrink extends Module {
  override forward(x: Tensor): Tensor {
    return F.tanhshrink(x);
  }
}

/** `nn.GELU(approximate='none')`. */
export class GELU extends Module {
  /** `'none'` (exact, with erf) or `'tanh'` (the tanh approximation). */
  readonly approximate: 'none' | 'tanh';

  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = options.approximate ?? 'none';
  }

  override forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** `nn.LeakyReLU(negative_slope=0.01)`. */
export class LeakyReLU extends Module {
  /** The slope for x < 0 (default 0.01). */
  readonly negativeSlope: number;

  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = negativeSlope;
  }

  override forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

/** `nn.ELU(alpha=1.0)`. */
export class ELU extends Module {
  /** The α of α · (eˣ − 1) for x < 0 (default 1). */
  readonly alpha: number;

  constructor(alpha = 1) {
    super();
    this.alpha = alpha;
  }

  override forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

/** `nn.CELU(alpha=1.0)`. */
export class CELU extends Module {
  /** The α of α · (e^(x/α) − 1) for x < 0 (default 1). */
  readonly alpha: number;

  constructor(alpha = 1) {
    super();
    this.alpha = alpha;
  }

  override forward(x: Tensor): Tensor {
    return F.celu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

/** `nn.Softplus(beta=1.0, threshold=20.0)`. */
export class Softplus extends Module {
  /** The β of log(1 + e^(βx)) / β (default 1). */
  readonly beta: number;
  /** Above β·x = threshold the layer is linear (default 20). */
  readonly threshold: number;

  constructor(options: { beta?: number; threshold?: number } = {}) {
    super();
    this.beta = options.beta ?? 1;
    this.threshold = options.threshold ?? 20;
  }

  override forward(x: Tensor): Tensor {
    return F.softplus(x, this.beta, this.threshold);
  }

  override extraRepr(): string {
    return `beta=${pyFloat(this.beta)}, threshold=${pyFloat(this.threshold)}`;
  }
}

/** `nn.Hardtanh(min_val=-1.0, max_val=1.0)`. */
export class Hardtanh extends Module {
  /** Lower bound (default −1). */
  readonly minVal: number;
  /** Upper bound (default 1). */
  readonly maxVal: number;

  constructor(minVal = -1, maxVal = 1) {
    super();
    this.minVal = minVal;
    this.maxVal = maxVal;
  }

  override forward(x: Tensor): Tensor {
    return F.hardtanh(x, this.minVal, this.maxVal);
  }

  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}`;
  }
}

/** `nn.Threshold(threshold, value)`. */
export class Threshold extends Module {
  /** Values at or below this are replaced. */
  readonly threshold: number;
  /** What they are replaced with. */
  readonly value: number;

  constructor(threshold: number, value: number) {
    super();
    this.threshold = threshold;
    this.value = value;
  }

  override forward(x: Tensor): Tensor {
    return F.threshold(x, this.threshold, this.value);
  }

  override extraRepr(): string {
    return `threshold=${pyFloat(this.threshold)}, value=${pyFloat(this.value)}`;
  }
}

/** `nn.Hardshrink(lambd=0.5)`. */
export class Hardshrink extends Module {
  /** The λ below which |x| is zeroed (default 0.5). */
  readonly lambd: number;

  constructor(lambd = 0.5) {
    super();
    this.lambd = lambd;
  }

  override forward(x: Tensor): Tensor {
    return F.hardshrink(x, this.lambd);
  }

  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

/** `nn.Softshrink(lambd=0.5)`. */
export class Softshrink extends Module {
  /** The λ subtracted toward zero (default 0.5). */
  readonly lambd: number;

  constructor(lambd = 0.5) {
    super();
    this.lambd = lambd;
  }

  override forward(x: Tensor): Tensor {
    return F.softshrink(x, this.lambd);
  }

  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

/** `nn.GLU(dim=-1)`. */
export class GLU extends Module {
  /** The dim split in two halves (default -1). */
  readonly dim: number;

  constructor(dim = -1) {
    super();
    this.dim = dim;
  }

  override forward(x: Tensor): Tensor {
    return F.glu(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

type SoftmaxName = 'softmax' | 'logSoftmax' | 'softmin';

/** Shared body of Softmax, LogSoftmax and Softmin (`dim=None` picks PyTorch's implicit dim). */
export class SoftmaxBase extends Module {
  /** The softmax dim (null: PyTorch's implicit choice, with its warning). */
  readonly dim: number | null;
  readonly #fn: SoftmaxName;

  constructor(fn: SoftmaxName, dim: number | null) {
    super();
    this.#fn = fn;
    this.dim = dim;
  }

  override forward(x: Tensor): Tensor {
    return F[this.#fn](x, this.dim ?? undefined);
  }

  override extraRepr(): string {
    return `dim=${this.dim === null ? 'None' : this.dim}`;
  }
}

/** `nn.Softmax(dim=None)`. */
export class Softmax extends SoftmaxBase {
  constructor(dim: number | null = null) {
    super('softmax', dim);
  }
}

/** `nn.LogSoftmax(dim=None)`. */
export class LogSoftmax extends SoftmaxBase {
  constructor(dim: number | null = null) {
    super('logSoftmax', dim);
  }
}

/** `nn.Softmin(dim=None)`. */
export class Softmin extends SoftmaxBase {
  constructor(dim: number | null = null) {
    super('softmin', dim);
  }
}

/** `nn.PReLU(num_parameters=1, init=0.25)`: a learned negative slope (one, or one per channel). */
export class PReLU extends Module {
  /** How many slopes: 1, or one per channel (dim 1 of the input). */
  readonly numParams: number;
  /** The learned negative slopes [numParams], initialised to `init` (default 0.25). */
  weight: Parameter;

  constructor(options: FactoryOptions & { numParameters?: number; init?: number } = {}) {
    super();
    this.numParams = options.numParameters ?? 1;
    this.weight = new Parameter(full([this.numParams], options.init ?? 0.25, { dtype: options.dtype, device: options.device }));
  }

  override forward(x: Tensor): Tensor {
    return F.prelu(x, this.weight);
  }

  override extraRepr(): string {
    return `num_parameters=${this.numParams}`;
  }
}
