import { DTYPE_INFO, type DType, type DeviceName, type TensorView } from '@torchlet/backend';
import { DeviceError } from '../core/errors.js';
import { allocTensor, hostFrom, fromHost } from '../core/factory.js';
import type { Operand, Scalar } from '../core/promotion.js';
import { Tensor } from '../core/tensor.js';

/** The one device shared by the tensor operands; scalars follow it. */
export function commonDevice(operands: readonly Operand[], op: string): DeviceName {
  let device: DeviceName | undefined;
  for (const o of operands) {
    if (!(o instanceof Tensor)) continue;
    if (device === undefined) device = o.device;
    else if (o.device !== device) {
      throw new DeviceError(`${op}: Expected all tensors to be on the same device, but found at least two devices, ${device} and ${o.device}!`);
    }
  }
  return device ?? 'cpu';
}

/** A 0-dim tensor holding `value`. */
export function scalarTensor(value: Scalar, dtype: DType, device: DeviceName): Tensor {
  return fromHost(hostFrom([typeof value === 'boolean' ? (value ? 1 : 0) : value], dtype), [], dtype, device);
}

/**
 * Runs `fn` on the operands as tensors: scalars become temporary 0-dim tensors of
 * `scalarType`, disposed after the call (autograd keeps its own references to what it saves).
 */
export function withTensors<R>(operands: readonly Operand[], scalarType: DType, device: DeviceName, fn: (ts: Tensor[]) => R): R {
  const temps: Tensor[] = [];
  const ts = operands.map((o) => {
    if (o instanceof Tensor) return o;
    const t = scalarTensor(o, scalarType, device);
    temps.push(t);
    return t;
  });
  try {
    return fn(ts);
  } finally {
    for (const t of temps) t.dispose();
  }
}

/** `t` in `dtype`: itself when it already is, else a converted copy (kernel-level, not recorded). */
export function castKernel(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const out = allocTensor(t.shape, dtype, t.device);
  t.backend.cast(t.kernelView, out.kernelView);
  return out;
}

/** Runs `fn` on `t` cast to `dtype`, disposing the converted copy afterwards. */
export function withCast<R>(t: Tensor, dtype: DType, fn: (c: Tensor) => R): R {
  const c = castKernel(t, dtype);
  try {
    return fn(c);
  } finally {
    if (c !== t) c.dispose();
  }
}

/** `t`'s kernel view broadcast to `shape` (stride 0 on new and size-1 axes); no copy. */
export function broadcastView(t: Tensor, shape: readonly number[]): TensorView {
  const v = t.kernelView;
  const n = shape.length;
  const lead = n - v.shape.length;
  const strides = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const j = i - lead;
    strides[i] = j < 0 || v.shape[j] === 1 ? 0 : v.strides[j]!;
  }
  return { buffer: v.buffer, dtype: v.dtype, shape, strides, offset: v.offset };
}

export function bytesOf(dtype: DType): number {
  return DTYPE_INFO[dtype].bytes;
}
