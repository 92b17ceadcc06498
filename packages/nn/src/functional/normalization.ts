/** `F.layer_norm`, `F.group_norm`, `F.batch_norm`, `F.instance_norm`, `F.normalize`, `F.local_response_norm`-free set. */
import { noGrad } from '@torchlet/autograd';
import {
  RuntimeError,
  ShapeError,
  ValueError,
  add,
  add_,
  clampMin,
  detach,
  div,
  expandAs,
  fmtShape,
  mean,
  mul,
  mul_,
  reshape,
  rsqrt,
  square,
  sub,
  tidy,
  vectorNorm,
  type Tensor,
} from '@torchlet/tensor';

/** Mean and biased variance over `dims` (kept), the two-pass way. */
function moments(x: Tensor, dims: number[]): { mu: Tensor; centered: Tensor; v: Tensor } {
  const mu = mean(x, dims, { keepdim: true });
  const centered = sub(x, mu);
  const v = mean(square(centered), dims, { keepdim: true });
  return { mu, centered, v };
}

/** `F.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5)`. */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  if (k === 0) throw new ValueError('layer_norm: normalized_shape must have at least one dimension');
  if (x.ndim < k || x.shape.slice(x.ndim - k).some((n, i) => n !== ns[i])) {
    throw new ShapeError(`Given normalized_shape=${fmtShape(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size${fmtShape(x.shape)}`);
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && (t.ndim !== k || t.shape.some((n, i) => n !== ns[i]))) {
      throw new ShapeError(`layer_norm: Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${fmtShape(t.shape)} and normalized_shape = ${fmtShape(ns)}`);
    }
  }
  return tidy(() => {
    const dims = ns.map((_, i) => x.ndim - k + i);
    const { centered, v } = moments(x, dims);
    let y = mul(centered, rsqrt(add(v, eps)));
    if (weight) y = mul(y, weight);
    if (bias) y = add(y, bias);
    return y;
  });
}

/** `F.group_norm(input, num_groups, weight=None, bias=None, eps=1e-5)`. */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (x.ndim < 2) throw new ShapeError(`group_norm: Expected at least 2 dimensions for input tensor but received ${x.ndim}`);
  const [n, c] = x.shape as [number, number];
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new ShapeError(`Expected number of channels in input to be divisible by num_groups, but got input of shape ${fmtShape(x.shape)} and num_groups=${numGroups}`);
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c)) {
      throw new ShapeError(`group_norm: Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape ${fmtShape(t.shape)} and input of shape ${fmtShape(x.shape)}`);
    }
  }
  return tidy(() => {
    const g = reshape(x, [n, numGroups, -1]);
    const { centered, v } = moments(g, [2]);
    let y = reshape(mul(centered, rsqrt(add(v, eps))), x.shape);
    const chan = [1, c, ...new Array<number>(x.ndim - 2).fill(1)];
    if (weight) y = mul(y, reshape(weight, chan));
    if (bias) y = add(y, reshape(bias, chan));
    return y;
  });
}

