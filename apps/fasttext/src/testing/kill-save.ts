/**
 * The kill-during-save fault test, shared by `kill-save.test.ts` and `scripts/kill-save.ts`: a
 * child process saves a model over and over (the app's own `writeModelFiles`, or the CLI's
 * `train`), is killed with SIGKILL after a seeded random delay, and the model is then loaded.
 * Whatever the delay, the model must load and be exactly one of the models that were saved.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import ts from 'typescript';
import { Dictionary } from '../dictionary.js';
import { FastTextModel } from '../model.js';
import { loadModel, serializeModel } from '../model-io.js';
import { writeModelFiles } from '../model-files.js';
import { effectiveArgs } from '../train.js';
import { seededRandom } from '../random.js';

const SRC = dirname(dirname(fileURLToPath(import.meta.url)));

/** The identity of a loaded model: its labels in order and the CRC-32 of its input matrix. */
export function fingerprint(labels: readonly string[], embedding: Float32Array): string {
  return `${labels.join(',')}:${crc32(new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength))}`;
}

/** Loads the model at `path` and returns its fingerprint (the tensors are freed). */
export async function loadFingerprint(path: string): Promise<string> {
  const { model, dict } = await loadModel(path);
  try {
    return fingerprint(dict.labels.getItos(), model.embedding.weight.dataSync() as Float32Array);
  } finally {
    model.embedding.weight.dispose();
    model.fc.weight.dispose();
  }
}

/**
 * A save-only child: `model-files.ts` and `files.ts` (Node built-ins only) transpiled into `dir`
 * with a loop that saves the given models in turn until it is killed. Returns the script path.
 */
export function writeSaveLoopChild(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const f of ['files.ts', 'model-files.ts']) {
    const source = readFileSync(join(SRC, f), 'utf8');
    const { outputText } = ts.transpileModule(source, { fileName: f, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } });
    writeFileSync(join(dir, f.replace(/\.ts$/, '.js')), outputText);
  }
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const script = join(dir, 'save-loop.js');
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
import { writeModelFiles } from './model-files.js';
const [model, ...inputs] = process.argv.slice(2);
const saves = inputs.map((p) => ({ weights: readFileSync(p + '.weights'), meta: JSON.parse(readFileSync(p + '.meta.json', 'utf8')) }));
process.stdout.write('ready\\n');
for (let i = 0; ; i++) {
  const s = saves[i % saves.length];
  writeModelFiles(model, s.weights, s.meta);
  process.stdout.write('saved ' + i + '\\n');
}
`,
  );
  return script;
}

/** Two different models of `rows × dim` floats (labels in opposite orders, different seeds), serialized. */
export async function twoModels(dir: string, rows = 250_000, dim = 16): Promise<{ prefixes: [string, string]; fingerprints: [string, string] }> {
  mkdirSync(dir, { recursive: true });
  const words = ['hello', 'world', '</s>', 'spam', 'ham'];
  const args = effectiveArgs({ dim, wordNgrams: 2, bucket: rows - words.length });
  const prefixes: string[] = [];
  const prints: string[] = [];
  for (const [i, labels] of [['ham', 'spam'], ['spam', 'ham']].entries()) {
    const dict = new Dictionary({ words, labels, ntokens: 10 }, args);
    const model = new FastTextModel(dict.rows, dim, dict.nlabels, { seed: i + 1 });
    const { weights, meta } = await serializeModel(model, dict, args);
    const prefix = join(dir, `model-${'ab'[i]}`);
    writeFileSync(`${prefix}.weights`, weights);
    writeFileSync(`${prefix}.meta.json`, JSON.stringify(meta));
    prefixes.push(prefix);
    prints.push(fingerprint(labels, model.embedding.weight.dataSync() as Float32Array));
    model.embedding.weight.dispose();
    model.fc.weight.dispose();
  }
  return { prefixes: prefixes as [string, string], fingerprints: prints as [string, string] };
}

/** Saves the serialized model at `prefix` (as `twoModels` wrote it) to `path` in this process; returns the milliseconds it took. */
export function saveSerialized(path: string, prefix: string): number {
  const weights = readFileSync(`${prefix}.weights`);
  const meta = JSON.parse(readFileSync(`${prefix}.meta.json`, 'utf8')) as { weights?: object };
  const t0 = performance.now();
  writeModelFiles(path, weights, meta);
  return performance.now() - t0;
}

export interface KillOutcome {
  /** Milliseconds between the child's cue and the SIGKILL. */
  delayMs: number;
  /** Saves the child completed before it died. */
  saves: number;
  /** Whether the cue came before the child ended (else it was not killed). */
  cued: boolean;
  /** Temporary files or a lock left behind (the kill landed mid-save). */
  midSave: boolean;
  /** The fingerprint of the model that loaded, or null. */
  loaded: string | null;
  /** Why it did not load. */
  error: string | null;
}

export interface KillOptions {
  iterations: number;
  seed: number;
  /** The model path the child saves to. */
  model: string;
  /** The fingerprint of the model saved before the first kill. */
  initial: string;
  /** Starts child `i`; `current` is the fingerprint of the model on disk (it should save another one). */
  start: (i: number, current: string) => ChildProcess;
  /** The stdout line after which the delay starts, or a condition polled every millisecond. */
  cue: RegExp | ((child: ChildProcess) => boolean);
  /** The delay is uniform in [0, maxDelayMs). */
  maxDelayMs: number;
  /** Called after each kill (progress for the script). */
  onKill?: (i: number, outcome: KillOutcome) => void;
}

/** Runs the kill loop; every outcome is returned, the verdict is the caller's. */
export async function killDuringSave(o: KillOptions): Promise<KillOutcome[]> {
  const random = seededRandom(o.seed);
  const outcomes: KillOutcome[] = [];
  const dir = dirname(o.model);
  let current = o.initial;
  for (let i = 0; i < o.iterations; i++) {
    const delayMs = random() * o.maxDelayMs;
    const child = o.start(i, current);
    let saves = 0;
    child.stderr?.resume();
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let cued = false;
    await new Promise<void>((resolve) => {
      const fire = (): void => {
        cued = true;
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, delayMs);
      };
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('saved')) saves++;
          if (!cued && o.cue instanceof RegExp && o.cue.test(line)) fire();
        }
      });
      const poll = o.cue instanceof RegExp ? null : o.cue;
      const timer = poll
        ? setInterval(() => {
            if (!cued && poll(child)) {
              clearInterval(timer!);
              fire();
            }
          }, 1)
        : null;
      // A child that ends before its cue (it finished, or failed) is still followed by the load.
      child.on('exit', () => {
        if (timer) clearInterval(timer);
        if (!cued) resolve();
      });
    });
    await exited;
    const base = o.model.replace(/\.json$/, '');
    const name = base.slice(dir.length + 1);
    const midSave = readdirSync(dir).some((f) => f.startsWith(`${name}.`) && f.includes('.tmp-')) || existsSync(`${base}.json.lock`);
    let loaded: string | null = null;
    let error: string | null = null;
    try {
      loaded = await loadFingerprint(o.model);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const outcome = { delayMs, saves, cued, midSave, loaded, error };
    if (loaded !== null) current = loaded;
    outcomes.push(outcome);
    o.onKill?.(i, outcome);
  }
  return outcomes;
}

/** Spawns the save-only child saving the models at `prefixes` in turn (the first one first) to `model`. */
export function startSaveLoop(script: string, model: string, prefixes: readonly string[]): ChildProcess {
  return spawn(process.execPath, [script, model, ...prefixes], { stdio: ['ignore', 'pipe', 'pipe'] });
}
