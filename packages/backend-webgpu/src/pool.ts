/**
 * A pool of device buffers keyed by size class. `acquire` hands out a spare buffer of the
 * right class or creates one; `release` keeps it for reuse (up to `maxPooledBytes`, beyond
 * which buffers are destroyed). The pool knows nothing about command ordering: the
 * runtime routes writes through the command encoder whenever commands are pending, so a
 * recycled buffer can never be overwritten ahead of a pending command that reads it.
 */

/** The minimal surface the pool needs from a GPU buffer (so tests can use fakes). */
export interface PoolableBuffer {
  readonly size: number;
  destroy(): void;
}

export interface BufferPoolOptions<B extends PoolableBuffer> {
  create(bytes: number): B;
  /** Bytes of spare buffers kept for reuse (default 256 MiB). */
  maxPooledBytes?: number;
}

const MIN_CLASS = 64;

/**
 * The size class (allocation size in bytes) for a request: 64 bytes at least, then four
 * classes per power of two, so no allocation wastes more than 25 %.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS) return MIN_CLASS;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = Math.max(16, p / 4);
  return Math.ceil(bytes / step) * step;
}

/** The buffer pool's state (part of `WebGPUBackend.stats()`). */
export interface PoolStats {
  /** Spare buffers held for reuse. */
  readonly pooledBuffers: number;
  /** Bytes of those spare buffers. */
  readonly pooledBytes: number;
  /** Buffers created over the pool's life. */
  readonly created: number;
  /** Requests served from spare buffers. */
  readonly reused: number;
  /** Buffers destroyed (pool over capacity or trimmed). */
  readonly destroyed: number;
}

export class BufferPool<B extends PoolableBuffer> {
  readonly #free = new Map<number, B[]>();
  readonly #create: (bytes: number) => B;
  readonly #maxPooledBytes: number;
  #pooledBytes = 0;
  #pooledBuffers = 0;
  #created = 0;
  #reused = 0;
  #destroyed = 0;

  constructor(options: BufferPoolOptions<B>) {
    this.#create = options.create;
    this.#maxPooledBytes = options.maxPooledBytes ?? 256 * 1024 * 1024;
  }

  /** A buffer of at least `bytes` bytes (exactly `sizeClass(bytes)`). */
  acquire(bytes: number): B {
    const cls = sizeClass(bytes);
    const list = this.#free.get(cls);
    const spare = list?.pop();
    if (spare) {
      this.#pooledBytes -= cls;
      this.#pooledBuffers--;
      this.#reused++;
      return spare;
    }
    this.#created++;
    return this.#create(cls);
  }

  /** Returns a buffer obtained from `acquire` for reuse. */
  release(buffer: B): void {
    const cls = buffer.size;
    if (this.#pooledBytes + cls > this.#maxPooledBytes) {
      buffer.destroy();
      this.#destroyed++;
      return;
    }
    let list = this.#free.get(cls);
    if (!list) {
      list = [];
      this.#free.set(cls, list);
    }
    list.push(buffer);
    this.#pooledBytes += cls;
    this.#pooledBuffers++;
  }

  /** Destroys every spare buffer. */
  trim(): void {
    for (const list of this.#free.values()) {
      for (const b of list) {
        b.destroy();
        this.#destroyed++;
      }
    }
    this.#free.clear();
    this.#pooledBytes = 0;
    this.#pooledBuffers = 0;
  }

  stats(): PoolStats {
    return { pooledBuffers: this.#pooledBuffers, pooledBytes: this.#pooledBytes, created: this.#created, reused: this.#reused, destroyed: this.#destroyed };
  }
}
