/**
 * The Wasm runtime shared by every CPU backend that uses the Wasm kernels: the heap (one
 * memory), the generated kernel module instantiated on it, and the worker pool. There is
 * one per process (or browser realm), so buffers from any such backend are compatible.
 */
import type { DType, HostArray } from '@torchlet/backend';
import { wasmFeatures, type WasmFeatures } from './features.js';
import { WasmHeap } from './heap.js';
import { buildKernelModule, type MatmulGeometry } from './kernel-module.js';
import { MAX_TASKS, threadsAvailable, ThreadPool, type ThreadPoolStats } from './thread-pool.js';

type Kernel = (...args: number[]) => void;

const VIEW: Record<DType, new (buffer: ArrayBufferLike, byteOffset: number, length: number) => HostArray> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
  float16: Uint16Array,
};

export class WasmRuntime {
  readonly heap: WasmHeap;
  readonly module: WebAssembly.Module;
  readonly geometry: MatmulGeometry;
  readonly #kernels: Kernel[];
  readonly #index = new Map<string, number>();
  #pool: ThreadPool | undefined;
  #threads: number;

  constructor(
    readonly features: WasmFeatures,
    threads: number,
    geometry?: MatmulGeometry,
  ) {
    const shared = features.sharedMemory;
    this.heap = new WasmHeap({ shared, initialPages: 64 });
    const km = buildKernelModule({
      relaxedSimd: features.relaxedSimd,
      sharedMemory: shared,
      maximumPages: this.heap.maximumPages,
      ...(geometry ? { geometry } : {}),
    });
    this.geometry = km.geometry;
    this.module = new WebAssembly.Module(km.bytes);
    const instance = new WebAssembly.Instance(this.module, { env: { memory: this.heap.memory } });
    this.#kernels = km.exports.map((name, i) => {
      this.#index.set(name, i);
      return instance.exports[name] as Kernel;
    });
    this.#threads = threads;
    const zero = this.kernel('zero');
    this.heap.zeroFill = (ptr, bytes) => zero(0, ptr, bytes);
  }

  /** A typed-array view of `size` elements at byte address `ptr`. */
  view(dtype: DType, ptr: number, size: number): HostArray {
    return new VIEW[dtype](this.heap.memory.buffer, ptr, size);
  }

  kernel(name: string): Kernel {
    const i = this.#index.get(name);
    if (i === undefined) throw new Error(`cpu backend: no wasm kernel '${name}'`);
    return this.#kernels[i]!;
  }

  /** Threads used for large kernels (1 = this thread only). */
  get threads(): number {
    return this.#threads;
  }

  set threads(n: number) {
    this.#threads = n;
    if (this.#pool !== undefined) this.#pool.resize(this.#usableThreads - 1);
  }

  get #usableThreads(): number {
    return this.heap.shared && threadsAvailable() ? this.#threads : 1;
  }

  /** The worker pool, started on first use when more than one thread is wanted. */
  pool(): ThreadPool | undefined {
    if (this.#usableThreads <= 1) return undefined;
    if (this.#pool === undefined) {
      const names = [...this.#index.keys()];
      this.#pool = new ThreadPool(this.module, this.heap.memory, names, this.#kernels);
      this.#pool.resize(this.#usableThreads - 1);
    }
    return this.#pool;
  }

  /**
   * How many pieces a large job should be cut into (1 when single-threaded). Kernels may
   * index per-thread scratch by thread id, so this stays above every worker's id while any
   * worker may run; it drops to 1 only when every worker failed to start (e.g. a page whose
   * CSP forbids Blob workers) or has exited, so jobs are not cut for threads that will never come.
   */
  get parallelism(): number {
    const n = this.#usableThreads;
    const pool = this.#pool;
    return n > 1 && pool !== undefined && pool.failedCount + pool.exitedCount === n - 1 ? 1 : n;
  }

  /**
   * Runs kernel `name` on every task (argument tuple, without the thread id), shared with
   * the worker threads when `parallel` and they are ready, else one after another here.
   */
  run(name: string, tasks: readonly (readonly number[])[], parallel: boolean): void {
    if (tasks.length === 0) return;
    const pool = parallel && tasks.length > 1 && tasks.length <= MAX_TASKS ? this.pool() : undefined;
    if (pool !== undefined && pool.readyCount > 0) {
      pool.run(this.#index.get(name)!, tasks);
      return;
    }
    const k = this.kernel(name);
    for (const t of tasks) k(0, ...t);
  }

  /**
   * Runs a kernel of the form `name(tid, params, i0, i1)` over [0, n): copies `block` (its
   * parameter block of i32 words; floats go in by bit pattern) into the heap, cuts [0, n) into
   * `parts` ranges that start at multiples of `align`, runs them (shared with the workers when
   * there are several) and frees the block.
   */
  runBlock(name: string, block: Int32Array | readonly number[], n: number, parts: number, align = 1): void {
    if (n <= 0) return;
    const params = this.heap.alloc(block.length * 4, false);
    if (params < 0) throw new Error('cpu backend: the Wasm heap is full');
    try {
      new Int32Array(this.heap.memory.buffer, params, block.length).set(block);
      const chunk = Math.ceil(n / Math.max(1, Math.min(parts, n)) / align) * align;
      const tasks: number[][] = [];
      for (let i0 = 0; i0 < n; i0 += chunk) tasks.push([params, i0, Math.min(n, i0 + chunk)]);
      this.run(name, tasks, tasks.length > 1);
    } finally {
      this.heap.free(params);
    }
  }

  /**
   * Blocks until the worker threads are ready (tests and benchmarks); false when there are
   * none. Cannot block on a browser's main thread (it returns at once there): use
   * `whenThreadsReady`.
   */
  waitForThreads(timeoutMs = 10_000): boolean {
    const pool = this.pool();
    return pool !== undefined && pool.waitReady(timeoutMs);
  }

  /** `waitForThreads` without blocking: resolves once every worker is ready (true) or has failed or timed out. */
  async whenThreadsReady(timeoutMs = 10_000): Promise<boolean> {
    const pool = this.pool();
    return pool !== undefined && pool.whenReady(timeoutMs);
  }

  threadStats(): ThreadStats {
    const base = { sharedMemory: this.heap.shared, threads: this.#threads, usableThreads: this.parallelism };
    const pool = this.#pool;
    if (pool === undefined) return { ...base, workers: 0, readyWorkers: 0, failedWorkers: 0, exitedWorkers: 0, jobs: 0, tasks: 0, workerTasks: 0, redoneTasks: 0 };
    return { ...base, ...pool.stats() };
  }
}

/** What `threadStats()` reports. Pool counters are cumulative since the pool started. */
export interface ThreadStats extends ThreadPoolStats {
  /** Whether the Wasm heap is a shared memory (needed for threads; cross-origin isolation in browsers). */
  readonly sharedMemory: boolean;
  /** `getNumThreads()`. */
  readonly threads: number;
  /** Threads large kernels are cut for (`parallelism`): `threads`, or 1 without shared memory or when no worker could start. */
  readonly usableThreads: number;
}

let runtime: WasmRuntime | null | undefined;
let requestedThreads: number | undefined;

/** PyTorch's default: one thread per core (capped; the caller counts as one). */
export function defaultThreads(): number {
  const g = globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
    navigator?: { hardwareConcurrency?: number };
  };
  let n = 1;
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  if (os?.availableParallelism !== undefined) n = os.availableParallelism();
  else if (g.navigator?.hardwareConcurrency !== undefined) n = g.navigator.hardwareConcurrency;
  return Math.max(1, Math.min(16, n));
}

/** The shared runtime, or null where WebAssembly SIMD is unavailable. */
export function wasmRuntime(): WasmRuntime | null {
  if (runtime === undefined) {
    const features = wasmFeatures();
    runtime = features.simd ? new WasmRuntime(features, requestedThreads ?? defaultThreads()) : null;
  }
  return runtime;
}

/**
 * `torch.set_num_threads(n)`: how many threads the Wasm CPU kernels may use, the calling
 * thread included (default: one per core, at most 16). Workers start in the background on
 * the first large kernel and never keep a Node process alive. Threads need shared memory:
 * in browsers the page must be cross-origin isolated (`Cross-Origin-Opener-Policy:
 * same-origin` and `Cross-Origin-Embedder-Policy: require-corp`); without it, and with the
 * TypeScript kernels, everything runs on the calling thread.
 */
export function setNumThreads(n: number): void {
  // as torch.set_num_threads: a non-number (even "2") is a TypeError, a bad number a RangeError
  if (typeof n !== 'number') {
    const shown = typeof n === 'string' ? `the string ${JSON.stringify(n)}` : n === null ? 'null' : `a ${typeof n}`;
    throw new TypeError(`setNumThreads(n): n must be a number, got ${shown}`);
  }
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads(n): n must be a positive integer, got ${n}`);
  requestedThreads = n;
  if (runtime) runtime.threads = n;
}

/** `torch.get_num_threads()`. */
export function getNumThreads(): number {
  return runtime ? runtime.threads : (requestedThreads ?? defaultThreads());
}

/**
 * Resolves once the worker threads for `setNumThreads(n)` are running: true when every
 * worker is ready, false where there are none (a single thread, no shared memory — e.g. a
 * page that is not cross-origin isolated —, workers that could not start, the TypeScript
 * kernels) or after `timeoutMs`. Workers otherwise start in the background on the first
 * large kernel, which runs on the calling thread until they are up. Never blocks, so it is
 * the way to wait on a browser's main thread (where `Atomics.wait` is not allowed):
 *
 * ```ts
 * torch.setNumThreads(navigator.hardwareConcurrency);
 * await torch.whenThreadsReady();
 * ```
 */
export function whenThreadsReady(timeoutMs = 10_000): Promise<boolean> {
  return runtime ? runtime.whenThreadsReady(timeoutMs) : Promise.resolve(false);
}

/**
 * The CPU worker pool's state and counters (jobs, tasks, how many the workers ran), or
 * null where the Wasm kernels are not in use. For tests and tuning.
 */
export function threadStats(): ThreadStats | null {
  return runtime ? runtime.threadStats() : null;
}
