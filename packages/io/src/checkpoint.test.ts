import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryStats, tensor, type Tensor } from '@torchlet/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32Hex } from './crc32.js';
import {
  CheckpointError,
  PickleError,
  encodeSafetensors,
  load,
  loadBytes,
  loadPtObject,
  loadSafetensors,
  parseSafetensorsHeader,
  save,
  saveBytes,
  type RawTensor,
} from './index.js';

const DATA = fileURLToPath(new URL('../test-data/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'torchlet-io-ckpt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const torchMissing = (() => {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? '/usr/bin/python3 cannot import torch' : null;
})();

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data(), Number);
}

/** A training state with every kind of value a checkpoint holds. */
function trainingState() {
  const w = tensor([[0.5, -1.25], [3, 4]], { requiresGrad: true });
  return {
    model: { 'fc.weight': w, 'fc.bias': tensor(new Float64Array([1 / 3, -0])), 'bn.num_batches_tracked': tensor(new Int32Array([12]), { shape: [] }) },
    optimizer: {
      state: new Map<number, unknown>([[0, { step: 10, exp_avg: tensor([0.1, 0.2]), mask: tensor([true, false]) }]]),
      param_groups: [{ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, params: [0] }],
    },
    tied: w,
    scheduler: { last_epoch: 4, _last_lr: [0.00025], base_lrs: [0.001] },
    epoch: 4,
    metrics: { loss: [2.5, 1.25, NaN], best: Infinity, worst: -Infinity, zero: -0, note: undefined },
    rng: { seed: 0x1234_5678_9abc_def0n, offset: 96, state: new Uint32Array([1, 2, 0xffffffff]) },
    buffers: {
      f32: new Float32Array([1.5, -2]),
      f64: new Float64Array([Math.E]),
      i8: new Int8Array([-128, 127]),
      i16: new Int16Array([-3]),
      i32: new Int32Array([-2147483648]),
      u8: new Uint8Array([0, 255]),
      u8c: new Uint8ClampedArray([9]),
      u16: new Uint16Array([65535]),
      b64: new BigInt64Array([-(2n ** 63n)]),
      bu64: new BigUint64Array([2n ** 64n - 1n]),
      empty: new Float32Array(0),
    },
    name: 'run-1',
    done: false,
    nothing: null,
    tricky: { $torchlet: 'tensor', name: 'not a placeholder' },
    ['__proto__']: 'own key',
    nested: [[1, [2, [3, 'deep']]], {}],
  };
}

function disposeTensors(v: unknown, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (typeof (v as Tensor).dispose === 'function' && 'storage' in (v as object)) {
    (v as Tensor).dispose();
    return;
  }
  const items = v instanceof Map ? [...v.values()] : Object.values(v as object);
  for (const x of items) disposeTensors(x, seen);
}

