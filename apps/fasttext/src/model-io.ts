/**
 * The model on disk: `<name>.json` (format and version, the hyper-parameters, the vocabulary and
 * labels, and the weights file's name, size, CRC-32 and tensor shapes) and the weights file it
 * names, `<name>.<generation>.safetensors` (PyTorch's state-dict keys: `embedding.weight`
 * [rows, dim], `fc.weight` [labels, dim]). Saving is atomic (see model-files.ts). Loading trusts
 * neither file: the `.json` is checked field by field, the weights against the `.json`'s size,
 * CRC-32 and shapes, and the `.json`'s vocabulary against the digest the weights were saved with
 * (so reordered or edited labels are refused). Every refusal is a `ModelError` naming the file
 * and the field.
 */
import { SafetensorsError, loadSafetensors, saveSafetensors } from '@torchlet/io';
import type { Tensor } from '@torchlet/tensor';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Dictionary, type DictionaryJSON } from './dictionary.js';
import { errorCode, fileProblem } from './files.js';
import { FastTextModel } from './model.js';
import { ModelError, isWeightsFileName, modelBase, modelJsonPath, writeModelFiles, type WeightsRecord } from './model-files.js';
import { DEFAULT_ARGS, allFinite, argProblems, type TrainArgs } from './train.js';

export { ModelError, modelJsonPath } from './model-files.js';

export const MODEL_FORMAT = 'torchlet-fasttext';
export const MODEL_VERSION = 1;

const TENSORS = ['embedding.weight', 'fc.weight'] as const;
type TensorName = (typeof TENSORS)[number];

export interface ModelJSON {
  format: string;
  version: number;
  args: TrainArgs;
  dictionary: DictionaryJSON;
  weights: WeightsRecord & { shapes: Record<TensorName, number[]> };
}

/**
 * SHA-256 of what ties the weights to the `.json`: the words and labels in order and the settings
 * that map a line to rows. Saved in the weights' metadata, checked on load.
 */
export function dictionaryDigest(dict: DictionaryJSON, args: Pick<TrainArgs, 'wordNgrams' | 'bucket' | 'dim'>): string {
  return createHash('sha256')
    .update(JSON.stringify([dict.words, dict.labels, args.wordNgrams, args.bucket, args.dim]))
    .digest('hex');
}

/** The weights file's bytes and the `.json` record (without its `weights.file`, `bytes`, `crc32`). */
export async function serializeModel(
  model: FastTextModel,
  dict: Dictionary,
  args: TrainArgs,
): Promise<{ weights: Uint8Array; meta: Omit<ModelJSON, 'weights'> & { weights: { shapes: Record<string, number[]> } } }> {
  const sd = model.stateDict();
  const shapes: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(sd)) shapes[k] = [...t.shape];
  const dictionary = dict.toJSON();
  const weights = await saveSafetensors(sd, undefined, {
    format: MODEL_FORMAT,
    version: String(MODEL_VERSION),
    dictionary_sha256: dictionaryDigest(dictionary, args),
  });
  return { weights, meta: { format: MODEL_FORMAT, version: MODEL_VERSION, args, dictionary, weights: { shapes } } };
}

