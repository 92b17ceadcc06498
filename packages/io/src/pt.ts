/**
 * PyTorch's `.pt` / `.pth` files as written by `torch.save` (PyTorch ≥ 1.6): a zip archive with
 * `<name>/data.pkl` (the pickled object) and one entry `<name>/data/<key>` per tensor storage.
 * The pickle is read by the restricted unpickler (`pickle.ts`), so a file naming any global other
 * than tensors, OrderedDict and plain containers is refused, as `torch.load(weights_only=True)` does.
 */
import { ValueError, tensor, type DeviceName, type Tensor } from '@torchlet/tensor';
import { FILE_DTYPES, decodeElements, loadedDType } from './elements.js';
import { PickleError } from './errors.js';
import { defineEntry, readInput } from './files.js';
import { MAX_DEPTH, PyGlobal, PyTuple, STORAGE_TYPES, StorageRef, TensorRecord, typeName, unpickle } from './pickle.js';
import { looksLikeZip, readZipDirectory, readZipEntry, type ZipEntry } from './zip.js';

/** Options of `loadPt` / `loadPtObject` (`torch.load`'s). */
export interface LoadPtOptions {
  /** Device for the loaded tensors (default `'cpu'`), like `map_location`. */
  device?: DeviceName;
  /**
   * Most bytes of tensor data that loading the file may create, summed over its tensors (each
   * counted as elements × the stored element size). Default: twice the file's size, and at least
   * 256 MiB. A file's tensors can ask for more than the file stores — a stride-0 expansion of a
   * one-element storage, many views of one storage — so a few KB could otherwise claim gigabytes;
   * the whole file is checked before anything is allocated. Raise it (or pass `Infinity`) for a
   * trusted file that needs more.
   */
  maxMaterializedBytes?: number;
}

const fail = (message: string): PickleError => new PickleError(message);

/** The floor of the default `maxMaterializedBytes`. */
const MIN_DEFAULT_MATERIALIZED = 256 * 2 ** 20;

function materializeLimit(options: LoadPtOptions, fileBytes: number, what: string): number {
  const limit = options.maxMaterializedBytes;
  if (limit === undefined) return Math.max(2 * fileBytes, MIN_DEFAULT_MATERIALIZED);
  if (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0) {
    throw new ValueError(`${what}: maxMaterializedBytes must be a non-negative number (or Infinity), got ${String(limit)}`);
  }
  return limit;
}

interface Archive {
  bytes: Uint8Array;
  entries: Map<string, ZipEntry>;
  prefix: string;
  storageBytes: Map<string, Uint8Array>;
}

