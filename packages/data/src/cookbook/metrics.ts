/**
 * Classification metrics from the Cookbook: `confusionMatrix`, `accuracy` (top-k), and
 * per-class / macro / weighted precision, recall and F1 (sklearn's definitions, 0 where a
 * denominator is 0). Predictions are class indices `[N]` or scores `[N, C]` (argmax / top-k
 * taken); targets are class indices `[N]`. Tensors are read asynchronously, so these work
 * on every device.
 */
import { ValueError, fmtShape, isTensor, tensor, type Tensor } from '@torchlet/tensor';

/** Class indices or per-class scores. */
export type Predictions = Tensor | ArrayLike<number>;

async function hostOf(x: Tensor | ArrayLike<number>): Promise<{ data: ArrayLike<number>; shape: readonly number[] }> {
  if (isTensor(x)) return { data: x.backend.canReadSync ? x.dataSync() : await x.data(), shape: x.shape };
  return { data: x, shape: [x.length] };
}

function checkLabel(v: number, numClasses: number, what: string, i: number): number {
  if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
    throw new ValueError(`${what}[${i}] = ${v} is not a class index in [0, ${numClasses})`);
  }
  return v;
}

/** Row-wise argmax of `[N, C]` scores (first maximum, as `torch.argmax`). */
function argmaxRows(data: ArrayLike<number>, n: number, c: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = data[i * c]!;
    for (let j = 1; j < c; j++) {
      const v = data[i * c + j]!;
      if (v > bv || (Number.isNaN(v) && !Number.isNaN(bv))) {
        bv = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

async function labelsOf(preds: Predictions, targets: Tensor | ArrayLike<number>, op: string): Promise<{ p: ArrayLike<number>; t: ArrayLike<number>; scores?: { data: ArrayLike<number>; c: number } }> {
  const P = await hostOf(preds);
  const T = await hostOf(targets);
  if (T.shape.length !== 1) throw new ValueError(`${op}: targets must be 1-D class indices (got shape ${fmtShape(T.shape)})`);
  const n = T.shape[0]!;
  if (P.shape.length === 2) {
    if (P.shape[0] !== n) throw new ValueError(`${op}: predictions ${fmtShape(P.shape)} and targets ${fmtShape(T.shape)} differ in batch size`);
    return { p: argmaxRows(P.data, n, P.shape[1]!), t: T.data, scores: { data: P.data, c: P.shape[1]! } };
  }
  if (P.shape.length !== 1 || P.shape[0] !== n) throw new ValueError(`${op}: predictions ${fmtShape(P.shape)} do not match targets ${fmtShape(T.shape)}`);
  return { p: P.data, t: T.data };
}

function inferClasses(p: ArrayLike<number>, t: ArrayLike<number>, scores?: { c: number }): number {
  if (scores) return scores.c;
  let m = -1;
  for (let i = 0; i < p.length; i++) m = Math.max(m, p[i]!, t[i]!);
  return m + 1;
}

/**
 * `[C, C]` int32 counts: row = true class, column = predicted class (sklearn's and
 * torchmetrics' layout). `numClasses` defaults to the largest label + 1 (the score width for
 * `[N, C]` predictions).
 */
export async function confusionMatrix(preds: Predictions, targets: Tensor | ArrayLike<number>, numClasses?: number): Promise<Tensor> {
  const { p, t, scores } = await labelsOf(preds, targets, 'confusionMatrix');
  const C = numClasses ?? inferClasses(p, t, scores);
  if (!Number.isInteger(C) || C <= 0) throw new ValueError(`confusionMatrix: numClasses must be a positive integer (got ${C})`);
  const counts = new Int32Array(C * C);
  for (let i = 0; i < t.length; i++) counts[checkLabel(t[i]!, C, 'targets', i) * C + checkLabel(p[i]!, C, 'preds', i)]! += 1;
  return tensor(counts, { shape: [C, C] });
}

/**
 * Fraction of correct predictions. With `[N, C]` scores and `topk: k`, a sample counts when
 * its target is among the `k` highest scores (the Cookbook's top-k accuracy; ties broken by
 * lower index).
 */
export async function accuracy(preds: Predictions, targets: Tensor | ArrayLike<number>, options: { topk?: number } = {}): Promise<number> {
  const { p, t, scores } = await labelsOf(preds, targets, 'accuracy');
  const n = t.length;
  if (n === 0) throw new ValueError('accuracy: no samples');
  const k = options.topk ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new ValueError(`accuracy: topk must be a positive integer (got ${k})`);
  let correct = 0;
  if (k === 1 || !scores) {
    if (k > 1) throw new ValueError('accuracy: topk > 1 needs [N, C] scores');
    for (let i = 0; i < n; i++) if (p[i] === t[i]) correct++;
  } else {
    const c = scores.c;
    if (k > c) throw new ValueError(`accuracy: topk ${k} exceeds the number of classes ${c}`);
    for (let i = 0; i < n; i++) {
      const target = t[i]!;
      const ts = scores.data[i * c + target]!;
      // rank of the target's score: how many scores beat it (ties: lower index first)
      let above = 0;
      for (let j = 0; j < c; j++) {
        const v = scores.data[i * c + j]!;
        if (v > ts || (v === ts && j < target)) above++;
      }
      if (above < k) correct++;
    }
  }
  return correct / n;
}

/** Per-class and averaged precision / recall / F1. */
export interface ClassificationReport {
  /** Per class `c`: TP / (TP + FP). */
  precision: number[];
  /** Per class: TP / (TP + FN). */
  recall: number[];
  /** Per class: harmonic mean of precision and recall. */
  f1: number[];
  /** True samples per class. */
  support: number[];
  /** Unweighted means over classes (sklearn's `average='macro'`). */
  macro: {
    /** Mean precision. */
    precision: number;
    /** Mean recall. */
    recall: number;
    /** Mean F1. */
    f1: number;
  };
  /** Means weighted by support (`average='weighted'`). */
  weighted: {
    /** Weighted precision. */
    precision: number;
    /** Weighted recall. */
    recall: number;
    /** Weighted F1. */
    f1: number;
  };
  /** Overall accuracy (= micro-averaged precision, recall and F1 for single-label data). */
  accuracy: number;
}

/**
 * `sklearn.metrics.precision_recall_fscore_support` for every class plus the macro and
 * weighted averages; ratios with a zero denominator are 0 (`zero_division=0`).
 */
export async function precisionRecallF1(preds: Predictions, targets: Tensor | ArrayLike<number>, numClasses?: number): Promise<ClassificationReport> {
  const cm = await confusionMatrix(preds, targets, numClasses);
  let m: Int32Array;
  try {
    m = cm.dataSync() as Int32Array;
  } finally {
    cm.dispose();
  }
  const C = Math.round(Math.sqrt(m.length));
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  let total = 0;
  let diag = 0;
  for (let c = 0; c < C; c++) {
    let col = 0;
    let row = 0;
    for (let k = 0; k < C; k++) {
      col += m[k * C + c]!;
      row += m[c * C + k]!;
    }
    const tp = m[c * C + c]!;
    const p = col === 0 ? 0 : tp / col;
    const r = row === 0 ? 0 : tp / row;
    precision.push(p);
    recall.push(r);
    f1.push(p + r === 0 ? 0 : (2 * p * r) / (p + r));
    support.push(row);
    total += row;
    diag += tp;
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const wmean = (xs: number[]): number => (total === 0 ? 0 : xs.reduce((a, x, c) => a + x * support[c]!, 0) / total);
  return {
    precision,
    recall,
    f1,
    support,
    macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) },
    weighted: { precision: wmean(precision), recall: wmean(recall), f1: wmean(f1) },
    accuracy: total === 0 ? 0 : diag / total,
  };
}
