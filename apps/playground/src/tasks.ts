/**
 * The two things the playground trains, each one step at a time so the worker can answer the
 * page between steps: the char-rnn app's character model (its `Trainer`) on a slice of Moby
 * Dick, and the sentiment app's bidirectional GRU on the fine-food reviews. Both reuse the apps'
 * own modules, so a model downloaded here loads in the CLI and the other way round.
 */
import { Trainer, sample, type TrainerState } from '@torchlet/app-char-rnn/trainer';
import { CharVocab, splitIds } from '@torchlet/app-char-rnn/vocab';
import { SentimentGRU } from '@torchlet/app-sentiment/model';
import { decodeModel, encodeModel, validateJson, type ModelJson } from '@torchlet/app-sentiment/model-format';
import { buildVocab, encode } from '@torchlet/app-sentiment/text';
import * as torch from 'torchlet';
import mobyUrl from '@torchlet/app-char-rnn/data/moby-dick.txt?url';
import reviewsUrl from '@torchlet/app-sentiment/data/fine-foods-train.tsv?url';
import type { CharModelOptions, FileBytes, TaskName } from './protocol.js';

type Tensor = torch.Tensor;

export interface Task {
  readonly name: TaskName;
  /** One update; the batch's loss. */
  step(): Promise<number>;
  /** Text to show after some steps (a sample), or null. */
  show(): Promise<string | null>;
  predict?(text: string): Promise<{ label: string; probability: number }>;
  save(): Promise<FileBytes[]>;
  dispose(): void;
}

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot load ${url}: HTTP ${r.status}`);
  return r.text();
}

// ---- character model -----------------------------------------------------------------------

const CHAR_TEXT = 300_000; // characters of Moby Dick: enough to learn words, quick to fetch

export async function charTask(device: torch.DeviceName, seed: number, state?: TrainerState, size: CharModelOptions = {}): Promise<Task> {
  const text = (await fetchText(mobyUrl)).slice(0, CHAR_TEXT);
  const vocab = state ? new CharVocab(state.chars) : CharVocab.fromText(text);
  const { train } = splitIds(vocab.encode(text, 'Moby Dick'), 0.05);
  const modelConfig = state?.model ?? { cell: 'gru' as const, vocab: vocab.size, embed: size.embed ?? 32, hidden: size.hidden ?? 128, layers: size.layers ?? 2, dropout: 0 };
  const config = state?.train ?? { bptt: size.bptt ?? 32, batch: size.batch ?? 16, lr: size.lr ?? 0.005, clip: 1, steps: 100_000, seed };
  const trainer = new Trainer(modelConfig, config, train, device);
  if (state) trainer.restore(state);
  const generator = new torch.Generator().manualSeed(seed);
  return {
    name: 'char',
    step: () => trainer.trainStep(),
    show: () =>
      sample(trainer.model, (s) => vocab.encode(s, 'prime'), (ids) => vocab.decode(ids), { prime: 'The whale', length: 160, temperature: 0.8, generator, device }).then((s) => `The whale${s}`),
    save: async () => [{ name: 'char-rnn.ckpt', bytes: await torch.io.saveBytes(trainer.state(vocab.chars)) }],
    dispose: () => trainer.dispose(),
  };
}

/** A checkpoint written by `torchlet-char-rnn train --output` (or downloaded here). */
export async function loadCharTask(bytes: Uint8Array, device: torch.DeviceName, seed: number): Promise<Task> {
  const state = await torch.io.loadBytes<TrainerState>(bytes);
  if (state?.format !== 'torchlet-char-rnn-checkpoint/1') throw new Error('not a torchlet-char-rnn checkpoint');
  try {
    return await charTask(device, seed, state);
  } finally {
    for (const t of [...Object.values(state.weights), ...state.hidden]) t.dispose();
  }
}

// ---- sentiment GRU ---------------------------------------------------------------------------

const MAX_LENGTH = 100;

export async function sentimentTask(device: torch.DeviceName, seed: number, loaded?: { model: SentimentGRU; meta: ModelJson }): Promise<Task> {
  const rows = torch.utils.data.parseTsv(await fetchText(reviewsUrl)) as Record<string, string>[];
  const labels = loaded?.meta.labels ?? [...new Set(rows.map((r) => r.score!))].sort();
  const vocab = loaded ? new torch.utils.data.Vocab(loaded.meta.vocab, { defaultIndex: loaded.meta.vocab.indexOf('<unk>') }) : buildVocab(rows.map((r) => r.review!), { minFreq: 2, maxSize: 20000 });
  const maxLength = loaded?.meta.maxLength ?? MAX_LENGTH;
  const samples = rows.map((r): [Tensor, number] => [torch.tensor(encode(vocab, r.review!, maxLength), { dtype: 'int32' }), labels.indexOf(r.score!)]);
  torch.manualSeed(seed);
  const model = (loaded?.model ?? new SentimentGRU({ vocab: vocab.length, embed: 32, hidden: 32, layers: 1, bidirectional: true, dropout: 0, classes: labels.length })).to(device);
  const opt = new torch.optim.Adam(model.parameters(), { lr: 0.005 });
  const generator = new torch.Generator().manualSeed(seed);
  const batch = 32;
  let order: number[] = [];
  return {
    name: 'sentiment',
    async step() {
      if (order.length < batch) {
        const perm = torch.randperm(samples.length, { generator });
        order = Array.from(perm.dataSync() as Int32Array);
        perm.dispose();
      }
      const picked = order.splice(0, batch).map((i) => samples[i]!);
      const { padded, lengths } = torch.utils.data.padCollate(picked.map((s) => s[0]), { batchFirst: true });
      model.train();
      const loss = torch.tidy(() => {
        opt.zeroGrad();
        const y = torch.tensor(Int32Array.from(picked, (s) => s[1]), { dtype: 'int32', device });
        const l = torch.nn.functional.crossEntropy(model.call(padded.to(device), lengths), y);
        l.backward();
        opt.step();
        return l.detach();
      });
      padded.dispose();
      lengths.dispose();
      try {
        return await loss.itemAsync();
      } finally {
        loss.dispose();
      }
    },
    show: async () => null,
    async predict(text) {
      model.eval();
      const encoded = encode(vocab, text, maxLength);
      const ids = torch.tensor(encoded, { dtype: 'int32', device, shape: [1, encoded.length] });
      const lengths = torch.tensor(Int32Array.of(ids.shape[1]!), { dtype: 'int32' });
      const p = torch.noGrad(() => torch.tidy(() => torch.softmax(model.call(ids, lengths), 1)));
      const probs = Array.from((await p.data()) as Float32Array);
      for (const t of [ids, lengths, p]) t.dispose();
      const k = probs.indexOf(Math.max(...probs));
      return { label: labels[k]!, probability: probs[k]! };
    },
    async save() {
      const { json, weights } = await encodeModel('reviews', model, { labels, vocab: vocab.getItos(), maxLength, tokenizer: 'basic_english' });
      return [
        { name: 'reviews.json', bytes: new TextEncoder().encode(`${JSON.stringify(json)}\n`) },
        { name: json.weights.file, bytes: weights },
      ];
    },
    dispose() {
      for (const [t] of samples) t.dispose();
      model.dispose();
    },
  };
}

/** A model pair written by `torchlet-sentiment train --output` (or downloaded here). */
export async function loadSentimentTask(files: FileBytes[], device: torch.DeviceName, seed: number): Promise<Task> {
  const jsonFile = files.find((f) => f.name.endsWith('.json'));
  if (!jsonFile) throw new Error('a sentiment model is a .json file and its .safetensors file: drop both');
  const meta = validateJson(JSON.parse(new TextDecoder().decode(jsonFile.bytes)), jsonFile.name);
  const weights = files.find((f) => f.name === meta.weights.file);
  if (!weights) throw new Error(`${jsonFile.name} names its weights ${meta.weights.file}: drop that file too`);
  return sentimentTask(device, seed, { model: await decodeModel(meta, weights.bytes, jsonFile.name), meta });
}
