/**
 * Training checkpoints: `save(obj, path)` / `load(path)` for a nested training state (model and
 * optimizer state dicts, scheduler state, epoch, metrics, RNG state …) in one file.
 *
 * The file is a standard safetensors container, so tools that read safetensors can inspect it:
 * each tensor and typed array is a tensor entry named by its path in the object
 * (`model.fc.weight`), and the metadata holds
 * - `format`: `torchlet-checkpoint`, `format_version`: `1`;
 * - `structure`: the object as JSON, with placeholders `{"$torchlet": "tensor", "name": …}` where
 *   tensors and typed arrays were (and for values JSON cannot hold: NaN, ±Infinity, -0,
 *   undefined, bigint, Map);
 * - `structure_crc32` and `data_crc32`: CRC-32 checksums of the structure and of the data buffer.
 *
 * Writes are atomic (temporary file, fsync, rename). `load` verifies the header, the checksums
 * and every tensor before building anything, and refuses a truncated, corrupt or foreign file
 * with a `CheckpointError` naming the problem — it never returns a half-loaded object. Given a
 * PyTorch `.pt` file (a zip archive), `load` reads it with `loadPtObject` instead, as PyTorch users
 * call `torch.load` on them (its errors are then `PickleError`s).
 */
import { DTYPE_INFO } from '@torchlet/backend';
import { fromHost, type DType, type DeviceName, type Tensor } from '@torchlet/tensor';
import { crc32, crc32Hex } from './crc32.js';
import { FILE_DTYPES, bytesOf, type FileDType } from './elements.js';
import { CheckpointError, SafetensorsError } from './errors.js';
import { defineEntry, readInput, writeFileAtomic } from './files.js';
import { loadPtObject } from './pt.js';
import {
  encodeSafetensors,
  parseSafetensorsHeader,
  rawTensor,
  safetensorsOrder,
  type RawTensor,
  type SafetensorsEntry,
} from './safetensors.js';
import { looksLikeZip } from './zip.js';

/** The `format` metadata value that marks a Torchlet checkpoint. */
export const CHECKPOINT_FORMAT = 'torchlet-checkpoint';
/** The checkpoint format's version (`format_version` metadata). */
export const CHECKPOINT_VERSION = '1';
const TAG = '$torchlet';
/** Deepest nesting that save writes and load reads: a limit both sides share, so what saves loads. */
const MAX_NESTING = 1000;

/** Options of `load` / `loadBytes`. */
export interface LoadCheckpointOptions {
  /** Device for the loaded tensors (default `'cpu'`), like `torch.load(map_location=…)`. */
  device?: DeviceName;
  /** For PyTorch `.pt` files: the cap on materialised tensor bytes (see `LoadPtOptions`). */
  maxMaterializedBytes?: number;
}

type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint8ClampedArray
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

const TYPED_ARRAYS: Readonly<Record<string, { ctor: new (buffer: ArrayBuffer) => TypedArray; dtype: FileDType }>> = {
  Float32Array: { ctor: Float32Array, dtype: 'F32' },
  Float64Array: { ctor: Float64Array, dtype: 'F64' },
  Int8Array: { ctor: Int8Array, dtype: 'I8' },
  Int16Array: { ctor: Int16Array, dtype: 'I16' },
  Int32Array: { ctor: Int32Array, dtype: 'I32' },
  Uint8Array: { ctor: Uint8Array, dtype: 'U8' },
  Uint8ClampedArray: { ctor: Uint8ClampedArray, dtype: 'U8' },
  // Wide unsigned types are stored as their raw bytes (U8): PyTorch before 2.3 has no
  // uint16/32/64, and the file should stay readable by standard tools.
  Uint16Array: { ctor: Uint16Array, dtype: 'U8' },
  Uint32Array: { ctor: Uint32Array, dtype: 'U8' },
  BigInt64Array: { ctor: BigInt64Array, dtype: 'I64' },
  BigUint64Array: { ctor: BigUint64Array, dtype: 'U8' },
};

const TENSOR_FILE_DTYPE: Readonly<Record<DType, FileDType>> = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  bool: 'BOOL',
  float16: 'F16',
};

function fail(message: string): CheckpointError {
  return new CheckpointError(`checkpoint: ${message}`);
}

