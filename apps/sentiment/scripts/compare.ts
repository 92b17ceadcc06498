/**
 * Torchlet against PyTorch on the built-in Amazon Fine Food reviews: the same vocabulary,
 * model, initial weights and hyper-parameters (each framework shuffles with its own generator),
 * then test accuracy and training wall time for both. Needs `python3 -c 'import torch'`
 * (Debian: apt-get install python3-torch).
 *
 *   pnpm --filter @torchlet/app-sentiment compare [--epochs 5] [--seeds 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as torch from 'torchlet';
import { buildVocab, evaluate, probabilities, toSamples, train } from '../src/classifier.js';
import { example, readExamples } from '../src/examples.js';
import { SentimentGRU } from '../src/model.js';

const { values: args } = parseArgs({ options: { epochs: { type: 'string', default: '5' }, seeds: { type: 'string', default: '3' } } });
const epochs = Number(args.epochs);
const python = process.env.PYTHON ?? '/usr/bin/python3';
const ex = example('fine-foods');
const trainExamples = await readExamples(ex.train, ex.options);
const testExamples = await readExamples(ex.test, ex.options);
const labels = [...new Set(trainExamples.map((e) => e.label))].sort();
const vocab = buildVocab(trainExamples.map((e) => e.text), { minFreq: 2, maxSize: 20000 });
const maxLength = 200;
const hyper = { lr: 0.002, batch: 32 };
const config = { vocab: vocab.length, embed: 64, hidden: 64, layers: 1, bidirectional: true, dropout: 0.2, classes: labels.length };
const trainSamples = toSamples(trainExamples, vocab, labels, maxLength, 'train');
const testSamples = toSamples(testExamples, vocab, labels, maxLength, 'test');
console.log(`Fine foods: ${trainExamples.length} train / ${testExamples.length} test; vocabulary ${vocab.length}; embedding 64 → bidirectional GRU 64 → 2; ${epochs} epochs, Adam ${hyper.lr}, batch ${hyper.batch}`);
console.log(`Node ${process.version}, ${torch.getNumThreads()} threads`);
console.log('seed | Torchlet accuracy  time (s) | PyTorch accuracy  time (s)');
for (let seed = 0; seed < Number(args.seeds); seed++) {
  const dir = mkdtempSync(join(tmpdir(), 'sentiment-compare-'));
  try {
    torch.manualSeed(seed);
    const model = new SentimentGRU(config);
    await torch.io.saveSafetensors(model.stateDict(), join(dir, 'init.safetensors'));
    const t0 = performance.now();
    await train(model, trainSamples, { epochs, ...hyper, seed, device: 'cpu' });
    const seconds = (performance.now() - t0) / 1000;
    const { accuracy } = evaluate(await probabilities(model, testSamples, 128, 'cpu'), testSamples.map((s) => s[1]), labels.length);
    model.dispose();
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({ config, labels, vocab: vocab.getItos(), max_length: maxLength, epochs, ...hyper, seed, threads: torch.getNumThreads(), train: ex.train, test: ex.test, text_column: 'review', label_column: 'score' }),
    );
    const theirs = JSON.parse(execFileSync(python, [fileURLToPath(new URL('compare.py', import.meta.url)), dir], { encoding: 'utf8' })) as { accuracy: number; seconds: number };
    console.log(`${String(seed).padStart(4)} | ${accuracy.toFixed(4).padStart(17)} ${seconds.toFixed(1).padStart(9)} | ${theirs.accuracy.toFixed(4).padStart(16)} ${theirs.seconds.toFixed(1).padStart(9)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
for (const [t] of [...trainSamples, ...testSamples]) t.dispose();
