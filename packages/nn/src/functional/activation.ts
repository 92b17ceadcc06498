/**
 * Activation functions (`torch.nn.functional`): the unary primitives re-exported, and the
 * parametrised ones composed from them. Negative branches use `min(x, 0)` inside `exp` so
 * that the unselected branch of a `where` never produces inf (and NaN gradients).
 */
import {
  ValueError,
  abs,
  add,
  chunk,
  clamp,
  div,
  expm1,
  gt,
  log1p,
  logSoftmax as tensorLogSoftmax,
  exp,
  minimum,
  mul,
  neg,
  reshape,
  sigmoid,
  softmax as tensorSoftmax,
  softplus as softplusPrimitive,
  sub,
  tanh,
  tidy,
  where,
  type DType,
  type Tensor,
} from '@torchlet/tensor';

export { gelu, relu, sigmoid, silu, tanh } from '@torchlet/tensor';

/** `F.leaky_relu(x, negative_slope=0.01)`. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return tidy(() => where(gt(x, 0), x, mul(x, negativeSlope)));
}

/** `F.elu(x, alpha=1.0)`: x for x > 0, else alpha·(exp(x) − 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  return tidy(() => where(gt(x, 0), x, mul(expm1(minimum(x, 0)), alpha)));
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** `F.selu(x)`. */
export function selu(x: Tensor): Tensor {
  return tidy(() => mul(where(gt(x, 0), x, mul(expm1(minimum(x, 0)), SELU_ALPHA)), SELU_SCALE));
}

/** `F.celu(x, alpha=1.0)`: max(0, x) + min(0, alpha·(exp(x/alpha) − 1)). */
export function celu(x: Tensor, alpha = 1): Tensor {
  if (alpha === 0) throw new ValueError('ZeroDivisionError: alpha cannot be 0 for CELU');
  return tidy(() => where(gt(x, 0), x, mul(expm1(div(minimum(x, 0), alpha)), alpha)));
}

/**
 * `F.softplus(x, beta=1, threshold=20)`: log(1 + exp(beta·x)) / beta, and x where
 * beta·x > threshold.
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  if (beta === 1 && threshold === 20) return softplusPrimitive(x);
  return tidy(() => {
    const bx = mul(x, beta);
    const soft = div(log1p(exp(minimum(bx, threshold))), beta);
    return where(gt(bx, threshold), x, soft);
  });
}

/** `F.hardtanh(x, min_val=-1, max_val=1)`. */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  if (minVal > maxVal) throw new ValueError('hardtanh: min_val cannot be greater than max_val');
  return clamp(x, minVal, maxVal);
}

/** `F.relu6(x)`: min(max(x, 0), 6). */
export function relu6(x: Tensor): Tensor {
  return hardtanh(x, 0, 6);
}

/** `F.hardsigmoid(x)`: relu6(x + 3) / 6. */
export function hardsigmoid(x: Tensor): Tensor {
  return tidy(() => div(clamp(add(x, 3), 0, 6), 6));
}

/** `F.hardswish(x)`: x · relu6(x + 3) / 6. */
export function hardswish(x: Tensor): Tensor {
  return tidy(() => mul(x, div(clamp(add(x, 3), 0, 6), 6)));
}

/** `F.mish(x)`: x · tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  return tidy(() => mul(x, tanh(softplusPrimitive(x))));
}

/** `F.logsigmoid(x)`: −softplus(−x). */
export function logsigmoid(x: Tensor): Tensor {
  return tidy(() => neg(softplusPrimitive(neg(x))));
}

/** `F.softsign(x)`: x / (1 + |x|). */
export function softsign(x: Tensor): Tensor {
  return tidy(() => div(x, add(abs(x), 1)));
}

/** `F.tanhshrink(x)`: x − tanh(x). */
export function tanhshrink(x: Tensor): Tensor {
  return tidy(() => sub(x, tanh(x)));
}

/** `F.hardshrink(x, lambd=0.5)`: x where |x| > lambd, else 0. */
export function hardshrink(x: Tensor, lambd = 0.5): Tensor {
  return tidy(() => where(gt(abs(x), lambd), x, 0));
}

/** `F.softshrink(x, lambd=0.5)`: x − lambd·sign(x) where |x| > lambd, else 0. */
export function softshrink(x: Tensor, lambd = 0.5): Tensor {
  if (lambd < 0) throw new ValueError(`softshrink: lambda must be greater or equal to 0, but found to be ${lambd}.`);
  return tidy(() => where(gt(x, lambd), sub(x, lambd), where(gt(neg(x), lambd), add(x, lambd), 0)));
}

/** `F.threshold(x, threshold, value)`: x where x > threshold, else value. */
export function threshold(x: Tensor, thresholdValue: number, value: number): Tensor {
  return tidy(() => where(gt(x, thresholdValue), x, value));
}

/** `F.glu(x, dim=-1)`: a · sigmoid(b) for the two halves of `x` along `dim`. */
export function glu(x: Tensor, dim = -1): Tensor {
  const d = dim < 0 ? dim + x.ndim : dim;
  if (x.ndim === 0 || d < 0 || d >= x.ndim) throw new ValueError(`glu: dim ${dim} out of range for a ${x.ndim}-d input`);
  if (x.shape[d]! % 2 !== 0) throw new ValueError(`Halving dimension must be even, but dimension ${d} is size ${x.shape[d]}`);
  return tidy(() => {
    const [a, b] = chunk(x, 2, d);
    return mul(a!, sigmoid(b!));
  });
}

/** `F.prelu(x, weight)`: x where x > 0, else weight·x, weight per channel (dim 1) or shared. */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const n = weight.numel();
  if (n !== 1 && (x.ndim < 2 || x.shape[1] !== n)) {
    throw new ValueError(
      `Mismatch of parameter numbers and input channel size. Found parameter numbers = ${n} and channel size = ${x.ndim < 2 ? 1 : x.shape[1]}.`,
    );
  }
  return tidy(() => {
    const w = n === 1 ? reshape(weight, []) : reshape(weight, [1, n, ...new Array<number>(Math.max(0, x.ndim - 2)).fill(1)]);
    return where(gt(x, 0), x, mul(w, x));
  });
}

/** PyTorch's implicit softmax dim (deprecated there): 0 for 0-, 1- and 3-d inputs, else 1. */
export function implicitSoftmaxDim(ndim: number): number {
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

/** Options of `softmax`, `logSoftmax` and `softmin`. */
export interface SoftmaxFnOptions {
  /** Cast the input to this floating dtype first. */
  dtype?: DType;
}

/** `F.softmax(x, dim, dtype=None)` (dim defaults as PyTorch's implicit choice). */
export function softmax(x: Tensor, dim?: number, options: SoftmaxFnOptions = {}): Tensor {
  return tensorSoftmax(x, dim ?? implicitSoftmaxDim(x.ndim), options);
}

/** `F.log_softmax(x, dim, dtype=None)`. */
export function logSoftmax(x: Tensor, dim?: number, options: SoftmaxFnOptions = {}): Tensor {
  return tensorLogSoftmax(x, dim ?? implicitSoftmaxDim(x.ndim), options);
}

/** `F.softmin(x, dim)`: softmax(−x). */
export function softmin(x: Tensor, dim?: number, options: SoftmaxFnOptions = {}): Tensor {
  return tidy(() => tensorSoftmax(neg(x), dim ?? implicitSoftmaxDim(x.ndim), options));
}
