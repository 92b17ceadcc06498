/**
 * Text in, labels out: tokenise (torchtext's `basic_english`), map to vocabulary ids, batch with
 * `padCollate` through a `DataLoader`, train with Adam and cross-entropy, evaluate and predict.
 */
import * as torch from 'torchlet';
import type { Example } from './examples.js';
import { SentimentGRU, type ModelConfig } from './model.js';
import { PAD, UNK, encode } from './text.js';

export { PAD, UNK, buildVocab, encode } from './text.js';

type Tensor = torch.Tensor;
const { nn } = torch;
const data = torch.utils.data;

/** `[ids, label]` samples → `{ padded [B, T], lengths [B], rest: [labels [B]] }`. */
export function loader(samples: [Tensor, number][], batch: number, options: { shuffle: boolean; generator?: torch.Generator }) {
  return new data.DataLoader(samples, {
    batchSize: batch,
    shuffle: options.shuffle,
    ...(options.generator ? { generator: options.generator } : {}),
    collateFn: (b) => data.padCollate(b as [Tensor, number][], { batchFirst: true }),
  });
}

export function toSamples(examples: readonly Example[], vocab: torch.utils.data.Vocab, labels: readonly string[], maxLength: number, what: string): [Tensor, number][] {
  return examples.map((e, i) => {
    const label = labels.indexOf(e.label);
    if (label < 0) throw new RangeError(`${what}: example ${i + 1} has the label '${e.label}', which the model does not know (${labels.join(', ')})`);
    return [torch.tensor(encode(vocab, e.text, maxLength), { dtype: 'int32' }), label];
  });
}

export interface TrainOptions {
  epochs: number;
  lr: number;
  batch: number;
  seed: number;
  device: torch.DeviceName;
  onBatch?: () => void;
  onEpoch?: (epoch: number, loss: number) => Promise<void> | void;
}

/** Trains in place; returns the mean training loss of each epoch. */
export async function train(model: SentimentGRU, samples: [Tensor, number][], options: TrainOptions): Promise<number[]> {
  const opt = new torch.optim.Adam(model.parameters(), { lr: options.lr });
  const generator = new torch.Generator().manualSeed(options.seed);
  const losses: number[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    model.train();
    let sum = torch.zeros([], { device: options.device });
    for (const { padded, lengths, rest } of loader(samples, options.batch, { shuffle: true, generator })) {
      const y = rest![0] as Tensor;
      const next = torch.tidy(() => {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.call(padded.to(options.device), lengths), y.to(options.device));
        loss.backward();
        opt.step();
        return torch.add(sum, torch.mul(loss.detach(), y.shape[0]!));
      });
      for (const t of [padded, lengths, y, sum]) t.dispose();
      sum = next;
      options.onBatch?.();
    }
    const mean = (await sum.itemAsync()) / samples.length;
    sum.dispose();
    if (!Number.isFinite(mean)) throw new RangeError(`the training loss became ${mean} in epoch ${epoch}: try a lower --lr (now ${options.lr})`);
    losses.push(mean);
    await options.onEpoch?.(epoch, mean);
  }
  return losses;
}

/** Class probabilities `[N][classes]` of the samples, in order. */
export async function probabilities(model: SentimentGRU, samples: [Tensor, number][], batch: number, device: torch.DeviceName): Promise<number[][]> {
  model.eval();
  const out: number[][] = [];
  for (const { padded, lengths, rest } of loader(samples, batch, { shuffle: false })) {
    const p = torch.noGrad(() => torch.tidy(() => torch.softmax(model.call(padded.to(device), lengths), 1)));
    for (const t of [padded, lengths, rest![0] as Tensor]) t.dispose();
    const flat = (await p.data()) as Float32Array;
    const C = p.shape[1]!;
    p.dispose();
    for (let i = 0; i < flat.length; i += C) out.push(Array.from(flat.subarray(i, i + C)));
  }
  return out;
}

export interface Evaluation {
  accuracy: number;
  /** `matrix[actual][predicted]` counts. */
  matrix: number[][];
}

export function evaluate(probs: readonly (readonly number[])[], targets: readonly number[], classes: number): Evaluation {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let right = 0;
  probs.forEach((p, i) => {
    const predicted = p.indexOf(Math.max(...p));
    matrix[targets[i]!]![predicted]!++;
    if (predicted === targets[i]) right++;
  });
  return { accuracy: right / targets.length, matrix };
}

export function formatMatrix(matrix: number[][], labels: readonly string[]): string {
  const w = Math.max(8, ...labels.map((l) => l.length + 2));
  const head = `${'actual \\ predicted'.padEnd(20)}${labels.map((l) => l.padStart(w)).join('')}`;
  return [head, ...matrix.map((row, i) => `${labels[i]!.padEnd(20)}${row.map((n) => String(n).padStart(w)).join('')}`)].join('\n');
}

/** GloVe text vectors (`word v1 … vD` a line; `.gz` accepted) copied into the embedding rows of known words. */
export async function loadGlove(bytes: Uint8Array, path: string, vocab: torch.utils.data.Vocab, embed: number): Promise<{ table: Float32Array; found: number; dim: number }> {
  let text = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const { gunzipSync } = await import('node:zlib');
    text = gunzipSync(bytes);
  }
  const lines = new TextDecoder().decode(text).split('\n');
  const dim = (lines[0] ?? '').trim().split(' ').length - 1;
  if (dim < 1) throw new RangeError(`--embeddings: ${path} is not in GloVe text format (word followed by numbers, one per line)`);
  if (dim !== embed) throw new RangeError(`--embeddings: ${path} has ${dim}-dimensional vectors but --embed is ${embed}; give --embed ${dim}`);
  const table = new Float32Array(vocab.length * dim);
  let found = 0;
  lines.forEach((line, n) => {
    if (!line.trim()) return;
    const parts = line.trimEnd().split(' ');
    if (parts.length !== dim + 1) throw new RangeError(`--embeddings: ${path} line ${n + 1} has ${parts.length - 1} numbers, expected ${dim}`);
    if (!vocab.has(parts[0]!) || parts[0] === PAD || parts[0] === UNK) return;
    const row = vocab.indexOf(parts[0]!);
    for (let k = 0; k < dim; k++) table[row * dim + k] = Number(parts[k + 1]);
    found++;
  });
  return { table, found, dim };
}

export function initEmbedding(model: SentimentGRU, glove: { table: Float32Array; found: number }, vocab: torch.utils.data.Vocab): void {
  // rows of words GloVe lacks keep their random initialisation; <pad> stays zero
  const have = new Uint8Array(vocab.length);
  const dim = model.config.embed;
  for (let r = 0; r < vocab.length; r++) for (let k = 0; k < dim && !have[r]; k++) if (glove.table[r * dim + k] !== 0) have[r] = 1;
  torch.noGrad(() => {
    const w = model.embedding.weight;
    const current = w.dataSync() as Float32Array;
    const merged = Float32Array.from(current, (v, i) => (have[Math.floor(i / dim)] ? glove.table[i]! : v));
    const t = torch.tensor(merged, { shape: [vocab.length, dim] });
    w.copy_(t);
    t.dispose();
  });
}

export type { ModelConfig };
