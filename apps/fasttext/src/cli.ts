#!/usr/bin/env node
/**
 * torchlet-fasttext: train / test / predict, modelled on the fastText command line.
 *
 *   torchlet-fasttext train --input data.txt --output model [--epoch 5 --lr 0.1 --dim 100 --word-ngrams 1 …]
 *   torchlet-fasttext train --example spam --output spam
 *   torchlet-fasttext test model test.txt [k]
 *   torchlet-fasttext predict model [file|-] [k]
 *
 * fastText's own spellings (`-input`, `-wordNgrams`, `-minCount` …) are accepted too. Every
 * misuse is refused with one line on stderr: exit code 2 for the command line (an unknown or
 * misspelt option, a missing or malformed value), 1 for what happens at run time (a missing or
 * malformed file, a corrupt model, training that diverges). Node's `util.parseArgs` cannot read
 * fastText's single-dash long options, hence the small parser here.
 */
import '@torchlet/backend-cpu';
import type { EncodingErrors, Example, FormatOptions, InputFormat } from './formats.js';
import { InputError, formatOf, readExamples } from './formats.js';
import { errorCode, fileProblem } from './files.js';
import { ModelError, loadModel, saveModel } from './model-io.js';
import { checkSavePath } from './model-files.js';
import { formatReport, predict, test } from './evaluate.js';
import { randomSplit, spamAssassin } from './spam.js';
import { DEFAULT_ARGS, TrainingError, argProblems, train, type TrainArgs } from './train.js';

const USAGE = `usage: torchlet-fasttext <command> <args>

commands:
  train     train a classifier:  train --input FILE --output MODEL [options]
                                 train --example spam [--output MODEL] [options]
  test      evaluate:            test MODEL FILE [K]        (prints N, P@K, R@K, confusion matrix)
  predict   predict labels:      predict MODEL [FILE|-] [K] (--k K, --threshold P)

training options (fastText's defaults):
  --lr 0.1  --dim 100  --epoch 5  --word-ngrams 1  --bucket 2000000  --min-count 1
  --min-count-label 0  --seed 0  --batch 1 (lines per SGD update; fastText: 1)
  --progress / --no-progress   force the progress bar on or off (default: only on a terminal)
input options (train, test, predict):
  --format fasttext|tsv|csv|jsonl (default: by extension)   --label-prefix __label__
  --label-column label  --text-column text   (TSV/CSV columns, JSON Lines fields)
  --skip-bad-lines      drop malformed lines instead of stopping
  --encoding-errors strict|replace   invalid UTF-8 stops with file:line (strict, default) or reads as U+FFFD

exit codes: 0 done, 1 failed at run time (files, model, training), 2 bad command line`;

/** A mistake on the command line (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Command = 'train' | 'test' | 'predict';
const COMMANDS: readonly Command[] = ['train', 'test', 'predict'];
const ALL = COMMANDS;
const TRAIN: readonly Command[] = ['train'];

interface OptionSpec {
  /** The kebab-case spelling, e.g. `word-ngrams`. */
  flag: string;
  kind: 'number' | 'string' | 'flag';
  commands: readonly Command[];
  /** Other spellings, lower-cased (fastText's `-wordNgrams` → `wordngrams`). */
  aliases?: readonly string[];
  /** The hyper-parameter a number sets. */
  key?: keyof TrainArgs;
  /** The values a string may take. */
  values?: readonly string[];
}

const num = (flag: string, key: keyof TrainArgs, aliases?: string[]): OptionSpec => ({ flag, kind: 'number', commands: TRAIN, key, ...(aliases ? { aliases } : {}) });

const OPTIONS: readonly OptionSpec[] = [
  num('lr', 'lr'),
  num('dim', 'dim'),
  num('epoch', 'epoch'),
  num('word-ngrams', 'wordNgrams', ['wordngrams']),
  num('bucket', 'bucket'),
  num('min-count', 'minCount', ['mincount']),
  num('min-count-label', 'minCountLabel', ['mincountlabel']),
  num('seed', 'seed'),
  num('batch', 'batch'),
  { flag: 'input', kind: 'string', commands: TRAIN },
  { flag: 'output', kind: 'string', commands: TRAIN },
  { flag: 'example', kind: 'string', commands: TRAIN, values: ['spam'] },
  { flag: 'progress', kind: 'flag', commands: TRAIN },
  { flag: 'no-progress', kind: 'flag', commands: TRAIN, aliases: ['quiet'] },
  { flag: 'format', kind: 'string', commands: ALL, values: ['fasttext', 'tsv', 'csv', 'jsonl'] },
  { flag: 'label-prefix', kind: 'string', commands: ALL, aliases: ['labelprefix', 'label'] },
  { flag: 'label-column', kind: 'string', commands: ALL },
  { flag: 'text-column', kind: 'string', commands: ALL },
  { flag: 'skip-bad-lines', kind: 'flag', commands: ALL },
  { flag: 'encoding-errors', kind: 'string', commands: ALL, values: ['strict', 'replace'] },
  { flag: 'k', kind: 'string', commands: ['test', 'predict'] },
  { flag: 'threshold', kind: 'string', commands: ['predict'] },
  { flag: 'help', kind: 'flag', commands: ALL, aliases: ['h'] },
];

