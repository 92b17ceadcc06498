import '@torchlet/backend-cpu';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { run } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'torchlet-fasttext-cli-'));
const data = join(dir, 'data.txt');
const model = join(dir, 'model');
const missing = join(dir, 'missing.txt');

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out, err };
}

beforeAll(async () => {
  writeFileSync(data, '__label__a hello world\n__label__b foo bar\n__label__a hello there\n');
  writeFileSync(join(dir, 'empty.txt'), '\n\n');
  writeFileSync(join(dir, 'unlabelled.txt'), 'hello world\n');
  writeFileSync(join(dir, 'bad-utf8.txt'), Buffer.concat([Buffer.from('__label__a ok\n__label__b caf'), Buffer.from([0xff]), Buffer.from('\n')]));
  const r = await cli(['train', '--input', data, '--output', model, '--dim', '8', '--no-progress']);
  expect(r.code).toBe(0);
  mkdirSync(join(dir, 'edited'));
  const json = JSON.parse(readFileSync(`${model}.json`, 'utf8'));
  json.args.dim = 'abc';
  writeFileSync(join(dir, 'edited', 'model.json'), JSON.stringify(json));
});

// args → exit code and the one line on stderr. 2: the command line is wrong; 1: a file, the model or the run.
const TABLE: [string[], number, string][] = [
  [['frobnicate'], 2, "unknown command 'frobnicate' (commands: train, test, predict, help)"],
  [['train', '--input', data, '--output', model, '--format', 'xml'], 2, "--format must be one of fasttext, tsv, csv, jsonl, got 'xml'"],
  [['train', '--input', data, '--output', model, '--word-ngrams', '2', '--bucket', '0'], 2, "--bucket must be at least 1 when word n-grams are on (wordNgrams 2), got 0; fastText's default is 2000000"],
  [['train', '--input', data, '--output', model, '--bucket', '-1'], 2, '--bucket must be an integer from 0 to 2147483647, got -1'],
  [['train', '--input', data, '--output', model, '--lr', '0'], 2, '--lr must be positive, got 0'],
  [['train', '--input', data, '--output', model, '--lr', 'fast'], 2, "--lr must be a number, got 'fast'"],
  [['train', '--input', data, '--output', model, '--dim=1.5'], 2, '--dim must be a positive integer, got 1.5'],
  [['train', '-input', data, '-output', model, '-wordNgrams', '0'], 2, '-wordNgrams must be a positive integer, got 0'],
  [['train', '--input', data, '--output', model, '--lr'], 2, '--lr needs a value'],
  [['train', '--input', '--output', model], 2, '--input needs a value, got the option --output'],
  [['train', '--input', data, '--output', model, '--format'], 2, '--format needs a value (one of fasttext, tsv, csv, jsonl)'],
  [['train', '--input', data, '--output', model, '--epochs', '3'], 2, "unknown option --epochs (did you mean --epoch?); run 'torchlet-fasttext help' for the options"],
  [['train', '--input', data, '--output', model, '-thread', '4'], 2, '-thread is a fastText option this app does not implement'],
  [['train', '--input', data, '--output', model, '--progress=yes'], 2, "--progress takes no value, got 'yes'"],
  [['train', '--input', data, '--output', model, '--k', '2'], 2, '--k is a test/predict option; train does not take it'],
  [['train', '--input', data], 2, 'train needs --output MODEL'],
  [['train', '--output', model], 2, 'train needs --input FILE (or --example spam)'],
  [['train', data, '--output', model], 2, `train takes options only, got '${data}' (the input is --input FILE)`],
  [['train', '--input', data, '--output', `${dir}/`], 2, `--output names the model's files, e.g. ${dir}/model; got the directory '${dir}/'`],
  [['train', '--example', 'ham'], 2, "--example must be one of spam, got 'ham'"],
  [['train', '--example', 'spam', '--input', data], 2, 'give --input or --example, not both'],
  [['train', '--example', 'spam', '--format', 'csv'], 2, '--format applies to --input files, not to --example spam'],
  [['train', '--input', data, '--output', model, '--label-column', 'y'], 2, `--label-column applies to tsv, csv and jsonl input, but ${data} is read as fasttext (choose with --format)`],
  [['train', '--input', data, '--output', model, '--encoding-errors', 'ignore'], 2, "--encoding-errors must be one of strict, replace, got 'ignore'"],
  [['test', model], 2, 'test needs MODEL FILE [K]'],
  [['test', model, data, '1', 'x'], 2, "unexpected argument 'x' (test takes MODEL FILE [K])"],
  [['predict', model, data, 'abc'], 2, "K (predict's last argument) must be a positive integer, got 'abc'"],
  [['predict', model, data, '0'], 2, "K (predict's last argument) must be a positive integer, got '0'"],
  [['predict', model, data, '--k', '2.5'], 2, "--k must be a positive integer, got '2.5'"],
  [['predict', model, data, '2', '--k', '2'], 2, "K given twice: as the argument '2' and as --k 2"],
  [['predict', model, data, '--threshold', 'abc'], 2, "--threshold must be a probability from 0 to 1, got 'abc'"],
  [['predict', model, data, '--threshold', '1.5'], 2, "--threshold must be a probability from 0 to 1, got '1.5'"],
  [['predict', model, '--epoch', '3'], 2, '--epoch is a train option; predict does not take it'],
  [['train', '--input', missing, '--output', model], 1, `cannot read --input ${missing}: no such file or directory`],
  [['train', '--input', dir, '--output', model], 1, `cannot read --input ${dir}: is a directory, not a file`],
  [['train', '--input', join(dir, 'empty.txt'), '--output', model], 1, `${join(dir, 'empty.txt')} (--input) holds no examples`],
  [['train', '--input', join(dir, 'unlabelled.txt'), '--output', model], 1, `${join(dir, 'unlabelled.txt')}:1: no label (expected a token starting with '__label__')`],
  [['train', '--input', data, '--output', join(data, 'model')], 1, `cannot save the model in ${data}: a part of the path is not a directory`],
  [['test', join(dir, 'nomodel'), data], 1, `model ${join(dir, 'nomodel')}.json not found (a model is the .json that 'train --output ${join(dir, 'nomodel')}' writes, with the weights file it names)`],
  [['test', model, missing], 1, `cannot read FILE ${missing}: no such file or directory`],
  [['test', join(dir, 'edited', 'model'), data], 1, `${join(dir, 'edited', 'model.json')}: args.dim must be a finite number, got "abc"`],
  [
    ['predict', model, join(dir, 'bad-utf8.txt')],
    1,
    `${join(dir, 'bad-utf8.txt')}:2: invalid UTF-8 (byte 0xFF at byte 15 of the line); convert the file to UTF-8, or pass --encoding-errors replace to read bad bytes as U+FFFD`,
  ],
];

