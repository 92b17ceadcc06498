import type { BackendBuffer, DType, TensorView } from '@torchlet/backend';

/**
 * A WebGPU allocation: `size` elements of `dtype` in a pooled storage buffer. float32 and
 * int32 take 4 bytes per element; bool is stored as one u32 (0 or 1) per element, so
 * kernels index every dtype the same way (reads and writes convert to/from `Uint8Array`).
 */
export class WebGPUBuffer implements BackendBuffer {
  /** Set by `free`; kernels refuse freed buffers so a use-after-free fails loudly. */
  freed = false;

  constructor(
    /** The element type. */
    readonly dtype: DType,
    readonly size: number,
    /** The device buffer (its byte size is the pool's size class, at least `4 · size`). */
    readonly gpu: GPUBuffer,
  ) {}
}

/** Bytes a buffer of `size` elements occupies on the device (every dtype is 4 bytes per element). */
export function deviceBytes(size: number): number {
  return Math.max(4, size * 4);
}

/** The device buffer behind a view, checking that it is a live WebGPU buffer. */
export function gpuOf(view: TensorView | BackendBuffer): GPUBuffer {
  const b = 'buffer' in view ? view.buffer : view;
  if (!(b instanceof WebGPUBuffer)) throw new TypeError('webgpu backend: the buffer belongs to another backend');
  if (b.freed) throw new Error('webgpu backend: buffer used after free');
  return b.gpu;
}
