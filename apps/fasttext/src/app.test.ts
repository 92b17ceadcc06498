import '@torchlet/backend-cpu';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from './cli.js';
import { toFastTextLine, type Example } from './formats.js';
import { ModelError, loadModel, saveModel } from './model-io.js';
import { predict, test as evaluate } from './evaluate.js';
import { randomSplit, spamAssassin } from './spam.js';
import { train } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'torchlet-fasttext-'));
const small = { epoch: 10, lr: 0.5, dim: 16, wordNgrams: 2, bucket: 20_000, seed: 3 };

// A slice of SpamAssassin: 600 lines to train, 200 to test, each cut to its first 200 tokens.
const cut = (e: Example): Example => ({ labels: e.labels, text: e.text.split(/\s+/).slice(0, 200).join(' ') });
const { train: tr, test: te } = randomSplit(spamAssassin(), 7);
const trainSet = tr.slice(0, 600).map(cut);
const testSet = te.slice(0, 200).map(cut);
const trainFile = join(dir, 'train.txt');
const testFile = join(dir, 'test.txt');
writeFileSync(trainFile, trainSet.map((e) => toFastTextLine(e)).join('\n') + '\n');
writeFileSync(testFile, testSet.map((e) => toFastTextLine(e)).join('\n') + '\n');

const out: string[] = [];
const print = (s: string): void => {
  out.push(s);
};

afterAll(() => {
  out.length = 0;
});

describe('end to end on a slice of SpamAssassin', () => {
  test('train / test / predict from the command line', async () => {
    const model = join(dir, 'cli-model');
    expect(await main(['train', '--input', trainFile, '--output', model, '--epoch', '10', '--lr', '0.5', '--dim', '16', '--word-ngrams', '2', '--bucket', '20000', '--seed', '3', '--no-progress'], print)).toBe(0);
    expect(out.join('\n')).toMatch(/words\/s\/thread/);
    out.length = 0;
    expect(await main(['test', model, testFile], print)).toBe(0);
    const report = out.join('\n');
    expect(report).toMatch(/^N\t200/m);
    const p1 = Number(/P@1\t([\d.]+)/.exec(report)![1]);
    expect(p1).toBeGreaterThan(0.85);
    expect(report).toMatch(/confusion matrix/);
    out.length = 0;
    const unlabelled = join(dir, 'unlabelled.txt');
    writeFileSync(unlabelled, 'hello friend, the meeting is at noon\nFREE money!!! click here now\n');
    expect(await main(['predict', model, unlabelled, '2'], print)).toBe(0);
    expect(out).toHaveLength(2);
    for (const line of out) expect(line).toMatch(/^__label__(ham|spam) [\d.]+ __label__(ham|spam) [\d.]+$/);
    out.length = 0;
  });

  test('training is seeded and reproducible; save/load round-trips predictions exactly', async () => {
    const a = train(trainSet, small, { progress: false });
    const b = train(trainSet, small, { progress: false });
    expect(Array.from(a.model.fc.weight.dataSync())).toEqual(Array.from(b.model.fc.weight.dataSync()));
    const texts = testSet.slice(0, 20).map((e) => e.text);
    const before = predict(a.model, a.dict, texts, 2);
    const path = join(dir, 'roundtrip');
    await saveModel(path, a.model, a.dict, a.args);
    const loaded = await loadModel(path);
    expect(predict(loaded.model, loaded.dict, texts, 2)).toEqual(before);
    expect(loaded.args).toEqual(a.args);
    const rep = await evaluate(loaded.model, loaded.dict, testSet, 1);
    expect(rep.n).toBe(200);
    expect(rep.confusion.flat().reduce((s, x) => s + x, 0)).toBe(200);
    for (const m of [a.model, b.model, loaded.model]) {
      m.embedding.weight.dispose();
      m.fc.weight.dispose();
    }
  });
});

describe('a corrupt or mismatched model is refused', () => {
  test('truncated weights, garbage JSON, another model’s weights, a missing file', async () => {
    const r = train(trainSet.slice(0, 100), { ...small, epoch: 1 }, { progress: false });
    const good = join(dir, 'good');
    await saveModel(good, r.model, r.dict, r.args);
    const other = train(trainSet.slice(100, 200), { ...small, epoch: 1, dim: 8 }, { progress: false });
    const otherPath = join(dir, 'other');
    await saveModel(otherPath, other.model, other.dict, other.args);

    const weights = readFileSync(`${good}.1.safetensors`);
    const json = readFileSync(`${good}.json`, 'utf8');
    const bad = join(dir, 'bad');

    writeFileSync(`${bad}.json`, json.replace('good.1.safetensors', 'bad.1.safetensors'));
    writeFileSync(`${bad}.1.safetensors`, weights.subarray(0, weights.length - 100));
    await expect(loadModel(bad)).rejects.toThrow(ModelError);
    await expect(loadModel(bad)).rejects.toThrow(/does not match .*corrupt or belong to another model/);

    writeFileSync(`${bad}.1.safetensors`, readFileSync(`${otherPath}.1.safetensors`));
    await expect(loadModel(bad)).rejects.toThrow(/does not match/);

    // a JSON that matches its bytes but whose shapes disagree with the vocabulary
    const meta = JSON.parse(readFileSync(`${otherPath}.json`, 'utf8'));
    meta.weights.file = 'bad.1.safetensors';
    meta.args.dim = 16;
    writeFileSync(`${bad}.json`, JSON.stringify(meta));
    await expect(loadModel(bad)).rejects.toThrow(/bad\.json: weights\.shapes\["embedding\.weight"\] is \[\d+,8\] but .* make \[\d+, 16\]/);

    writeFileSync(`${bad}.json`, '{"format": "torchlet-fasttext", "vers');
    await expect(loadModel(bad)).rejects.toThrow(/not valid JSON.*corrupt/);
    writeFileSync(`${bad}.json`, '{"format": "something-else"}');
    await expect(loadModel(bad)).rejects.toThrow(/is not a torchlet-fasttext model/);
    await expect(loadModel(join(dir, 'missing'))).rejects.toThrow(/missing\.json not found/);
    for (const m of [r.model, other.model]) {
      m.embedding.weight.dispose();
      m.fc.weight.dispose();
    }
  });
});
