#!/usr/bin/env node
/**
 * torchlet-char-rnn: train a character-level GRU/LSTM on a text and sample from it.
 *
 *   torchlet-char-rnn train --example moby-dick --steps 2000 --output moby.ckpt
 *   torchlet-char-rnn train --text my.txt --minutes 10 --checkpoint run.ckpt --resume
 *   torchlet-char-rnn sample moby.ckpt --prime "Call me" --length 300 --temperature 0.8
 */
import { existsSync } from 'node:fs';
import { TRAINING_OPTIONS, UsageError, choice, int, isMain, openDevice, progressBar, real, runCli, withoutPositionals, type FlagsOf } from '@torchlet/app-cli';
import * as torch from 'torchlet';
import { CharVocab, EXAMPLE_NAMES, InputError, VocabError, loadText, splitIds } from './corpus.js';
import { CharRNN, type ModelConfig } from './model.js';
import { Trainer, bitsPerChar, sample, type TrainConfig, type TrainerState } from './trainer.js';

const USAGE = `usage: torchlet-char-rnn <command> [options]

commands:
  train    train a model:   train (--example ${EXAMPLE_NAMES.join('|')} | --text FILE) [options]
  sample   generate text:   sample MODEL [--prime TEXT] [--length 300] [--temperature 0.8] [--seed 0]

data:       --example moby-dick | --text FILE (UTF-8)  --encoding-errors strict|replace  --val-fraction 0.05
model:      --cell gru|lstm (gru)  --embed 64  --hidden 256  --layers 2  --dropout 0.1
training:   --steps 2000  --minutes M (stop early)  --bptt 64  --batch 32  --lr 0.002  --clip 1  --seed 0
            --device cpu|webgpu  --eval-every 200  --checkpoint FILE [--checkpoint-every 200] [--resume]
output:     --output MODEL  --prime TEXT  --length 200  --temperature 0.8  --progress|--no-progress  --verbose`;

const OPTIONS = {
  ...TRAINING_OPTIONS,
  example: { type: 'string' },
  text: { type: 'string' },
  'encoding-errors': { type: 'string' },
  'val-fraction': { type: 'string' },
  cell: { type: 'string' },
  embed: { type: 'string' },
  hidden: { type: 'string' },
  layers: { type: 'string' },
  dropout: { type: 'string' },
  steps: { type: 'string' },
  minutes: { type: 'string' },
  bptt: { type: 'string' },
  clip: { type: 'string' },
  'eval-every': { type: 'string' },
  checkpoint: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  resume: { type: 'boolean' },
  prime: { type: 'string' },
  length: { type: 'string' },
  temperature: { type: 'string' },
} as const;

type Values = FlagsOf<typeof OPTIONS>;


export class ModelFileError extends Error {
  override name = 'ModelFileError';
}





