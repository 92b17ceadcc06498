#!/usr/bin/env node
/**
 * torchlet-sentiment: a bidirectional GRU text classifier.
 *
 *   torchlet-sentiment train --example fine-foods --output reviews
 *   torchlet-sentiment test reviews data/fine-foods-test.tsv --text-column review --label-column score
 *   echo "the best coffee I ever had" | torchlet-sentiment predict reviews -
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { TRAINING_OPTIONS, UsageError, choice, int, isMain, openDevice, progressBar, real, runCli, withoutPositionals, type FlagsOf } from '@torchlet/app-cli';
import * as torch from 'torchlet';
import { buildVocab, encode, evaluate, formatMatrix, initEmbedding, loadGlove, probabilities, toSamples, train } from './classifier.js';
import { EXAMPLE_NAMES, FORMATS, InputError, example, readExamples, type Example, type Format, type ReadOptions } from './examples.js';
import { SentimentGRU, type ModelConfig } from './model.js';
import { ModelFileError, loadModel, saveModel } from './model-file.js';

const USAGE = `usage: torchlet-sentiment <command> [options]

commands:
  train     train a classifier:  train (--example ${EXAMPLE_NAMES.join('|')} | --data FILE) --output MODEL [options]
  test      evaluate:            test MODEL FILE   (prints "accuracy 0.xxxx" and the confusion matrix)
  predict   classify lines:      predict MODEL [FILE|-]   (label and probability per line)

data:     --format ${FORMATS.join('|')} (default: by extension)  --text-column text  --label-column label
          --label-prefix __label__ (fasttext format)  --max-length 200 (tokens kept per text)
model:    --embed 64  --hidden 64  --layers 1  --bidirectional / --no-bidirectional  --dropout 0.2
          --embeddings FILE (GloVe text vectors, .gz accepted; sets the embedding rows of known words)
          --min-freq 2  --max-vocab 20000
training: --epochs 5  --lr 0.002  --batch 32  --seed 0  --device cpu|webgpu  --progress|--no-progress  --verbose`;

const OPTIONS = {
  ...TRAINING_OPTIONS,
  example: { type: 'string' },
  data: { type: 'string' },
  format: { type: 'string' },
  'text-column': { type: 'string' },
  'label-column': { type: 'string' },
  'label-prefix': { type: 'string' },
  'max-length': { type: 'string' },
  embed: { type: 'string' },
  hidden: { type: 'string' },
  layers: { type: 'string' },
  bidirectional: { type: 'boolean' },
  'no-bidirectional': { type: 'boolean' },
  dropout: { type: 'string' },
  embeddings: { type: 'string' },
  'min-freq': { type: 'string' },
  'max-vocab': { type: 'string' },
  epochs: { type: 'string' },
} as const;

type Values = FlagsOf<typeof OPTIONS>;




function readOptions(v: Values): ReadOptions {
  if (v.format !== undefined && !FORMATS.includes(v.format as Format)) throw new UsageError(`--format: expected ${FORMATS.join(', ')}, got '${v.format}'`);
  return {
    ...(v.format === undefined ? {} : { format: v.format as Format }),
    ...(v['text-column'] === undefined ? {} : { textColumn: v['text-column'] }),
    ...(v['label-column'] === undefined ? {} : { labelColumn: v['label-column'] }),
    ...(v['label-prefix'] === undefined ? {} : { labelPrefix: v['label-prefix'] }),
  };
}


const fmt = (x: number) => x.toFixed(4);

async function trainCommand(v: Values, out: (line: string) => void): Promise<void> {
  if (v.example !== undefined && v.data !== undefined) throw new UsageError('give --example or --data, not both');
  if (v.example === undefined && v.data === undefined) throw new UsageError(`no data: give --example ${EXAMPLE_NAMES.join('|')} or --data FILE`);
  if (v.output === undefined) throw new UsageError('--output MODEL is required (where the model goes)');
  if (!existsSync(dirname(resolve(v.output)))) throw new InputError(`--output: the folder ${dirname(resolve(v.output))} does not exist`);
  const device = choice(v, 'device', ['cpu', 'webgpu'] as const, 'cpu');
  const maxLength = int(v, 'max-length', 200);
  const minFreq = int(v, 'min-freq', 2);
  const maxVocab = int(v, 'max-vocab', 20000, 3);
  const sizes = { embed: int(v, 'embed', 64), hidden: int(v, 'hidden', 64), layers: int(v, 'layers', 1) };
  const dropout = real(v, 'dropout', 0.2, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  const epochs = int(v, 'epochs', 5);
  const lr = real(v, 'lr', 0.002, (x) => x > 0, 'a positive number');
  const batch = int(v, 'batch', 32);
  const seed = int(v, 'seed', 0, 0);
  const read = readOptions(v);

  const ex = v.example === undefined ? null : example(v.example);
  const trainExamples = ex ? await readExamples(ex.train, ex.options) : await readExamples(v.data!, read);
  const testExamples: Example[] | null = ex ? await readExamples(ex.test, ex.options) : null;
  const labels = [...new Set(trainExamples.map((e) => e.label))].sort();
  if (labels.length < 2) throw new InputError(`the training data has ${labels.length} label${labels.length === 1 ? '' : 's'} (${labels.join(', ')}): a classifier needs at least two`);
  const vocab = buildVocab(trainExamples.map((e) => e.text), { minFreq, maxSize: maxVocab });
  const config: ModelConfig = { vocab: vocab.length, ...sizes, bidirectional: !v['no-bidirectional'], dropout, classes: labels.length };
  let glove: Awaited<ReturnType<typeof loadGlove>> | null = null;
  if (v.embeddings !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(v.embeddings));
    } catch (e) {
      throw new InputError(`--embeddings: cannot read ${v.embeddings} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    glove = await loadGlove(bytes, v.embeddings, vocab, config.embed);
  }
  await openDevice(device);

  torch.manualSeed(seed);
  const model = new SentimentGRU(config);
  if (glove) {
    initEmbedding(model, glove, vocab);
    out(`embeddings: ${glove.found} of ${vocab.length} words from ${v.embeddings}`);
  }
  model.to(device);
  const trainSamples = toSamples(trainExamples, vocab, labels, maxLength, 'training data');
  const testSamples = testExamples ? toSamples(testExamples, vocab, labels, maxLength, 'test data') : null;
  out(
    `${trainExamples.length} training texts, labels ${labels.join(', ')}, vocabulary ${vocab.length}; ` +
      `embedding ${config.embed} → ${config.bidirectional ? 'bidirectional ' : ''}GRU ${config.layers}×${config.hidden} → ${labels.length}; device ${device}`,
  );
  if (v.verbose) out(`memory at start: ${JSON.stringify(torch.memoryStats())}`);
  const batches = Math.ceil(trainSamples.length / batch);
  let bar = progressBar(v, { total: batches, label: 'epoch 1', unit: 'batch' });
  const started = performance.now();
  try {
    await train(model, trainSamples, {
      epochs,
      lr,
      batch,
      seed,
      device,
      onBatch: () => bar.update(1),
      onEpoch: async (epoch, loss) => {
        bar.close();
        let line = `epoch ${epoch}: training loss ${fmt(loss)}`;
        if (testSamples) {
          const { accuracy } = evaluate(await probabilities(model, testSamples, 128, device), testSamples.map((s) => s[1]), labels.length);
          line += `, test accuracy ${fmt(accuracy)}`;
        }
        out(line);
        if (epoch < epochs) bar = progressBar(v, { total: batches, label: `epoch ${epoch + 1}`, unit: 'batch' });
      },
    });
    out(`trained in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (v.verbose) out(`memory at end: ${JSON.stringify(torch.memoryStats())}`);
    const saved = await saveModel(v.output, model, { labels, vocab: vocab.getItos(), maxLength, tokenizer: 'basic_english' });
    out(`model saved to ${saved}`);
  } finally {
    for (const [t] of [...trainSamples, ...(testSamples ?? [])]) t.dispose();
    model.dispose();
  }
}

async function testCommand(v: Values, positional: string[], out: (line: string) => void): Promise<void> {
  if (positional.length !== 2) throw new UsageError('test takes a model and a file: test MODEL FILE');
  const { model, meta } = await loadModel(positional[0]!);
  const vocab = new torch.utils.data.Vocab(meta.vocab, { defaultIndex: meta.vocab.indexOf('<unk>') });
  try {
    const examples = await readExamples(positional[1]!, readOptions(v));
    const samples = toSamples(examples, vocab, meta.labels, meta.maxLength, positional[1]!);
    const { accuracy, matrix } = evaluate(await probabilities(model, samples, 128, 'cpu'), samples.map((s) => s[1]), meta.labels.length);
    for (const [t] of samples) t.dispose();
    out(`N ${examples.length}`);
    out(`accuracy ${fmt(accuracy)}`);
    out(formatMatrix(matrix, meta.labels));
  } finally {
    model.dispose();
  }
}

async function predictCommand(positional: string[], out: (line: string) => void): Promise<void> {
  if (positional.length < 1 || positional.length > 2) throw new UsageError('predict takes a model and optionally a file: predict MODEL [FILE|-]');
  const { model, meta } = await loadModel(positional[0]!);
  const vocab = new torch.utils.data.Vocab(meta.vocab, { defaultIndex: meta.vocab.indexOf('<unk>') });
  try {
    const source = positional[1] ?? '-';
    let text: string;
    try {
      text = source === '-' ? await readStdin() : await readFile(source, 'utf8');
    } catch (e) {
      throw new InputError(`${source}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const lines = text.replace(/^\uFEFF/, '').split('\n').filter((l) => l.trim());
    const samples = lines.map((l): [torch.Tensor, number] => [torch.tensor(encode(vocab, l, meta.maxLength), { dtype: 'int32' }), 0]);
    const probs = await probabilities(model, samples, 128, 'cpu');
    for (const [t] of samples) t.dispose();
    for (const p of probs) {
      const k = p.indexOf(Math.max(...p));
      out(`${meta.labels[k]}\t${fmt(p[k]!)}`);
    }
  } finally {
    model.dispose();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs the CLI; returns the exit code (0 done, 1 a failure, 2 a usage error). */
export function main(argv: readonly string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  return runCli<Values>(
    {
      name: 'torchlet-sentiment',
      usage: USAGE,
      options: OPTIONS,
      commands: {
        train: withoutPositionals('train', (v) => trainCommand(v, out)),
        test: (v, positionals) => testCommand(v, positionals, out),
        predict: (_v, positionals) => predictCommand(positionals, out),
      },
      expected: [InputError, ModelFileError],
    },
    argv,
    out,
    err,
  );
}

if (isMain(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
