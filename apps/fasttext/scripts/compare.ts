/**
 * This app against the `fasttext` binary (Debian's 0.9.2) on SpamAssassin, on the same files:
 *
 *   pnpm --filter @torchlet/app-fasttext compare [--seeds 5] [--epoch 25] [--dim 64] [--word-ngrams 2] [--out DIR]
 *
 * For each seed: a seeded random 80/20 split written as fastText-format files (DIR/seed-N/
 * train.txt, test.txt); both tools train on train.txt with the same hyper-parameters on one
 * thread and are scored on test.txt (precision@1); words/s/thread of each, in the same run.
 * Then the harder split (train on the `-1` groups, test on the `-2` groups) and a `profile()`
 * of one epoch on 1,000 lines. Skips the binary (with a message) when it is not installed.
 */
import '@torchlet/backend-cpu';
import { profile } from '@torchlet/data';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../src/evaluate.js';
import { readExamples, toFastTextLine, type Example } from '../src/formats.js';
import { groupSplit, randomSplit, spamAssassin } from '../src/spam.js';
import { train, type TrainArgs } from '../src/train.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const outIdx = process.argv.indexOf('--out');
const OUT = outIdx >= 0 ? process.argv[outIdx + 1]! : '/tmp/torchlet-fasttext-compare';
const SEEDS = flag('seeds', 5);
const ARGS: Partial<TrainArgs> = { epoch: flag('epoch', 25), dim: flag('dim', 64), wordNgrams: flag('word-ngrams', 2), lr: flag('lr', 0.1) };

function hasBinary(): boolean {
  try {
    execFileSync('fasttext', [], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== 'ENOENT';
  }
}

function writeSplit(dir: string, trainSet: readonly Example[], testSet: readonly Example[]): { train: string; test: string } {
  mkdirSync(dir, { recursive: true });
  const paths = { train: join(dir, 'train.txt'), test: join(dir, 'test.txt') };
  writeFileSync(paths.train, trainSet.map((e) => toFastTextLine(e)).join('\n') + '\n');
  writeFileSync(paths.test, testSet.map((e) => toFastTextLine(e)).join('\n') + '\n');
  return paths;
}

interface Run {
  p1: number;
  wps: number;
  seconds: number;
}

function runBinary(files: { train: string; test: string }, dir: string, seed: number): Run {
  const model = join(dir, 'fasttext-bin');
  const t0 = performance.now();
  const r = spawnSync(
    'fasttext',
    ['supervised', '-input', files.train, '-output', model, '-epoch', String(ARGS.epoch), '-dim', String(ARGS.dim), '-wordNgrams', String(ARGS.wordNgrams), '-lr', String(ARGS.lr), '-thread', '1', '-seed', String(seed)],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`fasttext supervised failed: ${r.stderr}`);
  const rates = [...(r.stderr + r.stdout).matchAll(/words\/sec\/thread:\s*(\d+)/g)].map((m) => Number(m[1]));
  const t = spawnSync('fasttext', ['test', `${model}.bin`, files.test], { encoding: 'utf8' });
  const p1 = Number(/P@1\s+([\d.]+)/.exec(t.stdout)?.[1]);
  return { p1, wps: rates[rates.length - 1] ?? Number.NaN, seconds };
}

async function runApp(files: { train: string; test: string }, seed: number): Promise<Run> {
  const r = train(readExamples(files.train), { ...ARGS, seed }, { progress: false });
  const rep = await test(r.model, r.dict, readExamples(files.test), 1);
  r.model.embedding.weight.dispose();
  r.model.fc.weight.dispose();
  return { p1: rep.precision, wps: r.wordsPerSec, seconds: r.trainSeconds + r.prepareSeconds };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]): number => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (xs: number[]): string => `${(100 * mean(xs)).toFixed(2)} ± ${(100 * sd(xs)).toFixed(2)}`;

async function main(): Promise<void> {
  const binary = hasBinary();
  if (!binary) console.log('note: the `fasttext` binary is not installed (apt-get install -y fasttext); reporting this app only');
  console.log(`hyper-parameters: ${JSON.stringify(ARGS)} (bucket 2000000, minCount 1, one thread)`);
  const all = spamAssassin();
  const app: Run[] = [];
  const bin: Run[] = [];
  console.log('\n| split | seed | app P@1 | binary P@1 | app words/s | binary words/s/thread | ratio |\n|---|---|---|---|---|---|---|');
  for (let seed = 1; seed <= SEEDS; seed++) {
    const dir = join(OUT, `seed-${seed}`);
    const split = randomSplit(all, seed);
    const files = writeSplit(dir, split.train, split.test);
    const a = await runApp(files, seed);
    const b = binary ? runBinary(files, dir, seed) : null;
    app.push(a);
    if (b) bin.push(b);
    console.log(`| random 80/20 | ${seed} | ${(100 * a.p1).toFixed(2)} | ${b ? (100 * b.p1).toFixed(2) : '—'} | ${Math.round(a.wps)} | ${b ? b.wps : '—'} | ${b ? (a.wps / b.wps).toFixed(2) : '—'} |`);
  }
  const hardDir = join(OUT, 'groups');
  const hard = groupSplit(all, 1);
  const hardFiles = writeSplit(hardDir, hard.train, hard.test);
  const ha = await runApp(hardFiles, 1);
  const hb = binary ? runBinary(hardFiles, hardDir, 1) : null;
  console.log(`| -1 groups → -2 groups | 1 | ${(100 * ha.p1).toFixed(2)} | ${hb ? (100 * hb.p1).toFixed(2) : '—'} | ${Math.round(ha.wps)} | ${hb ? hb.wps : '—'} | ${hb ? (ha.wps / hb.wps).toFixed(2) : '—'} |`);

  console.log(`\nrandom 80/20 over ${SEEDS} seeds: app P@1 ${pct(app.map((r) => r.p1))} %` + (bin.length ? `, binary ${pct(bin.map((r) => r.p1))} %` : ''));
  const wpsA = mean(app.map((r) => r.wps));
  if (bin.length) {
    const wpsB = mean(bin.map((r) => r.wps));
    console.log(`throughput (one thread, same files, same run): app ${Math.round(wpsA)} words/s, binary ${Math.round(wpsB)} words/s/thread, ratio ${(wpsA / wpsB).toFixed(3)}`);
  } else console.log(`throughput: app ${Math.round(wpsA)} words/s (one thread)`);

  // Where the time goes: one epoch on 1,000 training lines of seed 1.
  const slice = readExamples(join(OUT, 'seed-1', 'train.txt')).slice(0, 1000);
  const { result, report } = profile(() => train(slice, { ...ARGS, epoch: 1, seed: 1 }, { progress: false }));
  console.log(`\nprofile(): one epoch on 1,000 lines (${Math.round(result.wordsPerSec)} words/s under the profiler; includes the model's initialisation)`);
  console.log(report.table({ limit: 16 }));
  result.model.embedding.weight.dispose();
  result.model.fc.weight.dispose();
}

await main();
