import {
  DTYPE_INFO,
  Storage,
  contiguousStrides,
  getBackend,
  type DType,
  type DeviceName,
  type HostArray,
} from '@torchlet/backend';
import { DTypeError } from './errors.js';
import { numelOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

/** An uninitialised contiguous tensor on `device` (the kernels' output allocation). */
export function allocTensor(shape: Shape, dtype: DType, device: DeviceName = 'cpu'): Tensor {
  const backend = getBackend(device);
  if (!backend.dtypes.has(dtype)) throw new DTypeError(`dtype ${dtype} is not supported on device '${device}'`);
  const storage = new Storage(backend, backend.alloc(dtype, numelOf(shape)));
  return new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
}

/** A contiguous tensor holding a copy of host data. */
export function fromHost(data: HostArray, shape: Shape, dtype: DType, device: DeviceName = 'cpu'): Tensor {
  const t = allocTensor(shape, dtype, device);
  if (data.length > 0) t.backend.write(t.storage.buffer, data);
  return t;
}

/** A new tensor viewing `base`'s storage with other metadata (takes its own storage reference). */
export function viewOf(base: Tensor, shape: Shape, strides: readonly number[], offset: number): Tensor {
  return new Tensor(base.storage.retain(), shape, strides, offset, base.dtype);
}

/** A host array of `dtype` for `n` elements, converting from numbers. */
export function hostFrom(values: ArrayLike<number>, dtype: DType): HostArray {
  const out = new DTYPE_INFO[dtype].HostArray(values.length);
  if (dtype === 'bool') for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  else out.set(values as ArrayLike<number>);
  return out;
}
