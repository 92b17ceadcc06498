import '@torchlet/backend-cpu';
import { noGrad } from '@torchlet/autograd';
import { saveSafetensors } from '@torchlet/io';
import { fill_ } from '@torchlet/tensor';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Dictionary } from './dictionary.js';
import { FastTextModel } from './model.js';
import { loadModel, saveModel, type LoadedModel } from './model-io.js';
import { modelJsonPath } from './model-files.js';
import { effectiveArgs, train, type TrainResult } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'torchlet-fasttext-model-'));
const examples = [
  { labels: ['ham'], text: 'hello there friend' },
  { labels: ['spam'], text: 'buy cheap pills now' },
  { labels: ['ham'], text: 'lunch at noon friend' },
  { labels: ['other'], text: 'something else entirely' },
];
let trained: TrainResult;
const good = join(dir, 'good');

function free(...models: (LoadedModel | TrainResult)[]): void {
  for (const { model } of models) {
    model.embedding.weight.dispose();
    model.fc.weight.dispose();
  }
}

beforeAll(async () => {
  trained = train(examples, { dim: 8, epoch: 2, wordNgrams: 2, bucket: 50, seed: 1 }, { progress: false });
  await saveModel(good, trained.model, trained.dict, trained.args);
});
afterAll(() => free(trained));

function files(d = dir): string[] {
  return readdirSync(d).sort();
}

describe('atomic save', () => {
  test('each save writes the next generation, commits the .json, then removes the previous weights', async () => {
    const d = join(dir, 'gen');
    const path = join(d, 'm');
    await saveModel(path, trained.model, trained.dict, trained.args);
    expect(files(d)).toEqual(['m.1.safetensors', 'm.json']);
    const r = await saveModel(path, trained.model, trained.dict, trained.args);
    expect(r).toEqual({ json: `${path}.json`, weights: `${path}.2.safetensors` });
    expect(files(d)).toEqual(['m.2.safetensors', 'm.json']);
    expect(JSON.parse(readFileSync(`${path}.json`, 'utf8')).weights.file).toBe('m.2.safetensors');
    // The weights file itself (or the .json, or fastText's .bin name) finds the model.
    expect(modelJsonPath(`${path}.2.safetensors`)).toBe(`${path}.json`);
    expect(modelJsonPath(`${path}.bin`)).toBe(`${path}.json`);
    free(await loadModel(`${path}.2.safetensors`));
  });

  test('what an interrupted save leaves (new weights not yet named, temporaries, a dead lock) loads the old model and is cleared by the next save', async () => {
    const d = join(dir, 'crash');
    const path = join(d, 'm');
    await saveModel(path, trained.model, trained.dict, trained.args);
    const before = readFileSync(`${path}.json`, 'utf8');
    // As if killed after the new weights' rename, before the .json's: garbage in m.2, a temporary, a lock of a gone pid.
    writeFileSync(join(d, 'm.2.safetensors'), 'partial');
    writeFileSync(join(d, 'm.json.tmp-999999999-0badf00d'), '{"trunc');
    writeFileSync(join(d, 'm.3.safetensors.tmp-999999999-deadbeef'), 'partial');
    writeFileSync(`${path}.json.lock`, '999999999\n');
    const loaded = await loadModel(path);
    expect(loaded.dict.labels.getItos()).toEqual(trained.dict.labels.getItos());
    free(loaded);
    expect(readFileSync(`${path}.json`, 'utf8')).toBe(before);
    await saveModel(path, trained.model, trained.dict, trained.args);
    expect(files(d)).toEqual(['m.2.safetensors', 'm.json']);
    free(await loadModel(path));
  });

  test('a save while another live process holds the lock is refused and changes nothing', async () => {
    const d = join(dir, 'locked');
    const path = join(d, 'm');
    await saveModel(path, trained.model, trained.dict, trained.args);
    writeFileSync(`${path}.json.lock`, `${process.ppid}\n`);
    await expect(saveModel(path, trained.model, trained.dict, trained.args)).rejects.toThrow(
      `another process (pid ${process.ppid}) is saving ${path}.json; wait for it, or delete ${path}.json.lock if no save is running`,
    );
    expect(files(d)).toEqual(['m.1.safetensors', 'm.json', 'm.json.lock']);
  });

  test('a model saved before generations (m.safetensors, no vocabulary digest) still loads; saving over it replaces it', async () => {
    const d = join(dir, 'legacy');
    mkdirSync(d);
    const path = join(d, 'm');
    await saveModel(path, trained.model, trained.dict, trained.args);
    // Rewrite as the old layout: weights without the digest, under the name the old saver used.
    const json = JSON.parse(readFileSync(`${path}.json`, 'utf8'));
    const bytes = await saveSafetensors(trained.model.stateDict(), undefined, { format: 'torchlet-fasttext', version: '1' });
    writeFileSync(join(d, 'm.safetensors'), bytes);
    const { crc32 } = await import('node:zlib');
    json.weights = { ...json.weights, file: 'm.safetensors', bytes: bytes.length, crc32: crc32(bytes) };
    writeFileSync(`${path}.json`, JSON.stringify(json));
    renameSync(join(d, 'm.1.safetensors'), join(d, 'unrelated.1.safetensors'));
    free(await loadModel(path));
    await saveModel(path, trained.model, trained.dict, trained.args);
    expect(files(d)).toEqual(['m.1.safetensors', 'm.json', 'unrelated.1.safetensors']);
  });
});

