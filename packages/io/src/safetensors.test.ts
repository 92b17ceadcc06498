import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryStats, tensor, type Tensor } from '@torchlet/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsError, encodeSafetensors, loadSafetensors, parseSafetensorsHeader, saveSafetensors } from './index.js';

const DATA = fileURLToPath(new URL('../test-data/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'torchlet-io-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Whether /usr/bin/python3 can import torch (the cross-check's oracle). */
function pythonTorch(): string | null {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `/usr/bin/python3 is not available (${r.error.message})`;
  if (r.status !== 0) return '/usr/bin/python3 cannot import torch (apt-get install -y python3-torch)';
  return null;
}
const noTorch = pythonTorch();

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data(), Number);
}

/** A safetensors file from a header object and a data buffer (for malformed-input tests). */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function disposeAll(ts: Record<string, Tensor>): void {
  for (const t of Object.values(ts)) t.dispose();
}

describe('loadSafetensors', () => {
  it('loads every dtype of a file written with PyTorch, with its metadata', async () => {
    const expected = JSON.parse(readFileSync(join(DATA, 'pytorch-dtypes.json'), 'utf8'));
    const { tensors, metadata } = await loadSafetensors(join(DATA, 'pytorch-dtypes.safetensors'));
    expect(metadata).toEqual(expected.metadata);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(expected.tensors).sort());
    const loadedAs: Record<string, string> = { float16: 'float32', bfloat16: 'float32', int64: 'int32', uint8: 'int32' };
    for (const [name, exp] of Object.entries<{ dtype: string; shape: number[]; values: (number | boolean)[] }>(expected.tensors)) {
      const t = tensors[name]!;
      expect(t.dtype, name).toBe(loadedAs[exp.dtype] ?? exp.dtype);
      expect(t.shape, name).toEqual(exp.shape);
      expect(await values(t), name).toEqual(exp.values.map(Number));
    }
    disposeAll(tensors);
  });

  it('accepts bytes as well as paths (the browser path), and ArrayBuffers', async () => {
    const bytes = new Uint8Array(readFileSync(join(DATA, 'pytorch-dtypes.safetensors')));
    const a = await loadSafetensors(bytes);
    const b = await loadSafetensors(bytes.slice().buffer);
    expect(Object.keys(a.tensors)).toEqual(Object.keys(b.tensors));
    disposeAll(a.tensors);
    disposeAll(b.tensors);
  });

  it('returns tensors in file (offset) order', async () => {
    const bytes = readFileSync(join(DATA, 'pytorch-dtypes.safetensors'));
    const header = parseSafetensorsHeader(new Uint8Array(bytes));
    const { tensors } = await loadSafetensors(new Uint8Array(bytes));
    expect(Object.keys(tensors)).toEqual(header.entries.map((e) => e.name));
    disposeAll(tensors);
  });

  it('refuses an I64 value outside int32, naming the tensor and the value', async () => {
    const before = memoryStats().liveTensors;
    await expect(loadSafetensors(join(DATA, 'int64-overflow.safetensors'))).rejects.toThrow(
      /tensor 'big': I64 value 1099511627776 does not fit in int32/,
    );
    expect(memoryStats().liveTensors).toBe(before);
  });

  it('loads unaligned input buffers', async () => {
    const file = readFileSync(join(DATA, 'pytorch-dtypes.safetensors'));
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    const { tensors } = await loadSafetensors(shifted.subarray(3));
    expect(await values(tensors.f64!)).toEqual([1 / 3, -2.5, 1e300]);
    disposeAll(tensors);
  });
});