describe('checkpoints: save / load', () => {
  it('round-trips a training state exactly', async () => {
    const src = trainingState();
    const before = memoryStats().liveTensors;
    const back = (await loadBytes(await saveBytes(src))) as ReturnType<typeof trainingState>;

    expect(back.epoch).toBe(4);
    expect(back.name).toBe('run-1');
    expect(back.done).toBe(false);
    expect(back.nothing).toBeNull();
    expect(back.scheduler).toEqual(src.scheduler);
    expect(back.optimizer.param_groups).toEqual(src.optimizer.param_groups);
    expect(back.metrics.loss).toEqual([2.5, 1.25, NaN]);
    expect(back.metrics.best).toBe(Infinity);
    expect(back.metrics.worst).toBe(-Infinity);
    expect(Object.is(back.metrics.zero, -0)).toBe(true);
    expect('note' in back.metrics && back.metrics.note === undefined).toBe(true);
    expect(back.rng.seed).toBe(0x1234_5678_9abc_def0n);
    expect(back.rng.state).toEqual(new Uint32Array([1, 2, 0xffffffff]));
    for (const [k, arr] of Object.entries(src.buffers)) {
      const got = (back.buffers as Record<string, ArrayBufferView>)[k]!;
      expect(got.constructor, k).toBe(arr.constructor);
      expect(got, k).toEqual(arr);
    }
    expect(back.tricky).toEqual({ $torchlet: 'tensor', name: 'not a placeholder' });
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toBe('own key');
    expect(back.nested).toEqual([[1, [2, [3, 'deep']]], {}]);

    const w = back.model['fc.weight'];
    expect(w.dtype).toBe('float32');
    expect(w.requiresGrad).toBe(true);
    expect(await values(w)).toEqual([0.5, -1.25, 3, 4]);
    expect(back.tied).toBe(w);
    expect(back.model['fc.bias'].dtype).toBe('float64');
    expect(await values(back.model['fc.bias'])).toEqual([1 / 3, -0]);
    expect(back.model['bn.num_batches_tracked'].dtype).toBe('int32');
    expect(back.model['bn.num_batches_tracked'].shape).toEqual([]);
    const st = back.optimizer.state.get(0) as { step: number; exp_avg: Tensor; mask: Tensor };
    expect(back.optimizer.state).toBeInstanceOf(Map);
    expect(st.step).toBe(10);
    expect(await values(st.exp_avg)).toEqual([0.10000000149011612, 0.20000000298023224]);
    expect(st.mask.dtype).toBe('bool');
    expect(await values(st.mask)).toEqual([1, 0]);

    disposeTensors(back);
    expect(memoryStats().liveTensors).toBe(before);
    disposeTensors(src);
  });

  it('writes a standard safetensors file whose tensors are named by their path', async () => {
    const { rng: _rng, buffers: _buffers, ...src } = trainingState(); // (I64 values beyond int32 would not load as int32)
    const bytes = await saveBytes(src);
    const { tensors, metadata } = await loadSafetensors(bytes);
    expect(metadata.format).toBe('torchlet-checkpoint');
    expect(metadata.format_version).toBe('1');
    expect(Object.keys(tensors)).toEqual(expect.arrayContaining(['model.fc.weight', 'optimizer.state.0.exp_avg', 'model.bn.num_batches_tracked']));
    expect(Object.keys(tensors)).not.toContain('tied');
    expect(JSON.parse(metadata.structure!).tied).toEqual({ $torchlet: 'tensor', name: 'model.fc.weight', dtype: 'float32', requiresGrad: true });
    for (const t of Object.values(tensors)) t.dispose();
    disposeTensors(src);
  });

  it('saves atomically to a path and loads it back', async () => {
    const path = join(tmp, 'state.ckpt');
    writeFileSync(path, 'previous checkpoint');
    const src = { epoch: 7, w: tensor([1, 2, 3]) };
    await save(src, path);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const back = await load<{ epoch: number; w: Tensor }>(path);
    expect(back.epoch).toBe(7);
    expect(await values(back.w)).toEqual([1, 2, 3]);
    back.w.dispose();
    src.w.dispose();
  });

  it('leaves the old file and no temporary file when a save fails', async () => {
    const path = join(tmp, 'keep.ckpt');
    await save({ epoch: 1 }, path);
    const old = readFileSync(path);
    await expect(save({ epoch: 2, bad: () => 1 }, path)).rejects.toThrow(/cannot store a function at bad/);
    await expect(save({ epoch: 2 }, join(tmp, 'no-such-dir', 'x.ckpt'))).rejects.toThrow(/ENOENT/);
    expect(readFileSync(path)).toEqual(old);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('removes the temporary files that killed saves to the same path left, and only those', async () => {
    const dir = mkdtempSync(join(tmp, 'stale-'));
    const path = join(dir, 'run.ckpt');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its pid is free
    const old = new Date('2001-01-01T00:00:00Z');
    const fake = (name: string, mtime?: Date): void => {
      writeFileSync(join(dir, name), 'partial checkpoint');
      if (mtime) utimesSync(join(dir, name), mtime, mtime);
    };
    fake(`run.ckpt.tmp-${dead}-k3j9x0aa`); // a killed process's
    fake(`run.ckpt.tmp-${process.pid}-0ldsave1`, old); // our pid, reused: written before this process started
    fake(`run.ckpt.tmp-${process.pid}-inflight`); // our pid, now: another save of this process
    fake(`run.ckpt.tmp-${process.ppid}-livesave`); // a live process's save
    fake(`other.ckpt.tmp-${dead}-k3j9x0aa`); // another target
    fake('run.ckpt.tmp-notours');
    fake(`run.ckpt.tmp-${dead}-k3j9x0aa.bak`);
    await save({ epoch: 1 }, path);
    expect(readdirSync(dir).sort()).toEqual(
      ['other.ckpt.tmp-' + dead + '-k3j9x0aa', 'run.ckpt', 'run.ckpt.tmp-notours', `run.ckpt.tmp-${dead}-k3j9x0aa.bak`, `run.ckpt.tmp-${process.pid}-inflight`, `run.ckpt.tmp-${process.ppid}-livesave`].sort(),
    );
    expect(await load(path)).toEqual({ epoch: 1 });
  });

  it('keeps concurrent saves to one path whole: each lands, the last rename wins, no temp is left', async () => {
    const dir = mkdtempSync(join(tmp, 'concurrent-'));
    const path = join(dir, 'run.ckpt');
    await Promise.all([1, 2, 3, 4].map((epoch) => save({ epoch, pad: 'x'.repeat(100_000 * epoch) }, path)));
    expect(readdirSync(dir)).toEqual(['run.ckpt']);
    expect([1, 2, 3, 4]).toContain((await load<{ epoch: number }>(path)).epoch);
  });

  it('refuses values it cannot store, naming where they are', async () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    await expect(saveBytes(circular)).rejects.toThrow(/circular reference at self/);
    await expect(saveBytes({ when: new Date(0) })).rejects.toThrow(/cannot store a Date at when/);
    await expect(saveBytes({ s: Symbol('x') })).rejects.toThrow(/cannot store a symbol at s/);
    const t = tensor([1]);
    t.dispose();
    await expect(saveBytes({ opt: { t } })).rejects.toThrow(/tensor at opt\.t has been disposed/);
  });
});

describe('checkpoints: refuse broken files', () => {
  async function refusal(bytes: Uint8Array): Promise<Error> {
    const before = memoryStats().liveTensors;
    const e = await loadBytes(bytes).then(
      () => null,
      (err: unknown) => err,
    );
    expect(memoryStats().liveTensors).toBe(before);
    if (!(e instanceof CheckpointError)) throw new Error(`expected a CheckpointError, got ${String(e)}`);
    return e;
  }

  it('refuses every truncation', async () => {
    const src = trainingState();
    const bytes = await saveBytes(src);
    for (let n = 0; n < bytes.length; n += 17) await refusal(bytes.subarray(0, n));
    disposeTensors(src);
  });

  it('refuses a flipped data byte with a checksum mismatch', async () => {
    const src = { w: tensor([1, 2, 3, 4]) };
    const bytes = await saveBytes(src);
    const bad = bytes.slice();
    bad[bad.length - 2]! ^= 1;
    expect((await refusal(bad)).message).toMatch(/data checksum mismatch .*corrupt/);
    src.w.dispose();
  });

  it('refuses a changed structure with a checksum mismatch', async () => {
    const bytes = await saveBytes({ epoch: 5 });
    const text = Buffer.from(bytes).toString('latin1');
    const bad = new Uint8Array(Buffer.from(text.replace('"epoch\\":5', '"epoch\\":6'), 'latin1'));
    expect(bad).not.toEqual(bytes);
    expect((await refusal(bad)).message).toMatch(/structure checksum mismatch/);
  });

  it('refuses a wrong magic or header', async () => {
    expect((await refusal(new TextEncoder().encode('PKZ\x04 not a checkpoint at all'))).message).toMatch(
      /not a readable checkpoint: expected a file written by save\(\) or by PyTorch's torch\.save \(safetensors: header length/,
    );
  });

  it("refuses PyTorch's legacy (pickle) format, naming the way out", async () => {
    // torch.save(..., _use_new_zipfile_serialization=False) starts with a pickled magic number
    const legacy = new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    expect((await refusal(legacy)).message).toMatch(/loadBytes: this is a pickle — PyTorch's legacy torch\.save format .*re-save it with a current torch\.save, then load it with load or io\.loadPtObject/);
  });

  it('refuses a plain safetensors file as the wrong format', async () => {
    const bytes = new Uint8Array(readFileSync(join(DATA, 'pytorch-dtypes.safetensors')));
    expect((await refusal(bytes)).message).toMatch(/wrong format: 'pt', expected 'torchlet-checkpoint'/);
    const plain = encodeSafetensors({ x: { dtype: 'F32', shape: [1], data: new Uint8Array(4) } });
    expect((await refusal(plain)).message).toMatch(/wrong format: a safetensors file without checkpoint metadata/);
    const other = encodeSafetensors({}, { format: 'something-else' });
    expect((await refusal(other)).message).toMatch(/wrong format: 'something-else'/);
  });

  it('refuses a file with a missing tensor (even with consistent checksums)', async () => {
    const src = { a: tensor([1]), b: tensor([2]) };
    const header = parseSafetensorsHeader(await saveBytes(src));
    const full = await saveBytes(src);
    const keep: Record<string, RawTensor> = {};
    for (const e of header.entries) if (e.name !== 'b') keep[e.name] = { dtype: e.dtype, shape: e.shape, data: full.slice(e.begin, e.end) };
    const meta = { ...header.metadata };
    const draft = encodeSafetensors(keep, meta);
    meta.data_crc32 = crc32Hex(draft.subarray(parseSafetensorsHeader(draft).dataOffset));
    expect((await refusal(encodeSafetensors(keep, meta))).message).toMatch(/missing tensor 'b' \(referenced at b\)/);
    src.a.dispose();
    src.b.dispose();
  });

  it('saves and loads nesting up to 1000 levels, and refuses deeper on both sides with a CheckpointError', async () => {
    // Deeper structures overflowed the stack while loading (a RangeError) though they saved.
    const nest = (depth: number, wrap: (x: unknown) => unknown): unknown => {
      let o: unknown = 'leaf';
      for (let i = 0; i < depth; i++) o = wrap(o);
      return o;
    };
    const wraps: [(x: unknown) => unknown, (x: unknown) => unknown][] = [
      [(x) => [x], (x) => (x as unknown[])[0]],
      [(x) => ({ a: x }), (x) => (x as { a: unknown }).a],
      [(x) => new Map([[1, x]]), (x) => (x as Map<number, unknown>).get(1)],
    ];
    for (const [wrap, unwrap] of wraps) {
      // walked level by level: toEqual's recursion is itself too deep here
      let back = await loadBytes(await saveBytes(nest(1000, wrap)));
      for (let i = 0; i < 1000; i++) back = unwrap(back);
      expect(back).toBe('leaf');
      await expect(saveBytes(nest(1001, wrap))).rejects.toThrow(/save: nesting deeper than 1000 at /);
    }
    for (const depth of [1001, 5000, 100_000]) {
      const structure = '['.repeat(depth) + '1' + ']'.repeat(depth);
      const meta = { format: 'torchlet-checkpoint', format_version: '1', structure, structure_crc32: crc32Hex(new TextEncoder().encode(structure)), data_crc32: '00000000' };
      expect((await refusal(encodeSafetensors({}, meta))).message).toMatch(/structure nested deeper than 1000 at (\[0\]){1000}/);
    }
  });

  it('refuses an unknown format version', async () => {
    const bytes = encodeSafetensors({}, { format: 'torchlet-checkpoint', format_version: '99', structure: 'null' });
    expect((await refusal(bytes)).message).toMatch(/unsupported checkpoint format_version '99'/);
  });

  it("torch.load reads a PyTorch torch.save file (a zip) as loadPtObject does; a broken one is a PickleError", async () => {
    const path = join(DATA, 'checkpoint.pt');
    const obj = await load<{ model: Record<string, Tensor>; epoch: number; big: bigint }>(path);
    const ref = (await loadPtObject(path)) as typeof obj;
    expect(obj.epoch).toBe(3);
    expect(obj.big).toBe(2n ** 70n);
    expect(Object.keys(obj.model)).toEqual(Object.keys(ref.model));
    for (const [k, t] of Object.entries(obj.model)) expect(await values(t), k).toEqual(await values(ref.model[k]!));
    disposeTensors([obj, ref]);
    const sd = await loadBytes<Record<string, Tensor>>(new Uint8Array(readFileSync(join(DATA, 'model.pt'))), { device: 'cpu' });
    expect(sd['bn.num_batches_tracked']!.shape).toEqual([]);
    disposeTensors(sd);
    await expect(load(join(DATA, 'expand-bomb.pt'))).rejects.toThrow(/more than maxMaterializedBytes/);
    await expect(loadBytes(new TextEncoder().encode('PK\x03\x04 not a checkpoint at all'))).rejects.toThrow(PickleError);
  });

  it('load() wants a path and names missing files', async () => {
    await expect(load(join(tmp, 'nope.ckpt'))).rejects.toThrow(/ENOENT/);
  });

  it.skipIf(torchMissing !== null)(`is readable by PyTorch as a safetensors file${torchMissing ? ` (skipped: ${torchMissing})` : ''}`, async () => {
    const path = join(tmp, 'py.ckpt');
    const src = trainingState();
    await save(src, path);
    const script = `import sys; sys.dont_write_bytecode = True; sys.path.insert(0, ${JSON.stringify(DATA)}); import st_format; t = st_format.load_file(${JSON.stringify(path)}); print(t['model.fc.weight'].tolist(), t['buffers.b64'].tolist(), t['buffers.u16'].tolist())`;
    const out = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
    expect(out.trim()).toBe('[[0.5, -1.25], [3.0, 4.0]] [-9223372036854775808] [255, 255]');
    disposeTensors(src);
  });
});
