/**
 * Element decoding shared by the safetensors and PyTorch readers: raw little-endian bytes of a
 * file dtype → a host array of a Torchlet dtype (half and bfloat16 widen to float32, 64-bit and
 * small integers narrow or widen to int32 with a range check naming the tensor).
 */
import type { DType, HostArray } from '@torchlet/tensor';

/** Element types as safetensors names them (PyTorch storages map onto the same set). */
export type FileDType =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'F64'
  | 'I64'
  | 'U64';

/** Bytes per element, and the reference implementation's alignment rank (its enum order). */
export const FILE_DTYPES: Readonly<Record<FileDType, { bytes: number; rank: number }>> = {
  BOOL: { bytes: 1, rank: 0 },
  U8: { bytes: 1, rank: 1 },
  I8: { bytes: 1, rank: 2 },
  F8_E5M2: { bytes: 1, rank: 3 },
  F8_E4M3: { bytes: 1, rank: 4 },
  I16: { bytes: 2, rank: 5 },
  U16: { bytes: 2, rank: 6 },
  F16: { bytes: 2, rank: 7 },
  BF16: { bytes: 2, rank: 8 },
  I32: { bytes: 4, rank: 9 },
  U32: { bytes: 4, rank: 10 },
  F32: { bytes: 4, rank: 11 },
  F64: { bytes: 8, rank: 12 },
  I64: { bytes: 8, rank: 13 },
  U64: { bytes: 8, rank: 14 },
};

export function isFileDType(x: unknown): x is FileDType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(FILE_DTYPES, x);
}

/** The Torchlet dtype a file dtype loads as. */
export function loadedDType(d: FileDType): DType | null {
  switch (d) {
    case 'F32':
    case 'F16':
    case 'BF16':
      return 'float32';
    case 'F64':
      return 'float64';
    case 'BOOL':
      return 'bool';
    case 'I64':
    case 'I32':
    case 'I16':
    case 'I8':
    case 'U8':
    case 'U16':
    case 'U32':
    case 'U64':
      return 'int32';
    default:
      return null;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy of `bytes[begin, end)` in a fresh (aligned) buffer. */
export function copyBytes(bytes: Uint8Array, begin: number, end: number): Uint8Array {
  return bytes.slice(begin, end);
}

/** Error factory so each reader raises its own typed error. */
export type ErrorFactory = (message: string) => Error;

/**
 * Decodes `raw` (a fresh, aligned copy holding exactly `n` elements of `dtype`) into a host
 * array of `loadedDType(dtype)`. `name` is the tensor's name for error messages.
 */
export function decodeElements(raw: Uint8Array, dtype: FileDType, name: string, fail: ErrorFactory): HostArray {
  if (!LITTLE_ENDIAN) throw fail('tensor files are little-endian and this host is big-endian; not supported');
  if (raw.byteOffset % 8 !== 0) raw = raw.slice();
  const buf = raw.buffer;
  const off = raw.byteOffset;
  const n = raw.byteLength / FILE_DTYPES[dtype].bytes;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf, off, n);
    case 'F64':
      return new Float64Array(buf, off, n);
    case 'I32':
      return new Int32Array(buf, off, n);
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = raw[i] ? 1 : 0;
      return out;
    }
    case 'U8':
      return Int32Array.from(raw);
    case 'I8':
      return Int32Array.from(new Int8Array(buf, off, n));
    case 'I16':
      return Int32Array.from(new Int16Array(buf, off, n));
    case 'U16':
      return Int32Array.from(new Uint16Array(buf, off, n));
    case 'U32': {
      const src = new Uint32Array(buf, off, n);
      for (let i = 0; i < n; i++) {
        if (src[i]! > 0x7fffffff) throw fail(rangeMessage(name, dtype, BigInt(src[i]!)));
      }
      return new Int32Array(buf, off, n);
    }
    case 'I64':
    case 'U64': {
      const words = new Int32Array(buf, off, 2 * n);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = words[2 * i]!;
        const hi = words[2 * i + 1]!;
        const ok = dtype === 'I64' ? hi === lo >> 31 : hi === 0 && lo >= 0;
        if (!ok) {
          const dv = new DataView(buf, off + 8 * i, 8);
          const value = dtype === 'I64' ? dv.getBigInt64(0, true) : dv.getBigUint64(0, true);
          throw fail(rangeMessage(name, dtype, value));
        }
        out[i] = lo;
      }
      return out;
    }
    case 'F16':
      return halfToFloat32(new Uint16Array(buf, off, n));
    case 'BF16': {
      const src = new Uint16Array(buf, off, n);
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = src[i]! << 16;
      return new Float32Array(bits.buffer);
    }
    default:
      throw fail(`tensor '${name}': dtype ${dtype} is not supported (supported: F32, F64, F16, BF16, I64, I32, I16, I8, U8, U16, U32, U64, BOOL)`);
  }
}

function rangeMessage(name: string, dtype: FileDType, value: bigint): string {
  return `tensor '${name}': ${dtype} value ${value} does not fit in int32 (Torchlet's integer dtype; PyTorch's int64 loads as int32 with a range check)`;
}

/** IEEE half-precision bits → float32 values. */
export function halfToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfToNumber(src[i]!);
  return out;
}

export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The bytes of a typed array (a view, no copy). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** int32 values widened to little-endian int64 bytes (for writing PyTorch's Long tensors). */
export function int32ToInt64Bytes(src: Int32Array): Uint8Array {
  const out = new Int32Array(src.length * 2);
  for (let i = 0; i < src.length; i++) {
    out[2 * i] = src[i]!;
    out[2 * i + 1] = src[i]! >> 31;
  }
  return bytesOf(out);
}
