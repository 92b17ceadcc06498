#!/usr/bin/env node
/**
 * torchlet-fasttext: train / test / predict, modelled on the fastText command line.
 *
 *   torchlet-fasttext train --input data.txt --output model [--epoch 5 --lr 0.1 --dim 100 --word-ngrams 1 …]
 *   torchlet-fasttext train --example spam --output spam
 *   torchlet-fasttext test model test.txt [k]
 *   torchlet-fasttext predict model [file|-] [k]
 *
 * fastText's own spellings (`-input`, `-wordNgrams`, `-minCount` …) are accepted too.
 */
import '@torchlet/backend-cpu';
import type { Example, FormatOptions, InputFormat } from './formats.js';
import { InputError, readExamples } from './formats.js';
import { ModelError, loadModel, saveModel } from './model-io.js';
import { formatReport, predict, test } from './evaluate.js';
import { randomSplit, spamAssassin } from './spam.js';
import { DEFAULT_ARGS, train, type TrainArgs } from './train.js';

const USAGE = `usage: torchlet-fasttext <command> <args>

commands:
  train     train a classifier:  train --input FILE --output MODEL [options]
                                 train --example spam [--output MODEL] [options]
  test      evaluate:            test MODEL FILE [K]        (prints N, P@K, R@K, confusion matrix)
  predict   predict labels:      predict MODEL [FILE|-] [K] (--k K, --threshold P)

training options (fastText's defaults):
  --lr 0.1  --dim 100  --epoch 5  --word-ngrams 1  --bucket 2000000  --min-count 1
  --min-count-label 0  --seed 0  --batch 1 (lines per SGD update; fastText: 1)
input options:
  --format fasttext|tsv|csv|jsonl (default: by extension)   --label-prefix __label__
  --label-column label  --text-column text   (TSV/CSV columns, JSON Lines fields)
  --skip-bad-lines      drop malformed lines instead of stopping
  --progress / --no-progress   force the progress bar on or off (default: only on a terminal)`;

const NUMERIC: Record<string, keyof TrainArgs> = {
  lr: 'lr',
  dim: 'dim',
  epoch: 'epoch',
  'word-ngrams': 'wordNgrams',
  wordngrams: 'wordNgrams',
  bucket: 'bucket',
  'min-count': 'minCount',
  mincount: 'minCount',
  'min-count-label': 'minCountLabel',
  mincountlabel: 'minCountLabel',
  seed: 'seed',
  batch: 'batch',
};
const STRING = new Set(['input', 'output', 'format', 'label-prefix', 'labelprefix', 'label-column', 'text-column', 'example', 'k', 'threshold']);
const FLAGS = new Set(['skip-bad-lines', 'progress', 'no-progress', 'help', 'quiet']);

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedArgs {
  command: string;
  positional: string[];
  train: Partial<TrainArgs>;
  opts: Record<string, string>;
  flags: Set<string>;
}