const BY_NAME = new Map<string, OptionSpec>();
for (const o of OPTIONS) for (const n of [o.flag, ...(o.aliases ?? [])]) BY_NAME.set(n, o);

/** fastText options this app does not have: named as such rather than as typos. */
const FASTTEXT_ONLY = new Set(['thread', 'loss', 'ws', 'neg', 'minn', 'maxn', 't', 'lrupdaterate', 'verbose', 'pretrainedvectors', 'saveoutput', 'cutoff', 'retrain', 'qnorm', 'qout', 'dsub']);

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export interface ParsedArgs {
  command: string;
  positional: string[];
  train: Partial<TrainArgs>;
  /** String options by their kebab-case flag. */
  opts: Record<string, string>;
  /** Flags given (kebab-case). */
  flags: Set<string>;
  /** How the user spelt each option given, for messages (`-wordNgrams`). */
  spelt: Map<string, string>;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function unknownOption(typed: string, name: string, command: string): UsageError {
  if (FASTTEXT_ONLY.has(name)) return new UsageError(`${typed} is a fastText option this app does not implement`);
  const mine = OPTIONS.filter((o) => (o.commands as readonly string[]).includes(command)).map((o) => o.flag);
  const near = mine.filter((f) => editDistance(f, name) <= 2).sort((x, y) => editDistance(x, name) - editDistance(y, name))[0];
  return new UsageError(`unknown option ${typed}${near ? ` (did you mean --${near}?)` : ''}; run 'torchlet-fasttext help' for the options`);
}

/** Parses `argv` (without node and the script); throws `UsageError` for anything it cannot take. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  const out: ParsedArgs = { command, positional: [], train: {}, opts: {}, flags: new Set(), spelt: new Map() };
  const known = (COMMANDS as readonly string[]).includes(command);
  if (!known && !['help', '--help', '-h'].includes(command)) throw new UsageError(`unknown command '${command}' (commands: train, test, predict, help)`);
  let onlyPositional = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (onlyPositional || !a.startsWith('-') || a === '-') {
      out.positional.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositional = true;
      continue;
    }
    const eq = a.indexOf('=');
    const typed = eq >= 0 ? a.slice(0, eq) : a;
    const inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    const name = typed.replace(/^--?/, '').toLowerCase();
    const spec = BY_NAME.get(name);
    if (!spec) throw unknownOption(typed, name, command);
    if (known && !(spec.commands as readonly string[]).includes(command)) {
      throw new UsageError(`${typed} is ${spec.commands.length === 1 ? `a ${spec.commands[0]}` : `a ${spec.commands.join('/')}`} option; ${command} does not take it`);
    }
    out.spelt.set(spec.flag, typed);
    if (spec.kind === 'flag') {
      if (inline !== undefined) throw new UsageError(`${typed} takes no value, got '${inline}'`);
      out.flags.add(spec.flag);
      // The later of --progress / --no-progress wins, as with any repeated option.
      if (spec.flag === 'progress') out.flags.delete('no-progress');
      if (spec.flag === 'no-progress') out.flags.delete('progress');
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = rest[i + 1];
      // A following option is not a value (`--input --output m`), a negative number is.
      if (next === undefined || (next.startsWith('-') && next !== '-' && !NUMBER.test(next))) {
        throw new UsageError(`${typed} needs a value${next === undefined ? '' : `, got the option ${next}`}${spec.values ? ` (one of ${spec.values.join(', ')})` : ''}`);
      }
      value = next;
      i++;
    }
    if (spec.kind === 'number') {
      if (!NUMBER.test(value.trim())) throw new UsageError(`${typed} must be a number, got '${value}'`);
      out.train[spec.key!] = Number(value);
    } else {
      if (spec.values && !spec.values.includes(value)) throw new UsageError(`${typed} must be one of ${spec.values.join(', ')}, got '${value}'`);
      if (value === '' && !spec.values) throw new UsageError(`${typed} needs a non-empty value`);
      out.opts[spec.flag] = value;
    }
  }
  return out;
}

/** The flag as the user spelt it, or its kebab-case form. */
function flagName(p: ParsedArgs, flag: string): string {
  return p.spelt.get(flag) ?? `--${flag}`;
}

/** The hyper-parameters, checked with the CLI's names (`--bucket`, not `bucket`). */
function trainArgs(p: ParsedArgs): Partial<TrainArgs> {
  const problem = argProblems({ ...DEFAULT_ARGS, ...p.train })[0];
  if (problem) throw new UsageError(`${flagName(p, OPTIONS.find((o) => o.key === problem.key)!.flag)} ${problem.message}`);
  return p.train;
}

/** A positive integer K (test's and predict's third argument, or `--k`). */
function kOption(p: ParsedArgs, positional: string | undefined): number {
  const flag = p.opts['k'];
  if (flag !== undefined && positional !== undefined) throw new UsageError(`K given twice: as the argument '${positional}' and as ${flagName(p, 'k')} ${flag}`);
  const v = flag ?? positional;
  if (v === undefined) return 1;
  const what = flag !== undefined ? flagName(p, 'k') : `K (${p.command}'s last argument)`;
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw new UsageError(`${what} must be a positive integer, got '${v}'`);
  return Number(v);
}

function thresholdOption(p: ParsedArgs): number {
  const v = p.opts['threshold'];
  if (v === undefined) return 0;
  const t = Number(v);
  if (!NUMBER.test(v.trim()) || !(t >= 0 && t <= 1)) throw new UsageError(`${flagName(p, 'threshold')} must be a probability from 0 to 1, got '${v}'`);
  return t;
}

const INPUT_FLAGS = ['format', 'label-prefix', 'label-column', 'text-column', 'skip-bad-lines', 'encoding-errors'];

/** The reader options for `file`, refusing options that its format would ignore. */
function formatOptions(p: ParsedArgs, file: string, what: string, unlabelled = false): FormatOptions {
  const format = formatOf(file, p.opts['format'] as InputFormat | undefined);
  const columns = format !== 'fasttext';
  for (const flag of ['label-column', 'text-column']) {
    if (p.opts[flag] !== undefined && !columns) {
      throw new UsageError(`${flagName(p, flag)} applies to tsv, csv and jsonl input, but ${file} is read as fasttext (choose with --format)`);
    }
  }
  // predict also prints labels with the prefix, whatever the input format.
  if (p.opts['label-prefix'] !== undefined && columns && p.command !== 'predict') {
    throw new UsageError(`${flagName(p, 'label-prefix')} applies to fasttext input, but ${file} is read as ${format} (choose with --format)`);
  }
  return {
    format,
    labelPrefix: p.opts['label-prefix'],
    labelColumn: p.opts['label-column'],
    textColumn: p.opts['text-column'],
    onBadLine: p.flags.has('skip-bad-lines') ? 'skip' : 'error',
    encodingErrors: (p.opts['encoding-errors'] as EncodingErrors | undefined) ?? 'strict',
    unlabelled,
    what,
  };
}

function progressOption(p: ParsedArgs): boolean | undefined {
  if (p.flags.has('progress')) return true;
  if (p.flags.has('no-progress')) return false;
  return undefined;
}

function positionals(p: ParsedArgs, min: number, max: number, shape: string): string[] {
  if (p.positional.length < min) throw new UsageError(`${p.command} needs ${shape}`);
  if (p.positional.length > max) {
    const extra = p.positional[max]!;
    throw new UsageError(max === 0 ? `train takes options only, got '${extra}' (the input is --input FILE)` : `unexpected argument '${extra}' (${p.command} takes ${shape})`);
  }
  return p.positional;
}

/** Runs one command; output lines go to `print`. Returns 0; throws on failure (see `run` for the exit codes). */
export async function main(argv: readonly string[], print: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  const p = parseArgs(argv);
  if (p.flags.has('help') || !(COMMANDS as readonly string[]).includes(p.command)) {
    print(USAGE);
    return 0;
  }
  switch (p.command as Command) {
    case 'train': {
      positionals(p, 0, 0, '');
      const hyper = trainArgs(p);
      const example = p.opts['example'];
      const input = p.opts['input'];
      let options: FormatOptions | null = null;
      if (example !== undefined) {
        if (input !== undefined) throw new UsageError(`give ${flagName(p, 'input')} or ${flagName(p, 'example')}, not both`);
        const given = INPUT_FLAGS.find((f) => p.opts[f] !== undefined || p.flags.has(f));
        if (given) throw new UsageError(`${flagName(p, given)} applies to --input files, not to --example ${example}`);
      } else {
        if (input === undefined) throw new UsageError('train needs --input FILE (or --example spam)');
        options = formatOptions(p, input, flagName(p, 'input'));
        if (p.opts['output'] === undefined) throw new UsageError('train needs --output MODEL');
      }
      const output = p.opts['output'] ?? `model-${example}`;
      if (/[/\\]$/.test(output)) throw new UsageError(`${flagName(p, 'output')} names the model's files, e.g. ${output}model; got the directory '${output}'`);
      // The command line is settled; fail on an unwritable --output before training, not after.
      checkSavePath(output);
      let trainSet: readonly Example[];
      let heldOut: readonly Example[] | null = null;
      if (options === null) {
        const split = randomSplit(spamAssassin(), hyper.seed ?? 0);
        trainSet = split.train;
        heldOut = split.test;
        print(`example spam: SpamAssassin corpus, seeded 80/20 split (seed ${hyper.seed ?? 0}): ${trainSet.length} train, ${heldOut.length} test`);
      } else {
        trainSet = readExamples(input!, options);
        if (trainSet.length === 0) throw new InputError(`${input} (${flagName(p, 'input')}) holds no examples`);
      }
      const progress = progressOption(p);
      const r = train(trainSet, hyper, progress === undefined ? {} : { progress });
      try {
        print(`Read ${r.dict.ntokens} words; ${r.dict.nwords} in the vocabulary, ${r.dict.nlabels} labels (${r.prepareSeconds.toFixed(2)} s)`);
        print(`trained ${r.args.epoch} epochs in ${r.trainSeconds.toFixed(2)} s: ${Math.round(r.wordsPerSec)} words/s/thread, final loss ${r.loss.toFixed(4)}`);
        const paths = await saveModel(output, r.model, r.dict, r.args);
        print(`saved ${paths.json} and ${paths.weights}`);
        if (heldOut) print(formatReport(await test(r.model, r.dict, heldOut, 1)));
      } finally {
        r.model.embedding.weight.dispose();
        r.model.fc.weight.dispose();
      }
      return 0;
    }
    case 'test': {
      const [modelPath, file, kArg] = positionals(p, 2, 3, 'MODEL FILE [K]');
      const k = kOption(p, kArg);
      const options = formatOptions(p, file!, 'FILE');
      const { model, dict } = await loadModel(modelPath!);
      print(formatReport(await test(model, dict, readExamples(file!, options), k)));
      return 0;
    }
    case 'predict': {
      const [modelPath, file = '-', kArg] = positionals(p, 1, 3, 'MODEL [FILE|-] [K]');
      const k = kOption(p, kArg);
      const threshold = thresholdOption(p);
      const options = formatOptions(p, file, 'FILE', true);
      const { model, dict } = await loadModel(modelPath!);
      const prefix = p.opts['label-prefix'] ?? '__label__';
      const examples = readExamples(file, options);
      for (const pr of predict(model, dict, examples.map((e) => e.text), k, threshold)) {
        print(pr.labels.map((l, i) => `${prefix}${l} ${pr.probs[i]!.toFixed(5)}`).join(' '));
      }
      return 0;
    }
  }
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `main` with the exit code and the one-line message of every failure: 2 for a `UsageError`, 1
 * for a bad file, model or run. Only an unexpected error (a bug) adds its stack.
 */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  if (argv.length === 0) {
    io.err(USAGE);
    return 2;
  }
  try {
    return await main(argv, io.out);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}`);
      return 2;
    }
    if (err instanceof ModelError || err instanceof InputError || err instanceof TrainingError) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    if (typeof errorCode(err) === 'string' && err instanceof Error && 'path' in err) {
      io.err(`error: ${String(err.path)}: ${fileProblem(err)}`);
      return 1;
    }
    io.err(`error: internal error: ${err instanceof Error ? err.message : String(err)} (please report it with the stack below)`);
    if (err instanceof Error && err.stack) io.err(err.stack);
    return 1;
  }
}

const isMain = typeof process !== 'undefined' && process.argv[1] !== undefined && /cli\.(ts|js)$/.test(process.argv[1]);
if (isMain) {
  // `predict … | head` closes the pipe early: that ends the output, it is not an error.
  process.stdout.on('error', (err) => {
    if (errorCode(err) === 'EPIPE') process.exit(0);
    throw err;
  });
  // `pnpm … start -- train …` passes the `--` separator through: drop it.
  const argv = process.argv.slice(2);
  void run(argv[0] === '--' ? argv.slice(1) : argv, {
    out: (s) => process.stdout.write(s + '\n'),
    err: (s) => process.stderr.write(s + '\n'),
  }).then((code) => process.exit(code));
}

export { DEFAULT_ARGS };