describe('every misuse is refused with one line and an exit code', () => {
  test.each(TABLE)('%j → %i', async (args, code, message) => {
    const before = readdirSync(dir).sort();
    const r = await cli(args);
    expect(r.err).toEqual([`error: ${message}`]);
    expect(r.code).toBe(code);
    expect(r.out).toEqual([]);
    // A refused command writes nothing (no model, no directory).
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  test('no command prints the usage on stderr (exit 2); help prints it on stdout (exit 0)', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.err.join('\n')).toMatch(/^usage: torchlet-fasttext/);
    const help = await cli(['predict', '--help']);
    expect(help.code).toBe(0);
    expect(help.out.join('\n')).toMatch(/exit codes: 0 done, 1 failed at run time/);
  });

  test('--encoding-errors replace reads invalid UTF-8 as U+FFFD instead', async () => {
    const r = await cli(['predict', model, join(dir, 'bad-utf8.txt'), '--encoding-errors', 'replace']);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(2);
  });
});

describe('training that diverges', () => {
  test('--lr 1e308: exit 1, a message that suggests a lower --lr, the old model untouched', async () => {
    const files = readdirSync(dir).filter((f) => f.startsWith('model.')).sort();
    const bytes = files.map((f) => readFileSync(join(dir, f)));
    const r = await cli(['train', '--input', data, '--output', model, '--dim', '8', '--lr', '1e308', '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^error: training diverged: the loss is NaN at epoch 1, training line \d+ of 3; the learning rate is too high, try a lower --lr \(this run: 1e\+308/);
    expect(readdirSync(dir).filter((f) => f.startsWith('model.')).sort()).toEqual(files);
    files.forEach((f, i) => expect(readFileSync(join(dir, f)).equals(bytes[i]!)).toBe(true));
    expect((await cli(['test', model, data])).code).toBe(0);
  });
});

describe('the real process', () => {
  const app = dirname(dirname(fileURLToPath(import.meta.url)));
  const spawnCli = (args: string[]) =>
    spawnSync(process.execPath, ['--conditions=@torchlet/source', '--import', '@torchlet/ts-run/register', 'src/cli.ts', ...args], { cwd: app, encoding: 'utf8' });

  test('a missing file: exit 1, one line, no stack; a bad flag: exit 2', () => {
    const a = spawnCli(['train', '--input', missing, '--output', model]);
    expect(a.stderr).toBe(`error: cannot read --input ${missing}: no such file or directory\n`);
    expect(a.status).toBe(1);
    const b = spawnCli(['predict', model, data, '--threshold', 'abc']);
    expect(b.stderr).toBe("error: --threshold must be a probability from 0 to 1, got 'abc'\n");
    expect(b.stderr).not.toMatch(/^\s+at /m);
    expect(b.status).toBe(2);
  }, 180_000);
});
