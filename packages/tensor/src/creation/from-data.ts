/**
 * Tensors from JavaScript data. Inference rules (JavaScript cannot tell `2` from `2.0`):
 * numbers and nested number arrays → float32; booleans → bool; Int32Array → int32;
 * Float64Array → float64; Float32Array → float32; Uint8Array → bool. A `dtype` option wins.
 */
import { getBackend, type DType, type DeviceName, type HostArray } from '@torchlet/backend';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { fromHost, hostFrom } from '../core/factory.js';
import { Storage, contiguousStrides } from '@torchlet/backend';
import { inferShape, numelOf } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';

/** A value or arbitrarily nested arrays of values (`[[1, 2], [3, 4]]`). */
export type NestedArray<T> = T | readonly NestedArray<T>[];
/** What `torch.tensor` accepts: numbers or booleans (nested), a typed array, or a flat list. */
export type TensorData = NestedArray<number> | NestedArray<boolean> | HostArray | readonly number[];

/** Options of the creation functions (`torch.zeros(shape, dtype=…, device=…, requires_grad=…)`). */
export interface CreateOptions {
  /** Element type (default float32; `tensor()` infers it from the data). */
  dtype?: DType;
  /** Device (default `'cpu'`). */
  device?: DeviceName;
  /** Make a leaf that requires grad (floating dtypes only). */
  requiresGrad?: boolean;
}

/** Options of `tensor`. */
export interface TensorOptions extends CreateOptions {
  /** Reshape flat data (a typed array or flat list) to this shape; one -1 may be inferred. */
  shape?: readonly number[];
}

function isTypedArray(x: unknown): x is HostArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

function typedArrayDType(x: HostArray): DType {
  if (x instanceof Float32Array) return 'float32';
  if (x instanceof Float64Array) return 'float64';
  if (x instanceof Int32Array) return 'int32';
  if (x instanceof Uint8Array) return 'bool';
  throw new DTypeError(`tensor(): unsupported typed array ${(x as object).constructor.name}`);
}

/** Shape of a nested array, checking that it is rectangular. */
function nestedShape(data: unknown): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flatten(data: unknown, shape: readonly number[], depth: number, out: (number | boolean)[]): void {
  if (depth === shape.length) {
    if (typeof data !== 'number' && typeof data !== 'boolean') {
      throw new ValueError(`tensor(): expected a number or boolean at depth ${depth}, got ${Array.isArray(data) ? 'an array' : typeof data}`);
    }
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new ShapeError(`tensor(): expected a sequence of length ${shape[depth]} at dim ${depth} (got ${Array.isArray(data) ? data.length : typeof data}); nested arrays must be rectangular`);
  }
  for (const item of data) flatten(item, shape, depth + 1, out);
}

function applyRequiresGrad(t: Tensor, options: CreateOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/** `torch.tensor(data, dtype=…, device=…, requires_grad=…)`: always copies. */
export function tensor(data: TensorData, options: TensorOptions = {}): Tensor {
  const device = options.device ?? 'cpu';
  if (isTypedArray(data)) {
    const dtype = options.dtype ?? typedArrayDType(data);
    const shape = options.shape ? inferShape(options.shape, data.length, 'tensor') : [data.length];
    const host = dtype === typedArrayDType(data) ? data : hostFrom(data as ArrayLike<number>, dtype);
    return applyRequiresGrad(fromHost(host, shape, dtype, device), options);
  }
  const shape = nestedShape(data);
  const flat: (number | boolean)[] = [];
  flatten(data, shape, 0, flat);
  const allBool = flat.length > 0 && flat.every((v) => typeof v === 'boolean');
  const dtype = options.dtype ?? (allBool ? 'bool' : 'float32');
  const finalShape = options.shape ? inferShape(options.shape, flat.length, 'tensor') : shape;
  const numbers = flat.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  return applyRequiresGrad(fromHost(hostFrom(numbers, dtype), finalShape, dtype, device), options);
}

/**
 * Wraps a typed array without copying (`torch.from_numpy`): writes through the tensor are
 * visible in the array and vice versa. CPU only.
 */
export function fromTypedArray(data: HostArray, shape: readonly number[] = [data.length]): Tensor {
  const backend = getBackend('cpu');
  if (!backend.wrap) throw new DTypeError('fromTypedArray(): the CPU backend cannot adopt host arrays');
  const finalShape = inferShape(shape, data.length, 'fromTypedArray');
  if (numelOf(finalShape) !== data.length) {
    throw new ShapeError(`fromTypedArray(): shape ${fmtShape(finalShape)} does not hold ${data.length} elements`);
  }
  const storage = new Storage(backend, backend.wrap(data));
  return new Tensor(storage, finalShape, contiguousStrides(finalShape), 0, typedArrayDType(data));
}

/** `torch.as_tensor`: like `tensor` but returns `data` itself (an alias) when it already is a tensor. */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
