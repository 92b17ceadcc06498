/**
 * softmax and logSoftmax along a dim: the backend's fused kernel when it declares one,
 * otherwise composed from primitives (max-subtract, exp, sum, log). Both are registered as
 * composites with their own derivative (autograd writes `y·(g − Σ g·y)` and
 * `g − exp(y)·Σ g`), so the graph holds one node whichever path ran.
 */
import type { DType } from '@torchlet/backend';
import { DTypeError } from '../core/errors.js';
import { allocTensor } from '../core/factory.js';
import { isFloatDType } from '../core/promotion.js';
import { normalizeDim } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import { cast } from './conversion.js';
import { div, exp, log, sub } from './elementwise.js';
import { amax, sum } from './reduce.js';

export interface SoftmaxAttrs {
  /** Normalised dim (0 for a 0-d input). */
  dim: number;
}

/** Options of `softmax` / `logSoftmax`. */
export interface SoftmaxOptions {
  /** Cast the input to this floating dtype first (`F.softmax(x, dim, dtype=…)`). */
  dtype?: DType;
}

/** softmax composed from dispatched primitives: `e = exp(x − max)`, `e / Σe`. Exported so tests can compare it with the fused kernel. */
export function softmaxComposed(x: Tensor, dim: number): Tensor {
  const m = amax(x, { dim, keepdim: true });
  const shifted = sub(x, m);
  m.dispose();
  const e = exp(shifted);
  shifted.dispose();
  const z = sum(e, { dim, keepdim: true });
  try {
    return div(e, z);
  } finally {
    e.dispose();
    z.dispose();
  }
}

/** logSoftmax composed: `(x − max) − log Σ exp(x − max)`. */
export function logSoftmaxComposed(x: Tensor, dim: number): Tensor {
  const m = amax(x, { dim, keepdim: true });
  const shifted = sub(x, m);
  m.dispose();
  const e = exp(shifted);
  const z = sum(e, { dim, keepdim: true });
  e.dispose();
  const lz = log(z);
  z.dispose();
  try {
    return sub(shifted, lz);
  } finally {
    shifted.dispose();
    lz.dispose();
  }
}

function forward(x: Tensor, dim: number, logForm: boolean): Tensor {
  const fused = logForm ? x.backend.fused.logSoftmax : x.backend.fused.softmax;
  if (fused && (x.dtype === 'float32' || x.dtype === 'float64')) {
    const out = allocTensor(x.shape, x.dtype, x.device);
    if (out.numel() > 0) fused(x.kernelView, dim, out.kernelView);
    return out;
  }
  return logForm ? logSoftmaxComposed(x, dim) : softmaxComposed(x, dim);
}

const softmaxDef = registerOp<SoftmaxAttrs>({
  name: 'softmax',
  kind: 'composite',
  differentiable: true,
  ownDerivative: true,
  forward: ([x], { dim }) => forward(x!, dim, false),
});

const logSoftmaxDef = registerOp<SoftmaxAttrs>({
  name: 'logSoftmax',
  kind: 'composite',
  differentiable: true,
  ownDerivative: true,
  forward: ([x], { dim }) => forward(x!, dim, true),
});

function run(op: 'softmax' | 'logSoftmax', x: Tensor, dim: number, options: SoftmaxOptions): Tensor {
  const def = op === 'softmax' ? softmaxDef : logSoftmaxDef;
  const d = normalizeDim(dim, x.ndim, op === 'softmax' ? 'softmax' : 'log_softmax');
  const dtype = options.dtype;
  if (dtype !== undefined && !isFloatDType(dtype)) throw new DTypeError(`${op}: dtype must be a floating point dtype, got ${dtype}`);
  if (dtype === undefined || dtype === x.dtype) {
    if (!isFloatDType(x.dtype)) {
      throw new DTypeError(`${op}: not implemented for '${x.dtype}' input; pass a float tensor or { dtype: 'float32' }`);
    }
    return call1(def, [x], { dim: d });
  }
  const xc = cast(x, dtype);
  try {
    return call1(def, [xc], { dim: d });
  } finally {
    xc.dispose();
  }
}

/** `torch.softmax(x, dim, dtype=None)`: `exp(x) / Σ exp(x)` along `dim`, max-subtracted. */
export function softmax(x: Tensor, dim: number, options: SoftmaxOptions = {}): Tensor {
  return run('softmax', x, dim, options);
}

/** `torch.log_softmax(x, dim, dtype=None)`. */
export function logSoftmax(x: Tensor, dim: number, options: SoftmaxOptions = {}): Tensor {
  return run('logSoftmax', x, dim, options);
}

declare module '../core/tensor.js' {
  interface Tensor {
    /** `x.softmax(dim, dtype=None)`: exp(x) / Σ exp(x) along `dim`, computed max-subtracted. */
    softmax(dim: number, options?: SoftmaxOptions): Tensor;
    /** `x.log_softmax(dim, dtype=None)`: x − log Σ exp(x) along `dim`. */
    logSoftmax(dim: number, options?: SoftmaxOptions): Tensor;
  }
}

/** Puts the softmax methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installSoftmaxMethods(): void {
  Tensor.prototype.softmax = function (dim, options) {
    return softmax(this, dim, options);
  };
  Tensor.prototype.logSoftmax = function (dim, options) {
    return logSoftmax(this, dim, options);
  };
}
