/**
 * Seeded fuzzing of the hand-written parsers: truncations, bit flips and byte overwrites of valid
 * files must give a clean result or an error of the reader's own type (a TorchletError), never a
 * RangeError / TypeError from deep inside, a leak of tensors, or a hang.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TorchletError, memoryStats, tensor } from '@torchlet/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  PickleError,
  SafetensorsError,
  loadBytes,
  loadPt,
  loadPtObject,
  loadSafetensors,
  parseSafetensorsHeader,
  saveBytes,
} from './index.js';
import { crc32 } from './crc32.js';
import { StorageRef, unpickle } from './pickle.js';
import { readZipDirectory, readZipEntry } from './zip.js';

const DATA = fileURLToPath(new URL('../test-data/', import.meta.url));
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DATA, name)));
const pickleError = (m: string): PickleError => new PickleError(m);

/** One mutation of a valid file: cut it short, then flip bits / overwrite bytes at relative positions. */
// Uniform over [0, 1) (fc.double is uniform over bit patterns, so mostly tiny).
const fraction = fc.noBias(fc.integer({ min: 0, max: 2 ** 30 - 1 })).map((n) => n / 2 ** 30);
const mutation = fc.record({
  cut: fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, { arbitrary: fraction, weight: 1 }),
  edits: fc.array(fc.record({ at: fraction, bit: fc.integer({ min: 0, max: 7 }), byte: fc.option(fc.integer({ min: 0, max: 255 })) }), {
    minLength: 1,
    maxLength: 4,
  }),
  // Edits aimed at the first or last 256 bytes, where the headers and the zip directory are.
  end: fc.constantFrom('anywhere', 'head', 'tail'),
});
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(file: Uint8Array, m: Mutation): Uint8Array {
  const out = file.slice(0, m.cut === null ? file.length : Math.floor(m.cut * file.length));
  if (out.length === 0) return out;
  const span = m.end === 'anywhere' ? out.length : Math.min(256, out.length);
  const base = m.end === 'tail' ? out.length - span : 0;
  for (const e of m.edits) {
    const i = base + Math.floor(e.at * span);
    out[i] = e.byte === null ? out[i]! ^ (1 << e.bit) : e.byte;
  }
  return out;
}

/** Runs `f`; an error must be an instance of `type` (the reader's own error class). */
async function cleanOrOwnError(what: string, type: new (...args: never[]) => Error, f: () => Promise<void> | void): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof type) || !(e instanceof TorchletError)) throw new Error(`${what}: ${String(e)}`, { cause: e });
  }
}

const RUNS = { numRuns: 300, seed: 20240601 };

describe('fuzz: zip directory and entries', () => {
  for (const name of ['model.pt', 'model-deflate.pt']) {
    it(`${name}: a PickleError or intact entries`, async () => {
      const file = read(name);
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          const bad = mutate(file, m);
          await cleanOrOwnError(name, PickleError, async () => {
            for (const entry of readZipDirectory(bad, pickleError).values()) await readZipEntry(bad, entry, pickleError);
          });
        }),
        RUNS,
      );
    });
  }
});

describe('fuzz: the restricted unpickler', () => {
  const pickles = async (name: string): Promise<Uint8Array> => {
    const file = read(name);
    const entries = readZipDirectory(file, pickleError);
    const pkl = [...entries.values()].find((e) => e.name.endsWith('data.pkl'))!;
    return readZipEntry(file, pkl, pickleError);
  };
  const persistentLoad = (): unknown => new StorageRef('0', 'F32', 'cpu', 64);

  for (const name of ['model.pt', 'model-proto4.pt', 'checkpoint.pt', 'dag24.pt']) {
    it(`${name}'s data.pkl: a PickleError or a value`, async () => {
      const pkl = await pickles(name);
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          await cleanOrOwnError(name, PickleError, () => void unpickle(mutate(pkl, m), { persistentLoad }));
        }),
        RUNS,
      );
    });
  }

  it('random opcode soup: a PickleError or a value', () => {
    // Opcodes with their most likely arguments, so that runs get past the first byte.
    const op = fc.oneof(
      fc.constantFrom(
        [0x28], [0x29], [0x5d], [0x7d], [0x8f], [0x4e], [0x88], [0x61], [0x65], [0x73], [0x75], [0x74], [0x6c], [0x64], [0x85],
        [0x86], [0x87], [0x30], [0x31], [0x32], [0x94], [0x90], [0x91], [0x52], [0x81], [0x62], [0x2e], [0x51], [0x93],
      ),
      fc.tuple(fc.constantFrom(0x71, 0x68, 0x4b, 0x8a, 0x43, 0x55, 0x8c), fc.integer({ min: 0, max: 255 })),
      fc.tuple(fc.constantFrom(0x72, 0x6a, 0x4a, 0x58, 0x42, 0x54, 0x8b), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 })).map(([o, b]) => [o, ...b]),
      fc.constantFrom('ccollections\nOrderedDict\n', 'ctorch._utils\n_rebuild_tensor_v2\n', 'ctorch\nFloatStorage\n', 'c_codecs\nencode\n', 'I12\n', 'F1.5\n', 'p3\n', 'g3\n').map((s) => [...s].map((c) => c.charCodeAt(0))),
      fc.integer({ min: 0, max: 255 }).map((b) => [b]),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const bytes = new Uint8Array([0x80, 2, ...ops.flat().map((x) => (typeof x === 'number' ? x : 0))]);
        try {
          unpickle(bytes, { persistentLoad });
        } catch (e) {
          if (!(e instanceof PickleError)) throw new Error(`soup ${Array.from(bytes).join(',')}: ${String(e)}`, { cause: e });
        }
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});

