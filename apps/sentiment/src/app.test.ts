import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from './cli.js';
import { loadModel } from './model-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sentiment-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// small slices of the built-in reviews keep the tests fast
const [header, ...rows] = readFileSync(new URL('../data/fine-foods-train.tsv', import.meta.url), 'utf8').trim().split('\n');
const trainFile = join(dir, 'train.tsv');
const testFile = join(dir, 'test.tsv');
writeFileSync(trainFile, [header, ...rows.slice(0, 2500)].join('\n') + '\n');
const tinyFile = join(dir, 'tiny.tsv');
writeFileSync(tinyFile, [header, ...rows.slice(0, 48)].join('\n') + '\n');
writeFileSync(testFile, [header, ...rows.slice(3000, 3400)].join('\n') + '\n');
const columns = ['--text-column', 'review', '--label-column', 'score'];
const small = ['--embed', '16', '--hidden', '16', '--max-length', '60', '--no-progress'];

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(...l.split('\n')), (l) => err.push(l));
  return { code, out, err };
}

describe('train / test / predict', () => {
  const model = join(dir, 'reviews');

  test('trains a bidirectional GRU that beats the majority class and saves the pair', async () => {
    const r = await run('train', '--data', trainFile, ...columns, '--embed', '32', '--hidden', '32', '--max-length', '80', '--no-progress', '--epochs', '4', '--lr', '0.005', '--output', model);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.at(-1)).toBe(`model saved to ${model}.json`);
    const files = readdirSync(dir).filter((f) => f.startsWith('reviews'));
    expect(files).toHaveLength(2);
    expect(files.find((f) => /^reviews\.[0-9a-f]{8}\.safetensors$/.test(f))).toBeDefined();
    const t = await run('test', model, testFile, ...columns);
    expect(t.code).toBe(0);
    const accuracy = Number(/^accuracy (0\.\d{4})$/.exec(t.out.find((l) => l.startsWith('accuracy'))!)![1]);
    const great = rows.slice(3000, 3400).filter((l) => l.startsWith('great')).length / 400;
    expect(accuracy).toBeGreaterThan(Math.max(great, 1 - great) + 0.03);
    expect(t.out.some((l) => l.startsWith('actual \\ predicted'))).toBe(true);
  });

  test('predict reads lines and prints a label and its probability; the same model loaded twice predicts the same', async () => {
    const input = join(dir, 'lines.txt');
    writeFileSync(input, '\uFEFFI love this tea, it is wonderful\n\nawful, stale, never again\n');
    const a = await run('predict', model, input);
    expect(a.code).toBe(0);
    expect(a.out).toHaveLength(2);
    for (const line of a.out) expect(line).toMatch(/^(great|other)\t(0\.\d{4}|1\.0000)$/);
    expect((await run('predict', model, input)).out).toEqual(a.out);
  });

  test('a crash between the weights and the JSON leaves the old pair loadable; edited JSON is refused', async () => {
    const { meta } = await loadModel(model);
    // a newer save that died after writing its weights: the old JSON still names the old weights
    writeFileSync(join(dir, 'reviews.deadbeef.safetensors'), 'partial');
    expect((await loadModel(model)).meta.weights).toEqual(meta.weights);
    const edited = join(dir, 'edited.json');
    for (const [change, message] of [
      [{ labels: ['other', 'great', 'meh'] }, 'config.classes (2) differs from the number of labels (3)'],
      [{ weights: { ...meta.weights, file: '../../etc/passwd' } }, 'weights.file must be a .safetensors file name beside the JSON'],
      [{ weights: { ...meta.weights, crc32: '00000000' } }, 'does not match (the file changed after saving)'],
    ] as const) {
      writeFileSync(edited, JSON.stringify({ ...meta, ...change }));
      await expect(loadModel(edited)).rejects.toThrow(message);
    }
  });

  // The README's Python loads the model into a PyTorch nn.Module and gives the same predictions.
  const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  test.runIf(hasTorch)('PyTorch loads the saved model and predicts the same labels and probabilities', async () => {
    const texts = rows.slice(3000, 3100).map((l) => l.split('\t')[2]!).join('\n') + '\n';
    const input = join(dir, 'texts.txt');
    writeFileSync(input, texts);
    const ours = (await run('predict', model, input)).out;
    const script = fileURLToPath(new URL('../scripts/load_in_pytorch.py', import.meta.url));
    const theirs = execFileSync('/usr/bin/python3', [script, `${model}.json`], { input: texts, encoding: 'utf8' }).trim().split('\n');
    expect(theirs).toHaveLength(100);
    const parse = (l: string) => [l.split('\t')[0], Number(l.split('\t')[1])] as const;
    theirs.forEach((l, i) => {
      expect(parse(l)[0]).toBe(parse(ours[i]!)[0]);
      expect(Math.abs(parse(l)[1] - parse(ours[i]!)[1])).toBeLessThanOrEqual(1e-4);
    });
  });
  if (!hasTorch) test.skip('PyTorch parity: /usr/bin/python3 cannot import torch (apt-get install python3-torch)', () => {});
});

