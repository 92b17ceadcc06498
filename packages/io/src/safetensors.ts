/**
 * safetensors read/write (https://github.com/huggingface/safetensors format):
 * 8 bytes little-endian u64 `N`, `N` bytes of UTF-8 JSON header, then the data buffer. The header
 * maps tensor names to `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to the data
 * buffer) plus an optional `__metadata__` map of strings. Validation follows the reference
 * implementation: header-size bounds, UTF-8 and JSON validity, offsets that tile the data buffer
 * exactly (contiguous, in bounds, non-overlapping, sorted by offset), and shape × dtype size equal
 * to each tensor's byte length. A key given twice in one JSON object is refused too.
 */
import { tensor, type DType, type DeviceName, type Tensor } from '@torchlet/tensor';
import {
  FILE_DTYPES,
  bytesOf,
  copyBytes,
  decodeElements,
  int32ToInt64Bytes,
  isFileDType,
  loadedDType,
  type FileDType,
} from './elements.js';
import { SafetensorsError } from './errors.js';
import { defineEntry, readInput, writeFileAtomic } from './files.js';

/** The reference implementation's limit on the JSON header (100 MB). */
export const MAX_HEADER_SIZE = 100_000_000;

/** One tensor's header entry, with absolute byte offsets into the file. */
export interface SafetensorsEntry {
  /** The tensor's name. */
  name: string;
  /** Its file dtype (`F32`, `I64` …). */
  dtype: FileDType;
  /** Its shape. */
  shape: number[];
  /** Absolute offset of the first byte in the file. */
  begin: number;
  /** Absolute offset one past the last byte in the file. */
  end: number;
}

/** A parsed, validated header. `entries` are sorted by offset. */
export interface SafetensorsHeader {
  /** The tensors' entries. */
  entries: SafetensorsEntry[];
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
  /** Where the data buffer starts (8 + header length). */
  dataOffset: number;
}

/** Options of `loadSafetensors` / `decodeSafetensorsEntry`. */
export interface LoadSafetensorsOptions {
  /** Device for the loaded tensors (default `'cpu'`). */
  device?: DeviceName;
}

/** What `loadSafetensors` returns. */
export interface SafetensorsContents {
  /** Tensors in file order (sorted by offset). */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
}

/** Options of `saveSafetensors`. */
export interface SaveSafetensorsOptions {
  /**
   * Write int32 tensors as I64 (PyTorch's Long), as PyTorch state dicts hold integer buffers
   * (`num_batches_tracked`, index tensors): `true` for all int32 tensors, or a list / map of names.
   */
  int64?: boolean | readonly string[] | Readonly<Record<string, boolean>>;
}

function fail(message: string): SafetensorsError {
  return new SafetensorsError(`safetensors: ${message}`);
}

/** Parses and validates the header of a safetensors buffer without decoding any tensor. */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (bytes.length < 8) {
    throw fail(`file is ${bytes.length} bytes, too small to hold the 8-byte header length (HeaderTooSmall)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_SIZE) {
    const n = BigInt(hi) * 2n ** 32n + BigInt(lo);
    throw fail(`header length ${n} exceeds the ${MAX_HEADER_SIZE}-byte limit (HeaderTooLarge): not a safetensors file, or corrupt`);
  }
  const n = lo;
  if (8 + n > bytes.length) {
    throw fail(`header length ${n} runs past the end of the ${bytes.length}-byte file (InvalidHeaderLength): truncated or not a safetensors file`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw fail('header is not valid UTF-8 (InvalidHeader)');
  }
  if (!text.startsWith('{')) {
    throw fail(`header does not start with '{' (InvalidHeaderStart): not a safetensors file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid JSON (InvalidHeaderDeserialization): ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw fail('header must be a JSON object (InvalidHeaderDeserialization)');
  }
  const dup = duplicateKey(text);
  if (dup) {
    throw fail(
      `${dup.parent === null ? 'header' : `header entry ${JSON.stringify(dup.parent)}`} has the key ${JSON.stringify(dup.key)} twice ` +
        '(InvalidHeaderDeserialization): which one is meant is ambiguous',
    );
  }
  const dataOffset = 8 + n;
  const dataLength = bytes.length - dataOffset;
  const metadata: Record<string, string> = {};
  const raw: { name: string; dtype: FileDType; shape: number[]; s: number; e: number }[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) throw fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw fail(`__metadata__ value for '${k}' must be a string, got ${typeof v}`);
        defineEntry(metadata, k, v);
      }
      continue;
    }
    raw.push(parseEntry(name, value));
  }
  raw.sort((a, b) => a.s - b.s || a.e - b.e);
  let start = 0;
  const entries: SafetensorsEntry[] = [];
  for (const r of raw) {
    if (r.s !== start || r.e < r.s) {
      const why =
        r.e < r.s
          ? `end ${r.e} is before begin ${r.s}`
          : r.s < start
            ? `begin ${r.s} overlaps the previous tensor (which ends at ${start})`
            : `begin ${r.s} leaves a gap after the previous tensor (which ends at ${start})`;
      throw fail(`tensor '${r.name}': invalid data_offsets [${r.s}, ${r.e}]: ${why} (InvalidOffset)`);
    }
    let numel = 1;
    for (const d of r.shape) numel *= d;
    const nbytes = numel * FILE_DTYPES[r.dtype].bytes;
    if (!Number.isSafeInteger(nbytes)) throw fail(`tensor '${r.name}': shape [${r.shape.join(', ')}] overflows (ValidationOverflow)`);
    if (r.e - r.s !== nbytes) {
      throw fail(
        `tensor '${r.name}': shape [${r.shape.join(', ')}] of ${r.dtype} needs ${nbytes} bytes but data_offsets [${r.s}, ${r.e}] span ${r.e - r.s} (TensorInvalidInfo)`,
      );
    }
    if (r.e > dataLength) {
      throw fail(`tensor '${r.name}': data_offsets [${r.s}, ${r.e}] run past the ${dataLength}-byte data buffer: file truncated (MetadataIncompleteBuffer)`);
    }
    start = r.e;
    entries.push({ name: r.name, dtype: r.dtype, shape: r.shape, begin: dataOffset + r.s, end: dataOffset + r.e });
  }
  if (start !== dataLength) {
    throw fail(
      `the tensors cover ${start} bytes but the data buffer holds ${dataLength} (MetadataIncompleteBuffer): ${start > dataLength ? 'file truncated' : 'trailing bytes after the last tensor'}`,
    );
  }
  return { entries, metadata, dataOffset };
}

