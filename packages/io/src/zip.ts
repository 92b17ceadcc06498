/**
 * A minimal, defensive zip reader for PyTorch's archives (stored or deflated entries, zip64
 * sizes and offsets). Every offset and size is bounds-checked; a broken archive raises the
 * caller's error type with a message naming the problem. Entries' CRC-32s are verified.
 */
import { crc32 } from './crc32.js';
import type { ErrorFactory } from './elements.js';
import { nodeBuiltin } from './files.js';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** Absolute offset of the entry's (compressed) data. */
  dataStart: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function u64(dv: DataView, at: number, what: string, fail: ErrorFactory): number {
  const lo = dv.getUint32(at, true);
  const hi = dv.getUint32(at + 4, true);
  const v = hi * 2 ** 32 + lo;
  if (!Number.isSafeInteger(v)) throw fail(`zip: ${what} ${v} is too large`);
  return v;
}

/** True when `bytes` starts like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Reads the central directory: entry name → entry, in directory order. */
export function readZipDirectory(bytes: Uint8Array, fail: ErrorFactory): Map<string, ZipEntry> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  if (len < 22) throw fail(`zip: file is ${len} bytes, too small for a zip archive (truncated?)`);
  let eocd = -1;
  for (let i = len - 22; i >= Math.max(0, len - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === EOCD && i + 22 + dv.getUint16(i + 20, true) <= len) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail('zip: end-of-central-directory record not found (file truncated or not a zip archive)');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== EOCD64_LOCATOR) throw fail('zip: zip64 end-of-central-directory locator missing');
    const at = u64(dv, loc + 8, 'zip64 record offset', fail);
    if (at + 56 > len || dv.getUint32(at, true) !== EOCD64) throw fail('zip: zip64 end-of-central-directory record missing or out of bounds');
    count = u64(dv, at + 32, 'entry count', fail);
    cdSize = u64(dv, at + 40, 'central directory size', fail);
    cdOffset = u64(dv, at + 48, 'central directory offset', fail);
  }
  if (cdOffset + cdSize > len) throw fail(`zip: central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the ${len}-byte file (truncated?)`);
  if (count * 46 > cdSize) throw fail(`zip: central directory of ${cdSize} bytes cannot hold ${count} entries`);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let p = cdOffset;
  const end = cdOffset + cdSize;
  for (let k = 0; k < count; k++) {
    if (p + 46 > end || dv.getUint32(p, true) !== CENTRAL) throw fail(`zip: central directory entry ${k} is corrupt`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > end) throw fail(`zip: central directory entry ${k} runs past the directory`);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: present fields replace the 0xffffffff placeholders, in order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const sz = dv.getUint16(e + 2, true);
      if (e + 4 + sz > extraEnd) break;
      if (id === 0x0001) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + sz) throw fail(`zip: entry '${name}' has a short zip64 extra field`);
          const v = u64(dv, q, 'zip64 field', fail);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      e += 4 + sz;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (flags & 1) throw fail(`zip: entry '${name}' is encrypted`);
    if (method !== 0 && method !== 8) throw fail(`zip: entry '${name}' uses compression method ${method} (only stored and deflate are supported)`);
    if (localOffset + 30 > len || dv.getUint32(localOffset, true) !== LOCAL) throw fail(`zip: local header of entry '${name}' is missing or corrupt`);
    const dataStart = localOffset + 30 + dv.getUint16(localOffset + 26, true) + dv.getUint16(localOffset + 28, true);
    if (dataStart + compressedSize > len) {
      throw fail(`zip: entry '${name}' ([${dataStart}, ${dataStart + compressedSize})) runs past the ${len}-byte file (truncated?)`);
    }
    if (method === 0 && size !== compressedSize) throw fail(`zip: stored entry '${name}' has size ${size} but ${compressedSize} stored bytes`);
    // Deflate expands at most ~1032:1, so a larger declared size is a lie (or a zip bomb).
    if (method === 8 && size > compressedSize * 1032 + 1024) {
      throw fail(`zip: entry '${name}' declares ${size} bytes from ${compressedSize} compressed bytes, more than deflate can produce (corrupt file or zip bomb)`);
    }
    entries.set(name, { name, method, compressedSize, size, crc, dataStart });
  }
  return entries;
}

/** An entry's uncompressed bytes, CRC-checked. Stored entries are returned as a view (no copy). */
export async function readZipEntry(bytes: Uint8Array, entry: ZipEntry, fail: ErrorFactory): Promise<Uint8Array> {
  const raw = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  const data = entry.method === 0 ? raw : await inflateRaw(raw, entry.size, entry.name, fail);
  if (data.length !== entry.size) throw fail(`zip: entry '${entry.name}' inflated to ${data.length} bytes, expected ${entry.size}`);
  if (crc32(data) !== entry.crc) throw fail(`zip: entry '${entry.name}' fails its CRC-32 check (file corrupt)`);
  return data;
}


/** Raw-deflate decompression bounded to `expected` bytes: node:zlib in Node, DecompressionStream elsewhere. */
async function inflateRaw(data: Uint8Array, expected: number, name: string, fail: ErrorFactory): Promise<Uint8Array> {
  const zlib = nodeBuiltin<typeof import('node:zlib')>('node:zlib');
  if (zlib) {
    try {
      const out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, expected) });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      throw fail(`zip: entry '${name}' cannot be inflated: ${(e as Error).message}`);
    }
  }
  return inflateRawWeb(data, expected, name, fail);
}

/** The browser path of `inflateRaw`: `DecompressionStream('deflate-raw')`, stopped at `expected` bytes. */
export async function inflateRawWeb(data: Uint8Array, expected: number, name: string, fail: ErrorFactory): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') throw fail(`zip: entry '${name}' is deflate-compressed and this runtime has no DecompressionStream`);
  try {
    const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate-raw' as CompressionFormat));
    const reader = stream.getReader();
    const out = new Uint8Array(expected);
    let at = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.length > expected) {
        await reader.cancel();
        throw new Error(`inflates past its declared ${expected} bytes`);
      }
      out.set(value, at);
      at += value.length;
    }
    return out.subarray(0, at);
  } catch (e) {
    throw fail(`zip: entry '${name}' cannot be inflated: ${(e as Error).message}`);
  }
}