/** Saves the model as `<path>.json` + `<path>.<generation>.safetensors`, atomically. */
export async function saveModel(path: string, model: FastTextModel, dict: Dictionary, args: TrainArgs): Promise<{ json: string; weights: string }> {
  const { weights, meta } = await serializeModel(model, dict, args);
  return writeModelFiles(path, weights, meta);
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

type Obj = Record<string, unknown>;

/** Field-by-field checks of a parsed `.json`; each failure names the file and the field. */
class JsonChecker {
  constructor(readonly file: string) {}

  fail(field: string, message: string): never {
    throw new ModelError(`${this.file}: ${field} ${message}`);
  }

  /** An object with exactly `keys`. */
  object(v: unknown, field: string, keys: readonly string[]): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, `must be an object, got ${show(v)}`);
    const o = v as Obj;
    for (const k of keys) if (!Object.hasOwn(o, k)) this.fail(field ? `${field}.${k}` : k, 'is missing');
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail(field || 'the model', `has an unknown field '${k}'`);
    return o;
  }

  int(v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(field, `must be an integer from ${min} to ${max}, got ${show(v)}`);
    return v;
  }

  /** Non-empty distinct strings (words also without whitespace: they are split on it). */
  tokens(v: unknown, field: string, words: boolean): string[] {
    if (!Array.isArray(v) || v.length === 0) this.fail(field, `must be a non-empty array of strings, got ${show(v)}`);
    const seen = new Map<string, number>();
    v.forEach((t, i) => {
      if (typeof t !== 'string' || t.length === 0 || (words && /[ \n\r\t\v\f\0]/.test(t))) {
        this.fail(`${field}[${i}]`, `must be a non-empty string${words ? ' without whitespace' : ''}, got ${show(t)}`);
      }
      const j = seen.get(t);
      if (j !== undefined) this.fail(`${field}[${i}]`, `repeats ${field}[${j}] (${show(t)})`);
      seen.set(t, i);
    });
    return v as string[];
  }
}

/** Checks a parsed model `.json` against the schema; `file` names it in errors. */
export function checkModelJson(raw: unknown, file: string): ModelJSON {
  const c = new JsonChecker(file);
  const format = (raw as Obj | null)?.['format'];
  if (typeof raw !== 'object' || raw === null || format !== MODEL_FORMAT) {
    throw new ModelError(`${file} is not a ${MODEL_FORMAT} model (format: ${show(format ?? null)})`);
  }
  const top = c.object(raw, '', ['format', 'version', 'args', 'dictionary', 'weights']);
  if (top['version'] !== MODEL_VERSION) c.fail('version', `is ${show(top['version'])}; this program reads version ${MODEL_VERSION}`);

  const args = c.object(top['args'], 'args', Object.keys(DEFAULT_ARGS));
  const problem = argProblems(args)[0];
  if (problem) c.fail(`args.${problem.key}`, problem.message);
  const a = args as unknown as TrainArgs;

  const d = c.object(top['dictionary'], 'dictionary', ['words', 'labels', 'ntokens']);
  const dictionary: DictionaryJSON = {
    words: c.tokens(d['words'], 'dictionary.words', true),
    labels: c.tokens(d['labels'], 'dictionary.labels', false),
    ntokens: c.int(d['ntokens'], 'dictionary.ntokens', 1),
  };

  const w = c.object(top['weights'], 'weights', ['file', 'bytes', 'crc32', 'shapes']);
  if (typeof w['file'] !== 'string' || !isWeightsFileName(w['file'])) {
    c.fail('weights.file', `must be the name of a .safetensors file beside the .json (no directory part), got ${show(w['file'])}`);
  }
  const bytes = c.int(w['bytes'], 'weights.bytes', 8);
  const crc = c.int(w['crc32'], 'weights.crc32', 0, 0xffffffff);
  const s = c.object(w['shapes'], 'weights.shapes', TENSORS);
  const rows = dictionary.words.length + (a.wordNgrams > 1 ? a.bucket : 0);
  const expected: Record<TensorName, [number[], string]> = {
    'embedding.weight': [[rows, a.dim], `dictionary.words (${dictionary.words.length})${a.wordNgrams > 1 ? ` + args.bucket (${a.bucket})` : ''} × args.dim (${a.dim})`],
    'fc.weight': [[dictionary.labels.length, a.dim], `dictionary.labels (${dictionary.labels.length}) × args.dim (${a.dim})`],
  };
  const shapes = {} as Record<TensorName, number[]>;
  for (const k of TENSORS) {
    const [want, why] = expected[k];
    const got = s[k];
    if (!Array.isArray(got) || got.length !== 2 || got.some((n, i) => n !== want[i])) c.fail(`weights.shapes["${k}"]`, `is ${show(got)} but ${why} make ${shapeStr(want)}`);
    shapes[k] = want;
  }
  return { format: MODEL_FORMAT, version: MODEL_VERSION, args: { ...a }, dictionary, weights: { file: w['file'] as string, bytes, crc32: crc, shapes } };
}