/** A checkpoint or model file, checked before use. */
async function readState(path: string): Promise<TrainerState> {
  let s: TrainerState;
  try {
    s = await torch.io.load<TrainerState>(path);
  } catch (e) {
    throw new ModelFileError(`${path}: not a readable checkpoint (${(e as Error).message})`);
  }
  if (s?.format !== 'torchlet-char-rnn-checkpoint/1') throw new ModelFileError(`${path}: not a torchlet-char-rnn checkpoint (format ${JSON.stringify(s?.format)})`);
  if (!Array.isArray(s.chars) || s.chars.length !== s.model?.vocab) throw new ModelFileError(`${path}: ${s.chars?.length} characters but the model's vocabulary is ${s.model?.vocab}`);
  return s;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

async function trainCommand(v: Values, out: (line: string) => void): Promise<void> {
  const { name, text } = await loadText({ ...(v.example === undefined ? {} : { example: v.example }), ...(v.text === undefined ? {} : { text: v.text }), encodingErrors: choice(v, 'encoding-errors', ['strict', 'replace'] as const, 'strict') });
  const vocab = CharVocab.fromText(text);
  const valFraction = real(v, 'val-fraction', 0.05, (x) => x > 0 && x < 0.5, 'a fraction in (0, 0.5)');
  const { train, val } = splitIds(vocab.encode(text, name), valFraction);
  const device = choice(v, 'device', ['cpu', 'webgpu'] as const, 'cpu');
  const modelConfig: ModelConfig = {
    cell: choice(v, 'cell', ['gru', 'lstm'] as const, 'gru'),
    vocab: vocab.size,
    embed: int(v, 'embed', 64),
    hidden: int(v, 'hidden', 256),
    layers: int(v, 'layers', 2),
    dropout: real(v, 'dropout', 0.1, (x) => x >= 0 && x < 1, 'a number in [0, 1)'),
  };
  const config: TrainConfig = {
    bptt: int(v, 'bptt', 64),
    batch: int(v, 'batch', 32),
    lr: real(v, 'lr', 0.002, (x) => x > 0, 'a positive number'),
    clip: real(v, 'clip', 1, (x) => x > 0, 'a positive number'),
    steps: int(v, 'steps', 2000),
    seed: int(v, 'seed', 0, 0),
  };
  const minutes = real(v, 'minutes', Infinity, (x) => x > 0, 'a positive number of minutes');
  const evalEvery = int(v, 'eval-every', 200);
  const checkpointEvery = int(v, 'checkpoint-every', evalEvery);
  const sampleOptions = { prime: v.prime ?? '', length: int(v, 'length', 200, 0), temperature: real(v, 'temperature', 0.8, (x) => x > 0, 'a positive number') };
  if (v.resume && v.checkpoint === undefined) throw new UsageError('--resume needs --checkpoint FILE');
  if (sampleOptions.prime) vocab.encode(sampleOptions.prime, '--prime');
  await openDevice(device);

  const trainer = new Trainer(modelConfig, config, train, device);
  try {
    if (v.resume && existsSync(v.checkpoint!)) {
      const s = await readState(v.checkpoint!);
      if (!sameJson(s.model, modelConfig) || !sameJson(s.train, config) || !sameJson(s.chars, vocab.chars)) {
        throw new ModelFileError(`${v.checkpoint}: was made with other settings or another text (${JSON.stringify({ ...s.model, ...s.train })}); give the same flags to resume`);
      }
      trainer.restore(s);
      for (const t of Object.values(s.weights)) t.dispose();
      for (const t of s.hidden) t.dispose();
      out(`resumed from ${v.checkpoint} at step ${trainer.step}`);
    }
    const params = trainer.model.parameters().reduce((n, p) => n + p.numel(), 0);
    out(
      `${name}: ${text.length} characters, vocabulary ${vocab.size}; train ${train.length}, validation ${val.length}; ` +
        `${modelConfig.cell.toUpperCase()} ${modelConfig.layers}×${modelConfig.hidden}, ${params} parameters; device ${device}, ${torch.getNumThreads()} threads`,
    );
    if (v.verbose) out(`memory at start: ${JSON.stringify(torch.memoryStats())}`);
      const bar = progressBar(v, { total: config.steps, label: 'training', unit: 'step' });
    bar.update(trainer.step);
    const deadline = performance.now() + minutes * 60_000;
    const sampler = new torch.Generator().manualSeed(config.seed);
    const evaluate = async () => {
      bar.close();
      const bpc = await bitsPerChar(trainer.model, val, { batch: Math.min(config.batch, Math.max(1, Math.floor(val.length / (config.bptt + 1)))), bptt: config.bptt, device });
      out(`step ${trainer.step}: validation bpc ${bpc.toFixed(4)}`);
      if (sampleOptions.length > 0) {
        const text = await sample(trainer.model, (s) => vocab.encode(s, '--prime'), (ids) => vocab.decode(ids), { ...sampleOptions, generator: sampler, device });
        out(`---\n${sampleOptions.prime}${text}\n---`);
      }
    };
    // --minutes ends the run after the step during which the time ran out
    while (trainer.step < config.steps) {
      const loss = await trainer.trainStep();
      bar.update(1, { loss: loss / Math.LN2, lr: trainer.lr.toExponential(2) });
      if (v.checkpoint !== undefined && trainer.step % checkpointEvery === 0) await torch.io.save(trainer.state(vocab.chars), v.checkpoint);
      if (trainer.step % evalEvery === 0 || trainer.step === config.steps) await evaluate();
      if (performance.now() >= deadline) break;
    }
    bar.close();
    if (trainer.step % evalEvery !== 0 && trainer.step !== config.steps) await evaluate(); // stopped by --minutes
    if (v.verbose) out(`memory at end: ${JSON.stringify(torch.memoryStats())}`);
    if (v.checkpoint !== undefined) await torch.io.save(trainer.state(vocab.chars), v.checkpoint);
    if (v.output !== undefined) {
      await torch.io.save(trainer.state(vocab.chars), v.output);
      out(`model saved to ${v.output}`);
    }
  } finally {
    trainer.dispose();
  }
}

async function sampleCommand(v: Values, positional: string[], out: (line: string) => void): Promise<void> {
  if (positional.length !== 1) throw new UsageError('sample takes one model file: sample MODEL [--prime TEXT] [--length N] [--temperature T]');
  const s = await readState(positional[0]!);
  const vocab = new CharVocab(s.chars);
  const model = new CharRNN(s.model);
  try {
    model.loadStateDict(s.weights, { strict: true });
  } catch (e) {
    model.dispose();
    throw new ModelFileError(`${positional[0]}: the weights do not fit the configuration (${(e as Error).message})`);
  } finally {
    for (const t of Object.values(s.weights)) t.dispose();
    for (const t of s.hidden) t.dispose();
  }
  try {
    const prime = v.prime ?? '';
    const text = await sample(model, (x) => vocab.encode(x, '--prime'), (ids) => vocab.decode(ids), {
      prime,
      length: int(v, 'length', 300, 0),
      temperature: real(v, 'temperature', 0.8, (x) => x > 0, 'a positive number'),
      generator: new torch.Generator().manualSeed(int(v, 'seed', 0, 0)),
      device: 'cpu',
    });
    out(prime + text);
  } finally {
    model.dispose();
  }
}

/** Runs the CLI; returns the exit code (0 done, 1 a failure, 2 a usage error). */
export function main(argv: readonly string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  return runCli<Values>(
    {
      name: 'torchlet-char-rnn',
      usage: USAGE,
      options: OPTIONS,
      commands: {
        train: withoutPositionals('train', (v) => trainCommand(v, out)),
        sample: (v, positionals) => sampleCommand(v, positionals, out),
      },
      expected: [InputError, VocabError, ModelFileError],
    },
    argv,
    out,
    err,
  );
}

if (isMain(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
