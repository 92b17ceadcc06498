/**
 * dtype and device conversion, copies and aliases. Every function here returns a new
 * Tensor object (never `this`), so disposing a result never disposes its input.
 */
import { getBackend, type DType, type DeviceName } from '@torchlet/backend';
import { DTypeError, DeviceError } from '../core/errors.js';
import { allocTensor, fromHost, viewOf } from '../core/factory.js';
import { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';

const castDef = registerOp<{ dtype: DType }>({
  name: 'cast',
  kind: 'primitive',
  differentiable: true,
  forward: ([x], { dtype }) => {
    const out = allocTensor(x!.shape, dtype, x!.device);
    x!.backend.cast(x!.kernelView, out.kernelView);
    return out;
  },
});

const cloneDef = registerOp({
  name: 'clone',
  kind: 'primitive',
  differentiable: true,
  forward: ([x]) => {
    const out = allocTensor(x!.shape, x!.dtype, x!.device);
    x!.backend.assign(out.kernelView, x!.kernelView);
    return out;
  },
});

/** A second Tensor object over the same elements (identity; shares storage). */
const aliasDef = registerOp({
  name: 'alias',
  kind: 'view',
  differentiable: true,
  forward: ([x]) => viewOf(x!, x!.shape, x!.strides, x!.offset),
});

const toDeviceDef = registerOp<{ device: DeviceName }>({
  name: 'toDevice',
  kind: 'primitive',
  differentiable: true,
  forward: ([x], { device }) => {
    const source = x!.backend;
    if (!source.canReadSync) {
      throw new DeviceError(`to('${device}'): tensors on '${source.name}' are read asynchronously; use \`await tensor.toAsync('${device}')\``);
    }
    return fromHost(x!.dataSync(), x!.shape, x!.dtype, device);
  },
});

/** `x.to(dtype)`: the elements converted (float → int truncates toward zero, anything → bool is `!= 0`); an alias when the dtype is already `dtype`. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype === 'float16' && !x.backend.dtypes.has('float16')) {
    throw new DTypeError(`to(float16): device '${x.device}' does not support float16`);
  }
  return call1(x.dtype === dtype ? aliasDef : castDef, [x], { dtype });
}

/** A copy with its own storage (`torch.clone`). */
export function clone(x: Tensor): Tensor {
  return call1(cloneDef, [x]);
}

/** A new tensor over the same storage (identity). */
export function alias(x: Tensor): Tensor {
  return call1(aliasDef, [x]);
}

/** Contiguous elements: a copy where needed, an alias where already contiguous. */
export function contiguous(x: Tensor): Tensor {
  return x.isContiguous() ? alias(x) : clone(x);
}

/** Moves (copies) to another device; `toAsync` is the form that works from every device. */
export function toDevice(x: Tensor, device: DeviceName): Tensor {
  getBackend(device);
  return call1(x.device === device ? aliasDef : toDeviceDef, [x], { device });
}

/** A tensor sharing storage that is cut from the autograd graph (never requires grad). */
export function detach(x: Tensor): Tensor {
  return viewOf(x, x.shape, x.strides, x.offset);
}

/** The options form of `to` (`x.to({ dtype, device })`). */
export interface ToOptions {
  /** Convert to this dtype. */
  dtype?: DType;
  /** Move (copy) to this device. */
  device?: DeviceName;
}

function parseTo(target: DType | DeviceName | ToOptions): ToOptions {
  if (typeof target === 'object') return target;
  return target === 'cpu' || target === 'webgpu' ? { device: target } : { dtype: target };
}

/** `tensor.to(dtype | device | { dtype, device })`. */
export function to(x: Tensor, target: DType | DeviceName | ToOptions): Tensor {
  const { dtype, device } = parseTo(target);
  const moved = device && device !== x.device ? toDevice(x, device) : x;
  if (!dtype || dtype === moved.dtype) return moved === x ? alias(x) : moved;
  const converted = cast(moved, dtype);
  if (moved !== x) moved.dispose();
  return converted;
}

/** `to` that also works from devices that read asynchronously. Not recorded by autograd. */
export async function toAsync(x: Tensor, target: DType | DeviceName | ToOptions): Promise<Tensor> {
  const { dtype, device } = parseTo(target);
  if (!device || device === x.device || x.backend.canReadSync) return to(x, target);
  const moved = fromHost(await x.data(), x.shape, x.dtype, device);
  if (!dtype || dtype === moved.dtype) return moved;
  const converted = cast(moved, dtype);
  moved.dispose();
  return converted;
}

declare module '../core/tensor.js' {
  interface Tensor {
    /** `x.to(dtype | device | { dtype, device })`: converted and/or copied; the same storage when nothing changes. Copying off a device without synchronous reads (WebGPU) needs `toAsync`. */
    to(target: DType | DeviceName | ToOptions): Tensor;
    /** `to` that works from every device (reads asynchronously). */
    toAsync(target: DType | DeviceName | ToOptions): Promise<Tensor>;
    /** `x.float()`: `x.to('float32')`. */
    float(): Tensor;
    /** `x.double()`: `x.to('float64')`. */
    double(): Tensor;
    /** `x.int()`: `x.to('int32')`. */
    int(): Tensor;
    /** PyTorch's int64 is int32 here: `long()` is an alias of `int()`. */
    long(): Tensor;
    /** `x.bool()`: `x.to('bool')`. */
    bool(): Tensor;
    /** `x.half()`: `x.to('float16')`, where the device holds float16. */
    half(): Tensor;
    /** `x.cpu()`: `x.to('cpu')`. */
    cpu(): Tensor;
    /** `x.clone()`: a copy with its own storage (differentiable). */
    clone(): Tensor;
    /** `x.contiguous()`: row-major elements; an alias when already contiguous. */
    contiguous(): Tensor;
    /** `x.detach()`: the same storage, cut from the autograd graph. */
    detach(): Tensor;
  }
}

/** Puts the conversion methods declared above on Tensor.prototype; index.ts calls it, so no bundler can drop them. */
export function installConversionMethods(): void {
  Tensor.prototype.to = function (target) {
    return to(this, target);
  };
  Tensor.prototype.toAsync = function (target) {
    return toAsync(this, target);
  };
  Tensor.prototype.float = function () {
    return cast(this, 'float32');
  };
  Tensor.prototype.double = function () {
    return cast(this, 'float64');
  };
  Tensor.prototype.int = function () {
    return cast(this, 'int32');
  };
  Tensor.prototype.long = function () {
    return cast(this, 'int32');
  };
  Tensor.prototype.bool = function () {
    return cast(this, 'bool');
  };
  Tensor.prototype.half = function () {
    return cast(this, 'float16');
  };
  Tensor.prototype.cpu = function () {
    return toDevice(this, 'cpu');
  };
  Tensor.prototype.clone = function () {
    return clone(this);
  };
  Tensor.prototype.contiguous = function () {
    return contiguous(this);
  };
  Tensor.prototype.detach = function () {
    return detach(this);
  };
}
