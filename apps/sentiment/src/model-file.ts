/**
 * A model is two files: `NAME.json` (format, vocabulary, labels, hyper-parameters, and the
 * weights' file name and CRC-32) and the weights, a safetensors state dict under PyTorch's keys,
 * named after their CRC (`NAME.1a2b3c4d.safetensors`). Saving writes the new weights under
 * their new name, then replaces the JSON atomically (the single commit point), then removes the
 * old weights: a crash at any moment leaves the old pair or the new pair loadable.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as torch from 'torchlet';
import { SentimentGRU, type ModelConfig } from './model.js';

export const FORMAT = 'torchlet-sentiment/1';

export interface ModelJson {
  format: typeof FORMAT;
  labels: string[];
  vocab: string[];
  config: ModelConfig;
  /** Tokens kept per text (the rest is cut). */
  maxLength: number;
  tokenizer: 'basic_english';
  weights: { file: string; crc32: string };
}

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

const jsonPath = (path: string) => (path.endsWith('.json') ? path : `${path}.json`);

async function readJsonIfAny(path: string): Promise<ModelJson | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ModelJson;
  } catch {
    return null;
  }
}

export async function saveModel(path: string, model: SentimentGRU, meta: Omit<ModelJson, 'format' | 'weights' | 'config'>): Promise<string> {
  const json = jsonPath(path);
  const bytes = await torch.io.saveSafetensors(model.stateDict());
  const crc = torch.io.crc32(bytes).toString(16).padStart(8, '0');
  const file = `${basename(json, '.json')}.${crc}.safetensors`;
  const previous = await readJsonIfAny(json);
  const tmp = (p: string) => `${p}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const weightsPath = join(dirname(json), file);
  const wTmp = tmp(weightsPath);
  await writeFile(wTmp, bytes);
  await rename(wTmp, weightsPath);
  const body: ModelJson = { format: FORMAT, ...meta, config: model.config, weights: { file, crc32: crc } };
  const jTmp = tmp(json);
  await writeFile(jTmp, `${JSON.stringify(body)}\n`);
  await rename(jTmp, json);
  const old = previous?.weights?.file;
  if (typeof old === 'string' && old !== file && basename(old) === old) await rm(join(dirname(json), old), { force: true });
  return json;
}

function check(path: string, ok: boolean, what: string): asserts ok {
  if (!ok) throw new ModelFileError(`${path}: ${what}`);
}

/** Reads and validates a model (the JSON's path, or the path given to `saveModel`). */
export async function loadModel(path: string): Promise<{ model: SentimentGRU; meta: ModelJson }> {
  const json = jsonPath(path);
  let meta: ModelJson;
  try {
    meta = JSON.parse(await readFile(json, 'utf8')) as ModelJson;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(`${json}: ${code ? `cannot read it (${code})` : 'not valid JSON'}`);
  }
  check(json, meta?.format === FORMAT, `format ${JSON.stringify(meta?.format)} is not ${FORMAT}`);
  check(json, Array.isArray(meta.labels) && meta.labels.length >= 2 && meta.labels.every((l) => typeof l === 'string'), 'labels must be a list of at least two strings');
  check(json, Array.isArray(meta.vocab) && meta.vocab.every((t) => typeof t === 'string'), 'vocab must be a list of strings');
  const c = meta.config;
  check(json, typeof c === 'object' && c !== null, 'config is missing');
  for (const k of ['vocab', 'embed', 'hidden', 'layers', 'classes'] as const) check(json, Number.isInteger(c[k]) && c[k] > 0, `config.${k} must be a positive integer`);
  check(json, c.vocab === meta.vocab.length, `config.vocab (${c.vocab}) differs from the vocabulary's size (${meta.vocab.length})`);
  check(json, c.classes === meta.labels.length, `config.classes (${c.classes}) differs from the number of labels (${meta.labels.length})`);
  check(json, Number.isInteger(meta.maxLength) && meta.maxLength > 0, 'maxLength must be a positive integer');
  const file = meta.weights?.file;
  check(json, typeof file === 'string' && file === basename(file) && file.endsWith('.safetensors'), 'weights.file must be a .safetensors file name beside the JSON');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(dirname(json), file)));
  } catch (e) {
    throw new ModelFileError(`${json}: its weights ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  check(json, torch.io.crc32(bytes).toString(16).padStart(8, '0') === meta.weights.crc32, `the CRC-32 of ${file} does not match (the file changed after saving)`);
  const { tensors } = await torch.io.loadSafetensors(bytes);
  const model = new SentimentGRU(c);
  try {
    model.loadStateDict(tensors, { strict: true });
  } catch (e) {
    model.dispose();
    throw new ModelFileError(`${json}: the weights do not fit the configuration (${(e as Error).message})`);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  return { model, meta };
}
