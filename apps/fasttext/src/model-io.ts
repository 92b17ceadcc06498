/**
 * The model on disk: `<name>.safetensors` (the weights under PyTorch's state-dict keys,
 * `embedding.weight` [rows, dim] and `fc.weight` [labels, dim]) and `<name>.json` (format and
 * version, the hyper-parameters, the vocabulary and labels, the weights file's name, size and
 * CRC-32). Loading checks each of these and refuses a corrupt or mismatched pair with a
 * `ModelError` that says what is wrong.
 */
import { SafetensorsError, crc32, loadSafetensors, saveSafetensors } from '@torchlet/io';
import type { Tensor } from '@torchlet/tensor';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Dictionary, type DictionaryJSON } from './dictionary.js';
import { FastTextModel } from './model.js';
import { effectiveArgs, type TrainArgs } from './train.js';

export const MODEL_FORMAT = 'torchlet-fasttext';
export const MODEL_VERSION = 1;

export class ModelError extends Error {
  override name = 'ModelError';
}

interface ModelJSON {
  format: string;
  version: number;
  args: TrainArgs;
  dictionary: DictionaryJSON;
  weights: { file: string; bytes: number; crc32: number; shapes: Record<string, number[]> };
}

/** `model`, `model.json` or `model.safetensors` → the two paths. */
export function modelPaths(path: string): { json: string; weights: string } {
  const base = path.replace(/\.(json|safetensors|bin)$/, '');
  return { json: `${base}.json`, weights: `${base}.safetensors` };
}

export async function saveModel(path: string, model: FastTextModel, dict: Dictionary, args: TrainArgs): Promise<{ json: string; weights: string }> {
  const paths = modelPaths(path);
  mkdirSync(dirname(paths.json), { recursive: true });
  const sd = model.stateDict();
  const bytes = await saveSafetensors(sd, paths.weights, { format: MODEL_FORMAT, version: String(MODEL_VERSION) });
  const shapes: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(sd)) shapes[k] = [...t.shape];
  const json: ModelJSON = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    args,
    dictionary: dict.toJSON(),
    weights: { file: basename(paths.weights), bytes: bytes.length, crc32: crc32(bytes), shapes },
  };
  writeFileSync(paths.json, JSON.stringify(json));
  return paths;
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

export interface LoadedModel {
  model: FastTextModel;
  dict: Dictionary;
  args: TrainArgs;
}

export async function loadModel(path: string): Promise<LoadedModel> {
  const paths = modelPaths(path);
  if (!existsSync(paths.json)) throw new ModelError(`model: ${paths.json} not found (a model is <name>.json + <name>.safetensors, as written by 'train --output <name>')`);
  let json: ModelJSON;
  try {
    json = JSON.parse(readFileSync(paths.json, 'utf8')) as ModelJSON;
  } catch (err) {
    throw new ModelError(`model: ${paths.json} is not valid JSON (${err instanceof Error ? err.message : String(err)}); the file is corrupt`);
  }
  if (typeof json !== 'object' || json === null || json.format !== MODEL_FORMAT) {
    throw new ModelError(`model: ${paths.json} is not a ${MODEL_FORMAT} model (format: ${JSON.stringify((json as { format?: unknown } | null)?.format ?? null)})`);
  }
  if (json.version !== MODEL_VERSION) throw new ModelError(`model: ${paths.json} has format version ${json.version}; this program reads version ${MODEL_VERSION}`);
  if (!json.args || !json.dictionary || !Array.isArray(json.dictionary.words) || !Array.isArray(json.dictionary.labels) || !json.weights) {
    throw new ModelError(`model: ${paths.json} lacks args, dictionary or weights; the file is corrupt`);
  }
  const args = effectiveArgs(json.args);
  const dict = new Dictionary(json.dictionary, args);
  const weightsPath = join(dirname(paths.json), json.weights.file);
  if (!existsSync(weightsPath)) throw new ModelError(`model: weights file ${weightsPath} not found`);
  const bytes = new Uint8Array(readFileSync(weightsPath));
  if (bytes.length !== json.weights.bytes || crc32(bytes) !== json.weights.crc32) {
    throw new ModelError(
      `model: ${weightsPath} does not match ${paths.json} (${bytes.length} bytes, expected ${json.weights.bytes}; CRC-32 differs): the weights are corrupt or belong to another model`,
    );
  }
  let tensors: Record<string, Tensor>;
  try {
    ({ tensors } = await loadSafetensors(bytes));
  } catch (err) {
    if (err instanceof SafetensorsError) throw new ModelError(`model: ${weightsPath} is not a valid safetensors file (${err.message})`);
    throw err;
  }
  const expected: Record<string, number[]> = { 'embedding.weight': [dict.rows, args.dim], 'fc.weight': [dict.nlabels, args.dim] };
  try {
    for (const [k, shape] of Object.entries(expected)) {
      const t = tensors[k];
      if (!t) throw new ModelError(`model: ${weightsPath} has no tensor '${k}' (has: ${Object.keys(tensors).join(', ') || 'none'})`);
      if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) {
        throw new ModelError(`model: '${k}' in ${weightsPath} is ${shapeStr(t.shape)} but the vocabulary and hyper-parameters in ${paths.json} need ${shapeStr(shape)}`);
      }
      if (t.dtype !== 'float32') throw new ModelError(`model: '${k}' is ${t.dtype}, expected float32`);
    }
    const model = new FastTextModel(dict.rows, args.dim, dict.nlabels, { init: false });
    model.loadStateDict(tensors);
    return { model, dict, args };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
