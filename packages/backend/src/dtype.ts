/**
 * Element types. PyTorch's int64 ("Long") is int32 here; bool is one byte per element.
 * float16 exists only on devices that support it (WebGPU with `shader-f16`).
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool' | 'float16';

/** Every dtype, in promotion order's spirit (float32 first, as the default). */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool', 'float16'];

/** The host typed array that holds a dtype's elements. */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

/** Static facts about a dtype. */
export interface DTypeInfo {
  /** The dtype's name. */
  readonly name: DType;
  /** Bytes per element. */
  readonly bytes: number;
  /** Whether it is a floating-point type (autograd only differentiates those). */
  readonly isFloating: boolean;
  /** Host array constructor for reads and writes. float16 is read back as its raw bits. */
  readonly HostArray: Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor;
}

/** The facts of every dtype. */
export const DTYPE_INFO: Readonly<Record<DType, DTypeInfo>> = {
  float32: { name: 'float32', bytes: 4, isFloating: true, HostArray: Float32Array },
  float64: { name: 'float64', bytes: 8, isFloating: true, HostArray: Float64Array },
  int32: { name: 'int32', bytes: 4, isFloating: false, HostArray: Int32Array },
  bool: { name: 'bool', bytes: 1, isFloating: false, HostArray: Uint8Array },
  float16: { name: 'float16', bytes: 2, isFloating: true, HostArray: Uint16Array },
};

/** Whether `dtype` is floating point (`torch.is_floating_point`). */
export function isFloating(dtype: DType): boolean {
  return DTYPE_INFO[dtype].isFloating;
}

/** Whether `value` names a dtype. */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

/** Allocates a zeroed host array for `size` elements of `dtype`. */
export function hostArray(dtype: DType, size: number): HostArray {
  return new DTYPE_INFO[dtype].HostArray(size);
}

/**
 * PyTorch's promotion lattice restricted to our dtypes: bool < int32 < float16 < float32 < float64.
 * (PyTorch promotes float16 with int to float16, and float16 with float32 to float32.)
 */
const RANK: Readonly<Record<DType, number>> = { bool: 0, int32: 1, float16: 2, float32: 3, float64: 4 };

/** `torch.promote_types(a, b)`: the smallest dtype both convert to, on the lattice bool < int32 < float16 < float32 < float64. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}