/** Options of `batchNorm` (`F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)`). */
export interface BatchNormOptions {
  /** Per-channel scale [C] (null for none). */
  weight?: Tensor | null;
  /** Per-channel shift [C] (null for none). */
  bias?: Tensor | null;
  /** Use batch statistics (and update the running ones when given); default false. */
  training?: boolean;
  /** Weight of the new batch in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
}

/**
 * `F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)`.
 * In training the batch mean and biased variance normalise; the running statistics are
 * updated in place (without grad) with the unbiased variance. In eval the running statistics
 * normalise.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const training = options.training ?? false;
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  if (x.ndim < 2) throw new ShapeError(`batch_norm: expected at least 2D input (got ${x.ndim}D input)`);
  const c = x.shape[1]!;
  for (const [name, t] of [['running_mean', runningMean], ['running_var', runningVar], ['weight', options.weight], ['bias', options.bias]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c)) {
      throw new ShapeError(`batch_norm: expected ${name} to have ${c} elements (the channels of input ${fmtShape(x.shape)}), but got shape ${fmtShape(t.shape)}`);
    }
  }
  if (!training && (!runningMean || !runningVar)) {
    throw new RuntimeError('batch_norm: running_mean and running_var must be defined in evaluation mode');
  }
  const chan = [1, c, ...new Array<number>(x.ndim - 2).fill(1)];
  const count = x.numel() / c;
  if (training && count <= 1) {
    throw new ValueError(`Expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`);
  }
  return tidy(() => {
    let y: Tensor;
    if (training) {
      const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
      const { mu, centered, v } = moments(x, dims);
      y = mul(centered, rsqrt(add(v, eps)));
      if (runningMean && runningVar) {
        noGrad(() => {
          const m = reshape(detach(mu), [c]);
          const unbiased = mul(reshape(detach(v), [c]), count / (count - 1));
          add_(mul_(runningMean, 1 - momentum), mul(m, momentum));
          add_(mul_(runningVar, 1 - momentum), mul(unbiased, momentum));
        });
      }
    } else {
      y = mul(sub(x, reshape(runningMean!, chan)), rsqrt(add(reshape(runningVar!, chan), eps)));
    }
    if (options.weight) y = mul(y, reshape(options.weight, chan));
    if (options.bias) y = add(y, reshape(options.bias, chan));
    return y;
  });
}

/** Options of `instanceNorm` (`F.instance_norm`). */
export interface InstanceNormOptions {
  /** Running mean [C], updated in place when the input statistics are used (null for none). */
  runningMean?: Tensor | null;
  /** Running variance [C], updated in place likewise (null for none). */
  runningVar?: Tensor | null;
  /** Per-channel scale [C] (null for none). */
  weight?: Tensor | null;
  /** Per-channel shift [C] (null for none). */
  bias?: Tensor | null;
  /** Normalise with each sample's statistics (default true); false uses the running ones. */
  useInputStats?: boolean;
  /** Weight of the new statistics in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance for stability (default 1e-5). */
  eps?: number;
}

/** `F.instance_norm(input, …)`: per-sample, per-channel normalisation over the spatial dims. */
export function instanceNorm(x: Tensor, options: InstanceNormOptions = {}): Tensor {
  if (x.ndim < 3) throw new ShapeError(`instance_norm: expected at least 3D input (got ${x.ndim}D input)`);
  const eps = options.eps ?? 1e-5;
  const useInput = options.useInputStats ?? true;
  if (!useInput) {
    if (!options.runningMean || !options.runningVar) throw new RuntimeError('instance_norm: running statistics are needed when use_input_stats=False');
    return batchNorm(x, options.runningMean, options.runningVar, { weight: options.weight, bias: options.bias, training: false, eps });
  }
  const [, c] = x.shape as [number, number];
  return tidy(() => {
    const dims = Array.from({ length: x.ndim - 2 }, (_, i) => i + 2);
    const { mu, centered, v } = moments(x, dims);
    let y = mul(centered, rsqrt(add(v, eps)));
    const chan = [1, c, ...new Array<number>(x.ndim - 2).fill(1)];
    if (options.runningMean && options.runningVar) {
      const momentum = options.momentum ?? 0.1;
      const n = x.shape.slice(2).reduce((a, b) => a * b, 1);
      noGrad(() => {
        const m = mean(reshape(detach(mu), [x.shape[0]!, c]), 0);
        const vv = mul(mean(reshape(detach(v), [x.shape[0]!, c]), 0), n / Math.max(n - 1, 1));
        add_(mul_(options.runningMean!, 1 - momentum), mul(m, momentum));
        add_(mul_(options.runningVar!, 1 - momentum), mul(vv, momentum));
      });
    }
    if (options.weight) y = mul(y, reshape(options.weight, chan));
    if (options.bias) y = add(y, reshape(options.bias, chan));
    return y;
  });
}

/** `F.normalize(input, p=2.0, dim=1, eps=1e-12)`: x / max(‖x‖_p, eps) along `dim`. */
export function normalize(x: Tensor, options: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  const p = options.p ?? 2;
  const dim = options.dim ?? 1;
  const eps = options.eps ?? 1e-12;
  return tidy(() => div(x, expandAs(clampMin(vectorNorm(x, { ord: p, dim, keepdim: true }), eps), x)));
}
