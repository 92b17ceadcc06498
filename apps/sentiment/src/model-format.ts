/**
 * The model pair's contents without the file system (the CLI writes them to disk, the browser
 * playground downloads and loads them): `NAME.json` (format, vocabulary, labels, hyper-parameters,
 * the weights' file name and CRC-32) and the weights, a safetensors state dict under PyTorch's keys.
 */
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

const hex = (n: number) => n.toString(16).padStart(8, '0');

/** The JSON and the weights of `model`; the weights' file is `${base}.${crc}.safetensors`. */
export async function encodeModel(base: string, model: SentimentGRU, meta: Omit<ModelJson, 'format' | 'weights' | 'config'>): Promise<{ json: ModelJson; weights: Uint8Array }> {
  const weights = await torch.io.saveSafetensors(model.stateDict());
  const crc = hex(torch.io.crc32(weights));
  return { json: { format: FORMAT, ...meta, config: model.config, weights: { file: `${base}.${crc}.safetensors`, crc32: crc } }, weights };
}

function check(where: string, ok: boolean, what: string): asserts ok {
  if (!ok) throw new ModelFileError(`${where}: ${what}`);
}

/** Checks the JSON (`where` names it in errors) and returns it typed. */
export function validateJson(value: unknown, where: string): ModelJson {
  const meta = value as ModelJson;
  check(where, meta?.format === FORMAT, `format ${JSON.stringify(meta?.format)} is not ${FORMAT}`);
  check(where, Array.isArray(meta.labels) && meta.labels.length >= 2 && meta.labels.every((l) => typeof l === 'string'), 'labels must be a list of at least two strings');
  check(where, Array.isArray(meta.vocab) && meta.vocab.every((t) => typeof t === 'string'), 'vocab must be a list of strings');
  const c = meta.config;
  check(where, typeof c === 'object' && c !== null, 'config is missing');
  for (const k of ['vocab', 'embed', 'hidden', 'layers', 'classes'] as const) check(where, Number.isInteger(c[k]) && c[k] > 0, `config.${k} must be a positive integer`);
  check(where, c.vocab === meta.vocab.length, `config.vocab (${c.vocab}) differs from the vocabulary's size (${meta.vocab.length})`);
  check(where, c.classes === meta.labels.length, `config.classes (${c.classes}) differs from the number of labels (${meta.labels.length})`);
  check(where, Number.isInteger(meta.maxLength) && meta.maxLength > 0, 'maxLength must be a positive integer');
  const file = meta.weights?.file;
  check(where, typeof file === 'string' && !/[\\/]/.test(file) && file !== '..' && file.endsWith('.safetensors'), 'weights.file must be a .safetensors file name beside the JSON');
  return meta;
}

/** The model of a validated JSON and its weights' bytes (checked against the CRC). */
export async function decodeModel(meta: ModelJson, weights: Uint8Array, where: string): Promise<SentimentGRU> {
  check(where, hex(torch.io.crc32(weights)) === meta.weights.crc32, `the CRC-32 of ${meta.weights.file} does not match (the file changed after saving)`);
  const { tensors } = await torch.io.loadSafetensors(weights);
  const model = new SentimentGRU(meta.config);
  try {
    model.loadStateDict(tensors, { strict: true });
  } catch (e) {
    model.dispose();
    throw new ModelFileError(`${where}: the weights do not fit the configuration (${(e as Error).message})`);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  return model;
}
