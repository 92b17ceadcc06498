import type { DType, HostArray } from './dtype.js';
import type { ArgReduceOp, BinaryOp, RandomKind, ReduceOp, ScanOp, UnaryOp } from './primitives.js';
import type { FusedKernels } from './fused.js';

/** The devices a backend can be registered as (`torch.device` names). */
export type DeviceName = 'cpu' | 'webgpu';

/** A device allocation, opaque outside its backend. */
export interface BackendBuffer {
  /** The element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
}

/**
 * A strided window onto a buffer: what every primitive reads and writes. Broadcast
 * operands have stride 0 along the broadcast axes, so no primitive needs a copy.
 */
export interface TensorView {
  /** The buffer viewed. */
  readonly buffer: BackendBuffer;
  /** The element type (the buffer's). */
  readonly dtype: DType;
  /** Size of each dim. */
  readonly shape: readonly number[];
  /** Step in elements between neighbours along each dim (0 on broadcast dims). */
  readonly strides: readonly number[];
  /** Index of the first element in the buffer, in elements. */
  readonly offset: number;
}

/** A backend's own allocation counts. */
export interface BackendMemoryStats {
  /** Buffers allocated and not yet freed. */
  readonly liveBuffers: number;
  /** Bytes those buffers hold. */
  readonly liveBytes: number;
}

/**
 * The contract between the tensor core and a device. Primitive calls are synchronous
 * (a GPU backend enqueues them); only `read` is asynchronous. Unless stated, an `out`
 * view is a fresh, contiguous allocation of the right shape and dtype, and inputs already
 * share the dtype the op computes in (the tensor core casts first).
 */
export interface Backend {
  /** The device this backend implements. */
  readonly name: DeviceName;
  /** Whether `readSync` is available (CPU yes, WebGPU no). */
  readonly canReadSync: boolean;
  /** The dtypes this device can hold. */
  readonly dtypes: ReadonlySet<DType>;

  // ---- memory -------------------------------------------------------------------------
  /** A buffer of `size` elements; its contents are unspecified until written (pooled GPU memory is not cleared). */
  alloc(dtype: DType, size: number): BackendBuffer;
  /** Frees a buffer from `alloc` or `wrap` (once; a double free throws). */
  free(buffer: BackendBuffer): void;
  /** Host → device, into elements [offset, offset + data.length). */
  write(buffer: BackendBuffer, data: HostArray, offset?: number): void;
  /** Device → host copy of elements [start, start + length) (default: the whole buffer). */
  read(buffer: BackendBuffer, start?: number, length?: number): Promise<HostArray>;
  /** Synchronous read; only where `canReadSync`. May return a view of the live memory: copy before keeping it. */
  readSync?(buffer: BackendBuffer): HostArray;
  /**
   * Adopts a host array as a buffer without copying (CPU only): writes through either
   * side are visible to the other. Absent where device memory is separate.
   */
  wrap?(data: HostArray): BackendBuffer;
  /** Live buffers and bytes, counted exactly. */
  memoryStats(): BackendMemoryStats;
  /** Submits pending work (GPU); a no-op where work runs eagerly. */
  flush?(): void;
  /** Resolves when all submitted work has finished (GPU); errors raised late (overflow, bad indices) reject here or at the next read. */
  sync?(): Promise<void>;
  /** Releases the device (tests, shutdown). */
  destroy?(): void;

  // ---- primitives -----------------------------------------------------------------------
  /** Elementwise `op` of `x` into `out` (same shape; bool `out` for the bool-output ops). */
  unary(op: UnaryOp, x: TensorView, out: TensorView): void;
  /** `a` and `b` are already broadcast to `out.shape` (stride 0 on broadcast axes). */
  binary(op: BinaryOp, a: TensorView, b: TensorView, out: TensorView): void;
  /** `cond` is bool; all three are broadcast to `out.shape`. */
  where(cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void;
  /** Elementwise dtype conversion: float→int truncates toward zero, anything→bool is `!= 0`. */
  cast(x: TensorView, out: TensorView): void;
  /**
   * Reduces `axes` (sorted, unique) of `x`. `out` is contiguous with `x`'s shape where the
   * reduced axes have size 1; `axes` is empty only for rank-0 views. An int32 `sum`/`prod`
   * that overflows throws a RangeError: at the call on synchronous devices, at the next
   * `flush`/`read` on asynchronous ones. Max/min over an empty axis throw likewise.
   */
  reduce(op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void;
  /** Index (int32) of the first max/min along `axis` (the first NaN wins, as in PyTorch); `out` keeps `axis` with size 1. */
  argReduce(op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void;
  /** Inclusive scan along `axis`; `out` has `x`'s shape. */
  scan(op: ScanOp, x: TensorView, axis: number, out: TensorView): void;
  /**
   * Batched matrix product: `a` is [...batch, M, K], `b` is [...batch, K, N] with batch dims
   * already broadcast to `out`'s (stride 0 allowed) and any strides (transposes are free);
   * `out` is contiguous [...batch, M, N]. Float dtypes only.
   */
  matmul(a: TensorView, b: TensorView, out: TensorView): void;
  /** `out[i][j][k] = x[i][index[i][j][k]][k]` for axis 1 (torch.gather); `index` is int32, shaped as `out`. */
  gather(x: TensorView, axis: number, index: TensorView, out: TensorView): void;
  /** `out = x.index_select(axis, index)`; `index` is a 1-D int32 view. */
  indexSelect(x: TensorView, axis: number, index: TensorView, out: TensorView): void;
  /**
   * In place: `dst[..index[i][j]..] = src[i][j]` (or `+=` with `'add'`) along `axis`, for every
   * position of `index` (shaped like the part of `src` that is used). Float adds are
   * deterministic: applied in index order.
   */
  scatter(dst: TensorView, axis: number, index: TensorView, src: TensorView, mode: 'set' | 'add'): void;
  /**
   * In place: `dst[indices[i]] += src[i]` along `axis` (torch.index_add_). `indices` is 1-D int32.
   */
  indexAdd(dst: TensorView, axis: number, index: TensorView, src: TensorView): void;
  /** Stable sort along `axis`: values and int32 indices, both shaped as `x`. NaN sorts last (first when descending). */
  sort(x: TensorView, axis: number, descending: boolean, values: TensorView, indices: TensorView): void;
  /** In place: writes `src` (broadcast to `dst.shape`, same dtype) into the strided view `dst`. */
  assign(dst: TensorView, src: TensorView): void;
  /** In place: sets every element of the (possibly strided) view to `value`. */
  fill(out: TensorView, value: number): void;
  /** `out[i] = start + i · step` on a contiguous 1-D view. */
  arange(out: TensorView, start: number, step: number): void;
  /**
   * Philox draws per `philox.ts` into a float view (bernoulli also into bool); element i of a
   * strided `out` receives stream position i in row-major order.
   */
  random(kind: RandomKind, out: TensorView, seed: number, offset: number, p?: number): void;

  /**
   * Optional fused kernels; the op library composes primitives when one is absent. They are
   * called as methods of this object (`backend.fused.softmax(...)`).
   */
  readonly fused: Partial<FusedKernels>;
}
