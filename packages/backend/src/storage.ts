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
  version = 0;

  constructor(
    readonly backend: Backend,
    readonly buffer: BackendBuffer,
  ) {
    liveStorages++;
    liveStorageBytes += buffer.size * DTYPE_INFO[buffer.dtype].bytes;
  }

  get refCount(): number {
    return this.#refs;
  }

  get isFreed(): boolean {
    return this.#refs === 0;
  }

  retain(): this {
    if (this.#refs === 0) throw new Error('Storage.retain: storage was already freed');
    this.#refs++;
    return this;
  }

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
export function storageStats(): { liveStorages: number; liveBytes: number } {
  return { liveStorages, liveBytes: liveStorageBytes };
}