function isTensorLike(v: object): v is Tensor {
  return typeof (v as Tensor).data === 'function' && Array.isArray((v as Tensor).shape) && typeof (v as Tensor).dtype === 'string' && 'storage' in v;
}

function typedArrayName(v: object): string | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  const name = v.constructor.name;
  return Object.prototype.hasOwnProperty.call(TYPED_ARRAYS, name) ? name : null;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function pathJoin(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Encodes `obj` into the checkpoint bytes (reads tensors asynchronously, on any device). */
export async function saveBytes(obj: unknown): Promise<Uint8Array> {
  const tensors: Record<string, RawTensor> = {};
  const names = new Map<object, string>();
  const used = new Set<string>();
  const visiting = new Set<object>();

  const uniqueName = (path: string): string => {
    let name = path || 'value';
    if (name === '__metadata__') name = '__metadata__#';
    for (let i = 2; used.has(name); i++) name = `${path || 'value'}#${i}`;
    used.add(name);
    return name;
  };

  const encode = async (v: unknown, path: string, depth: number): Promise<unknown> => {
    const where = path || 'the top level';
    if (depth > MAX_NESTING) throw fail(`save: nesting deeper than ${MAX_NESTING} at ${where}`);
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        if (Number.isNaN(v)) return { [TAG]: 'number', value: 'NaN' };
        if (v === Infinity) return { [TAG]: 'number', value: 'Infinity' };
        if (v === -Infinity) return { [TAG]: 'number', value: '-Infinity' };
        if (Object.is(v, -0)) return { [TAG]: 'number', value: '-0' };
        return v;
      case 'bigint':
        return { [TAG]: 'bigint', value: v.toString() };
      case 'undefined':
        return { [TAG]: 'undefined' };
      case 'function':
      case 'symbol':
        throw fail(`save: cannot store a ${typeof v} at ${where}`);
    }
    if (v === null) return null;
    const o = v as object;
    const known = names.get(o);
    if (isTensorLike(o)) {
      const t = o as Tensor;
      if (t.isDisposed) throw fail(`save: the tensor at ${where} has been disposed`);
      let name = known;
      if (!name) {
        name = uniqueName(path);
        names.set(o, name);
        defineEntry(tensors, name, await rawTensor(t, name));
      }
      return { [TAG]: 'tensor', name, dtype: t.dtype, ...(t.requiresGrad ? { requiresGrad: true } : {}) };
    }
    const ta = typedArrayName(o);
    if (ta) {
      let name = known;
      if (!name) {
        name = uniqueName(path);
        names.set(o, name);
        const arr = o as TypedArray;
        const data = bytesOf(arr).slice();
        const dtype = TYPED_ARRAYS[ta]!.dtype;
        defineEntry(tensors, name, { dtype, shape: [data.length / FILE_DTYPES[dtype].bytes], data });
      }
      return { [TAG]: 'typedarray', name, type: ta };
    }
    if (visiting.has(o)) throw fail(`save: circular reference at ${where}`);
    visiting.add(o);
    try {
      if (Array.isArray(o)) {
        const out: unknown[] = [];
        for (let i = 0; i < o.length; i++) out.push(await encode(o[i], `${path}[${i}]`, depth + 1));
        return out;
      }
      if (o instanceof Map) {
        const entries: unknown[] = [];
        let i = 0;
        for (const [k, x] of o) {
          const key = typeof k === 'string' || typeof k === 'number' ? String(k) : `${i}`;
          entries.push([await encode(k, `${path}<key ${i}>`, depth + 1), await encode(x, pathJoin(path, key), depth + 1)]);
          i++;
        }
        return { [TAG]: 'map', entries };
      }
      if (!isPlainObject(o)) {
        throw fail(`save: cannot store a ${o.constructor?.name ?? 'object'} at ${where} (plain objects, arrays, Maps, typed arrays and Tensors only)`);
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) defineEntry(out, k, await encode(x, pathJoin(path, k), depth + 1));
      return Object.prototype.hasOwnProperty.call(o, TAG) ? { [TAG]: 'object', value: out } : out;
    } finally {
      visiting.delete(o);
    }
  };

  const structure = JSON.stringify(await encode(obj, '', 0));
  // The data CRC covers the data buffer, which holds the tensors in encodeSafetensors' order.
  let dataCrc = 0;
  for (const name of safetensorsOrder(tensors)) dataCrc = crc32(tensors[name]!.data, dataCrc);
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    format_version: CHECKPOINT_VERSION,
    structure,
    structure_crc32: crc32Hex(new TextEncoder().encode(structure)),
    data_crc32: dataCrc.toString(16).padStart(8, '0'),
  });
}

