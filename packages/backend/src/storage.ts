import type { Backend, BackendBuffer } from './backend.js';
import { DTYPE_INFO } from './dtype.js';

/**
 * A reference-counted device allocation. Every tensor view, every tensor saved for
 * backward and every `.grad` holds one reference; the buffer is freed when the last one
 * is released. `version` counts in-place writes, so autograd can detect a saved tensor
 * that was modified.
 */
export class Storage {
  #refs = 1;
  /** In-place write counter, shared by every view; autograd compares it with the value it saved. */
  version = 0;

  constructor(
    /** The backend that owns the buffer. */
    readonly backend: Backend,
    /** The device allocation. */
    readonly buffer: BackendBuffer,
  ) {
    liveStorages++;
    liveStorageBytes += buffer.size * DTYPE_INFO[buffer.dtype].bytes;
  }

  /** The live references. */
  get refCount(): number {
    return this.#refs;
  }

  /** Whether the last reference was released (the buffer is then freed). */
  get isFreed(): boolean {
    return this.#refs === 0;
  }

  /** Takes another reference; returns this. */
  retain(): this {
    if (this.#refs === 0) throw new Error('Storage.retain: storage was already freed');
    this.#refs++;
    return this;
  }

  /** Drops a reference; the last one frees the buffer. */
  release(): void {
    if (this.#refs === 0) throw new Error('Storage.release: storage was already freed');
    if (--this.#refs === 0) {
      liveStorages--;
      liveStorageBytes -= this.buffer.size * DTYPE_INFO[this.buffer.dtype].bytes;
      this.backend.free(this.buffer);
    }
  }
}

let liveStorages = 0;
let liveStorageBytes = 0;

/** Exact counts of storages alive on every backend. */
export function storageStats(): {
  /** Storages not yet freed. */
  liveStorages: number;
  /** Their bytes. */
  liveBytes: number;
} {
  return { liveStorages, liveBytes: liveStorageBytes };
}
