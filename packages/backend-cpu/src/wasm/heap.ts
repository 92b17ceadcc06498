/**
 * The Wasm heap: one `WebAssembly.Memory` (shared when the engine allows, so worker
 * threads see the same tensors) and an allocator over it. Tensor storage lives here so
 * the Wasm kernels read and write it in place — no copy per op.
 *
 * Allocator: blocks are 16-byte aligned. Small requests (up to 64 KiB) are rounded to a
 * size class (16-byte steps up to 1 KiB, then four classes per power of two) and recycled
 * through per-class free lists. Large requests take the best-fitting free block (split
 * when the rest is large, coalesced with free neighbours on release) or are cut from the
 * top, which grows the memory when needed. A Wasm memory cannot shrink, so freed blocks
 * are only ever reused.
 */

const PAGE = 65536;
/** Bytes below this address are never handed out (0 stays a null pointer). */
const HEAP_BASE = 1024;
const SMALL_MAX = 65536;
/** A large block is split only if the rest would be at least this big. */
const SPLIT_MIN = 65536;

/**
 * The size class (bytes) a request is rounded up to. Plain arithmetic, not 32-bit bit
 * operations: requests reach 4 GiB (and beyond, to be refused).
 */
export function sizeClass(bytes: number): number {
  const n = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (n <= 1024) return n;
  if (n > SMALL_MAX) return n;
  const pow = 2 ** Math.floor(Math.log2(n));
  const step = pow / 4;
  return Math.ceil(n / step) * step;
}

/** `n` rounded up to a multiple of `align` (a power of two), without 32-bit wrap-around. */
export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** Occupancy of the Wasm heap (`CpuBackend.heapStats()`). */
export interface HeapStats {
  /** Bytes the memory currently spans. */
  readonly memoryBytes: number;
  /** Bytes in blocks handed out (after size-class rounding). */
  readonly allocatedBytes: number;
  /** Bytes in free blocks awaiting reuse (below the top). */
  readonly freeBytes: number;
  /** Blocks handed out. */
  readonly allocatedBlocks: number;
}

export interface HeapOptions {
  /** Initial size in 64 KiB pages. */
  readonly initialPages?: number;
  /** Maximum size in pages (the memory cannot grow past it). */
  readonly maximumPages?: number;
  /** Use a shared memory (needs SharedArrayBuffer). */
  readonly shared?: boolean;
}

