/// <reference lib="esnext.disposable" preserve="true" />
// Kept in the d.ts (preserve): consumers need it for `[Symbol.dispose]` unless their lib has esnext.disposable.
import {
  contiguousStrides,
  getBackend,
  isContiguousView,
  isFloating,
  type Backend,
  type DType,
  type DeviceName,
  type HostArray,
  type Storage,
  type TensorView,
} from '@torchlet/backend';
import { DeviceError, RuntimeError } from './errors.js';
import { numelOf, normalizeDim, type Shape } from './shape.js';
import { trackTensor, untrackTensor } from '../memory/lifetime.js';

/** What autograd attaches to a non-leaf tensor; the tensor core only stores it. */
export interface GradFn {
  /** Readable name for debugging, e.g. `MulBackward0`. */
  readonly name: string;
}

/** Set by `@torchlet/autograd` when it is imported; the core calls it for `backward()`. */
export interface AutogradBridge {
  /** Runs `t.backward(gradient, { retainGraph, createGraph })` for the tensor core. */
  backward(tensor: Tensor, gradient?: Tensor, options?: { retainGraph?: boolean; createGraph?: boolean }): void;
  /** Called by `dispose()` on a tensor that has a `gradFn`, so autograd can free graphs nothing can reach. */
  release?(tensor: Tensor): void;
  /** Makes a non-leaf keep its `.grad` (`t.retainGrad()`). */
  retainGrad?(tensor: Tensor): void;
  /** Whether `t.retainGrad()` was called on this tensor. */
  retainsGrad?(tensor: Tensor): boolean;
  /** Installs a gradient hook on the tensor (`t.registerHook(fn)`). */
  registerHook?(tensor: Tensor, hook: GradHook): RemovableHandle;
}

/** A tensor gradient hook: may return a replacement gradient (autograd then owns it). */
export type GradHook = (grad: Tensor) => Tensor | void | undefined;

/** Removes a hook: call it, or call its `remove()` (PyTorch's handle). */
export interface RemovableHandle {
  (): void;
  /** Removes the hook. */
  remove(): void;
}

function needAutograd(what: string): AutogradBridge {
  if (!autogradBridge) {
    throw new RuntimeError(`${what} needs autograd: add \`import '@torchlet/autograd'\` (or import from 'torchlet').`);
  }
  return autogradBridge;
}

let autogradBridge: AutogradBridge | null = null;

/** Installs (or, with null, removes) autograd's bridge; `@torchlet/autograd` calls it on import. */
export function setAutogradBridge(bridge: AutogradBridge | null): void {
  autogradBridge = bridge;
}

/**
 * A tensor is storage + dtype + shape + strides + offset. Views share storage and each
 * hold one reference on it; `dispose()` releases this tensor's reference.
 */
export class Tensor {
  /** The size of each dim (`t.shape` / `t.size()`), frozen. */
  readonly shape: Shape;
  /** The element type (`t.dtype`; PyTorch's int64 is `'int32'` here). */
  readonly dtype: DType;
  readonly #strides: readonly number[];
  /** Index of the first element in the storage, in elements (`t.storage_offset()`). */
  readonly offset: number;
  #storage: Storage | null;

  // ---- autograd state (managed by @torchlet/autograd) ----
  #requiresGrad = false;
  /** Accumulated gradient of a leaf (or of a non-leaf after `retainGrad()`). */
  grad: Tensor | null = null;
  /** The node that produced this tensor; null for leaves. */
  gradFn: GradFn | null = null;
  /** Autograd's private bookkeeping (retain-grad flag, hooks, output index …). */
  autogradMeta: Record<string, unknown> | null = null;

