/**
 * The model pair on disk: `NAME.json` and `NAME.<crc>.safetensors` (see model-format.ts). Saving
 * writes the new weights under their new name, then replaces the JSON atomically (the single
 * commit point), then removes the old weights: a crash at any moment leaves the old pair or the
 * new pair loadable.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SentimentGRU } from './model.js';
import { ModelFileError, decodeModel, encodeModel, validateJson, type ModelJson } from './model-format.js';

export { FORMAT, ModelFileError, type ModelJson } from './model-format.js';

const jsonPath = (path: string) => (path.endsWith('.json') ? path : `${path}.json`);

async function readJsonIfAny(path: string): Promise<ModelJson | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ModelJson;
  } catch {
    return null;
  }
}

/** Writes `path.json` and its weights beside it; returns the JSON's path. */
export async function saveModel(path: string, model: SentimentGRU, meta: Omit<ModelJson, 'format' | 'weights' | 'config'>): Promise<string> {
  const json = jsonPath(path);
  const { json: body, weights } = await encodeModel(basename(json, '.json'), model, meta);
  const previous = await readJsonIfAny(json);
  const tmp = (p: string) => `${p}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const weightsPath = join(dirname(json), body.weights.file);
  const wTmp = tmp(weightsPath);
  await writeFile(wTmp, weights);
  await rename(wTmp, weightsPath);
  const jTmp = tmp(json);
  await writeFile(jTmp, `${JSON.stringify(body)}\n`);
  await rename(jTmp, json);
  const old = previous?.weights?.file;
  if (typeof old === 'string' && old !== body.weights.file && basename(old) === old) await rm(join(dirname(json), old), { force: true });
  return json;
}

/** Reads and validates a model (the JSON's path, or the path given to `saveModel`). */
export async function loadModel(path: string): Promise<{ model: SentimentGRU; meta: ModelJson }> {
  const json = jsonPath(path);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(json, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(`${json}: ${code ? `cannot read it (${code})` : 'not valid JSON'}`);
  }
  const meta = validateJson(raw, json);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(dirname(json), meta.weights.file)));
  } catch (e) {
    throw new ModelFileError(`${json}: its weights ${meta.weights.file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return { model: await decodeModel(meta, bytes, json), meta };
}
