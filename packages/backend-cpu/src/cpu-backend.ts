import {
  DTYPE_INFO,
  hostArray,
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
import { CpuBuffer } from './buffer.js';
import * as elementwise from './kernels/elementwise.js';
import * as fusedKernels from './kernels/fused.js';
import * as recurrentKernels from './kernels/recurrent.js';
import * as embeddingBagKernels from './kernels/embedding-bag.js';
import * as crossEntropyKernels from './kernels/cross-entropy.js';
import * as indexing from './kernels/indexing.js';
import { optimSteps } from './kernels/optim.js';
import { matmul } from './kernels/matmul.js';
import { random } from './kernels/random.js';
import { argReduce, reduce } from './kernels/reduce.js';
import { scan } from './kernels/scan.js';
import { sort } from './kernels/sort.js';
import * as wasm from './wasm/dispatch.js';
import { wasmOptimSteps } from './wasm/optim-dispatch.js';
import * as wasmEmbedding from './wasm/embedding-dispatch.js';
import * as wasmLoss from './wasm/loss-dispatch.js';
import { wasmRandom } from './wasm/random-dispatch.js';
import type { HeapStats } from './wasm/heap.js';
import { wasmRuntime, type WasmRuntime } from './wasm/runtime.js';

/** Which kernels a CPU backend runs: the TypeScript reference kernels, or Wasm SIMD where they apply. */
export type CpuKernels = 'js' | 'wasm';

/** Options of `new CpuBackend()`. */
export interface CpuBackendOptions {
  /**
   * `'wasm'`: storage in the Wasm heap and the Wasm SIMD kernels (TypeScript for whatever they
   * do not cover); `'js'`: plain typed arrays and the TypeScript kernels only; `'auto'`
   * (default): `'wasm'` where WebAssembly SIMD is available.
   */
  readonly kernels?: CpuKernels | 'auto';
}

/** Resolves a kernels option; an explicit `'wasm'` where SIMD is missing is an error. */
function resolveKernels(choice: CpuKernels | 'auto'): { kernels: CpuKernels; runtime: WasmRuntime | null } {
  if (choice === 'js') return { kernels: 'js', runtime: null };
  const runtime = wasmRuntime();
  if (runtime === null) {
    if (choice === 'wasm') throw new Error('cpu backend: WebAssembly SIMD is not available in this engine (use kernels: "js")');
    return { kernels: 'js', runtime: null };
  }
  return { kernels: 'wasm', runtime };
}

const CPU_DTYPES: ReadonlySet<DType> = new Set<DType>(['float32', 'float64', 'int32', 'bool']);

function dtypeOfHostArray(data: HostArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  throw new TypeError(`cpu backend: cannot wrap a ${data.constructor.name} (float16 is not supported on the CPU)`);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;
}

/** A plain typed array, or a clear error (size, limits, what to do) where the engine cannot make one. */
function hostAlloc(dtype: DType, size: number, bytes: number, rt: WasmRuntime | null): HostArray {
  try {
    return hostArray(dtype, size);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const heap = rt === null ? '' : `it does not fit the Wasm heap (at most ${gib(rt.heap.maximumBytes)}) and `;
    throw new Error(
      `cpu backend: cannot allocate a ${dtype} tensor of ${size} elements (${bytes} bytes, ${gib(bytes)}): ` +
        `${heap}this JavaScript engine cannot make a typed array that large (${e.message}). ` +
        'Use smaller tensors (split the work into chunks) or the webgpu device.',
      { cause: e },
    );
  }
}

/**
 * The CPU device (torch.device('cpu')): buffers are host typed arrays and every primitive
 * runs eagerly and synchronously, so `readSync` is available.
 */
export class CpuBackend implements Backend {
  /** The device name, `'cpu'`. */
  readonly name = 'cpu' as const;
  readonly canReadSync = true;
  readonly dtypes: ReadonlySet<DType> = CPU_DTYPES;
  readonly fused: Partial<FusedKernels>;
  /** The kernels this instance runs (after resolving `'auto'`). */
  readonly kernels: CpuKernels;

  #liveBuffers = 0;
  #liveBytes = 0;
  readonly #rt: WasmRuntime | null;

  constructor(options: CpuBackendOptions = {}) {
    const { kernels, runtime } = resolveKernels(options.kernels ?? 'auto');
    this.kernels = kernels;
    this.#rt = runtime;
    const rt = runtime;
    this.fused =
      rt === null
        ? {
            softmax: fusedKernels.softmax,
            logSoftmax: fusedKernels.logSoftmax,
            ...recurrentKernels,
            ...embeddingBagKernels,
            ...optimSteps,
            softmaxCrossEntropy: crossEntropyKernels.softmaxCrossEntropy,
            softmaxCrossEntropyBackward: crossEntropyKernels.softmaxCrossEntropyBackward,
          }
        : {
            ...recurrentKernels,
            ...wasmOptimSteps(rt),
            embeddingBag: (...args) => wasmEmbedding.embeddingBag(rt, ...args),
            embeddingBagBackwardSparse: (...args) => wasmEmbedding.embeddingBagBackwardSparse(rt, ...args),
            addRows: (...args) => wasmEmbedding.addRows(rt, ...args),
            softmaxCrossEntropy: (...args) => wasmLoss.softmaxCrossEntropy(rt, ...args),
            softmaxCrossEntropyBackward: (...args) => wasmLoss.softmaxCrossEntropyBackward(rt, ...args),
            softmax: (x, axis, out) => {
              if (!wasm.softmax(rt, false, x, axis, out)) fusedKernels.softmax(x, axis, out);
            },
            logSoftmax: (x, axis, out) => {
              if (!wasm.softmax(rt, true, x, axis, out)) fusedKernels.logSoftmax(x, axis, out);
            },
          };
  }

  /**
   * Blocks until the worker threads for `setNumThreads(n)` are running (they start in the
   * background on first use; until then kernels run on the calling thread). For benchmarks
   * and tests; false where there are no threads.
   */
  waitForThreads(timeoutMs = 10_000): boolean {
    return this.#rt?.waitForThreads(timeoutMs) ?? false;
  }

  /** Occupancy of the Wasm heap (null with the TypeScript kernels). Buffers of all Wasm-kernel backends share it. */
  heapStats(): HeapStats | null {
    return this.#rt?.heap.stats() ?? null;
  }

  // ---- memory -------------------------------------------------------------------------

  alloc(dtype: DType, size: number): CpuBuffer {
    if (!CPU_DTYPES.has(dtype)) {
      throw new TypeError(`cpu backend: dtype '${dtype}' is not supported on the CPU (use float32, float64, int32 or bool)`);
    }
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`cpu backend: invalid buffer size ${size}`);
    const bytes = size * DTYPE_INFO[dtype].bytes;
    const rt = this.#rt;
    let buffer: CpuBuffer | undefined;
    if (rt !== null && size > 0) {
      // Not cleared (the contract leaves contents unspecified, as torch.empty): ops write every element.
      // -1 (nothing allocated, the heap unchanged) when it cannot hold the block.
      const ptr = rt.heap.alloc(bytes, false);
      if (ptr >= 0) buffer = new CpuBuffer(dtype, size, rt.view(dtype, ptr, size), rt, ptr);
    }
    // Beyond the Wasm heap (4 GiB at most, or full): a plain array, run by the TypeScript kernels.
    buffer ??= new CpuBuffer(dtype, size, hostAlloc(dtype, size, bytes, rt));
    this.#liveBuffers++;
    this.#liveBytes += size * DTYPE_INFO[dtype].bytes;
    return buffer;
  }

  /** Adopts a host array without copying; it is counted and freed like any allocation. */
  wrap(data: HostArray): CpuBuffer {
    const dtype = dtypeOfHostArray(data);
    const buffer = new CpuBuffer(dtype, data.length, data);
    this.#liveBuffers++;
    this.#liveBytes += data.length * DTYPE_INFO[dtype].bytes;
    return buffer;
  }

  /** Frees a buffer (a double free throws); Wasm-heap blocks return to the allocator. */
  free(buffer: BackendBuffer): void {
    const b = this.#own(buffer);
    if (b.freed) throw new Error(`cpu backend: double free of a ${b.dtype}[${b.size}] buffer`);
    b.freed = true;
    if (b.runtime !== null) b.runtime.heap.free(b.ptr);
    this.#liveBuffers--;
    this.#liveBytes -= b.size * DTYPE_INFO[b.dtype].bytes;
  }

  write(buffer: BackendBuffer, data: HostArray, offset = 0): void {
    const b = this.#live(buffer);
    if (offset < 0 || offset + data.length > b.size) {
      throw new RangeError(`cpu backend: write of ${data.length} elements at offset ${offset} overflows a buffer of ${b.size}`);
    }
    if (b.dtype === 'bool' && !(data instanceof Uint8Array)) {
      for (let i = 0; i < data.length; i++) b.data[offset + i] = data[i] !== 0 ? 1 : 0;
    } else {
      b.data.set(data, offset);
    }
  }

  read(buffer: BackendBuffer, start = 0, length?: number): Promise<HostArray> {
    const b = this.#live(buffer);
    return Promise.resolve(b.data.slice(start, length === undefined ? b.size : start + length));
  }

  /** The live array itself (no copy), as the interface allows: copy before keeping it. */
  readSync(buffer: BackendBuffer): HostArray {
    return this.#live(buffer).data;
  }

  /** Live buffers and bytes of this backend instance. */
  memoryStats(): BackendMemoryStats {
    return { liveBuffers: this.#liveBuffers, liveBytes: this.#liveBytes };
  }

  flush(): void {}

  #own(buffer: BackendBuffer): CpuBuffer {
    if (!(buffer instanceof CpuBuffer)) throw new TypeError('cpu backend: buffer belongs to another backend');
    return buffer;
  }

  #live(buffer: BackendBuffer): CpuBuffer {
    const b = this.#own(buffer);
    if (b.freed) throw new Error('cpu backend: buffer used after free');
    return b;
  }

  // ---- primitives -----------------------------------------------------------------------

  /** Elementwise unary primitive: the Wasm kernel where it applies, else the TypeScript one. */
  unary(op: UnaryOp, x: TensorView, out: TensorView): void {
    if (this.#rt !== null && wasm.unary(this.#rt, op, x, out)) return;
    elementwise.unary(op, x, out);
  }

  binary(op: BinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
    if (this.#rt !== null && wasm.binary(this.#rt, op, a, b, out)) return;
    elementwise.binary(op, a, b, out);
  }

  where(cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
    elementwise.where(cond, a, b, out);
  }

  cast(x: TensorView, out: TensorView): void {
    elementwise.cast(x, out);
  }

  reduce(op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
    if (this.#rt !== null && wasm.reduce(this.#rt, op, x, axes, out)) return;
    reduce(op, x, axes, out);
  }

  argReduce(op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
    argReduce(op, x, axis, out);
  }

  scan(op: ScanOp, x: TensorView, axis: number, out: TensorView): void {
    scan(op, x, axis, out);
  }

  matmul(a: TensorView, b: TensorView, out: TensorView): void {
    if (this.#rt !== null && wasm.matmul(this.#rt, a, b, out)) return;
    matmul(a, b, out);
  }

  gather(x: TensorView, axis: number, index: TensorView, out: TensorView): void {
    indexing.gather(x, axis, index, out);
  }

  indexSelect(x: TensorView, axis: number, index: TensorView, out: TensorView): void {
    indexing.indexSelect(x, axis, index, out);
  }

  scatter(dst: TensorView, axis: number, index: TensorView, src: TensorView, mode: 'set' | 'add'): void {
    indexing.scatter(dst, axis, index, src, mode);
  }

  indexAdd(dst: TensorView, axis: number, index: TensorView, src: TensorView): void {
    indexing.indexAdd(dst, axis, index, src);
  }

  sort(x: TensorView, axis: number, descending: boolean, values: TensorView, indices: TensorView): void {
    sort(x, axis, descending, values, indices);
  }

  assign(dst: TensorView, src: TensorView): void {
    elementwise.assign(dst, src);
  }

  fill(out: TensorView, value: number): void {
    elementwise.fill(out, value);
  }

  arange(out: TensorView, start: number, step: number): void {
    elementwise.arange(out, start, step);
  }

  random(kind: RandomKind, out: TensorView, seed: number, offset: number, p?: number): void {
    if (this.#rt !== null && wasmRandom(this.#rt, kind, out, seed, offset, p)) return;
    random(kind, out, seed, offset, p);
  }
}
