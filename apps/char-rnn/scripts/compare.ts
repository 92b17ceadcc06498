/**
 * Torchlet against PyTorch on the built-in Moby Dick: the same model and initial weights, the
 * same streams of text, the same hyper-parameters, each trained for the same wall-clock budget
 * (or step budget), then validation bits per character measured the same way. Needs
 * `python3 -c 'import torch'` (Debian: apt-get install python3-torch).
 *
 *   pnpm --filter @torchlet/app-char-rnn compare [--minutes 10] [--steps 100000] [--cell gru|lstm] [--dropout 0]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as torch from 'torchlet';
import { CharVocab, loadText, splitIds } from '../src/corpus.js';
import { Trainer, bitsPerChar, sample } from '../src/trainer.js';

const { values: args } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, steps: { type: 'string', default: '100000' }, cell: { type: 'string', default: 'gru' }, dropout: { type: 'string', default: '0' } },
});
const minutes = Number(args.minutes);
const python = process.env.PYTHON ?? '/usr/bin/python3';
const { text } = await loadText({ example: 'moby-dick' });
const vocab = CharVocab.fromText(text);
const valFraction = 0.05;
const { train, val } = splitIds(vocab.encode(text, 'moby-dick'), valFraction);
const model = { cell: args.cell as 'gru' | 'lstm', vocab: vocab.size, embed: 64, hidden: 256, layers: 2, dropout: Number(args.dropout) };
const config = { bptt: 64, batch: 32, lr: 0.002, clip: 1, steps: Number(args.steps), seed: 0 };
console.log(`Moby Dick: ${train.length} training / ${val.length} validation characters; ${model.cell.toUpperCase()} 2×256, bptt 64, batch 32, Adam 2e-3 cosine over ${config.steps} steps, clip 1; budget ${minutes} min each`);
console.log(`Node ${process.version}, ${torch.getNumThreads()} threads`);

const dir = mkdtempSync(join(tmpdir(), 'char-rnn-compare-'));
try {
  const trainer = new Trainer(model, config, train, 'cpu');
  await torch.io.saveSafetensors(trainer.model.stateDict(), join(dir, 'init.safetensors'));
  const textFile = fileURLToPath(new URL('../data/moby-dick.txt', import.meta.url));
  writeFileSync(join(dir, 'job.json'), JSON.stringify({ model, train: config, chars: vocab.chars, text: textFile, val_fraction: valFraction, minutes, threads: torch.getNumThreads() }));

  const deadline = performance.now() + minutes * 60_000;
  const t0 = performance.now();
  while (trainer.step < config.steps) {
    await trainer.trainStep();
    if (performance.now() >= deadline) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const vb = Math.min(config.batch, Math.max(1, Math.floor(val.length / (config.bptt + 1))));
  const ours = await bitsPerChar(trainer.model, val, { batch: vb, bptt: config.bptt, device: 'cpu' });
  const text200 = await sample(trainer.model, (s) => vocab.encode(s, 'prime'), (ids) => vocab.decode(ids), { prime: 'Call me', length: 200, temperature: 0.8, generator: new torch.Generator().manualSeed(0), device: 'cpu' });
  trainer.dispose();
  console.log(`Torchlet: ${trainer.step} steps in ${seconds.toFixed(0)} s (${(trainer.step / seconds).toFixed(2)} steps/s), validation bpc ${ours.toFixed(4)}`);
  const script = fileURLToPath(new URL('compare.py', import.meta.url));
  const theirs = JSON.parse(execFileSync(python, [script, dir], { encoding: 'utf8' })) as { steps: number; seconds: number; bpc: number; threads: number };
  console.log(`PyTorch:  ${theirs.steps} steps in ${theirs.seconds.toFixed(0)} s (${(theirs.steps / theirs.seconds).toFixed(2)} steps/s), validation bpc ${theirs.bpc.toFixed(4)} (${theirs.threads} threads)`);
  console.log(`Torchlet sample: Call me${text200}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
