import {
  DTYPE_INFO,
  type ArgReduceOp,
  type Backend,
  type BackendBuffer,
  type BackendMemoryStats,
  type BinaryOp,
  type DType,
  type FusedKernels,
  type HostArray,
  type RandomKind,
  type ReduceOp,
  type ScanOp,
  type TensorView,
  type UnaryOp,
} from '@torchlet/backend';
import { deviceBytes, WebGPUBuffer } from './buffer.js';
import * as elementwise from './kernels/elementwise.js';
import * as crossEntropyKernels from './kernels/cross-entropy.js';
import * as embeddingBagKernels from './kernels/embedding-bag.js';
import { logSoftmax, softmax } from './kernels/fused.js';
import * as indexing from './kernels/indexing.js';
import { matmul } from './kernels/matmul.js';
import { random } from './kernels/random.js';
import * as recurrent from './kernels/recurrent.js';
import { argReduce, reduce, scan } from './kernels/reduce.js';
import { sort } from './kernels/sort.js';
import type { PoolStats } from './pool.js';
import { GpuRuntime, type RuntimeCounters, type RuntimeOptions } from './runtime.js';

const WEBGPU_DTYPES: ReadonlySet<DType> = new Set<DType>(['float32', 'int32', 'bool']);

/** Options of `new WebGPUBackend(device, options)`. */
export interface WebGPUBackendOptions extends RuntimeOptions {
  /** Destroy the device in `destroy()` (true when the backend requested the device itself). */
  ownsDevice?: boolean;
}

/** Everything `stats()` reports: the interface's counts plus pool, dispatch and backstop counters. */
export interface WebGPUStats extends BackendMemoryStats, RuntimeCounters {
  /** The buffer pool's counters. */
  readonly pool: PoolStats;
  /** Buffers the FinalizationRegistry backstop returned to the pool because they were never freed. */
  readonly reclaimed: number;
}

interface Held {
  gpu: GPUBuffer;
  bytes: number;
}

/**
 * The WebGPU device (torch.device('webgpu')): buffers live in device memory, every
 * primitive encodes a WGSL compute dispatch into a batched command encoder, and only
 * `read` is asynchronous (`canReadSync` is false). Create it with `createWebGPUBackend`.
 *
 * float32, int32 and bool are supported (bool as one u32 per element on the device,
 * `Uint8Array` on the host); float64 is not, and float16 not yet.
 */
export class WebGPUBackend implements Backend {
  /** The device name, `'webgpu'`. */
  readonly name = 'webgpu' as const;
  readonly canReadSync = false;
  readonly dtypes: ReadonlySet<DType> = WEBGPU_DTYPES;
  /** The `GPUDevice` the kernels run on. */
  readonly device: GPUDevice;
  /** @internal The dispatch runtime: pipeline cache, batched encoder, pool. */
  readonly runtime: GpuRuntime;
  readonly fused: Partial<FusedKernels>;

  readonly #ownsDevice: boolean;
  #liveBuffers = 0;
  #liveBytes = 0;
  #reclaimed = 0;
  readonly #backstop = new FinalizationRegistry<Held>((held) => this.#reclaim(held));

