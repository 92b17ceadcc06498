import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryStats, type Tensor } from '@torchlet/tensor';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { PickleError, loadPt, loadPtObject } from './index.js';
import { StorageRef, unpickle } from './pickle.js';
import { readZipDirectory, readZipEntry } from './zip.js';

const DATA = fileURLToPath(new URL('../test-data/', import.meta.url));
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DATA, name)));

interface Expected {
  dtype: string;
  shape: number[];
  values: (number | boolean)[];
}

const LOADED_AS: Record<string, string> = { float16: 'float32', bfloat16: 'float32', int64: 'int32', int16: 'int32', int8: 'int32', uint8: 'int32' };

async function expectMatches(sd: Record<string, Tensor>, expected: Record<string, Expected>): Promise<void> {
  expect(Object.keys(sd)).toEqual(Object.keys(expected));
  for (const [k, exp] of Object.entries(expected)) {
    const t = sd[k]!;
    expect(t.dtype, k).toBe(LOADED_AS[exp.dtype] ?? exp.dtype);
    expect(t.shape, k).toEqual(exp.shape);
    expect(Array.from(await t.data(), Number), k).toEqual(exp.values.map(Number));
  }
}

function disposeAll(ts: Record<string, Tensor>): void {
  for (const t of Object.values(ts)) t.dispose();
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('expected a rejection');
  return e;
}

describe('loadPt: state dicts written by torch.save', () => {
  const model = JSON.parse(readFileSync(join(DATA, 'model.json'), 'utf8')) as { keys: string[]; tensors: Record<string, Expected> };

  it('loads a model state dict in OrderedDict order, with the int64 buffer as int32', async () => {
    const sd = await loadPt(join(DATA, 'model.pt'));
    expect(Object.keys(sd)).toEqual(model.keys);
    await expectMatches(sd, model.tensors);
    expect(sd['bn.num_batches_tracked']!.dtype).toBe('int32');
    expect(sd['bn.num_batches_tracked']!.shape).toEqual([]);
    expect(Array.from(await sd['bn.num_batches_tracked']!.data())).toEqual([3]);
    disposeAll(sd);
  });

  it('copies strided views out of shared storages (a transpose, and a slice with an offset)', async () => {
    const sd = await loadPt(read('model.pt'));
    // transposed = arange(12).reshape(3, 4).t(); strided = arange(20).reshape(4, 5)[1:3, ::2]
    expect(Array.from(await sd.transposed!.data())).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(Array.from(await sd.strided!.data())).toEqual([5, 7, 9, 10, 12, 14]);
    expect(sd.transposed!.isContiguous()).toBe(true);
    disposeAll(sd);
  });

  it('reads pickle protocol 4 and deflate-compressed archives', async () => {
    for (const file of ['model-proto4.pt', 'model-deflate.pt']) {
      const sd = await loadPt(join(DATA, file));
      await expectMatches(sd, model.tensors);
      disposeAll(sd);
    }
  });

  it('loads every storage dtype (half and bfloat16 as float32, small ints and int64 as int32)', async () => {
    const { tensors } = JSON.parse(readFileSync(join(DATA, 'dtypes.json'), 'utf8')) as { tensors: Record<string, Expected> };
    const sd = await loadPt(join(DATA, 'dtypes.pt'));
    await expectMatches(sd, tensors);
    disposeAll(sd);
  });

  it('reads whole checkpoints with loadPtObject, and loadPt says to use it', async () => {
    const obj = (await loadPtObject(join(DATA, 'checkpoint.pt'))) as Record<string, unknown>;
    expect(Object.keys(obj)).toEqual(['model', 'epoch', 'lr', 'history', 'name', 'done', 'extra', 'pair', 'big']);
    expect(obj).toMatchObject({ epoch: 3, lr: 0.1, history: [1.5, 0.5], name: 'run', done: false, extra: null, pair: [1, 'two'], big: 2n ** 70n });
    const sd = obj.model as Record<string, Tensor>;
    await expectMatches(sd, model.tensors);
    disposeAll(sd);
    await expect(loadPt(join(DATA, 'checkpoint.pt'))).rejects.toThrow(/state dict entry 'model' is a dict, not a tensor; use loadPtObject/);
  });
});

