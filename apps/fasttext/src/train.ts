/**
 * Supervised training as fastText does it: one pass per epoch over the lines in file order,
 * SGD on the softmax cross-entropy, the learning rate decaying linearly to zero with the
 * number of tokens processed (`lr · (1 − tokens / (epoch · ntokens))`, fastText's
 * `trainThread`), one update per line by default (`batch: 1`). The update is the library's own
 * `EmbeddingBag({ sparse: true })` + `backward()` + `optim.SGD`: only the rows a line touches
 * move. With `batch > 1` the loss is summed over the lines of a batch, so each line keeps
 * fastText's step size.
 */
import { ProgressBar, type ProgressStream } from '@torchlet/data';
import { functional as F } from '@torchlet/nn';
import { SGD } from '@torchlet/optim';
import { fromHost, type Tensor } from '@torchlet/tensor';
import { Dictionary } from './dictionary.js';
import type { Example } from './formats.js';
import { FastTextModel } from './model.js';

export interface TrainArgs {
  lr: number;
  dim: number;
  epoch: number;
  wordNgrams: number;
  bucket: number;
  minCount: number;
  minCountLabel: number;
  seed: number;
  /** Lines per update (fastText: 1). */
  batch: number;
}

export const DEFAULT_ARGS: Readonly<TrainArgs> = Object.freeze({
  lr: 0.1,
  dim: 100,
  epoch: 5,
  wordNgrams: 1,
  bucket: 2_000_000,
  minCount: 1,
  minCountLabel: 0,
  seed: 0,
  batch: 1,
});

/** fastText drops the buckets when there are no word n-grams (and no subwords). */
export function effectiveArgs(args: Partial<TrainArgs>): TrainArgs {
  const a = { ...DEFAULT_ARGS, ...args };
  if (a.wordNgrams <= 1) a.bucket = 0;
  for (const [k, v] of Object.entries(a)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`--${k}: expected a number (got ${String(v)})`);
  }
  if (!(a.lr > 0)) throw new RangeError(`--lr must be positive (got ${a.lr})`);
  for (const k of ['dim', 'epoch', 'wordNgrams', 'batch'] as const) {
    if (!Number.isInteger(a[k]) || a[k] < 1) throw new RangeError(`--${k} must be a positive integer (got ${a[k]})`);
  }
  if (!Number.isInteger(a.bucket) || a.bucket < 0) throw new RangeError(`--bucket must be a non-negative integer (got ${a.bucket})`);
  return a;
}

/** A line ready for training: its input rows, label ids and token count. */
export interface EncodedLine {
  rows: Int32Array;
  labels: number[];
  ntokens: number;
}

export function encodeAll(dict: Dictionary, examples: readonly Example[]): EncodedLine[] {
  return examples.map((ex) => {
    const { rows, ntokens } = dict.encode(ex.text);
    return { rows, labels: dict.labelIds(ex.labels), ntokens: ntokens + ex.labels.length };
  });
}

export interface TrainOptions {
  /** Where the progress bar draws (default stderr; drawn only on a terminal unless `progress: true`). */
  stream?: ProgressStream;
  progress?: boolean;
}

export interface TrainResult {
  model: FastTextModel;
  dict: Dictionary;
  args: TrainArgs;
  /** Seconds in the epochs (after the dictionary and the encoding). */
  trainSeconds: number;
  /** Seconds to build the dictionary and encode the lines. */
  prepareSeconds: number;
  /** Tokens processed (fastText's unit: words, `</s>` and labels). */
  tokens: number;
  wordsPerSec: number;
  /** Mean loss over the last epoch. */
  loss: number;
}

/** A small seeded generator (mulberry32) for the label draw of multi-label lines. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function train(examples: readonly Example[], partial: Partial<TrainArgs> = {}, options: TrainOptions = {}): TrainResult {
  const args = effectiveArgs(partial);
  const t0 = performance.now();
  const dict = Dictionary.build(examples, args);
  if (dict.nlabels === 0) throw new RangeError('train: the input has no labels');
  if (dict.nwords === 0) throw new RangeError('train: the input has no words');
  const lines = encodeAll(dict, examples).filter((l) => l.labels.length > 0 && l.rows.length > 0);
  const model = new FastTextModel(dict.rows, args.dim, dict.nlabels, { seed: args.seed });
  const opt = new SGD(model.parameters(), { lr: args.lr });
  const group = opt.paramGroups[0]!;
  const t1 = performance.now();

  const totalTokens = args.epoch * dict.ntokens;
  const bar = new ProgressBar({
    total: totalTokens,
    label: 'train',
    unit: 'words',
    stream: options.stream ?? process.stderr,
    ...(options.progress !== undefined ? { enabled: options.progress } : {}),
  });
  const draw = rng(args.seed ^ 0x5eed);
  const B = args.batch;
  const offsets = new Int32Array(B);
  const targets = new Int32Array(B);
  let tokenCount = 0;
  let epochLoss = 0;
  let epochLines = 0;
  for (let epoch = 0; epoch < args.epoch; epoch++) {
    epochLoss = 0;
    epochLines = 0;
    for (let start = 0; start < lines.length; start += B) {
      const n = Math.min(B, lines.length - start);
      const lr = args.lr * Math.max(0, 1 - tokenCount / totalTokens);
      let total = 0;
      let words = 0;
      for (let b = 0; b < n; b++) {
        const line = lines[start + b]!;
        offsets[b] = total;
        total += line.rows.length;
        words += line.ntokens;
        targets[b] = line.labels.length === 1 ? line.labels[0]! : line.labels[Math.floor(draw() * line.labels.length)]!;
      }
      const rows = n === 1 ? lines[start]!.rows : concatRows(lines, start, n, total);
      group.lr = lr;
      const loss = step(model, opt, rows, offsets.subarray(0, n), targets.subarray(0, n));
      tokenCount += words;
      epochLoss += loss;
      epochLines += n;
      bar.update(words, { loss: loss / n, lr });
    }
  }
  bar.close();
  const t2 = performance.now();
  opt.dispose();
  const trainSeconds = (t2 - t1) / 1000;
  return {
    model,
    dict,
    args,
    trainSeconds,
    prepareSeconds: (t1 - t0) / 1000,
    tokens: tokenCount,
    wordsPerSec: tokenCount / trainSeconds,
    loss: epochLines > 0 ? epochLoss / epochLines : Number.NaN,
  };
}

function concatRows(lines: readonly EncodedLine[], start: number, n: number, total: number): Int32Array {
  const out = new Int32Array(total);
  let o = 0;
  for (let b = 0; b < n; b++) {
    out.set(lines[start + b]!.rows, o);
    o += lines[start + b]!.rows.length;
  }
  return out;
}

/** One SGD update on a batch of bags; returns the summed loss. */
export function step(model: FastTextModel, opt: SGD, rows: Int32Array, offsets: Int32Array, targets: Int32Array): number {
  const temps: Tensor[] = [];
  try {
    const idx = fromHost(rows, [rows.length], 'int32');
    const off = fromHost(offsets, [offsets.length], 'int32');
    const tgt = fromHost(targets, [targets.length], 'int32');
    temps.push(idx, off, tgt);
    const logits = model.call(idx, off) as Tensor;
    temps.push(logits);
    const loss = F.crossEntropy(logits, tgt, { reduction: 'sum' });
    temps.push(loss);
    loss.backward();
    opt.step();
    opt.zeroGrad();
    return loss.item();
  } finally {
    for (const t of temps) t.dispose();
  }
}
