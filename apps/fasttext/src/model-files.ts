/**
 * A model's two files on disk, saved so that a crash at any moment (kill -9, power loss) leaves
 * the previous model or the new one loadable, never a mix:
 *
 * 1. the weights go to a new file `<name>.<generation>.safetensors`, one generation past the file
 *    the current `<name>.json` names, through a temporary file, fsync and rename;
 * 2. `<name>.json`, naming that file with its size and CRC-32, is written the same way: its rename
 *    is the single commit point (until then the old `.json` names the old, untouched weights);
 * 3. only then are the previous weights and leftovers of interrupted saves removed.
 *
 * `<name>.json.lock` (holding the writer's pid) refuses a second process saving the same model at
 * the same time; a lock left by a killed process is taken over.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { TEMP_INFIX, fileProblem, isAlive, lockFile, syncDir, writeFileAtomic } from './files.js';

export class ModelError extends Error {
  override name = 'ModelError';
}

/** The `weights` record of a model's `.json`. */
export interface WeightsRecord {
  /** The weights file, a plain name beside the `.json`. */
  file: string;
  bytes: number;
  crc32: number;
}

/** `model`, `model.json` or fastText's `model.bin` → `model` (the name the files share). */
export function modelBase(path: string): string {
  return path.replace(/\.(json|safetensors|bin)$/, '');
}

/** The `.json` of the model at `path` (`model`, `model.json`, `model.bin`, or a weights file `model.3.safetensors`). */
export function modelJsonPath(path: string): string {
  const own = `${modelBase(path)}.json`;
  const gen = /^(.*)\.\d+\.safetensors$/.exec(path);
  return gen && !existsSync(own) ? `${gen[1]}.json` : own;
}

/** Whether `file` is a plain file name of a weights file (no directory part, so it lies beside the `.json`). */
export function isWeightsFileName(file: string): boolean {
  return file.endsWith('.safetensors') && file.length > '.safetensors'.length && !/[/\\\0]/.test(file);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The weights file the committed `.json` names (null: no readable `.json`). */
function committedWeights(jsonPath: string): string | null {
  try {
    const text = readFileSync(jsonPath, 'utf8').replace(/^\uFEFF/, '');
    const file = (JSON.parse(text) as { weights?: { file?: unknown } } | null)?.weights?.file;
    return typeof file === 'string' && isWeightsFileName(file) ? file : null;
  } catch {
    return null;
  }
}

function savePaths(path: string): { jsonPath: string; dir: string; name: string } {
  const base = modelBase(path);
  const name = basename(base);
  if (/[/\\]$/.test(base) || name === '' || name === '.' || name === '..') {
    throw new ModelError(`cannot save a model as '${path}': give a file name, e.g. ${join(base, 'model')}`);
  }
  const jsonPath = `${base}.json`;
  return { jsonPath, dir: dirname(jsonPath), name };
}

/**
 * Throws a `ModelError` if a model cannot be saved at `path` (not a file name, or no writable
 * directory there), so that a long training run does not end in a failed save. Creates nothing.
 */
export function checkSavePath(path: string): void {
  const { dir } = savePaths(path);
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    if (!statSync(existing).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(existing, constants.W_OK);
  } catch (err) {
    throw new ModelError(`cannot save the model in ${dir}: ${fileProblem(err)}`);
  }
}

/**
 * Saves `weights` and the `.json` of `meta` (its `weights` record gains `file`, `bytes` and
 * `crc32`) as the model `path`, atomically as described above. Returns the paths written.
 */
export function writeModelFiles(path: string, weights: Uint8Array, meta: { weights?: object }): { json: string; weights: string } {
  const { jsonPath, dir, name } = savePaths(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new ModelError(`cannot save the model in ${dir}: ${fileProblem(err)}`);
  }
  let unlock: () => void;
  try {
    unlock = lockFile(`${jsonPath}.lock`, (pid) =>
      new ModelError(`another process${Number.isInteger(pid) ? ` (pid ${pid})` : ''} is saving ${jsonPath}; wait for it, or delete ${jsonPath}.lock if no save is running`),
    );
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError(`cannot write the model ${jsonPath}: ${fileProblem(err)}`);
  }
  try {
    const previous = committedWeights(jsonPath);
    const file = `${name}.${generationOf(previous, name) + 1}.safetensors`;
    const weightsPath = join(dir, file);
    writeFileAtomic(weightsPath, weights);
    syncDir(dir); // the weights' rename must be durable before the .json names them
    const record: WeightsRecord = { file, bytes: weights.length, crc32: crc32(weights) };
    const json = { ...meta, weights: { ...meta.weights, ...record } };
    writeFileAtomic(jsonPath, new TextEncoder().encode(JSON.stringify(json))); // the commit point
    syncDir(dir);
    try {
      removeLeftovers(dir, name, file, previous);
    } catch {
      // Committed already: a leftover that cannot be removed is only untidy.
    }
    return { json: jsonPath, weights: weightsPath };
  } catch (err) {
    throw new ModelError(`cannot write the model ${jsonPath}: ${fileProblem(err)}; the previous model (if any) is unchanged`);
  } finally {
    unlock();
  }
}

/** The generation in `<name>.<n>.safetensors` (0 for none, a legacy `<name>.safetensors` or another name). */
function generationOf(file: string | null, name: string): number {
  const m = file === null ? null : new RegExp(`^${escapeRegExp(name)}\\.(\\d+)\\.safetensors$`).exec(file);
  const n = m ? Number(m[1]) : 0;
  return Number.isSafeInteger(n) ? n : 0;
}

/**
 * After a commit: removes the superseded weights, other generations left by interrupted saves and
 * temporaries of writers that are gone. `keep` is the weights file the new `.json` names.
 */
function removeLeftovers(dir: string, name: string, keep: string, previous: string | null): void {
  const esc = escapeRegExp(name);
  const numbered = new RegExp(`^${esc}\\.\\d+\\.safetensors$`);
  const temp = new RegExp(`^${esc}\\.(?:json|\\d+\\.safetensors)${escapeRegExp(TEMP_INFIX)}(\\d+)-[0-9a-f]+$`);
  for (const f of readdirSync(dir)) {
    if (f === keep) continue;
    const t = temp.exec(f);
    let remove: boolean;
    if (t) remove = Number(t[1]) === process.pid || !isAlive(Number(t[1]));
    else if (f === previous) remove = f === `${name}.safetensors` || numbered.test(f);
    // `m.2.safetensors` may instead be the legacy weights of a model named `m.2`: keep it then.
    else remove = numbered.test(f) && !existsSync(join(dir, `${f.slice(0, -'.safetensors'.length)}.json`));
    if (remove) rmSync(join(dir, f), { force: true });
  }
}
