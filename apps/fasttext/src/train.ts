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
import { all, fromHost, isfinite, tidy, type Tensor } from '@torchlet/tensor';
import { Dictionary } from './dictionary.js';
import type { Example } from './formats.js';
import { FastTextModel } from './model.js';
import { seededRandom } from './random.js';

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

/** One problem with a hyper-parameter: its `TrainArgs` key and what is wrong. */
export interface ArgProblem {
  key: keyof TrainArgs | string;
  message: string;
}

const ARG_KEYS = Object.keys(DEFAULT_ARGS) as (keyof TrainArgs)[];

/**
 * Every problem with a set of hyper-parameters (types, ranges, combinations), without naming
 * where they came from: the CLI words them as flags, the model loader as fields of the `.json`.
 */
export function argProblems(a: Readonly<Record<string, unknown>>): ArgProblem[] {
  const out: ArgProblem[] = [];
  const got = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  for (const k of ARG_KEYS) {
    const v = a[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) out.push({ key: k, message: `must be a finite number, got ${got(v)}` });
  }
  if (out.length > 0) return out;
  const n = a as unknown as TrainArgs;
  if (!(n.lr > 0)) out.push({ key: 'lr', message: `must be positive, got ${n.lr}` });
  for (const k of ['dim', 'epoch', 'wordNgrams', 'batch'] as const) {
    if (!Number.isInteger(n[k]) || n[k] < 1) out.push({ key: k, message: `must be a positive integer, got ${n[k]}` });
  }
  for (const k of ['minCount', 'minCountLabel'] as const) {
    if (!Number.isInteger(n[k]) || n[k] < 0) out.push({ key: k, message: `must be a non-negative integer, got ${n[k]}` });
  }
  if (!Number.isSafeInteger(n.seed)) out.push({ key: 'seed', message: `must be an integer, got ${n.seed}` });
  // The n-gram rows are hashed modulo the bucket count (an int32 in the library); 0 buckets
  // with n-grams would divide by zero, which fastText crashes on.
  if (!Number.isInteger(n.bucket) || n.bucket < 0 || n.bucket > 0x7fffffff) {
    out.push({ key: 'bucket', message: `must be an integer from 0 to 2147483647, got ${n.bucket}` });
  } else if (n.wordNgrams > 1 && n.bucket === 0) {
    out.push({ key: 'bucket', message: `must be at least 1 when word n-grams are on (wordNgrams ${n.wordNgrams}), got 0; fastText's default is 2000000` });
  }
  return out;
}

/** fastText drops the buckets when there are no word n-grams (and no subwords). */
export function effectiveArgs(args: Partial<TrainArgs>): TrainArgs {
  const a = { ...DEFAULT_ARGS, ...args };
  if (typeof a.wordNgrams === 'number' && a.wordNgrams <= 1) a.bucket = 0;
  const problems = argProblems(a);
  if (problems.length > 0) throw new RangeError(problems.map((p) => `${p.key} ${p.message}`).join('; '));
  return a;
}

/** Training failed (diverged, no data, too large a model); the model is not saved. */
export class TrainingError extends Error {
  override name = 'TrainingError';
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

export function train(examples: readonly Example[], partial: Partial<TrainArgs> = {}, options: TrainOptions = {}): TrainResult {
  const args = effectiveArgs(partial);
  const t0 = performance.now();
  const dict = Dictionary.build(examples, args);
  if (dict.nlabels === 0) throw new TrainingError('the training data has no labels (or none reaches --min-count-label)');
  if (dict.nwords === 0) throw new TrainingError('the training data has no words (or none reaches --min-count)');
  const lines = encodeAll(dict, examples).filter((l) => l.labels.length > 0 && l.rows.length > 0);
  const model = newModel(dict, args);
  try {
    return fit(model, dict, lines, args, options, t0);
  } catch (err) {
    model.embedding.weight.dispose();
    model.fc.weight.dispose();
    throw err;
  }
}

function newModel(dict: Dictionary, args: TrainArgs): FastTextModel {
  try {
    return new FastTextModel(dict.rows, args.dim, dict.nlabels, { seed: args.seed });
  } catch (err) {
    // The input matrix is (words + buckets) × dim floats: too large a one fails to allocate.
    if (err instanceof RangeError) {
      const gb = ((dict.rows * args.dim * 4) / 2 ** 30).toFixed(1);
      throw new TrainingError(`cannot allocate the ${dict.rows} × ${args.dim} input matrix (${gb} GiB): lower --dim or --bucket`);
    }
    throw err;
  }
}

function fit(model: FastTextModel, dict: Dictionary, lines: EncodedLine[], args: TrainArgs, options: TrainOptions, t0: number): TrainResult {
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
  const draw = seededRandom(args.seed ^ 0x5eed); // the label draw of multi-label lines
  const B = args.batch;
  const offsets = new Int32Array(B);
  const targets = new Int32Array(B);
  let tokenCount = 0;
  let epochLoss = 0;
  let epochLines = 0;
  try {
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
        // Once the loss is NaN/Inf every later step is too: stop rather than save garbage.
        if (!Number.isFinite(loss)) throw diverged(`the loss is ${loss} at epoch ${epoch + 1}, training line ${start + 1} of ${lines.length}`, args);
        tokenCount += words;
        epochLoss += loss;
        epochLines += n;
        bar.update(words, { loss: loss / n, lr });
      }
    }
  } finally {
    bar.close();
    opt.dispose();
  }
  // The last update is not followed by a loss: check the weights it wrote.
  if (!allFinite(model.fc.weight) || !allFinite(model.embedding.weight)) throw diverged('the weights hold NaN or infinite values after the last update', args);
  const t2 = performance.now();
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

function diverged(what: string, args: TrainArgs): TrainingError {
  return new TrainingError(`training diverged: ${what}; the learning rate is too high, try a lower --lr (this run: ${args.lr}, fastText's default: 0.1)`);
}

/** Whether every element of `t` is finite. */
export function allFinite(t: Tensor): boolean {
  return tidy(() => all(isfinite(t)).item()) !== 0;
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