  constructor(device: GPUDevice, options: WebGPUBackendOptions = {}) {
    this.device = device;
    this.runtime = new GpuRuntime(device, options);
    this.#ownsDevice = options.ownsDevice ?? false;
    const rt = this.runtime;
    // Arrow functions: the op library may call them with `this` bound to `fused`.
    const fused: Partial<FusedKernels> = {
      softmax: (x, axis, out) => softmax(rt, x, axis, out, false),
      logSoftmax: (x, axis, out) => logSoftmax(rt, x, axis, out),
      gruCell: (gx, gh, bhh, h, hOut, ws, ghn) => recurrent.gruCell(rt, gx, gh, bhh, h, hOut, ws, ghn ?? null),
      gruCellBackward: (dh, dOut, dhRec, ws, h, dgx, dgh, resetAfter) => recurrent.gruCellBackward(rt, dh, dOut, dhRec, ws, h, dgx, dgh, resetAfter ?? true),
      gruResetGate: (gx, gh, bhr, h, rh) => recurrent.gruResetGate(rt, gx, gh, bhr, h, rh),
      gruResetGateBackward: (drh, ws, h, dgx, dgh, dh) => recurrent.gruResetGateBackward(rt, drh, ws, h, dgx, dgh, dh),
      lstmCell: (gx, gh, bhh, c, cOut, hOut, ws) => recurrent.lstmCell(rt, gx, gh, bhh, c, cOut, hOut, ws),
      lstmCellBackward: (dh, dOut, dhRec, dc, ws, dgates) => recurrent.lstmCellBackward(rt, dh, dOut, dhRec, dc, ws, dgates),
      embeddingBag: (weight, indices, offsets, psw, mode, paddingIdx, out) =>
        embeddingBagKernels.embeddingBag(rt, weight, indices, offsets, psw, mode, paddingIdx, out),
      embeddingBagBackwardSparse: (gradOut, indices, offsets, psw, mode, paddingIdx, values) =>
        embeddingBagKernels.embeddingBagBackwardSparse(rt, gradOut, indices, offsets, psw, mode, paddingIdx, values),
      softmaxCrossEntropy: (...args) => crossEntropyKernels.softmaxCrossEntropy(rt, ...args),
      softmaxCrossEntropyBackward: (...args) => crossEntropyKernels.softmaxCrossEntropyBackward(rt, ...args),
    };
    // A whole SRU layer-direction binds up to 12 storage buffers: declared only where the
    // device allows that many (elsewhere the op library composes primitives).
    if (device.limits.maxStorageBuffersPerShaderStage >= 12) {
      fused.sruSequence = (u, x, vc, b, c0, batchSizes, reverse, h, cN, ws) =>
        this.#withSteps(batchSizes, (steps) => recurrent.sruSequence(rt, u, x, vc, b, c0, steps, batchSizes.length, reverse, h, cN, ws));
      fused.sruSequenceBackward = (dh, dcN, u, x, vc, ws, batchSizes, reverse, du, dx, dvc, db, dc0) =>
        this.#withSteps(batchSizes, (steps) =>
          recurrent.sruSequenceBackward(rt, dh, dcN, u, x, vc, ws, steps, batchSizes.length, reverse, du, dx, dvc, db, dc0),
        );
    }
    this.fused = fused;
  }

  /** Runs `fn` with a device copy of the step layout [row offset of each step…, batch size of each step…]. */
  #withSteps(batchSizes: readonly number[], fn: (steps: TensorView) => void): void {
    const T = batchSizes.length;
    const host = new Int32Array(Math.max(1, 2 * T));
    let o = 0;
    for (let t = 0; t < T; t++) {
      host[t] = o;
      host[T + t] = batchSizes[t]!;
      o += batchSizes[t]!;
    }
    const buffer = this.alloc('int32', host.length);
    try {
      this.write(buffer, host);
      fn({ buffer, dtype: 'int32', shape: [host.length], strides: [1], offset: 0 });
    } finally {
      this.free(buffer);
    }
  }

  // ---- memory -------------------------------------------------------------------------

  alloc(dtype: DType, size: number): WebGPUBuffer {
    this.runtime.check();
    if (!WEBGPU_DTYPES.has(dtype)) {
      throw new TypeError(`webgpu backend: dtype '${dtype}' is not supported on WebGPU (use float32, int32 or bool)`);
    }
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`webgpu backend: invalid buffer size ${size}`);
    const bytes = deviceBytes(size);
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new RangeError(`webgpu backend: a ${dtype} buffer of ${size} elements (${bytes} bytes) exceeds the device's maxStorageBufferBindingSize (${limit} bytes)`);
    }
    const gpu = this.runtime.acquire(bytes);
    const buffer = new WebGPUBuffer(dtype, size, gpu);
    const logical = size * DTYPE_INFO[dtype].bytes;
    this.#liveBuffers++;
    this.#liveBytes += logical;
    this.#backstop.register(buffer, { gpu, bytes: logical }, buffer);
    return buffer;
  }

  /** Returns the buffer to the pool (a double free throws). */
  free(buffer: BackendBuffer): void {
    const b = this.#own(buffer);
    if (b.freed) throw new Error(`webgpu backend: double free of a ${b.dtype}[${b.size}] buffer`);
    b.freed = true;
    this.#backstop.unregister(b);
    this.#liveBuffers--;
    this.#liveBytes -= b.size * DTYPE_INFO[b.dtype].bytes;
    this.runtime.release(b.gpu);
  }

  #reclaim(held: Held): void {
    this.#reclaimed++;
    this.#liveBuffers--;
    this.#liveBytes -= held.bytes;
    this.runtime.release(held.gpu);
  }

  write(buffer: BackendBuffer, data: HostArray, offset = 0): void {
    const b = this.#live(buffer);
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > b.size) {
      throw new RangeError(`webgpu backend: write of ${data.length} elements at offset ${offset} overflows a buffer of ${b.size}`);
    }
    this.runtime.write(b.gpu, offset * 4, toDevice(b.dtype, data));
  }

  async read(buffer: BackendBuffer, start = 0, length?: number): Promise<HostArray> {
    const b = this.#live(buffer);
    const n = length ?? b.size - start;
    if (!Number.isInteger(start) || start < 0 || n < 0 || start + n > b.size) {
      throw new RangeError(`webgpu backend: read of ${n} elements at ${start} overflows a buffer of ${b.size}`);
    }
    // Every element is 4 bytes on the device (bool as u32), so ranges stay copy-aligned.
    const raw = await this.runtime.read(b.gpu, n * 4, start * 4);
    switch (b.dtype) {
      case 'float32':
        return new Float32Array(raw);
      case 'int32':
        return new Int32Array(raw);
      default: {
        const words = new Uint32Array(raw);
        const out = new Uint8Array(n);
        for (let i = 0; i < words.length; i++) out[i] = words[i] !== 0 ? 1 : 0;
        return out;
      }
    }
  }

  /** Live buffers and logical bytes (not the pool's spare capacity; see `stats()`). */
  memoryStats(): BackendMemoryStats {
    return { liveBuffers: this.#liveBuffers, liveBytes: this.#liveBytes };
  }

  /** memoryStats plus pool, dispatch, submit, readback and backstop counters. */
  stats(): WebGPUStats {
    return { ...this.memoryStats(), ...this.runtime.counters, pool: this.runtime.poolStats(), reclaimed: this.#reclaimed };
  }

  flush(): void {
    this.runtime.flush();
  }

  /** Submits pending work, waits for the device to finish it and throws any pending device error. */
  sync(): Promise<void> {
    return this.runtime.sync();
  }

  /** Frees the pool's spare device buffers. */
  emptyCache(): void {
    this.runtime.trimPool();
  }

  /** Releases device resources (and the device itself when the backend created it). */
  destroy(): void {
    this.runtime.flush();
    this.runtime.destroy();
    if (this.#ownsDevice) this.device.destroy();
  }

  #own(buffer: BackendBuffer): WebGPUBuffer {
    if (!(buffer instanceof WebGPUBuffer)) throw new TypeError('webgpu backend: buffer belongs to another backend');
    return buffer;
  }

  #live(buffer: BackendBuffer): WebGPUBuffer {
    const b = this.#own(buffer);
    if (b.freed) throw new Error('webgpu backend: buffer used after free');
    return b;
  }

  // ---- primitives -----------------------------------------------------------------------

  /** Encodes the elementwise unary kernel for `op`. */
  unary(op: UnaryOp, x: TensorView, out: TensorView): void {
    elementwise.unary(this.runtime, op, x, out);
  }

  binary(op: BinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
    elementwise.binary(this.runtime, op, a, b, out);
  }

  where(cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
    elementwise.where(this.runtime, cond, a, b, out);
  }

  cast(x: TensorView, out: TensorView): void {
    elementwise.cast(this.runtime, x, out);
  }

  reduce(op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
    reduce(this.runtime, op, x, axes, out);
  }

  argReduce(op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
    argReduce(this.runtime, op, x, axis, out);
  }

  scan(op: ScanOp, x: TensorView, axis: number, out: TensorView): void {
    scan(this.runtime, op, x, axis, out);
  }

  matmul(a: TensorView, b: TensorView, out: TensorView): void {
    matmul(this.runtime, a, b, out);
  }

  gather(x: TensorView, axis: number, index: TensorView, out: TensorView): void {
    indexing.gather(this.runtime, x, axis, index, out);
  }

  indexSelect(x: TensorView, axis: number, index: TensorView, out: TensorView): void {
    indexing.indexSelect(this.runtime, x, axis, index, out);
  }

  scatter(dst: TensorView, axis: number, index: TensorView, src: TensorView, mode: 'set' | 'add'): void {
    indexing.scatter(this.runtime, dst, axis, index, src, mode);
  }

  indexAdd(dst: TensorView, axis: number, index: TensorView, src: TensorView): void {
    indexing.indexAdd(this.runtime, dst, axis, index, src);
  }

  sort(x: TensorView, axis: number, descending: boolean, values: TensorView, indices: TensorView): void {
    sort(this.runtime, x, axis, descending, values, indices);
  }

  assign(dst: TensorView, src: TensorView): void {
    elementwise.assign(this.runtime, dst, src);
  }

  fill(out: TensorView, value: number): void {
    elementwise.fill(this.runtime, out, value);
  }

  arange(out: TensorView, start: number, step: number): void {
    elementwise.arange(this.runtime, out, start, step);
  }

  random(kind: RandomKind, out: TensorView, seed: number, offset: number, p?: number): void {
    random(this.runtime, kind, out, seed, offset, p);
  }
}

/** The device representation of host data for a buffer of `dtype` (bool → u32 per element). */
function toDevice(dtype: DType, data: HostArray): ArrayBufferView {
  switch (dtype) {
    case 'float32':
      return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    case 'int32':
      return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>, (v) => Math.trunc(v) | 0);
    default: {
      const out = new Uint32Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = data[i] !== 0 ? 1 : 0;
      return out;
    }
  }
}
