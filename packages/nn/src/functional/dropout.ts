/** `F.dropout`, `F.dropout1d/2d/3d` (whole channels), `F.alpha_dropout`, using the seeded global RNG. */
import { isFloating } from '@torchlet/backend';
import { ShapeError, ValueError, alias, bernoulli, mul, tidy, type Generator, type Tensor } from '@torchlet/tensor';

/** Options of the dropout functions (`F.dropout(x, p, training)`). */
export interface DropoutOptions {
  /** Drop only in training (default true); otherwise the input passes through. */
  training?: boolean;
  /** The stream for the mask (default: the default generator). */
  generator?: Generator;
}

function checkP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
}

function dropWithMask(x: Tensor, p: number, maskShape: readonly number[], generator?: Generator): Tensor {
  if (!isFloating(x.dtype)) throw new ValueError(`dropout: expected a floating point input (got ${x.dtype})`);
  return tidy(() => {
    if (p === 1) return mul(x, 0);
    // keep with probability 1 − p, scaled by 1 / (1 − p)
    const mask = mul(bernoulli(1 - p, maskShape, { dtype: x.dtype, device: x.device, generator }), 1 / (1 - p));
    return mul(x, mask);
  });
}

/**
 * `F.dropout(input, p=0.5, training=True)`: zeroes each element with probability `p` and scales
 * the rest by 1/(1−p); the identity (a new tensor object) when not training or p = 0.
 */
export function dropout(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  checkP(p);
  if (!(options.training ?? true) || p === 0) return alias(x);
  return dropWithMask(x, p, x.shape, options.generator);
}

/** Channel dropout over `nd` spatial dims: each (sample, channel) is zeroed as a whole. */
function channelDropout(nd: number, x: Tensor, p: number, options: DropoutOptions): Tensor {
  checkP(p);
  if (x.ndim !== nd + 1 && x.ndim !== nd + 2) {
    throw new ShapeError(`dropout${nd}d: Expected ${nd + 1}D or ${nd + 2}D input, but received a ${x.ndim}D input`);
  }
  if (!(options.training ?? true) || p === 0) return alias(x);
  const batched = x.ndim === nd + 2;
  const keep = batched ? x.shape.slice(0, 2) : x.shape.slice(0, 1);
  return dropWithMask(x, p, [...keep, ...new Array<number>(nd).fill(1)], options.generator);
}

/** `F.dropout1d(x, p=0.5, training=True)`: zeroes whole channels of [N, C, L] (or [C, L]) with probability p, scaling the rest by 1/(1 − p). */
export const dropout1d = (x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor => channelDropout(1, x, p, options);
/** `F.dropout2d(x, p=0.5, training=True)`: zeroes whole channels of [N, C, H, W] (or [C, H, W]). */
export const dropout2d = (x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor => channelDropout(2, x, p, options);
/** `F.dropout3d(x, p=0.5, training=True)`: zeroes whole channels of [N, C, D, H, W] (or [C, D, H, W]). */
export const dropout3d = (x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor => channelDropout(3, x, p, options);