/**
 * The first key that appears twice in one object of a valid JSON text (JSON.parse keeps the last
 * silently), with the top-level key it sits under (`null` at the top level).
 */
function duplicateKey(text: string): { key: string; parent: string | null } | null {
  // One entry per open object (its keys so far) or array (null).
  const stack: (Set<string> | null)[] = [];
  let topKey: string | null = null;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return { key, parent: stack.length === 1 ? null : topKey };
        keys.add(key);
        if (stack.length === 1) topKey = key;
        expectKey = false;
      }
    } else if (c === 0x7b) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push(null);
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      expectKey = stack[stack.length - 1] !== null;
    }
  }
  return null;
}

function parseEntry(name: string, value: unknown): { name: string; dtype: FileDType; shape: number[]; s: number; e: number } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw fail(`tensor '${name}': header entry must be an object with dtype, shape and data_offsets`);
  }
  const v = value as Record<string, unknown>;
  if (!isFileDType(v.dtype)) {
    throw fail(`tensor '${name}': unknown dtype ${JSON.stringify(v.dtype)}`);
  }
  if (!Array.isArray(v.shape) || !v.shape.every(isIndex)) {
    throw fail(`tensor '${name}': shape must be a list of non-negative integers, got ${JSON.stringify(v.shape)}`);
  }
  const off = v.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every(isIndex)) {
    throw fail(`tensor '${name}': data_offsets must be [begin, end] of non-negative integers, got ${JSON.stringify(off)}`);
  }
  return { name, dtype: v.dtype, shape: v.shape as number[], s: off[0] as number, e: off[1] as number };
}

function isIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Decodes one header entry into a tensor (F16/BF16 → float32, integer types → int32). */
export function decodeSafetensorsEntry(bytes: Uint8Array, entry: SafetensorsEntry, options: LoadSafetensorsOptions = {}): Tensor {
  const dtype = loadedDType(entry.dtype);
  if (!dtype) {
    throw fail(`tensor '${entry.name}': dtype ${entry.dtype} is not supported (supported: F32, F64, F16, BF16, I64, I32, I16, I8, U8, U16, U32, U64, BOOL)`);
  }
  const host = decodeElements(copyBytes(bytes, entry.begin, entry.end), entry.dtype, entry.name, fail);
  return tensor(host, { shape: entry.shape, dtype, device: options.device ?? 'cpu' });
}

/**
 * Reads a safetensors file (a path, in Node) or buffer (anywhere), like
 * `safetensors.torch.load_file` / `load`. F16 and BF16 load as float32; I64, U8 and the other
 * integer types load as int32, with a range check that names the tensor and the value.
 * A truncated or corrupt file raises a `SafetensorsError` naming the problem.
 */