async function openArchive(bytes: Uint8Array): Promise<{ archive: Archive; value: unknown }> {
  if (!looksLikeZip(bytes)) {
    if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) {
      throw fail(
        'loadPt: this is a bare pickle or the legacy torch.save format (PyTorch < 1.6 or _use_new_zipfile_serialization=False), ' +
          'which is not supported; re-save it with a current torch.save',
      );
    }
    throw fail('loadPt: not a PyTorch file (expected the zip archive that torch.save writes)');
  }
  const entries = readZipDirectory(bytes, fail);
  const pkls = [...entries.keys()].filter((n) => n === 'data.pkl' || (n.endsWith('/data.pkl') && n.indexOf('/') === n.length - 9));
  if (pkls.length === 0) throw fail('loadPt: the archive has no data.pkl (not a torch.save file)');
  if (pkls.length > 1) throw fail(`loadPt: the archive has several data.pkl entries (${pkls.join(', ')})`);
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(await readZipEntry(bytes, order, fail)).trim();
    if (text !== 'little') throw fail(`loadPt: the file's byte order is '${text}'; only little-endian files are supported`);
  }
  const archive: Archive = { bytes, entries, prefix, storageBytes: new Map() };
  const storages = new Map<string, StorageRef>();
  const pkl = await readZipEntry(bytes, entries.get(pkls[0]!)!, fail);
  const value = unpickle(pkl, {
    persistentLoad: (pid) => {
      const items = pid instanceof PyTuple ? pid.items : null;
      if (!items || items[0] !== 'storage' || items.length !== 5) {
        throw fail(`pickle: unsupported persistent id ${items ? `(${items.map((x) => typeName(x)).join(', ')})` : `of type ${typeName(pid)}`}; expected ('storage', type, key, location, numel)`);
      }
      const [, type, key, location, numel] = items;
      if (!(type instanceof PyGlobal) || type.module !== 'torch' || !Object.prototype.hasOwnProperty.call(STORAGE_TYPES, type.name)) {
        throw fail(`pickle: persistent id names storage type ${typeName(type)}, not a torch.*Storage class`);
      }
      if (typeof key !== 'string' || typeof location !== 'string') throw fail('pickle: storage key and location must be strings');
      if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw fail(`pickle: storage '${key}' has an invalid size ${String(numel)}`);
      const dtype = STORAGE_TYPES[type.name]!;
      const cached = storages.get(key);
      if (cached) {
        if (cached.dtype !== dtype) throw fail(`pickle: storage '${key}' is named with two types (${cached.dtype} and ${dtype})`);
        return cached;
      }
      const entry = entries.get(`${prefix}data/${key}`);
      if (!entry) throw fail(`loadPt: storage '${key}' is missing from the archive (expected entry '${prefix}data/${key}'; file truncated?)`);
      const need = numel * FILE_DTYPES[dtype].bytes;
      if (entry.size < need) {
        throw fail(`loadPt: storage '${key}' holds ${entry.size} bytes but ${numel} elements of ${type.name} need ${need}`);
      }
      const ref = new StorageRef(key, dtype, location, numel);
      storages.set(key, ref);
      return ref;
    },
  });
  return { archive, value };
}

async function storageData(archive: Archive, ref: StorageRef): Promise<Uint8Array> {
  let data = archive.storageBytes.get(ref.key);
  if (!data) {
    data = await readZipEntry(archive.bytes, archive.entries.get(`${archive.prefix}data/${ref.key}`)!, fail);
    archive.storageBytes.set(ref.key, data);
  }
  return data;
}

/** Checks a tensor view against its storage; returns the bytes that materialising it takes. */
function viewBytes(rec: TensorRecord, name: string): number {
  const { storage, offset, size, stride } = rec;
  if (size.length !== stride.length) throw fail(`loadPt: tensor '${name}' has ${size.length} sizes but ${stride.length} strides`);
  if (!loadedDType(storage.dtype)) throw fail(`loadPt: tensor '${name}' has unsupported dtype ${storage.dtype}`);
  let numel = 1;
  for (const s of size) numel *= s;
  if (!Number.isSafeInteger(numel) || numel > 0x7fffffff) throw fail(`loadPt: tensor '${name}' of size [${size.join(', ')}] is too large`);
  if (numel > 0) {
    let last = offset;
    for (let d = 0; d < size.length; d++) last += (size[d]! - 1) * stride[d]!;
    if (last >= storage.numel) {
      throw fail(
        `loadPt: tensor '${name}' (offset ${offset}, size [${size.join(', ')}], stride [${stride.join(', ')}]) reaches element ${last} of a storage of ${storage.numel} elements`,
      );
    }
  }
  return numel * FILE_DTYPES[storage.dtype].bytes;
}

/**
 * Validates every tensor that will be materialised and refuses the file, before any allocation,
 * when their bytes together exceed `limit`.
 */
function checkMaterialized(tensors: Iterable<[TensorRecord, string]>, limit: number, fileBytes: number, what: string): void {
  let total = 0;
  let largest: { name: string; bytes: number; rec: TensorRecord } | null = null;
  for (const [rec, name] of tensors) {
    const bytes = viewBytes(rec, name);
    total += bytes;
    if (!largest || bytes > largest.bytes) largest = { name, bytes, rec };
  }
  if (total > limit && largest) {
    const { name, bytes, rec } = largest;
    throw fail(
      `${what}: the file's tensors would take ${total} bytes in memory, more than maxMaterializedBytes (${limit}; ` +
        `by default twice the file's ${fileBytes} bytes, at least ${MIN_DEFAULT_MATERIALIZED}). The largest, '${name}' of size ` +
        `[${rec.size.join(', ')}], takes ${bytes} bytes from a storage of ${rec.storage.numel} elements (stride-0 expansions and ` +
        'overlapping views ask for more than the file stores); pass a larger { maxMaterializedBytes } to load a trusted file',
    );
  }
}

