/**
 * The kill-during-save fault check at full length, with a report:
 *
 *   pnpm --filter @torchlet/app-fasttext kill-save                 # the save-only child, 20 kills
 *   pnpm --filter @torchlet/app-fasttext kill-save -- --cli        # the real `train` command, 20 kills
 *   … -- --iterations 50 --seed 7
 *
 * Each kill is followed by a load; the model must load and be exactly one of the saved models.
 * Exits 1 if any kill leaves no loadable model.
 */
import '@torchlet/backend-cpu';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toFastTextLine } from '../src/formats.js';
import { randomSplit, spamAssassin } from '../src/spam.js';
import { killDuringSave, loadFingerprint, saveSerialized, startSaveLoop, twoModels, writeSaveLoopChild, type KillOutcome } from '../src/testing/kill-save.js';

const argv = process.argv.slice(2).filter((a) => a !== '--');
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const iterations = opt('iterations', 20);
const seed = opt('seed', 20240611);
const cli = argv.includes('--cli');
const dir = mkdtempSync(join(tmpdir(), 'torchlet-fasttext-kill-'));
const model = join(dir, 'models', 'm');
const app = fileURLToPath(new URL('..', import.meta.url));

let fingerprints: string[];
let names: string[];
let outcomes: KillOutcome[];
const report = (i: number, o: KillOutcome): void => {
  if (!o.cued) return console.log(`kill ${String(i + 1).padStart(2)}: the child ended before its cue (not killed) → ${o.loaded === null ? `NOT LOADABLE: ${o.error}` : 'loads'}`);
  const which = o.loaded === null ? `NOT LOADABLE: ${o.error}` : `loads model ${names[fingerprints.indexOf(o.loaded)] ?? '?? (not a saved model)'}`;
  console.log(`kill ${String(i + 1).padStart(2)}: after ${o.delayMs.toFixed(0).padStart(5)} ms, ${o.saves} saves done, ${o.midSave ? 'mid-save  ' : 'between   '} → ${which}`);
};

if (!cli) {
  const { prefixes, fingerprints: fp } = await twoModels(join(dir, 'inputs'));
  fingerprints = fp;
  names = ['A', 'B'];
  const script = writeSaveLoopChild(join(dir, 'child'));
  const saveMs = saveSerialized(model, prefixes[0]);
  console.log(`save-only child: a ${(250_000 * 16 * 4) / 2 ** 20} MiB model saved in ${saveMs.toFixed(0)} ms; each child saves the model not on disk, then the other, … ; ${iterations} kills (seed ${seed})`);
  outcomes = await killDuringSave({ iterations, seed, model, initial: fp[0], start: (_i, current) => startSaveLoop(script, model, current === fp[0] ? [prefixes[1], prefixes[0]] : prefixes), cue: /^ready$/, maxDelayMs: 3 * saveMs + 20, onKill: report });
} else {
  const input = join(dir, 'train.txt');
  const lines = randomSplit(spamAssassin(), 1).train.slice(0, 200).map((e) => toFastTextLine({ labels: e.labels, text: e.text.split(/\s+/).slice(0, 100).join(' ') }));
  writeFileSync(input, lines.join('\n') + '\n');
  const trainArgs = (out: string, s: number): string[] => ['train', '--input', input, '--output', out, '--word-ngrams', '2', '--bucket', '1000000', '--dim', '16', '--epoch', '1', '--seed', String(s), '--no-progress'];
  const startCli = (args: string[]): ChildProcess =>
    spawn(process.execPath, ['--conditions=@torchlet/source', '--import', '@torchlet/ts-run/register', 'src/cli.ts', ...args], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  // Reference runs (not killed): their models, and how long the file writing takes (from the lock's appearance to 'saved').
  fingerprints = [];
  names = ['seed 1', 'seed 2'];
  let saveMs = 0;
  for (const s of [1, 2]) {
    const ref = join(dir, `ref-${s}`);
    const child = startCli(trainArgs(ref, s));
    let lockedAt = 0;
    const timer = setInterval(() => {
      if (!lockedAt && existsSync(`${ref}.json.lock`)) lockedAt = performance.now();
    }, 1);
    child.stdout!.on('data', (d: Buffer) => {
      if (/^saved /m.test(d.toString()) && lockedAt) saveMs = Math.max(saveMs, performance.now() - lockedAt);
    });
    await new Promise((resolve) => child.on('exit', resolve));
    clearInterval(timer);
    fingerprints.push(await loadFingerprint(ref));
  }
  // The cue: this child holds the model's lock (a lock left by the previous kill does not count).
  const lockedBy = (child: ChildProcess): boolean => {
    try {
      return readFileSync(`${model}.json.lock`, 'utf8').trim() === String(child.pid);
    } catch {
      return false;
    }
  };
  const first = startCli(trainArgs(model, 1));
  await new Promise((resolve) => first.on('exit', resolve));
  console.log(`the CLI's train: a ${((1_000_000 + 3000) * 16 * 4 / 2 ** 20).toFixed(0)} MiB model (approx.) written in ${saveMs.toFixed(0)} ms (lock to 'saved'); each kill, after the lock appears, trains the seed not on disk; ${iterations} kills (seed ${seed})`);
  outcomes = await killDuringSave({ iterations, seed, model, initial: fingerprints[0]!, start: (_i, current) => startCli(trainArgs(model, current === fingerprints[0] ? 2 : 1)), cue: lockedBy, maxDelayMs: 1.5 * saveMs, onKill: report });
}

const loadable = outcomes.filter((o) => o.loaded !== null && fingerprints.includes(o.loaded)).length;
const mid = outcomes.filter((o) => o.midSave).length;
console.log(`${outcomes.length} kills (${mid} mid-save), ${loadable} left a loadable model that is one of the saved ones`);
process.exit(loadable === outcomes.length ? 0 : 1);