export async function loadSafetensors(
  input: Uint8Array | ArrayBuffer | string,
  options: LoadSafetensorsOptions = {},
): Promise<SafetensorsContents> {
  const bytes = await readInput(input, 'loadSafetensors');
  const header = parseSafetensorsHeader(bytes);
  const tensors: Record<string, Tensor> = {};
  try {
    for (const entry of header.entries) defineEntry(tensors, entry.name, decodeSafetensorsEntry(bytes, entry, options));
  } catch (err) {
    for (const t of Object.values(tensors)) t.dispose();
    throw err;
  }
  return { tensors, metadata: header.metadata };
}

/** A tensor ready to be written: its file dtype, shape and raw little-endian bytes. */
export interface RawTensor {
  /** The file dtype. */
  dtype: FileDType;
  /** The shape. */
  shape: readonly number[];
  /** The raw little-endian bytes (shape × dtype size). */
  data: Uint8Array;
}

/**
 * Serializes raw tensors as the reference implementation does: data ordered by descending dtype
 * alignment then name, header padded with spaces to a multiple of 8 bytes.
 */
export function encodeSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = safetensorsOrder(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw fail(`metadata value for '${k}' must be a string, got ${typeof v}`);
      defineEntry(meta, k, v);
    }
    header.__metadata__ = meta;
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw fail(`'__metadata__' is reserved and cannot name a tensor`);
    const t = tensors[name]!;
    let numel = 1;
    for (const d of t.shape) numel *= d;
    const nbytes = numel * FILE_DTYPES[t.dtype].bytes;
    if (nbytes !== t.data.byteLength) {
      throw fail(`tensor '${name}': shape [${t.shape.join(', ')}] of ${t.dtype} needs ${nbytes} bytes, got ${t.data.byteLength}`);
    }
    defineEntry(header, name, { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + nbytes] });
    offset += nbytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setUint32(0, padded, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const name of names) {
    out.set(tensors[name]!.data, at);
    at += tensors[name]!.data.byteLength;
  }
  return out;
}

/** The order in which `encodeSafetensors` lays tensors out: descending dtype alignment, then name. */
export function safetensorsOrder(tensors: Record<string, RawTensor>): string[] {
  return Object.keys(tensors).sort((a, b) => {
    const ra = FILE_DTYPES[tensors[a]!.dtype].rank;
    const rb = FILE_DTYPES[tensors[b]!.dtype].rank;
    return rb - ra || (a < b ? -1 : a > b ? 1 : 0);
  });
}

function wantsInt64(option: SaveSafetensorsOptions['int64'], name: string): boolean {
  if (!option) return false;
  if (option === true) return true;
  if (Array.isArray(option)) return option.includes(name);
  return Boolean((option as Record<string, boolean>)[name]);
}

/** A tensor's bytes in its file dtype (reads the tensor asynchronously, on any device). */
export async function rawTensor(t: Tensor, name: string, int64 = false): Promise<RawTensor> {
  const data = await t.data();
  const shape = [...t.shape];
  const dtype: DType = t.dtype;
  switch (dtype) {
    case 'float32':
      return { dtype: 'F32', shape, data: bytesOf(data) };
    case 'float64':
      return { dtype: 'F64', shape, data: bytesOf(data) };
    case 'int32':
      return int64 ? { dtype: 'I64', shape, data: int32ToInt64Bytes(data as Int32Array) } : { dtype: 'I32', shape, data: bytesOf(data) };
    case 'bool':
      return { dtype: 'BOOL', shape, data: bytesOf(data) };
    case 'float16':
      return { dtype: 'F16', shape, data: bytesOf(data) };
    default:
      throw fail(`tensor '${name}': cannot write dtype ${String(dtype)}`);
  }
}

/**
 * Writes tensors in the safetensors format, like `safetensors.torch.save_file` / `save`:
 * float32 → F32, float64 → F64, int32 → I32 (or I64 with `{ int64 }`), bool → BOOL, float16 → F16.
 * Returns the bytes; with a `path` (Node) it also writes them atomically (temp file + rename).
 */
export async function saveSafetensors(
  tensors: Record<string, Tensor>,
  path?: string,
  metadata?: Record<string, string>,
  options: SaveSafetensorsOptions = {},
): Promise<Uint8Array> {
  const raw: Record<string, RawTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (!t || typeof (t as Tensor).data !== 'function') throw fail(`value for '${name}' is not a Tensor`);
    let int64 = wantsInt64(options.int64, name);
    if (int64 && t.dtype !== 'int32') {
      if (options.int64 !== true) throw fail(`tensor '${name}': int64 was requested but the tensor is ${t.dtype}, not int32`);
      int64 = false;
    }
    defineEntry(raw, name, await rawTensor(t, name, int64));
  }
  const bytes = encodeSafetensors(raw, metadata);
  if (path !== undefined) await writeFileAtomic(path, bytes, 'saveSafetensors');
  return bytes;
}