/**
 * `torch.save(obj, path)` for a training state: writes `obj` (plain objects, arrays, Maps,
 * numbers, strings, booleans, null, bigints, typed arrays and Tensors, nested) to `path` atomically.
 */
export async function save(obj: unknown, path: string): Promise<void> {
  const bytes = await saveBytes(obj);
  await writeFileAtomic(path, bytes, 'save');
}

/** Decodes checkpoint bytes written by `saveBytes`/`save`, or the bytes of a PyTorch `.pt` file (as `load`). */
export async function loadBytes<T = unknown>(input: Uint8Array | ArrayBuffer, options: LoadCheckpointOptions = {}): Promise<T> {
  const bytes = await readInput(input, 'loadBytes');
  return decodeAny<T>(bytes, options, 'loadBytes');
}

/**
 * `torch.load(path)`: reads a checkpoint written by `save`, or a file written by PyTorch's
 * `torch.save` (a `.pt`/`.pth` zip archive), which is read by `loadPtObject` — as
 * `torch.load(path, weights_only=True)`: tensors, dicts, lists and plain values only.
 */
export async function load<T = unknown>(path: string, options: LoadCheckpointOptions = {}): Promise<T> {
  if (typeof path !== 'string') throw new TypeError('load: expected a file path (use loadBytes for bytes)');
  const bytes = await readInput(path, 'load');
  return decodeAny<T>(bytes, options, 'load');
}

/** Dispatches on the file's magic, as `torch.load` does between its formats. */
async function decodeAny<T>(bytes: Uint8Array, options: LoadCheckpointOptions, what: string): Promise<T> {
  if (looksLikeZip(bytes)) return (await loadPtObject(bytes, options)) as T;
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) {
    throw fail(
      `${what}: this is a pickle — PyTorch's legacy torch.save format (PyTorch < 1.6 or _use_new_zipfile_serialization=False) — ` +
        'which cannot be read safely; re-save it with a current torch.save, then load it with load or io.loadPtObject',
    );
  }
  return decode<T>(bytes, options);
}