describe('GloVe vectors', () => {
  test('--embeddings sets the rows of known words (gzip accepted); a dimension mismatch names the fix', async () => {
    const { gzipSync } = await import('node:zlib');
    const glove = join(dir, 'glove.txt.gz');
    writeFileSync(glove, gzipSync('the ' + Array(16).fill('0.5').join(' ') + '\ntea ' + Array(16).fill('-0.25').join(' ') + '\n'));
    const out = join(dir, 'glove-model');
    const r = await run('train', '--data', trainFile, ...columns, ...small, '--epochs', '1', '--lr', '1e-9', '--embeddings', glove, '--output', out);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^embeddings: 2 of \d+ words from /);
    const { model, meta } = await loadModel(out);
    const row = meta.vocab.indexOf('tea');
    const w = model.embedding.weight.dataSync() as Float32Array;
    expect(Array.from(w.subarray(row * 16, row * 16 + 16)).every((x) => Math.abs(x + 0.25) < 1e-6)).toBe(true);
    model.dispose();
    const bad = await run('train', '--data', trainFile, ...columns, '--embed', '8', '--embeddings', glove, '--output', out);
    expect(bad.err[0]).toContain('has 16-dimensional vectors but --embed is 8; give --embed 16');
  });
});

describe('bad input is refused with one line naming the flag or file', () => {
  test.each([
    [['train', '--output', 'x'], 2, 'no data: give --example fine-foods or --data FILE'],
    [['train', '--example', 'fine-foods'], 2, '--output MODEL is required'],
    [['train', '--example', 'imdb', '--output', 'x'], 1, "--example: unknown example 'imdb' (known: fine-foods)"],
    [['train', '--data', '/nonexistent.tsv', '--output', 'x'], 1, '/nonexistent.tsv: cannot read it (ENOENT)'],
    [['train', '--data', trainFile, '--output', '/nonexistent/dir/m'], 1, '--output: the folder /nonexistent/dir does not exist'],
    [['train', '--data', trainFile, '--output', 'x'], 1, "no column 'text' (--text-column; columns: score, product, review)"],
    [['train', '--data', trainFile, '--format', 'xml', '--output', 'x'], 2, "--format: expected tsv, csv, jsonl, fasttext, got 'xml'"],
    [['train', '--data', trainFile, '--epochs', '0', '--output', 'x'], 2, "--epochs: expected a whole number ≥ 1, got '0'"],
    [['train', '--data', trainFile, '--device', 'tpu', '--output', 'x'], 2, "--device: expected cpu or webgpu, got 'tpu'"],
    [['test', '/nonexistent'], 2, 'test takes a model and a file: test MODEL FILE'],
    [['test', '/nonexistent', trainFile], 1, '/nonexistent.json: cannot read it (ENOENT)'],
    [['predict'], 2, 'predict takes a model and optionally a file'],
  ])('%j → exit %i', async (argv, code, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(code);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(message);
    expect(existsSync('x.json')).toBe(false);
  });
});

describe('--device webgpu', () => {
  test('trains on WebGPU to the CPU loss, or says clearly that there is no adapter', async () => {
    const args = ['train', '--data', tinyFile, ...columns, ...small, '--epochs', '1', '--dropout', '0', '--min-freq', '1', '--output', join(dir, 'gpu')];
    const gpu = await run(...args, '--device', 'webgpu');
    if (gpu.code !== 0) {
      expect(process.env.REQUIRE_WEBGPU, gpu.err.join('\n')).not.toBe('1');
      expect(gpu.err[0]).toMatch(/^torchlet-sentiment: --device webgpu: no WebGPU adapter here \(.*\); use --device cpu$/);
      return;
    }
    const cpu = await run(...args);
    const loss = (r: { out: string[] }) => Number(/training loss ([\d.]+)/.exec(r.out.find((l) => l.startsWith('epoch 1'))!)![1]);
    expect(gpu.out[0]).toContain('device webgpu');
    expect(Math.abs(loss(gpu) - loss(cpu))).toBeLessThan(2e-3);
  });
});