/** Copies a (possibly strided) tensor view out of its storage and decodes it. */
async function materialize(archive: Archive, rec: TensorRecord, name: string, device: DeviceName): Promise<Tensor> {
  const { storage, offset, size, stride } = rec;
  const nbytes = viewBytes(rec, name);
  const dtype = loadedDType(storage.dtype)!;
  const es = FILE_DTYPES[storage.dtype].bytes;
  const numel = nbytes / es;
  let raw: Uint8Array;
  if (numel === 0) {
    raw = new Uint8Array(0);
  } else {
    const src = await storageData(archive, storage);
    if (isContiguous(size, stride)) {
      raw = src.slice(offset * es, (offset + numel) * es);
    } else {
      raw = new Uint8Array(nbytes);
      gather(src, raw, es, offset, size, stride);
    }
  }
  const host = decodeElements(raw, storage.dtype, name, (m) => fail(`loadPt: ${m}`));
  const t = tensor(host, { shape: size, dtype, device });
  if (rec.requiresGrad && dtype !== 'int32' && dtype !== 'bool') t.requiresGrad = true;
  return t;
}

function isContiguous(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d]!;
  }
  return true;
}

/** Row-major copy of a strided view: an odometer over the dims, `es` bytes per element. */
function gather(src: Uint8Array, out: Uint8Array, es: number, offset: number, size: readonly number[], stride: readonly number[]): void {
  const nd = size.length;
  const idx = new Array<number>(nd).fill(0);
  let pos = offset;
  const numel = out.length / es;
  for (let i = 0; i < numel; i++) {
    const s = pos * es;
    const o = i * es;
    for (let b = 0; b < es; b++) out[o + b] = src[s + b]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      pos += stride[d]!;
      if (idx[d]! < size[d]!) break;
      pos -= stride[d]! * size[d]!;
      idx[d] = 0;
    }
  }
}

/**
 * Reads a state dict saved by `torch.save(model.state_dict(), path)` (`.pt` / `.pth`): a record of
 * tensors in the OrderedDict's order (its `_metadata` attribute is ignored). int64 buffers load as
 * int32 with a range check; float16 and bfloat16 as float32. Strided (non-contiguous) tensors are
 * copied out of their storages. Refuses anything but tensors, as `torch.load(weights_only=True)`.
 * For other saved objects (`{'model': …, 'epoch': 3}`) use `loadPtObject`.
 */
export async function loadPt(input: Uint8Array | ArrayBuffer | string, options: LoadPtOptions = {}): Promise<Record<string, Tensor>> {
  const bytes = await readInput(input, 'loadPt');
  const { archive, value } = await openArchive(bytes);
  if (!(value instanceof Map)) {
    throw fail(`loadPt: the file holds a ${typeName(value)}, not a state dict; use loadPtObject to read other objects`);
  }
  for (const [k, v] of value) {
    if (typeof k !== 'string') throw fail(`loadPt: state dict key ${String(k)} is a ${typeName(k)}, not a str`);
    if (!(v instanceof TensorRecord)) {
      throw fail(`loadPt: state dict entry '${k}' is a ${typeName(v)}, not a tensor; use loadPtObject to read nested objects`);
    }
  }
  const records = value as Map<string, TensorRecord>;
  checkMaterialized([...records].map(([k, v]) => [v, k]), materializeLimit(options, bytes.length, 'loadPt'), bytes.length, 'loadPt');
  const out: Record<string, Tensor> = {};
  try {
    for (const [k, v] of records) defineEntry(out, k, await materialize(archive, v, k, options.device ?? 'cpu'));
  } catch (err) {
    for (const t of Object.values(out)) t.dispose();
    throw err;
  }
  return out;
}