function decode<T>(bytes: Uint8Array, options: LoadCheckpointOptions): T {
  let header;
  try {
    header = parseSafetensorsHeader(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) {
      throw fail(`not a readable checkpoint: expected a file written by save() or by PyTorch's torch.save (${e.message})`);
    }
    throw e;
  }
  const meta = header.metadata;
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw fail(
      meta.format === undefined
        ? 'wrong format: a safetensors file without checkpoint metadata (use loadSafetensors for plain tensor files)'
        : `wrong format: '${meta.format}', expected '${CHECKPOINT_FORMAT}'`,
    );
  }
  if (meta.format_version !== CHECKPOINT_VERSION) {
    throw fail(`unsupported checkpoint format_version '${meta.format_version}' (this version reads '${CHECKPOINT_VERSION}')`);
  }
  if (typeof meta.structure !== 'string') throw fail('the metadata has no structure');
  if (crc32Hex(new TextEncoder().encode(meta.structure)) !== meta.structure_crc32) {
    throw fail(`structure checksum mismatch (expected ${meta.structure_crc32}): the file is corrupt`);
  }
  const dataCrc = crc32Hex(bytes.subarray(header.dataOffset));
  if (dataCrc !== meta.data_crc32) {
    throw fail(`data checksum mismatch (CRC-32 ${dataCrc}, expected ${meta.data_crc32}): the file is corrupt`);
  }
  let structure: unknown;
  try {
    structure = JSON.parse(meta.structure);
  } catch (e) {
    throw fail(`the structure is not valid JSON: ${(e as Error).message}`);
  }
  const entries = new Map<string, SafetensorsEntry>(header.entries.map((e) => [e.name, e]));
  const device = options.device ?? 'cpu';
  const created: Tensor[] = [];
  const byName = new Map<string, unknown>();

  const entryFor = (name: unknown, where: string): SafetensorsEntry => {
    if (typeof name !== 'string') throw fail(`bad placeholder at ${where}`);
    const e = entries.get(name);
    if (!e) throw fail(`missing tensor '${name}' (referenced at ${where})`);
    return e;
  };

  const revive = (v: unknown, path: string, depth: number): unknown => {
    if (depth > MAX_NESTING) throw fail(`structure nested deeper than ${MAX_NESTING} at ${path || 'the top level'}`);
    if (v === null || typeof v !== 'object') return v;
    const where = path || 'the top level';
    if (Array.isArray(v)) {
      // a loop, not map(): one stack frame per level
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) out.push(revive(v[i], `${path}[${i}]`, depth + 1));
      return out;
    }
    const o = v as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(o, TAG)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) defineEntry(out, k, revive(x, pathJoin(path, k), depth + 1));
      return out;
    }
    switch (o[TAG]) {
      case 'tensor': {
        const e = entryFor(o.name, where);
        const cached = byName.get(e.name);
        if (cached) return cached;
        const dtype = o.dtype as DType;
        if (!Object.prototype.hasOwnProperty.call(TENSOR_FILE_DTYPE, dtype) || TENSOR_FILE_DTYPE[dtype] !== e.dtype) {
          throw fail(`tensor '${e.name}' is stored as ${e.dtype} but the structure says dtype ${String(o.dtype)}`);
        }
        const raw = bytes.slice(e.begin, e.end);
        const Host = DTYPE_INFO[dtype].HostArray;
        const host = new Host(raw.buffer, 0, raw.byteLength / FILE_DTYPES[e.dtype].bytes);
        const t = fromHost(host, e.shape, dtype, device);
        created.push(t);
        if (o.requiresGrad === true) t.requiresGrad = true;
        byName.set(e.name, t);
        return t;
      }
      case 'typedarray': {
        const e = entryFor(o.name, where);
        const cached = byName.get(e.name);
        if (cached) return cached;
        const spec = typeof o.type === 'string' && Object.prototype.hasOwnProperty.call(TYPED_ARRAYS, o.type) ? TYPED_ARRAYS[o.type] : undefined;
        if (!spec || spec.dtype !== e.dtype || e.shape.length !== 1) {
          throw fail(`typed array '${e.name}' is stored as ${e.dtype} [${e.shape.join(', ')}] but the structure says ${String(o.type)}`);
        }
        const raw = bytes.slice(e.begin, e.end);
        if (raw.byteLength % new spec.ctor(new ArrayBuffer(0)).BYTES_PER_ELEMENT !== 0) throw fail(`typed array '${e.name}' has a partial element`);
        const arr = new spec.ctor(raw.buffer);
        byName.set(e.name, arr);
        return arr;
      }
      case 'number': {
        const table: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
        if (typeof o.value !== 'string' || !(o.value in table)) throw fail(`bad number placeholder at ${where}`);
        return table[o.value];
      }
      case 'bigint':
        if (typeof o.value !== 'string' || !/^-?\d+$/.test(o.value)) throw fail(`bad bigint placeholder at ${where}`);
        return BigInt(o.value);
      case 'undefined':
        return undefined;
      case 'map': {
        if (!Array.isArray(o.entries)) throw fail(`bad map placeholder at ${where}`);
        const m = new Map<unknown, unknown>();
        for (let i = 0; i < o.entries.length; i++) {
          const kv: unknown = o.entries[i];
          if (!Array.isArray(kv) || kv.length !== 2) throw fail(`bad map entry ${i} at ${where}`);
          const k = revive(kv[0], `${path}<key ${i}>`, depth + 1);
          m.set(k, revive(kv[1], pathJoin(path, typeof k === 'string' || typeof k === 'number' ? String(k) : `${i}`), depth + 1));
        }
        return m;
      }
      case 'object': {
        if (o.value === null || typeof o.value !== 'object' || Array.isArray(o.value)) throw fail(`bad object placeholder at ${where}`);
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(o.value as Record<string, unknown>)) defineEntry(out, k, revive(x, pathJoin(path, k), depth + 1));
        return out;
      }
      default:
        throw fail(`unknown placeholder '${String(o[TAG])}' at ${where}`);
    }
  };

  try {
    return revive(structure, '', 0) as T;
  } catch (err) {
    for (const t of created) t.dispose();
    throw err;
  }
}
