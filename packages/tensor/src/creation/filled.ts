/** Creation ops that fill a new tensor: zeros, ones, full, empty, arange, linspace, eye. */
import type { DType, DeviceName } from '@torchlet/backend';
import { ValueError } from '../core/errors.js';
import { allocTensor } from '../core/factory.js';
import { scalarDType } from '../core/promotion.js';
import { checkShape, type Shape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { call1 } from '../dispatch/dispatch.js';
import { registerOp } from '../dispatch/registry.js';
import type { CreateOptions } from './from-data.js';

interface FullAttrs {
  shape: Shape;
  value: number;
  dtype: DType;
  device: DeviceName;
}

const fullDef = registerOp<FullAttrs>({
  name: 'full',
  kind: 'primitive',
  differentiable: false,
  forward: (_, { shape, value, dtype, device }) => {
    const out = allocTensor(shape, dtype, device);
    if (out.numel() > 0) out.backend.fill(out.kernelView, value);
    return out;
  },
});

interface ArangeAttrs {
  start: number;
  step: number;
  n: number;
  dtype: DType;
  device: DeviceName;
}

const arangeDef = registerOp<ArangeAttrs>({
  name: 'arange',
  kind: 'primitive',
  differentiable: false,
  forward: (_, { start, step, n, dtype, device }) => {
    const out = allocTensor([n], dtype, device);
    if (n > 0) out.backend.arange(out.kernelView, start, step);
    return out;
  },
});

function finish(t: Tensor, options: CreateOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

function sizes(shape: Shape | number, op: string): number[] {
  return checkShape(typeof shape === 'number' ? [shape] : shape, op);
}

/** `torch.full(size, fill_value)`; the dtype follows the value (bool, int32 or float32) unless given. */
export function full(shape: Shape | number, value: number | boolean, options: CreateOptions = {}): Tensor {
  const dtype = options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  return finish(call1(fullDef, [], { shape: sizes(shape, 'full'), value: v, dtype, device: options.device ?? 'cpu' }), options);
}

/** `torch.zeros(shape)`: a float32 tensor (unless `dtype`) filled with 0. */
export function zeros(shape: Shape | number, options: CreateOptions = {}): Tensor {
  return full(shape, 0, { ...options, dtype: options.dtype ?? 'float32' });
}

/** `torch.ones(shape)`: a float32 tensor (unless `dtype`) filled with 1. */
export function ones(shape: Shape | number, options: CreateOptions = {}): Tensor {
  return full(shape, 1, { ...options, dtype: options.dtype ?? 'float32' });
}

/** `torch.empty`: the elements are unspecified (memory is not cleared, as in PyTorch). */
export function empty(shape: Shape | number, options: CreateOptions = {}): Tensor {
  return finish(allocTensor(sizes(shape, 'empty'), options.dtype ?? 'float32', options.device ?? 'cpu'), options);
}

function likeOptions(x: Tensor, options: CreateOptions): CreateOptions {
  return { dtype: options.dtype ?? x.dtype, device: options.device ?? x.device, requiresGrad: options.requiresGrad ?? false };
}

/** `torch.zeros_like(x)`: zeros with `x`'s shape, dtype and device (unless overridden). */
export const zerosLike = (x: Tensor, options: CreateOptions = {}): Tensor => full(x.shape, 0, likeOptions(x, options));
/** `torch.ones_like(x)`: ones with `x`'s shape, dtype and device (unless overridden). */
export const onesLike = (x: Tensor, options: CreateOptions = {}): Tensor => full(x.shape, 1, likeOptions(x, options));
/** `torch.full_like(x, value)`: `value` everywhere, with `x`'s shape, dtype and device (unless overridden). */
export const fullLike = (x: Tensor, value: number | boolean, options: CreateOptions = {}): Tensor => full(x.shape, value, likeOptions(x, options));
/** `torch.empty_like(x)`: uninitialised, with `x`'s shape, dtype and device (unless overridden). */
export const emptyLike = (x: Tensor, options: CreateOptions = {}): Tensor => empty(x.shape, likeOptions(x, options));

/**
 * `torch.arange(end)`, `arange(start, end)`, `arange(start, end, step)`. Integral bounds
 * give int32 (PyTorch gives int64, which is int32 here), any fractional bound float32.
 */
export function arange(end: number, options?: CreateOptions): Tensor;
export function arange(start: number, end: number, options?: CreateOptions): Tensor;
export function arange(start: number, end: number, step: number, options?: CreateOptions): Tensor;
export function arange(a: number, b?: number | CreateOptions, c?: number | CreateOptions, d?: CreateOptions): Tensor {
  const [start, end] = typeof b === 'number' ? [a, b] : [0, a];
  const step = typeof b === 'number' && typeof c === 'number' ? c : 1;
  const options: CreateOptions = (typeof b === 'number' ? (typeof c === 'number' ? d : c) : b) ?? {};
  if (step === 0) throw new ValueError('arange: step must be nonzero');
  if ((end - start) / step < 0) {
    throw new ValueError(`arange: upper bound and larger bound inconsistent with step sign (start=${start}, end=${end}, step=${step})`);
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const integral = [start, end, step].every((v) => scalarDType(v) === 'int32');
  const dtype = options.dtype ?? (integral ? 'int32' : 'float32');
  return finish(call1(arangeDef, [], { start, step, n, dtype, device: options.device ?? 'cpu' }), options);
}

/** `torch.linspace(start, end, steps)`: float32, endpoints included. */
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: number of steps must be non-negative (got ${steps})`);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const dtype = options.dtype ?? 'float32';
  return finish(call1(arangeDef, [], { start, step, n: steps, dtype, device: options.device ?? 'cpu' }), options);
}

/** `torch.eye(n, m)`: ones on the main diagonal. */
export function eye(n: number, m: number | CreateOptions = n, options: CreateOptions = {}): Tensor {
  const cols = typeof m === 'number' ? m : n;
  const opts = typeof m === 'number' ? options : m;
  const out = zeros([n, cols], opts);
  const k = Math.min(n, cols);
  if (k > 0) {
    // The diagonal is a strided view with stride cols + 1.
    out.backend.fill({ ...out.kernelView, shape: [k], strides: [cols + 1] }, 1);
  }
  return out;
}