describe('the .json is checked, not trusted', () => {
  const jsonOf = (): Record<string, any> => JSON.parse(readFileSync(`${good}.json`, 'utf8'));
  // An edit of the good model's .json → the one-line refusal (after the path of the edited .json).
  const EDITS: [string, (j: Record<string, any>) => void, string][] = [
    ['labels reversed', (j) => j.dictionary.labels.reverse(), 'dictionary or args.wordNgrams/bucket/dim differ from those'],
    ['a label dropped', (j) => j.dictionary.labels.pop(), 'weights.shapes["fc.weight"] is [3,8] but dictionary.labels (2) × args.dim (8) make [2, 8]'],
    ['a word repeated', (j) => (j.dictionary.words[1] = j.dictionary.words[0]), `dictionary.words[1] repeats dictionary.words[0]`],
    ['a word with a space', (j) => (j.dictionary.words[0] = 'two words'), 'dictionary.words[0] must be a non-empty string without whitespace, got "two words"'],
    ['weights.file in another directory', (j) => (j.weights.file = '../good.1.safetensors'), 'weights.file must be the name of a .safetensors file beside the .json (no directory part), got "../good.1.safetensors"'],
    ['weights.file absolute', (j) => (j.weights.file = '/etc/passwd'), 'weights.file must be the name of a .safetensors file beside the .json (no directory part), got "/etc/passwd"'],
    ['args.dim a string', (j) => (j.args.dim = 'abc'), 'args.dim must be a finite number, got "abc"'],
    ['args.lr negative', (j) => (j.args.lr = -1), 'args.lr must be positive, got -1'],
    ['args.bucket 0 with bigrams', (j) => (j.args.bucket = 0), 'args.bucket must be at least 1 when word n-grams are on (wordNgrams 2), got 0'],
    ['args with an unknown field', (j) => (j.args.thread = 4), "args has an unknown field 'thread'"],
    ['args.epoch missing', (j) => delete j.args.epoch, 'args.epoch is missing'],
    ['dictionary missing', (j) => delete j.dictionary, 'dictionary is missing'],
    ['version 2', (j) => (j.version = 2), 'version is 2; this program reads version 1'],
    ['weights.crc32 out of range', (j) => (j.weights.crc32 = -1), 'weights.crc32 must be an integer from 0 to 4294967295, got -1'],
    ['args.dim edited with its shapes', (j) => ((j.args.dim = 4), (j.weights.shapes['embedding.weight'][1] = 4), (j.weights.shapes['fc.weight'][1] = 4)), "'embedding.weight' in"],
  ];
  test.each(EDITS)('%s', async (_what, edit, message) => {
    const d = join(dir, 'edited');
    mkdirSync(d, { recursive: true });
    const j = jsonOf();
    edit(j);
    writeFileSync(join(d, 'm.json'), JSON.stringify(j));
    // The good weights beside it, under the name the good .json gives them.
    writeFileSync(join(d, jsonOf().weights.file), readFileSync(join(dir, jsonOf().weights.file)));
    const err = await loadModel(join(d, 'm')).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe('ModelError');
    expect(err?.message).toContain(message);
    expect(err!.message.split('\n')).toHaveLength(1);
    expect(err!.message).toMatch(new RegExp(`^(${escape(join(d, 'm.json'))}|'embedding)`));
  });

  test('the weights are checked against the .json: size, CRC-32, tensors, finiteness', async () => {
    const d = join(dir, 'weights');
    mkdirSync(d);
    const path = join(d, 'm');
    await saveModel(path, trained.model, trained.dict, trained.args);
    const w = join(d, 'm.1.safetensors');
    const bytes = readFileSync(w);
    writeFileSync(w, bytes.subarray(0, bytes.length - 4));
    await expect(loadModel(path)).rejects.toThrow(`${w} does not match ${path}.json (${bytes.length - 4} bytes, the .json says ${bytes.length}): the weights are corrupt or belong to another model`);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1]! ^= 1;
    writeFileSync(w, flipped);
    await expect(loadModel(path)).rejects.toThrow(/does not match .* \(CRC-32 \d+, the .json says \d+\)/);
    // A model whose weights hold NaN (what the old app saved after a diverged run) is refused.
    const nan = new FastTextModel(trained.dict.rows, 8, trained.dict.nlabels, { seed: 2 });
    noGrad(() => fill_(nan.fc.weight, Number.NaN));
    await saveModel(path, nan, trained.dict, trained.args);
    await expect(loadModel(path)).rejects.toThrow(`'fc.weight' in ${join(d, 'm.2.safetensors')} holds NaN or infinite values (saved from a diverged run); retrain with a lower --lr`);
    free({ model: nan } as LoadedModel);
  });

  test('a .json with a byte-order mark loads', async () => {
    const d = join(dir, 'bom');
    mkdirSync(d);
    await saveModel(join(d, 'm'), trained.model, trained.dict, trained.args);
    writeFileSync(join(d, 'm.json'), '\uFEFF' + readFileSync(join(d, 'm.json'), 'utf8'));
    const loaded = await loadModel(join(d, 'm'));
    expect(loaded.dict.labels.getItos()).toEqual(trained.dict.labels.getItos());
    free(loaded);
  });

  test('a model built by hand with matching files loads (the checks accept what is consistent)', async () => {
    const args = effectiveArgs({ dim: 4 });
    const dict = new Dictionary({ words: ['a', 'b', '</s>'], labels: ['x', 'y'], ntokens: 5 }, args);
    const m = new FastTextModel(dict.rows, 4, 2, { seed: 5 });
    await saveModel(join(dir, 'hand'), m, dict, args);
    const loaded = await loadModel(join(dir, 'hand.json'));
    expect(Array.from(loaded.model.embedding.weight.dataSync())).toEqual(Array.from(m.embedding.weight.dataSync()));
    expect(existsSync(join(dir, 'hand.json.lock'))).toBe(false);
    free(loaded, { model: m } as LoadedModel);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