describe('safetensors header validation', () => {
  const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', () => new Uint8Array(5), /too small .*HeaderTooSmall/],
    [
      'a header length above 100 MB',
      () => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setUint32(0, 100_000_001, true);
        return b;
      },
      /exceeds the 100000000-byte limit \(HeaderTooLarge\)/,
    ],
    [
      'a header length with the high word set',
      () => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setUint32(4, 1, true);
        return b;
      },
      /HeaderTooLarge/,
    ],
    ['a header running past the end', () => craft({}).subarray(0, 9), /runs past the end .*InvalidHeaderLength/],
    ['a header that is not UTF-8', () => craft(null, undefined, '{"\xff"}').map((x, i) => (i === 10 ? 0xff : x)), /not valid UTF-8/],
    ['a header that is not JSON', () => craft(null, undefined, '{"a": '), /not valid JSON/],
    ['a header that is not an object', () => craft(null, undefined, '[1, 2]'), /does not start with '\{'/],
    ['an unknown dtype', () => craft({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, f32(1)), /tensor 'a': unknown dtype "Q7"/],
    ['a bad shape', () => craft({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /tensor 'a': shape must be/],
    ['missing data_offsets', () => craft({ a: { dtype: 'F32', shape: [1] } }, f32(1)), /tensor 'a': data_offsets must be/],
    [
      'overlapping tensors',
      () =>
        craft(
          { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
          f32(3),
        ),
      /tensor 'b': invalid data_offsets \[4, 12\]: begin 4 overlaps .*InvalidOffset/,
    ],
    [
      'a gap between tensors',
      () =>
        craft(
          { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
          f32(3),
        ),
      /tensor 'b': .*leaves a gap/,
    ],
    ['end before begin', () => craft({ a: { dtype: 'F32', shape: [0], data_offsets: [0, 0] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)), /InvalidOffset/],
    [
      'shape × dtype size different from the byte length',
      () => craft({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)),
      /tensor 'a': shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8 \(TensorInvalidInfo\)/,
    ],
    ['a data buffer shorter than the tensors (truncated file)', () => craft({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(3)), /truncated/],
    ['trailing bytes after the last tensor', () => craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /trailing bytes/],
    ['a non-string metadata value', () => craft({ __metadata__: { a: 1 } }), /__metadata__ value for 'a' must be a string/],
    [
      'a tensor named twice (JSON.parse would keep the last silently)',
      () => craft(null, f32(2), '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'),
      /header has the key "w" twice \(InvalidHeaderDeserialization\)/,
    ],
    [
      'a duplicate written with an escape, after a value holding braces and quotes',
      () => craft(null, f32(1), '{"__metadata__":{"note":"{\\"w\\": [,]}"}, "w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "\\u0077":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}'),
      /header has the key "w" twice/,
    ],
    ['a field given twice in a tensor entry', () => craft(null, f32(1), '{"w":{"dtype":"F32","shape":[1],"dtype":"F64","data_offsets":[0,4]}}'), /header entry "w" has the key "dtype" twice/],
    ['a metadata key given twice', () => craft(null, undefined, '{"__metadata__":{"a":"1","b":["x"],"a":"2"}}'), /header entry "__metadata__" has the key "a" twice/],
    ['an overflowing shape', () => craft({ a: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, f32(2)), /overflows|TensorInvalidInfo/],
  ];
  for (const [what, make, message] of cases) {
    it(`refuses ${what}`, async () => {
      const before = memoryStats().liveTensors;
      const err = await loadSafetensors(make()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as Error).message).toMatch(message);
      expect(memoryStats().liveTensors).toBe(before);
    });
  }

  it('accepts the same key in different objects', async () => {
    const file = craft(null, f32(1), '{"__metadata__":{"w":"meta","dtype":"x"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    const { tensors, metadata } = await loadSafetensors(file);
    expect(metadata).toEqual({ w: 'meta', dtype: 'x' });
    expect(tensors.w!.shape).toEqual([1]);
    disposeAll(tensors);
  });

  it('refuses every truncation of a valid file', async () => {
    const file = new Uint8Array(readFileSync(join(DATA, 'pytorch-dtypes.safetensors')));
    for (let n = 0; n < file.length; n += 7) {
      await expect(loadSafetensors(file.subarray(0, n)), `length ${n}`).rejects.toBeInstanceOf(SafetensorsError);
    }
  });

  it('accepts an empty file with metadata only, and unsorted header entries', async () => {
    const empty = await loadSafetensors(craft({ __metadata__: { k: 'v' } }));
    expect(empty).toEqual({ tensors: {}, metadata: { k: 'v' } });
    const unsorted = craft(
      { b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
      new Uint8Array(new Float32Array([1, 2]).buffer),
    );
    const { tensors } = await loadSafetensors(unsorted);
    expect(Object.keys(tensors)).toEqual(['a', 'b']);
    expect(await values(tensors.b!)).toEqual([2]);
    disposeAll(tensors);
  });

  it('keeps a tensor named __proto__ as an own entry', async () => {
    const bytes = craft(null, new Uint8Array(4), '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    const { tensors } = await loadSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    disposeAll(tensors);
  });
});

describe('saveSafetensors', () => {
  it('round-trips float32, float64, int32 and bool tensors with metadata', async () => {
    const src = {
      w: tensor([[1.5, -2], [3, 4.25]]),
      d: tensor(new Float64Array([Math.PI, -1e-300])),
      i: tensor(new Int32Array([1, -2, 2147483647])),
      b: tensor([true, false]),
      s: tensor(new Float32Array([7]), { shape: [] }),
    };
    const bytes = await saveSafetensors(src, undefined, { step: '3' });
    const { tensors, metadata } = await loadSafetensors(bytes);
    expect(metadata).toEqual({ step: '3' });
    for (const [k, t] of Object.entries(src)) {
      expect(tensors[k]!.dtype).toBe(t.dtype);
      expect(tensors[k]!.shape).toEqual(t.shape);
      expect(await values(tensors[k]!)).toEqual(await values(t));
    }
    disposeAll(tensors);
    disposeAll(src);
  });

  it('lays files out as the reference serializer does (dtype alignment, then name; 8-byte header)', async () => {
    const src = { b: tensor([1, 2]), a: tensor([true]), c: tensor(new Float64Array([1])), a2: tensor([3]) };
    const bytes = await saveSafetensors(src);
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    expect(parseSafetensorsHeader(bytes).entries.map((e) => e.name)).toEqual(['c', 'a2', 'b', 'a']);
    disposeAll(src);
  });

  it('matches the reference serializer byte for byte', () => {
    // safetensors' own test: {"attn.0": F32 [1, 2, 3] = 0..5}
    const data = new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer);
    const out = encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data } });
    expect(Array.from(out.subarray(0, 8))).toEqual([64, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(out.subarray(8, 72))).toBe('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'.padEnd(64, ' '));
    const empty = encodeSafetensors({}, { framework: 'pt' });
    expect(Array.from(empty)).toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode('{"__metadata__":{"framework":"pt"}}     ')]);
  });

  it('writes int32 as I64 with { int64 } (all, or by name) and reads it back as int32', async () => {
    const src = { n: tensor(new Int32Array([5])), idx: tensor(new Int32Array([-3, 4])), w: tensor([1]) };
    const all = parseSafetensorsHeader(await saveSafetensors(src, undefined, undefined, { int64: true }));
    expect(Object.fromEntries(all.entries.map((e) => [e.name, e.dtype]))).toEqual({ n: 'I64', idx: 'I64', w: 'F32' });
    const some = await saveSafetensors(src, undefined, undefined, { int64: ['n'] });
    expect(Object.fromEntries(parseSafetensorsHeader(some).entries.map((e) => [e.name, e.dtype]))).toEqual({ n: 'I64', idx: 'I32', w: 'F32' });
    const map = await saveSafetensors(src, undefined, undefined, { int64: { idx: true } });
    const { tensors } = await loadSafetensors(map);
    expect(tensors.idx!.dtype).toBe('int32');
    expect(await values(tensors.idx!)).toEqual([-3, 4]);
    await expect(saveSafetensors(src, undefined, undefined, { int64: ['w'] })).rejects.toThrow(/'w': int64 was requested but the tensor is float32/);
    disposeAll(tensors);
    disposeAll(src);
  });

  it('writes non-contiguous tensors in row-major order', async () => {
    const base = tensor([[1, 2, 3], [4, 5, 6]]);
    const { viewOf } = await import('@torchlet/tensor');
    const t = viewOf(base, [3, 2], [1, 3], 0); // transpose
    const { tensors } = await loadSafetensors(await saveSafetensors({ t }));
    expect(await values(tensors.t!)).toEqual([1, 4, 2, 5, 3, 6]);
    disposeAll(tensors);
    t.dispose();
    base.dispose();
  });

  it('writes atomically to a path and leaves no temporary files', async () => {
    const path = join(tmp, 'atomic.safetensors');
    writeFileSync(path, 'old contents');
    const src = { x: tensor([1, 2, 3]) };
    const bytes = await saveSafetensors(src, path, { a: 'b' });
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const { tensors } = await loadSafetensors(path);
    expect(await values(tensors.x!)).toEqual([1, 2, 3]);
    disposeAll(tensors);
    disposeAll(src);
  });

  it('refuses non-string metadata and non-tensor values', async () => {
    const src = { x: tensor([1]) };
    await expect(saveSafetensors(src, undefined, { a: 1 as unknown as string })).rejects.toThrow(/metadata value for 'a' must be a string/);
    await expect(saveSafetensors({ x: [1, 2] as unknown as Tensor })).rejects.toThrow(/value for 'x' is not a Tensor/);
    disposeAll(src);
  });
});

describe('PyTorch cross-check', () => {
  it.skipIf(noTorch !== null)(`a file written here loads in PyTorch with the same values${noTorch ? ` (skipped: ${noTorch})` : ''}`, async () => {
    const src = {
      'layer.weight': tensor([[0.1, -0.2, 0.3], [1e-8, 3.4e38, -0]]),
      'layer.double': tensor(new Float64Array([1 / 3, -2.5e-310])),
      'bn.num_batches_tracked': tensor(new Int32Array([7]), { shape: [] }),
      idx: tensor(new Int32Array([-2147483648, 2147483647, 0])),
      mask: tensor([true, false, true]),
      empty: tensor(new Float32Array(0), { shape: [0, 4] }),
    };
    const path = join(tmp, 'cross.safetensors');
    await saveSafetensors(src, path, { framework: 'torchlet' }, { int64: ['bn.num_batches_tracked'] });
    const expected: Record<string, unknown> = {};
    const torchDType: Record<string, string> = { float32: 'float32', float64: 'float64', int32: 'int32', bool: 'bool' };
    for (const [k, t] of Object.entries(src)) {
      const vals = await values(t);
      expected[k] = {
        dtype: k === 'bn.num_batches_tracked' ? 'int64' : torchDType[t.dtype],
        shape: t.shape,
        values: t.dtype === 'bool' ? vals.map(Boolean) : vals,
      };
    }
    const expPath = join(tmp, 'cross.json');
    writeFileSync(expPath, JSON.stringify(expected));
    const out = execFileSync('/usr/bin/python3', [join(DATA, 'check_safetensors.py'), path, expPath], { encoding: 'utf8' });
    expect(out).toMatch(/^OK /);
    disposeAll(src);
  });

  it('does not import node: modules at the top level (browser bundles)', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts') && !x.endsWith('.test.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src, f).not.toMatch(/^import[^;]*from '(node:|fs|path|zlib)/m);
    }
  });
});