/** `file` with the stored entry `name` given new bytes of the same length, its CRC-32s updated (so the reader gets past them). */
function withStoredEntry(file: Uint8Array, name: string, data: Uint8Array): Uint8Array {
  const out = file.slice();
  const dv = new DataView(out.buffer);
  const entry = readZipDirectory(file, pickleError).get(name)!;
  out.set(data, entry.dataStart);
  const crc = crc32(data);
  const encoded = new TextEncoder().encode(name);
  for (let p = 0; p + 46 <= out.length; p++) {
    if (dv.getUint32(p, true) !== 0x02014b50 || dv.getUint16(p + 28, true) !== encoded.length) continue;
    if (!encoded.every((b, i) => out[p + 46 + i] === b)) continue;
    dv.setUint32(p + 16, crc, true);
    dv.setUint32(dv.getUint32(p + 42, true) + 14, crc, true);
  }
  return out;
}

describe('fuzz: loadPt / loadPtObject on whole files', () => {
  // A small cap keeps a mutation that asks for a large (stride-0) tensor from slowing the run.
  const options = { maxMaterializedBytes: 1 << 20 };
  const load = async (bytes: Uint8Array, object: boolean): Promise<void> =>
    disposeTensors(object ? await loadPtObject(bytes, options) : await loadPt(bytes, options));

  for (const name of ['model.pt', 'model-deflate.pt', 'checkpoint.pt']) {
    it(`${name}, mutated anywhere: a PickleError or a clean load, no tensor leaked`, async () => {
      const file = read(name);
      const before = memoryStats().liveTensors;
      await fc.assert(
        fc.asyncProperty(mutation, fc.boolean(), async (m, object) => {
          await cleanOrOwnError(name, PickleError, () => load(mutate(file, m), object));
        }),
        { numRuns: 150, seed: 99 },
      );
      expect(memoryStats().liveTensors).toBe(before);
    });
  }

  for (const name of ['model.pt', 'model-proto4.pt', 'checkpoint.pt', 'dtypes.pt']) {
    it(`${name}, an entry mutated behind a valid CRC: a PickleError or a clean load, no tensor leaked`, async () => {
      const file = read(name);
      const entries = [...readZipDirectory(file, pickleError).values()].filter((e) => e.method === 0 && e.size > 0);
      const before = memoryStats().liveTensors;
      await fc.assert(
        fc.asyncProperty(fc.nat(), mutation, fc.boolean(), async (pick, m, object) => {
          // Half of the runs mutate data.pkl, the rest any entry (storages, version, byteorder).
          const pkl = entries.find((e) => e.name.endsWith('/data.pkl'))!;
          const entry = pick % 2 === 0 ? pkl : entries[pick % entries.length]!;
          const original = file.subarray(entry.dataStart, entry.dataStart + entry.size);
          const changed = mutate(original, { ...m, cut: null });
          await cleanOrOwnError(`${name} ${entry.name}`, PickleError, () => load(withStoredEntry(file, entry.name, changed), object));
        }),
        { numRuns: 300, seed: 4242 },
      );
      expect(memoryStats().liveTensors).toBe(before);
    });
  }
});

describe('fuzz: safetensors and checkpoints', () => {
  it('pytorch-dtypes.safetensors: a SafetensorsError or a clean load', async () => {
    const file = read('pytorch-dtypes.safetensors');
    const before = memoryStats().liveTensors;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        await cleanOrOwnError('safetensors', SafetensorsError, async () => disposeTensors((await loadSafetensors(mutate(file, m))).tensors));
      }),
      RUNS,
    );
    expect(memoryStats().liveTensors).toBe(before);
  });

  it('header JSON with random edits: a SafetensorsError or a valid header', () => {
    const file = read('pytorch-dtypes.safetensors');
    const n = new DataView(file.buffer, file.byteOffset).getUint32(0, true);
    const header = new TextDecoder().decode(file.subarray(8, 8 + n));
    const data = file.subarray(8 + n);
    const chars = fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', ' ', '0', '9', '-', 'e', 'a', 'F32', 'I64', '1e400', 'null', '\uFEFF', '\u00ff');
    fc.assert(
      fc.property(fc.array(fc.tuple(fraction, fc.nat(3), chars), { minLength: 1, maxLength: 4 }), (edits) => {
        let text = header;
        for (const [at, del, s] of edits) {
          const i = Math.floor(at * text.length);
          text = text.slice(0, i) + s + text.slice(i + del);
        }
        const json = new TextEncoder().encode(text);
        const bytes = new Uint8Array(8 + json.length + data.length);
        new DataView(bytes.buffer).setUint32(0, json.length, true);
        bytes.set(json, 8);
        bytes.set(data, 8 + json.length);
        try {
          parseSafetensorsHeader(bytes);
        } catch (e) {
          if (!(e instanceof SafetensorsError)) throw new Error(`${JSON.stringify(text)}: ${String(e)}`, { cause: e });
        }
      }),
      RUNS,
    );
  });

  it('checkpoint bytes: a CheckpointError or the saved object', async () => {
    const w = tensor([[1, 2], [3, 4]]);
    const file = await saveBytes({ epoch: 3, w, m: new Map([[1, 'x']]), typed: new Int16Array([5, -6]), big: 2n ** 70n });
    w.dispose();
    const before = memoryStats().liveTensors;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        await cleanOrOwnError('checkpoint', CheckpointError, async () => disposeTensors(await loadBytes(mutate(file, m))));
      }),
      RUNS,
    );
    expect(memoryStats().liveTensors).toBe(before);
  });
});

function disposeTensors(v: unknown, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (typeof (v as { dispose?: unknown }).dispose === 'function' && 'storage' in (v as object)) {
    (v as { dispose(): void }).dispose();
    return;
  }
  const items = v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v as object);
  for (const x of items) disposeTensors(x, seen);
}
