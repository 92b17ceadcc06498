/** `nn.Dropout`, `nn.Dropout1d/2d/3d`: identity in eval mode. */
import { ValueError, type Tensor } from '@torchlet/tensor';
import { dropout, dropout1d, dropout2d, dropout3d } from '../functional/dropout.js';
import { Module } from '../module.js';
import { pyFloat } from '../repr.js';

class DropoutBase extends Module {
  /** Probability of zeroing an element (or a channel), in [0, 1]. */
  readonly p: number;

  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
    this.p = p;
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}

/** `nn.Dropout(p=0.5)`: zeroes elements with probability p in training, scaling the rest by 1/(1−p). */
export class Dropout extends DropoutBase {
  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}

/** `nn.Dropout1d(p=0.5)`: zeroes whole channels of [N, C, L] input. */
export class Dropout1d extends DropoutBase {
  override forward(x: Tensor): Tensor {
    return dropout1d(x, this.p, { training: this.training });
  }
}

/** `nn.Dropout2d(p=0.5)`: zeroes whole channels of [N, C, H, W] input. */
export class Dropout2d extends DropoutBase {
  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, { training: this.training });
  }
}

/** `nn.Dropout3d(p=0.5)`. */
export class Dropout3d extends DropoutBase {
  override forward(x: Tensor): Tensor {
    return dropout3d(x, this.p, { training: this.training });
  }
}
