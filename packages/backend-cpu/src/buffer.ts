import type { BackendBuffer, DType, HostArray, TensorView } from '@torchlet/backend';

/** A CPU allocation: the elements live in one host typed array (bool is a Uint8Array of 0/1). */
export class CpuBuffer implements BackendBuffer {
  /** Set by `CpuBackend.free`; kernels refuse freed buffers so a use-after-free fails loudly. */
  freed = false;

  constructor(
    readonly dtype: DType,
    readonly size: number,
    readonly data: HostArray,
  ) {}
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