export interface LoadedModel {
  model: FastTextModel;
  dict: Dictionary;
  args: TrainArgs;
}

/** Loads the model at `path` (`model`, `model.json` or its weights file), refusing anything inconsistent. */
export async function loadModel(path: string): Promise<LoadedModel> {
  const jsonPath = modelJsonPath(path);
  let raw: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(readFileSync(jsonPath));
    raw = JSON.parse(text);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') {
      throw new ModelError(`model ${jsonPath} not found (a model is the .json that 'train --output ${modelBase(jsonPath)}' writes, with the weights file it names)`);
    }
    if (err instanceof SyntaxError) throw new ModelError(`${jsonPath} is not valid JSON (${err.message}); the file is corrupt`);
    if (err instanceof TypeError) throw new ModelError(`${jsonPath} is not UTF-8 text; the file is corrupt`);
    throw new ModelError(`cannot read the model ${jsonPath}: ${fileProblem(err)}`);
  }
  const json = checkModelJson(raw, jsonPath);
  const { args } = json;
  const weightsPath = join(dirname(jsonPath), json.weights.file);
  let bytes: Uint8Array;
  try {
    const buf = readFileSync(weightsPath);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength); // a view: the file may be hundreds of MB
  } catch (err) {
    throw new ModelError(`${jsonPath}: cannot read its weights file ${weightsPath} (weights.file): ${fileProblem(err)}; a model is the .json and that file, side by side`);
  }
  const crc = bytes.length === json.weights.bytes ? crc32(bytes) : null;
  const mismatch =
    crc === null ? `${bytes.length} bytes, the .json says ${json.weights.bytes}` : crc !== json.weights.crc32 ? `CRC-32 ${crc}, the .json says ${json.weights.crc32}` : null;
  if (mismatch) throw new ModelError(`${weightsPath} does not match ${jsonPath} (${mismatch}): the weights are corrupt or belong to another model`);
  let tensors: Record<string, Tensor>;
  let metadata: Record<string, string>;
  try {
    ({ tensors, metadata } = await loadSafetensors(bytes));
  } catch (err) {
    if (err instanceof SafetensorsError) throw new ModelError(`${weightsPath} is not a valid safetensors file (${err.message})`);
    throw err;
  }
  try {
    const names = Object.keys(tensors).sort();
    if (names.join() !== [...TENSORS].sort().join()) throw new ModelError(`${weightsPath} holds the tensors ${names.join(', ') || 'none'}; a model has ${TENSORS.join(' and ')}`);
    for (const k of TENSORS) {
      const t = tensors[k]!;
      const want = json.weights.shapes[k];
      if (t.shape.length !== want.length || t.shape.some((n, i) => n !== want[i])) {
        throw new ModelError(`'${k}' in ${weightsPath} is ${shapeStr(t.shape)} but ${jsonPath} (dictionary and args) needs ${shapeStr(want)}`);
      }
      if (t.dtype !== 'float32') throw new ModelError(`'${k}' in ${weightsPath} is ${t.dtype}, expected float32`);
      if (!allFinite(t)) throw new ModelError(`'${k}' in ${weightsPath} holds NaN or infinite values (saved from a diverged run); retrain with a lower --lr`);
    }
    if (metadata['format'] !== undefined && metadata['format'] !== MODEL_FORMAT) {
      throw new ModelError(`${weightsPath} was written by '${metadata['format']}', not ${MODEL_FORMAT}`);
    }
    // Models saved before the digest existed have none; every model saved now has one.
    const digest = metadata['dictionary_sha256'];
    if (digest !== undefined && digest !== dictionaryDigest(json.dictionary, args)) {
      throw new ModelError(
        `${jsonPath}: dictionary or args.wordNgrams/bucket/dim differ from those ${weightsPath} was trained with (the .json was edited or belongs to another model); retrain, or restore the .json`,
      );
    }
    const dict = new Dictionary(json.dictionary, args);
    const model = new FastTextModel(dict.rows, args.dim, dict.nlabels, { init: false });
    model.loadStateDict(tensors);
    return { model, dict, args };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