/** The distinct tensors reachable from `value`, each with the path `loadPtObject` names it by. */
function reachableTensors(value: unknown): Map<TensorRecord, string> {
  const found = new Map<TensorRecord, string>();
  const seen = new Set<object>();
  const visit = (v: unknown, path: string, depth: number): void => {
    // Deeper nesting is refused by the conversion that follows.
    if (depth > MAX_DEPTH || v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof TensorRecord) found.set(v, path || 'the top level');
    else if (Array.isArray(v) || v instanceof PyTuple) (Array.isArray(v) ? v : v.items).forEach((x, i) => visit(x, `${path}[${i}]`, depth + 1));
    else if (v instanceof Set) for (const x of v) visit(x, `${path}{}`, depth + 1);
    else if (v instanceof Map) {
      const allStrings = [...v.keys()].every((k) => typeof k === 'string');
      for (const [k, x] of v) {
        if (allStrings) visit(x, path ? `${path}.${k as string}` : (k as string), depth + 1);
        else {
          visit(k, `${path}<key>`, depth + 1);
          visit(x, `${path}[${String(k)}]`, depth + 1);
        }
      }
    }
  };
  visit(value, '', 0);
  return found;
}

/**
 * Reads any object that `torch.load(path, weights_only=True)` would accept, as plain JavaScript:
 * dicts with string keys → objects (other keys → `Map`), lists and tuples → arrays, sets → `Set`,
 * ints beyond 2^53 → `bigint`, bytes → `Uint8Array`, tensors → `Tensor`. An object the file
 * references several times (or from inside itself) loads once and is shared, as in Python.
 */
export async function loadPtObject(input: Uint8Array | ArrayBuffer | string, options: LoadPtOptions = {}): Promise<unknown> {
  const bytes = await readInput(input, 'loadPtObject');
  const limit = materializeLimit(options, bytes.length, 'loadPtObject');
  const { archive, value } = await openArchive(bytes);
  checkMaterialized(reachableTensors(value), limit, bytes.length, 'loadPtObject');
  const created: Tensor[] = [];
  // Each pickled object converts once and every reference gets that same result, as pickle's memo
  // shares it: a DAG of shared lists stays linear in size (converting per reference is exponential),
  // and a list that holds itself is registered before its items are converted.
  const converted = new Map<object, unknown>();
  const device = options.device ?? 'cpu';

  const convert = async (v: unknown, path: string, depth: number): Promise<unknown> => {
    const where = path || 'the top level';
    if (depth > MAX_DEPTH) throw fail(`loadPtObject: nesting deeper than ${MAX_DEPTH} at ${where}`);
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof Uint8Array) return v;
    if (converted.has(v)) return converted.get(v);
    if (v instanceof TensorRecord) {
      const t = await materialize(archive, v, where, device);
      created.push(t);
      converted.set(v, t);
      return t;
    }
    if (v instanceof PyGlobal) throw fail(`loadPtObject: ${where} holds the global ${v.qualified}, which cannot be loaded as data`);
    if (v instanceof StorageRef) throw fail(`loadPtObject: ${where} holds a bare storage, which is not supported`);
    if (Array.isArray(v) || v instanceof PyTuple) {
      const items = Array.isArray(v) ? v : v.items;
      const out: unknown[] = [];
      converted.set(v, out);
      for (let i = 0; i < items.length; i++) out.push(await convert(items[i], `${path}[${i}]`, depth + 1));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set<unknown>();
      converted.set(v, out);
      for (const x of v) out.add(await convert(x, `${path}{}`, depth + 1));
      return out;
    }
    if (v instanceof Map) {
      if ([...v.keys()].every((k) => typeof k === 'string')) {
        const out: Record<string, unknown> = {};
        converted.set(v, out);
        for (const [k, x] of v) defineEntry(out, k as string, await convert(x, path ? `${path}.${k as string}` : (k as string), depth + 1));
        return out;
      }
      const out = new Map<unknown, unknown>();
      converted.set(v, out);
      for (const [k, x] of v) out.set(await convert(k, `${path}<key>`, depth + 1), await convert(x, `${path}[${String(k)}]`, depth + 1));
      return out;
    }
    throw fail(`loadPtObject: ${where} holds an unsupported ${typeName(v)}`);
  };

  try {
    return await convert(value, '', 0);
  } catch (err) {
    for (const t of created) t.dispose();
    throw err;
  }
}
