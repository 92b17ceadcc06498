/**
 * Kernel-level helpers shared by the random ops: Philox draws into fresh tensors and
 * scalar affine maps, all with backend primitives (no dispatch, nothing recorded).
 * Outputs are always fresh allocations, never aliases of an input, so they are also
 * valid on devices that forbid a buffer being read and written by one kernel.
 */
import { hostFrom, allocTensor } from '../core/factory.js';
import type { Shape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { Backend, BinaryOp, DType, DeviceName, RandomKind, TensorView, UnaryOp } from '@torchlet/backend';

/** A fresh contiguous tensor of Philox draws at `(seed, offset)`. */
export function drawTensor(kind: RandomKind, shape: Shape, dtype: DType, device: DeviceName, seed: number, offset: number, p?: number): Tensor {
  const out = allocTensor(shape, dtype, device);
  if (out.numel() > 0) out.backend.random(kind, out.kernelView, seed, offset, p);
  return out;
}

/** Runs `fn` with a one-element buffer holding `value`, viewed broadcast to `shape` (all strides 0). */
export function withScalarView<R>(backend: Backend, dtype: DType, value: number, shape: Shape, fn: (v: TensorView) => R): R {
  const buffer = backend.alloc(dtype, 1);
  try {
    backend.write(buffer, hostFrom([value], dtype));
    return fn({ buffer, dtype, shape, strides: shape.map(() => 0), offset: 0 });
  } finally {
    backend.free(buffer);
  }
}

/** `op(x, value)` into a fresh tensor of `x`'s shape and dtype (or bool for comparisons). */
export function binaryScalar(op: BinaryOp, x: Tensor, value: number, outDType: DType = x.dtype): Tensor {
  const out = allocTensor(x.shape, outDType, x.device);
  withScalarView(x.backend, x.dtype, value, x.shape, (s) => x.backend.binary(op, x.kernelView, s, out.kernelView));
  return out;
}

/** `op(x)` into a fresh tensor of `x`'s shape and dtype. */
export function unaryKernel(op: UnaryOp, x: Tensor): Tensor {
  const out = allocTensor(x.shape, x.dtype, x.device);
  x.backend.unary(op, x.kernelView, out.kernelView);
  return out;
}

/** Elementwise `x · scale + shift` in a fresh tensor (or `x` itself when the map is the identity). */
export function affine(x: Tensor, scale: number, shift: number): Tensor {
  if (scale === 1) return shift === 0 ? x : binaryScalar('add', x, shift);
  const scaled = binaryScalar('mul', x, scale);
  if (shift === 0) return scaled;
  try {
    return binaryScalar('add', scaled, shift);
  } finally {
    scaled.dispose();
  }
}

/** `x` converted to `dtype` in a fresh tensor; disposes `x`. */
export function castConsume(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  try {
    const out = allocTensor(x.shape, dtype, x.device);
    x.backend.cast(x.kernelView, out.kernelView);
    return out;
  } finally {
    x.dispose();
  }
}

/** Applies `steps` in order to a fresh tensor, disposing each intermediate (and `x`). */
export function pipe(x: Tensor, ...steps: ((t: Tensor) => Tensor)[]): Tensor {
  let cur = x;
  for (const step of steps) {
    let next: Tensor;
    try {
      next = step(cur);
    } catch (err) {
      cur.dispose();
      throw err;
    }
    if (next !== cur) cur.dispose();
    cur = next;
  }
  return cur;
}