/** Parses `argv` (without node and the script). */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  const out: ParsedArgs = { command, positional: [], train: {}, opts: {}, flags: new Set() };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('-') || a === '-') {
      out.positional.push(a);
      continue;
    }
    let name = a.replace(/^--?/, '');
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const key = name.toLowerCase() === name ? name : name.toLowerCase();
    if (FLAGS.has(key)) {
      out.flags.add(key);
      continue;
    }
    const take = (): string => {
      if (value !== undefined) return value;
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (key in NUMERIC) {
      const v = take();
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${a}: expected a number, got '${v}'`);
      out.train[NUMERIC[key]!] = n;
    } else if (STRING.has(key)) out.opts[key.replace('labelprefix', 'label-prefix')] = take();
    else throw new UsageError(`unknown option ${a}\n\n${USAGE}`);
  }
  return out;
}

function formatOptions(p: ParsedArgs, unlabelled = false): FormatOptions {
  return {
    format: p.opts['format'] as InputFormat | undefined,
    labelPrefix: p.opts['label-prefix'],
    labelColumn: p.opts['label-column'],
    textColumn: p.opts['text-column'],
    onBadLine: p.flags.has('skip-bad-lines') ? 'skip' : 'error',
    unlabelled,
  };
}

function progressOption(p: ParsedArgs): boolean | undefined {
  if (p.flags.has('progress')) return true;
  if (p.flags.has('no-progress') || p.flags.has('quiet')) return false;
  return undefined;
}

/** Runs one command; output lines go to `print`. Returns the exit code. */
export async function main(argv: readonly string[], print: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const p = parseArgs(argv);
  switch (p.command) {
    case 'train': {
      let trainSet: readonly Example[];
      let heldOut: readonly Example[] | null = null;
      if (p.opts['example'] !== undefined) {
        if (p.opts['example'] !== 'spam') throw new UsageError(`unknown example '${p.opts['example']}' (available: spam)`);
        const split = randomSplit(spamAssassin(), p.train.seed ?? 0);
        trainSet = split.train;
        heldOut = split.test;
        print(`example spam: SpamAssassin corpus, seeded 80/20 split (seed ${p.train.seed ?? 0}): ${trainSet.length} train, ${heldOut.length} test`);
      } else {
        const input = p.opts['input'];
        if (!input) throw new UsageError(`train needs --input FILE (or --example spam)\n\n${USAGE}`);
        trainSet = readExamples(input, formatOptions(p));
      }
      const output = p.opts['output'] ?? (p.opts['example'] ? `model-${p.opts['example']}` : undefined);
      if (!output) throw new UsageError('train needs --output MODEL');
      const progress = progressOption(p);
      const r = train(trainSet, p.train, progress === undefined ? {} : { progress });
      print(`Read ${r.dict.ntokens} words; ${r.dict.nwords} in the vocabulary, ${r.dict.nlabels} labels (${r.prepareSeconds.toFixed(2)} s)`);
      print(`trained ${r.args.epoch} epochs in ${r.trainSeconds.toFixed(2)} s: ${Math.round(r.wordsPerSec)} words/s/thread, final loss ${r.loss.toFixed(4)}`);
      const paths = await saveModel(output, r.model, r.dict, r.args);
      print(`saved ${paths.json} and ${paths.weights}`);
      if (heldOut) print(formatReport(await test(r.model, r.dict, heldOut, 1)));
      r.model.embedding.weight.dispose();
      r.model.fc.weight.dispose();
      return 0;
    }
    case 'test': {
      const [modelPath, file, kArg] = p.positional;
      if (!modelPath || !file) throw new UsageError(`test needs MODEL FILE\n\n${USAGE}`);
      const k = Number(p.opts['k'] ?? kArg ?? 1);
      const { model, dict } = await loadModel(modelPath);
      print(formatReport(await test(model, dict, readExamples(file, formatOptions(p)), k)));
      return 0;
    }
    case 'predict': {
      const [modelPath, file = '-', kArg] = p.positional;
      if (!modelPath) throw new UsageError(`predict needs MODEL\n\n${USAGE}`);
      const k = Number(p.opts['k'] ?? kArg ?? 1);
      const threshold = Number(p.opts['threshold'] ?? 0);
      const { model, dict } = await loadModel(modelPath);
      const prefix = p.opts['label-prefix'] ?? '__label__';
      const examples = readExamples(file, formatOptions(p, true));
      for (const pr of predict(model, dict, examples.map((e) => e.text), k, threshold)) {
        print(pr.labels.map((l, i) => `${prefix}${l} ${pr.probs[i]!.toFixed(5)}`).join(' '));
      }
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      print(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command '${p.command}'\n\n${USAGE}`);
  }
}

const isMain = typeof process !== 'undefined' && process.argv[1] !== undefined && /cli\.(ts|js)$/.test(process.argv[1]);
if (isMain) {
  // `pnpm … start -- train …` passes the `--` separator through: drop it.
  const argv = process.argv.slice(2);
  main(argv[0] === '--' ? argv.slice(1) : argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const known = err instanceof UsageError || err instanceof ModelError || err instanceof InputError || err instanceof RangeError;
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!known && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exit(known ? 2 : 1);
    },
  );
}

export { DEFAULT_ARGS };