describe('loadPt: refuses malicious and broken files', () => {
  it('refuses a torch.save of an object whose __reduce__ is os.system', async () => {
    const e = await rejection(loadPt(join(DATA, 'evil-reduce.pt')));
    expect(e).toBeInstanceOf(PickleError);
    expect(e.message).toMatch(/^Unsupported global: GLOBAL posix\.system was not an allowed global by default/);
    await expect(loadPtObject(join(DATA, 'evil-reduce.pt'))).rejects.toThrow(/Unsupported global: GLOBAL posix\.system/);
  });

  it('refuses a crafted GLOBAL os.system + REDUCE pickle', async () => {
    await expect(loadPt(join(DATA, 'evil-global.pt'))).rejects.toThrow(/^Unsupported global: GLOBAL os\.system/);
  });

  it('refuses a crafted protocol-4 STACK_GLOBAL builtins.eval pickle', async () => {
    await expect(loadPt(join(DATA, 'evil-stack-global.pt'))).rejects.toThrow(/^Unsupported global: STACK_GLOBAL builtins\.eval/);
  });

  it('refuses files that are not torch.save archives', async () => {
    await expect(loadPt(new Uint8Array(0))).rejects.toThrow(/not a PyTorch file/);
    await expect(loadPt(new TextEncoder().encode('hello world'))).rejects.toThrow(/not a PyTorch file/);
    await expect(loadPt(new Uint8Array([0x80, 2, 0x4e, 0x2e]))).rejects.toThrow(/legacy torch\.save format/);
    await expect(loadPt(read('pytorch-dtypes.safetensors'))).rejects.toThrow(/not a PyTorch file/);
  });

  it('names a storage missing from the archive', async () => {
    const file = read('model.pt');
    const text = Buffer.from(file).toString('latin1').replaceAll('model/data/1', 'model/data/X');
    await expect(loadPt(new Uint8Array(Buffer.from(text, 'latin1')))).rejects.toThrow(/storage '1' is missing from the archive/);
  });

  it('detects corrupted storage bytes by their CRC-32', async () => {
    const file = read('model.pt');
    const at = Buffer.from(file).indexOf('model/data/0') + 'model/data/0'.length; // local header name → data follows after padding
    const corrupt = file.slice();
    // flip a byte inside the first storage's data (PyTorch aligns data to 64 bytes)
    const dataStart = Math.ceil((at + 4) / 64) * 64;
    corrupt[dataStart] = corrupt[dataStart]! ^ 0x40;
    await expect(loadPt(corrupt)).rejects.toThrow(/CRC-32/);
  });

  it('refuses a deflated entry that declares more bytes than deflate can produce (zip bomb)', async () => {
    const file = read('model-deflate.pt');
    const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
    let at = file.length - 22;
    while (dv.getUint32(at, true) !== 0x06054b50) at--;
    const cd = dv.getUint32(at + 16, true); // first central directory entry
    dv.setUint32(cd + 24, 0x7fffffff, true);
    await expect(loadPt(file)).rejects.toThrow(/declares 2147483647 bytes from \d+ compressed bytes, more than deflate can produce/);
  });

  it('refuses every truncation of a valid file with a PickleError', async () => {
    const file = read('model.pt');
    const before = memoryStats().liveTensors;
    for (let n = 0; n < file.length; n += 13) {
      const e = await rejection(loadPt(file.subarray(0, n)));
      expect(e, `length ${n}: ${e.message}`).toBeInstanceOf(PickleError);
    }
    expect(memoryStats().liveTensors).toBe(before);
  });

  it('survives random byte flips: a PickleError or a clean load, never a crash or a hang', async () => {
    let seed = 987654321;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    const before = memoryStats().liveTensors;
    for (const name of ['model.pt', 'model-proto4.pt', 'model-deflate.pt']) {
      const file = read(name);
      for (let trial = 0; trial < 150; trial++) {
        const bad = file.slice();
        for (let k = 0; k <= rand(4); k++) bad[rand(bad.length)] = rand(256);
        try {
          disposeAll(await loadPt(bad));
        } catch (e) {
          if (!(e instanceof PickleError)) throw new Error(`${name} trial ${trial}: ${String(e)}`, { cause: e });
        }
      }
    }
    expect(memoryStats().liveTensors).toBe(before);
  });
});

