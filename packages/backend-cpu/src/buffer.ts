import type { BackendBuffer, DType, HostArray, TensorView } from '@torchlet/backend';
import type { WasmRuntime } from './wasm/runtime.js';

/**
 * A CPU allocation: the elements live in one host typed array (bool is a Uint8Array of 0/1).
 * With the Wasm kernels the array is a view into the Wasm heap at byte address `ptr`, so
 * kernels of both kinds work on it in place; otherwise (`ptr` = -1) it is a plain array
 * (the TypeScript kernels, adopted user arrays, or a heap that could not grow).
 */
export class CpuBuffer implements BackendBuffer {
  /** Set by `CpuBackend.free`; kernels refuse freed buffers so a use-after-free fails loudly. */
  freed = false;
  #data: HostArray;
  #generation: number;

  constructor(
    /** The element type. */
    readonly dtype: DType,
    readonly size: number,
    data: HostArray,
    /** @internal The runtime whose heap holds the elements, or null for a plain array. */
    readonly runtime: WasmRuntime | null = null,
    /** Byte address in the Wasm heap (-1 outside it). */
    readonly ptr = -1,
  ) {
    this.#data = data;
    this.#generation = runtime?.heap.generation ?? 0;
  }

  /**
   * The live elements. A non-shared Wasm memory detaches its ArrayBuffer when it grows, so
   * the view is re-created then; do not keep it across an allocation.
   */
  get data(): HostArray {
    const rt = this.runtime;
    if (rt !== null && rt.heap.generation !== this.#generation) {
      this.#data = rt.view(this.dtype, this.ptr, this.size);
      this.#generation = rt.heap.generation;
    }
    return this.#data;
  }
}

/** The live typed array behind a view, checking it belongs to this backend and is not freed. */
export function dataOf(view: TensorView): HostArray {
  const buffer = view.buffer;
  if (!(buffer instanceof CpuBuffer)) {
    throw new TypeError(`cpu backend: got a buffer from another backend (${buffer.dtype}[${buffer.size}])`);
  }
  if (buffer.freed) throw new Error('cpu backend: buffer used after free');
  return buffer.data;
}