  /** Internal: use the creation functions. Takes ownership of one reference to `storage`. */
  constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number, dtype: DType = storage.buffer.dtype) {
    this.#storage = storage;
    this.shape = Object.freeze([...shape]);
    this.#strides = Object.freeze([...strides]);
    this.offset = offset;
    this.dtype = dtype;
    trackTensor(this, storage);
  }

  // ---- metadata ----------------------------------------------------------------------------

  /** The reference-counted storage this tensor views; throws after `dispose()`. */
  get storage(): Storage {
    if (!this.#storage) throw new RuntimeError(`Tensor of shape [${this.shape.join(', ')}] was used after dispose()`);
    return this.#storage;
  }

  /** The device holding the storage (`'cpu'` or `'webgpu'`). */
  get device(): DeviceName {
    return this.storage.backend.name;
  }

  /** The backend (device implementation) holding the storage. */
  get backend(): Backend {
    return this.storage.backend;
  }

  /** The number of dims (`t.ndim`, `t.dim()`). */
  get ndim(): number {
    return this.shape.length;
  }

  /** `tensor.dim()` in PyTorch. */
  dim(): number {
    return this.shape.length;
  }

  /** The number of elements (`t.numel()`). */
  numel(): number {
    return numelOf(this.shape);
  }

  /** `size()` is the shape; `size(d)` one dimension (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    return this.shape[normalizeDim(dim, this.ndim, 'size')] ?? 1;
  }

  /** `t.stride()`: the step in elements between neighbours along each dim. */
  stride(): number[];
  /** `t.stride(dim)`: the step along one dim (negative counts from the end). */
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    if (dim === undefined) return [...this.#strides];
    return this.#strides[normalizeDim(dim, this.ndim, 'stride')] ?? 1;
  }

  /** The strides, in elements (as `stride()`, without a copy). */
  get strides(): readonly number[] {
    return this.#strides;
  }

  /** `t.is_contiguous()`: whether the elements are laid out row-major without gaps. */
  isContiguous(): boolean {
    return isContiguousView(this.shape, this.#strides);
  }

  /** The strided window the backend primitives read. */
  get kernelView(): TensorView {
    const storage = this.storage;
    return { buffer: storage.buffer, dtype: this.dtype, shape: this.shape, strides: this.#strides, offset: this.offset };
  }

  /** `tensor.is_sparse`: false here; true for autograd's row-sparse gradients (`RowSparseTensor`). */
  get isSparse(): boolean {
    return false;
  }

  /** `tensor.layout`: `'strided'` here; `'rowSparse'` for autograd's `RowSparseTensor`. */
  get layout(): 'strided' | 'rowSparse' {
    return 'strided';
  }

  /** In-place write counter shared by every view of the storage. */
  get version(): number {
    return this.storage.version;
  }

  /** Whether `dispose()` has released this tensor's storage. */
  get isDisposed(): boolean {
    return this.#storage === null;
  }

  // ---- autograd surface -----------------------------------------------------------------------

  /** Whether autograd records operations on this tensor (`t.requires_grad`); only floating dtypes may require grad. */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  /** Sets `requires_grad`; only on leaves (use `detach()` otherwise). */
  set requiresGrad(value: boolean) {
    if (value && !isFloating(this.dtype)) {
      throw new RuntimeError(`only Tensors of floating point dtype can require gradients (got ${this.dtype})`);
    }
    if (!value && this.gradFn) {
      throw new RuntimeError(
        'you can only change requires_grad flags of leaf variables. Use detach() to get a tensor that does not require grad.',
      );
    }
    this.#requiresGrad = value;
  }

  /** Sets `requiresGrad` in place and returns this tensor. */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** Internal: lets autograd mark op outputs without the leaf check. */
  setRequiresGradUnchecked(value: boolean): void {
    this.#requiresGrad = value;
  }

  /** A leaf is a tensor autograd did not produce (user-created, or not requiring grad). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** `t.backward(gradient=None, retain_graph=None, create_graph=False)`: accumulates the gradient of this tensor into the leaves' `.grad` (`gradient` is required unless it has one element; needs autograd). */
  backward(gradient?: Tensor, options?: { retainGraph?: boolean; createGraph?: boolean }): void {
    needAutograd('backward()').backward(this, gradient, options);
  }

  /** `tensor.retain_grad()`: a non-leaf keeps its `.grad` after backward (needs autograd). */
  retainGrad(): void {
    needAutograd('retainGrad()').retainGrad!(this);
  }

  /** `tensor.retains_grad`. */
  get retainsGrad(): boolean {
    return autogradBridge?.retainsGrad?.(this) ?? false;
  }

  /**
   * `tensor.register_hook(fn)`: `fn(grad)` runs when this tensor's gradient is computed and may
   * return a replacement (which autograd then owns). Returns a remover (needs autograd).
   */
  registerHook(hook: GradHook): RemovableHandle {
    return needAutograd('registerHook()').registerHook!(this, hook);
  }

  // ---- memory ----------------------------------------------------------------------------

  /** Releases this tensor's reference to its storage. Idempotent. */
  dispose(): void {
    const storage = this.#storage;
    if (!storage) return;
    this.#storage = null;
    if (this.gradFn && autogradBridge?.release) autogradBridge.release(this);
    untrackTensor(this);
    storage.release();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** `using t = …` support: disposes the tensor at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- reading -----------------------------------------------------------------------------

  /** The elements in row-major order, on every device. */
  async data(): Promise<HostArray> {
    const storage = this.storage;
    if (isContiguousView(this.shape, this.#strides)) {
      return storage.backend.read(storage.buffer, this.offset, this.numel());
    }
    const packed = packContiguous(this);
    try {
      return await packed.backend.read(packed.buffer);
    } finally {
      packed.backend.free(packed.buffer);
    }
  }

  /** Synchronous `data()`; throws a `DeviceError` on devices that read asynchronously. */
  dataSync(): HostArray {
    const storage = this.storage;
    const backend = storage.backend;
    if (!backend.canReadSync || !backend.readSync) {
      throw new DeviceError(`dataSync(): tensors on '${backend.name}' cannot be read synchronously; use \`await tensor.data()\``);
    }
    if (isContiguousView(this.shape, this.#strides)) {
      return backend.readSync(storage.buffer).slice(this.offset, this.offset + this.numel());
    }
    const packed = packContiguous(this);
    try {
      return backend.readSync(packed.buffer).slice();
    } finally {
      backend.free(packed.buffer);
    }
  }

  /** The value of a one-element tensor as a number (booleans as 0/1). */
  item(): number {
    this.#checkOneElement('item');
    const backend = this.backend;
    if (!backend.canReadSync || !backend.readSync) {
      throw new DeviceError(`item(): tensors on '${backend.name}' cannot be read synchronously; use \`await tensor.itemAsync()\``);
    }
    return this.dataSync()[0]!;
  }

  /** `t.item()` on every device: the value of a one-element tensor. */
  async itemAsync(): Promise<number> {
    this.#checkOneElement('itemAsync');
    return (await this.data())[0]!;
  }

  #checkOneElement(op: string): void {
    if (this.numel() !== 1) {
      throw new RuntimeError(`${op}(): a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    }
  }
}

/** Copies a strided tensor into a fresh contiguous buffer (caller frees it). */
function packContiguous(t: Tensor): { backend: Backend; buffer: ReturnType<Backend['alloc']> } {
  const backend = t.backend;
  const buffer = backend.alloc(t.dtype, t.numel());
  backend.assign(
    { buffer, dtype: t.dtype, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 },
    t.kernelView,
  );
  return { backend, buffer };
}

export function backendFor(device: DeviceName): Backend {
  return getBackend(device);
}
