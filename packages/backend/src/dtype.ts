/**
 * Element types. PyTorch's int64 ("Long") is int32 here; bool is one byte per element.
 * float16 exists only on devices that support it (WebGPU with `shader-f16`).
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool' | 'float16';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool', 'float16'];

/** The host typed array that holds a dtype's elements. */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

export interface DTypeInfo {
  readonly name: DType;
  readonly bytes: number;
  readonly isFloating: boolean;
  /** Host array constructor for reads and writes. float16 is read back as its raw bits. */
  readonly HostArray: Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor;
}

export const DTYPE_INFO: Readonly<Record<DType, DTypeInfo>> = {
  float32: { name: 'float32', bytes: 4, isFloating: true, HostArray: Float32Array },
  float64: { name: 'float64', bytes: 8, isFloating: true, HostArray: Float64Array },
  int32: { name: 'int32', bytes: 4, isFloating: false, HostArray: Int32Array },
  bool: { name: 'bool', bytes: 1, isFloating: false, HostArray: Uint8Array },
  float16: { name: 'float16', bytes: 2, isFloating: true, HostArray: Uint16Array },
};

export function isFloating(dtype: DType): boolean {
  return DTYPE_INFO[dtype].isFloating;
}

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

export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}