// ---- crafted archives ----------------------------------------------------------------------

/** A stored (uncompressed) zip archive, as torch.save writes. */
function makeZip(entries: Record<string, Uint8Array>): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(entries)) {
    const n = enc.encode(name);
    const crc = crc32(data);
    const local = new Uint8Array(30 + n.length + data.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, n.length, true);
    local.set(n, 30);
    local.set(data, 30 + n.length);
    const central = new Uint8Array(46 + n.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, n.length, true);
    cv.setUint32(42, offset, true);
    central.set(n, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, centrals.length, true);
  ev.setUint16(10, centrals.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let at = 0;
  for (const part of [...locals, ...centrals, eocd]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const ascii = (...parts: (string | number[])[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const binint = (v: number): number[] => [0x4a, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const str = (s: string): (string | number[])[] => [[0x58, s.length, 0, 0, 0], s];

/** data.pkl of `{'t': _rebuild_tensor_v2(storage '0' of `numel` elements, offset, size, stride)}`. */
function tensorPickle(numel: number, offset: number, size: number[], stride: number[], storageType = 'FloatStorage'): Uint8Array {
  return ascii(
    [0x80, 2, 0x7d, 0x28],
    ...str('t'),
    'ctorch._utils\n_rebuild_tensor_v2\n',
    [0x28, 0x28],
    ...str('storage'),
    `ctorch\n${storageType}\n`,
    ...str('0'),
    ...str('cpu'),
    binint(numel),
    [0x74, 0x51],
    binint(offset),
    [0x28],
    ...size.map(binint),
    [0x74, 0x28],
    ...stride.map(binint),
    [0x74, 0x89, 0x7d, 0x74, 0x52, 0x75, 0x2e],
  );
}

function ptFile(pkl: Uint8Array, storage: Uint8Array, extra: Record<string, Uint8Array> = {}): Uint8Array {
  return makeZip({ 'archive/data.pkl': pkl, 'archive/data/0': storage, 'archive/version': ascii('3\n'), ...extra });
}

const f32 = (...v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);

describe('loadPt: crafted archives', () => {
  it('reads a hand-made archive with an expanded (stride-0) view', async () => {
    const sd = await loadPt(ptFile(tensorPickle(2, 1, [2, 3], [0, 0]), f32(1, 2)));
    expect(Array.from(await sd.t!.data())).toEqual([2, 2, 2, 2, 2, 2]);
    disposeAll(sd);
  });

  const bad: [string, () => Uint8Array, RegExp][] = [
    ['a view past the end of its storage', () => ptFile(tensorPickle(4, 2, [2, 2], [2, 1]), f32(1, 2, 3, 4)), /tensor 't' \(offset 2, size \[2, 2\], stride \[2, 1\]\) reaches element 5 of a storage of 4 elements/],
    ['a storage shorter than its declared size', () => ptFile(tensorPickle(8, 0, [8], [1]), f32(1, 2)), /storage '0' holds 8 bytes but 8 elements of FloatStorage need 32/],
    ['a huge size', () => ptFile(tensorPickle(1, 0, [65536, 65536, 65536], [0, 0, 0]), f32(1)), /too large/],
    ['a huge stride-0 expansion', () => ptFile(tensorPickle(1, 0, [1 << 15, 1 << 15], [0, 0]), f32(1)), /4294967296 bytes in memory, more than maxMaterializedBytes .* 't' of size \[32768, 32768\]/],
    ['sizes and strides of different lengths', () => ptFile(tensorPickle(4, 0, [2, 2], [1]), f32(1, 2, 3, 4)), /2 sizes but 1 strides/],
    ['a storage type outside the allow-list', () => ptFile(tensorPickle(1, 0, [1], [1], 'ComplexFloatStorage'), f32(1, 0)), /Unsupported global: GLOBAL torch\.ComplexFloatStorage/],
    ['a big-endian file', () => ptFile(tensorPickle(1, 0, [1], [1]), f32(1), { 'archive/byteorder': ascii('big') }), /byte order is 'big'/],
    ['an archive without data.pkl', () => makeZip({ 'archive/version': ascii('3\n') }), /no data\.pkl/],
    ['an int64 value outside int32, naming the tensor', () => ptFile(tensorPickle(1, 0, [1], [1], 'LongStorage'), new Uint8Array(new BigInt64Array([2n ** 40n]).buffer)), /tensor 't': I64 value 1099511627776 does not fit in int32/],
  ];
  for (const [what, make, message] of bad) {
    it(`refuses ${what}`, async () => {
      const before = memoryStats().liveTensors;
      const e = await rejection(loadPt(make()));
      expect(e).toBeInstanceOf(PickleError);
      expect(e.message).toMatch(message);
      expect(memoryStats().liveTensors).toBe(before);
    });
  }

  it('keeps the restricted unpickler safe on random mutations of a real state-dict pickle', async () => {
    const file = read('model.pt');
    const entries = readZipDirectory(file, (m) => new PickleError(m));
    const pkl = await readZipEntry(file, entries.get('model/data.pkl')!, (m) => new PickleError(m));
    const persistentLoad = (): unknown => new StorageRef('0', 'F32', 'cpu', 12);
    let seed = 42;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    for (let trial = 0; trial < 2000; trial++) {
      const bad = pkl.slice(0, trial % 4 === 0 ? rand(pkl.length) : pkl.length);
      for (let k = 0; k <= rand(3); k++) if (bad.length) bad[rand(bad.length)] = rand(256);
      try {
        unpickle(bad, { persistentLoad });
      } catch (e) {
        if (!(e instanceof PickleError)) throw new Error(`trial ${trial}: ${String(e)}`, { cause: e });
      }
    }
  });
});

describe('zip: deflate without node:zlib (the browser path)', () => {
  it('inflates the deflated archive entries with DecompressionStream', async () => {
    const { deflateRawSync } = await import('node:zlib');
    const { inflateRawWeb } = await import('./zip.js');
    const payload = new TextEncoder().encode('torchlet '.repeat(1000));
    const fail = (m: string) => new PickleError(m);
    const out = await inflateRawWeb(new Uint8Array(deflateRawSync(payload)), payload.length, 'x', fail);
    expect(out).toEqual(payload);
    await expect(inflateRawWeb(new Uint8Array(deflateRawSync(payload)), 100, 'x', fail)).rejects.toThrow(/inflates past its declared 100 bytes/);
    await expect(inflateRawWeb(new Uint8Array([0xff, 0xff, 0xff]), 10, 'x', fail)).rejects.toThrow(PickleError);
  });
});

describe('loadPtObject: shared and recursive references (torch.save files)', () => {
  it('loads a = [a, a] nested 24 deep once per object, keeping the sharing', async () => {
    // 2**24 paths lead to the innermost list; converting per reference would never finish.
    let v = (await loadPtObject(join(DATA, 'dag24.pt'))) as unknown[];
    for (let level = 24; level > 0; level--) {
      expect(v, `level ${level}`).toHaveLength(2);
      expect(v[0], `level ${level}`).toBe(v[1]);
      v = v[0] as unknown[];
    }
    expect(v).toEqual([]);
  });

  it('keeps a list that holds itself, as torch.load does', async () => {
    const c = (await loadPtObject(join(DATA, 'cycle.pt'))) as [Tensor, unknown];
    expect(c[1]).toBe(c);
    expect(Array.from(await c[0].data())).toEqual([1, 2]);
    c[0].dispose();
  });

  it('loads a deeper hand-made DAG (500 levels) and a shared tensor once', async () => {
    // level i: [prev, prev, t], memoised; the tensor t is shared by every level.
    const depth = 500;
    const put = (i: number): number[] => [0x72, i & 0xff, (i >>> 8) & 0xff, 0, 0];
    const get = (i: number): number[] => [0x6a, i & 0xff, (i >>> 8) & 0xff, 0, 0];
    const t = tensorPickle(2, 0, [2], [1]);
    // tensorPickle builds {'t': tensor}; reuse its body (between the dict and SETITEMS) as an item.
    const head = ascii([0x80, 2]);
    const parts: number[][] = [Array.from(head)];
    parts.push(Array.from(t.subarray(2, t.length - 1)), put(1), [0x30]); // the dict {'t': tensor} as memo 1
    parts.push([0x5d], put(2), [0x30]); // level 0: []
    for (let i = 1; i <= depth; i++) parts.push([0x5d], put(i + 2), [0x28], get(i + 1), get(i + 1), get(1), [0x65, 0x30]);
    parts.push(get(depth + 2), [0x2e]);
    const file = ptFile(new Uint8Array(parts.flat()), f32(1, 2));
    let v = (await loadPtObject(file)) as unknown[];
    const shared = v[2];
    for (let level = depth; level > 0; level--) {
      expect(v[0]).toBe(v[1]);
      expect(v[2]).toBe(shared);
      v = v[0] as unknown[];
    }
    expect(v).toEqual([]);
    const tensorOf = (shared as { t: Tensor }).t;
    expect(Array.from(await tensorOf.data())).toEqual([1, 2]);
    tensorOf.dispose();
  });
});

describe('loadPt / loadPtObject: maxMaterializedBytes', () => {
  it('refuses 8 KB of stride-0 expansions that would take 6.7 GB, before allocating, naming the option', async () => {
    const file = read('expand-bomb.pt');
    expect(file.length).toBeLessThan(10_000);
    const before = memoryStats().liveTensors;
    for (const load of [loadPt, loadPtObject]) {
      const e = await rejection(load(file));
      expect(e).toBeInstanceOf(PickleError);
      expect(e.message).toMatch(/would take 6710886400 bytes in memory, more than maxMaterializedBytes \(268435456;/);
      expect(e.message).toMatch(/'x0' of size \[16777216\], takes 67108864 bytes from a storage of 1 elements/);
    }
    expect(memoryStats().liveTensors).toBe(before);
  });

  it('counts shared views of one storage once per view, over the whole file', async () => {
    const pkl = (n: number): Uint8Array => {
      const one = tensorPickle(1, 0, [1 << 16], [0]);
      const body = Array.from(one.subarray(4, one.length - 2)); // 't', _rebuild_tensor_v2(...), without the dict and SETITEMS
      const parts: number[][] = [[0x80, 2, 0x7d, 0x28]];
      for (let i = 0; i < n; i++) parts.push(Array.from(ascii(...str(`x${i}`))), body.slice(Array.from(ascii(...str('t'))).length));
      parts.push([0x75, 0x2e]);
      return new Uint8Array(parts.flat());
    };
    const limit = 3 * 4 * (1 << 16);
    await expect(loadPt(ptFile(pkl(4), f32(7)), { maxMaterializedBytes: limit })).rejects.toThrow(/would take 1048576 bytes in memory, more than maxMaterializedBytes \(786432;/);
    const sd = await loadPt(ptFile(pkl(3), f32(7)), { maxMaterializedBytes: limit });
    expect(Object.keys(sd)).toEqual(['x0', 'x1', 'x2']);
    expect((await sd.x2!.data())[12345]).toBe(7);
    disposeAll(sd);
  });

  it('loads the expansion the default allows, and refuses a bad option value', async () => {
    const sd = await loadPt(ptFile(tensorPickle(1, 0, [1000, 1000], [0, 0]), f32(3)));
    expect(sd.t!.shape).toEqual([1000, 1000]);
    disposeAll(sd);
    await expect(loadPt(ptFile(tensorPickle(1, 0, [4], [0]), f32(3)), { maxMaterializedBytes: 15 })).rejects.toThrow(/16 bytes in memory, more than maxMaterializedBytes \(15;/);
    await expect(loadPt(ptFile(tensorPickle(1, 0, [4], [0]), f32(3)), { maxMaterializedBytes: NaN })).rejects.toThrow(/maxMaterializedBytes must be a non-negative number/);
  });
});