function createMemory(initial: number, maximum: number, shared: boolean): { memory: WebAssembly.Memory; maximum: number } {
  // Engines on small devices may refuse a large reservation: retry with smaller maxima.
  let max = maximum;
  for (;;) {
    try {
      return { memory: new WebAssembly.Memory({ initial, maximum: max, shared }), maximum: max };
    } catch (e) {
      if (max <= initial * 2 || max <= 256) throw e;
      max = Math.floor(max / 2);
    }
  }
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  /** The most 64 KiB pages the memory may grow to (what the engine granted). */
  readonly maximumPages: number;
  /** Zeroes `bytes` at `ptr`; the runtime installs a native `memory.fill`. */
  zeroFill: (ptr: number, bytes: number) => void = (ptr, bytes) => {
    new Uint8Array(this.memory.buffer, ptr, bytes).fill(0);
  };
  /** Bumped whenever the memory grows, for views over a non-shared buffer (which detaches). */
  generation = 0;

  #top = HEAP_BASE;
  /** Everything at or above this address has never been handed out, so it is still zero. */
  #highWater = HEAP_BASE;
  readonly #allocated = new Map<number, number>();
  readonly #smallFree = new Map<number, number[]>();
  /** Free large blocks: start → size, and end → start for coalescing. */
  readonly #largeFree = new Map<number, number>();
  readonly #largeFreeByEnd = new Map<number, number>();
  #allocatedBytes = 0;
  #freeBytes = 0;

  constructor(options: HeapOptions = {}) {
    this.shared = options.shared ?? false;
    const initial = Math.max(1, options.initialPages ?? 64);
    const { memory, maximum } = createMemory(initial, Math.max(initial, options.maximumPages ?? 65536), this.shared);
    this.memory = memory;
    this.maximumPages = maximum;
  }

  /** Current memory buffer (re-read after every grow). */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.memory.buffer;
  }

  /** Bytes the memory may span at most (4 GiB for a 32-bit Wasm memory). */
  get maximumBytes(): number {
    return this.maximumPages * PAGE;
  }

  /**
   * A 16-byte-aligned block of at least `bytes`, or -1 when the memory cannot grow that far
   * (then nothing changed: no growth, no block). With `zero`, the block reads as zeros.
   */
  alloc(bytes: number, zero = true): number {
    if (!(bytes >= 0) || bytes > this.maximumBytes - HEAP_BASE) return -1;
    let size = sizeClass(bytes);
    let ptr = -1;
    if (size <= SMALL_MAX) {
      const list = this.#smallFree.get(size);
      if (list !== undefined && list.length > 0) {
        ptr = list.pop()!;
        this.#freeBytes -= size;
      }
    } else {
      ptr = this.#takeLarge(size);
      if (ptr >= 0) size = this.#takenSize;
    }
    if (ptr < 0) {
      ptr = this.#bump(size);
      if (ptr < 0) return -1;
    }
    this.#allocated.set(ptr, size);
    this.#allocatedBytes += size;
    if (zero) this.#zero(ptr, bytes);
    return ptr;
  }

  free(ptr: number): void {
    const size = this.#allocated.get(ptr);
    if (size === undefined) throw new Error(`wasm heap: free of an unknown block at ${ptr}`);
    this.#allocated.delete(ptr);
    this.#allocatedBytes -= size;
    if (size <= SMALL_MAX) {
      let list = this.#smallFree.get(size);
      if (list === undefined) this.#smallFree.set(size, (list = []));
      list.push(ptr);
      this.#freeBytes += size;
      return;
    }
    this.#releaseLarge(ptr, size);
  }

  /** The block size (after rounding) of an allocated block. */
  blockSize(ptr: number): number | undefined {
    return this.#allocated.get(ptr);
  }

  stats(): HeapStats {
    return {
      memoryBytes: this.memory.buffer.byteLength,
      allocatedBytes: this.#allocatedBytes,
      freeBytes: this.#freeBytes,
      allocatedBlocks: this.#allocated.size,
    };
  }

  #zero(ptr: number, bytes: number): void {
    const end = Math.min(ptr + bytes, this.#highWater);
    if (end > ptr) this.zeroFill(ptr, end - ptr);
  }

  #bump(size: number): number {
    const ptr = this.#top;
    const end = ptr + size;
    if (end > this.maximumBytes) return -1;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const needPages = Math.ceil((end - have) / PAGE);
      const havePages = have / PAGE;
      // Grow by at least a quarter to amortise, within the maximum.
      let pages = Math.max(needPages, Math.ceil(havePages / 4));
      if (havePages + pages > this.maximumPages) pages = needPages;
      try {
        this.memory.grow(pages);
      } catch {
        return -1;
      }
      if (!this.shared) this.generation++;
    }
    this.#top = end;
    this.#highWater = Math.max(this.#highWater, end);
    return ptr;
  }

  /** Best fit among the free large blocks, splitting off a large remainder. */
  #takeLarge(size: number): number {
    let best = -1;
    let bestSize = Infinity;
    for (const [start, s] of this.#largeFree) {
      if (s >= size && s < bestSize) {
        best = start;
        bestSize = s;
        if (s === size) break;
      }
    }
    if (best < 0) return -1;
    this.#removeFree(best, bestSize);
    const rest = bestSize - size;
    if (rest >= SPLIT_MIN) {
      this.#addFree(best + size, rest);
      this.#takenSize = size;
    } else {
      // Keep the small slack inside the block.
      this.#takenSize = bestSize;
    }
    return best;
  }

  /** Size of the block the last `#takeLarge` returned. */
  #takenSize = 0;

  #releaseLarge(ptr: number, size: number): void {
    let start = ptr;
    let s = size;
    const before = this.#largeFreeByEnd.get(start);
    if (before !== undefined) {
      const bs = this.#largeFree.get(before)!;
      this.#removeFree(before, bs);
      start = before;
      s += bs;
    }
    const after = this.#largeFree.get(start + s);
    if (after !== undefined) {
      this.#removeFree(start + s, after);
      s += after;
    }
    if (start + s === this.#top) {
      this.#top = start; // give it back to the bump region
      return;
    }
    this.#addFree(start, s);
  }

  #addFree(start: number, size: number): void {
    this.#largeFree.set(start, size);
    this.#largeFreeByEnd.set(start + size, start);
    this.#freeBytes += size;
  }

  #removeFree(start: number, size: number): void {
    this.#largeFree.delete(start);
    this.#largeFreeByEnd.delete(start + size);
    this.#freeBytes -= size;
  }
}
