/**
 * `test` and `predict`: batched forward passes without gradients; precision and recall at
 * k as fastText's `test` computes them (lines without a known label, or without any input row,
 * are skipped as fastText does), and a confusion matrix of the top-1 predictions.
 */
import { noGrad } from '@torchlet/autograd';
import { confusionMatrix } from '@torchlet/data';
import { fromHost, softmax, tidy, topk } from '@torchlet/tensor';
import type { Dictionary } from './dictionary.js';
import type { Example } from './formats.js';
import type { FastTextModel } from './model.js';

export interface Prediction {
  readonly labels: readonly string[];
  readonly probs: readonly number[];
}

/** Top-`k` labels with their probabilities for each text (`threshold` drops lower ones). */
export function predict(model: FastTextModel, dict: Dictionary, texts: readonly string[], k = 1, threshold = 0, batch = 256): Prediction[] {
  const kk = Math.max(1, Math.min(k, dict.nlabels));
  const out: Prediction[] = [];
  const itos = dict.labels.getItos();
  for (let start = 0; start < texts.length; start += batch) {
    const chunk = texts.slice(start, start + batch).map((t) => dict.encode(t).rows);
    const total = chunk.reduce((s, r) => s + r.length, 0);
    const rows = new Int32Array(total);
    const offsets = new Int32Array(chunk.length);
    let o = 0;
    chunk.forEach((r, i) => {
      offsets[i] = o;
      rows.set(r, o);
      o += r.length;
    });
    const [vals, idx] = noGrad(() =>
      tidy(() => {
        const logits = model.call(fromHost(rows, [total], 'int32'), fromHost(offsets, [chunk.length], 'int32'));
        const { values, indices } = topk(softmax(logits, 1), kk, { dim: 1 });
        return [values.dataSync(), indices.dataSync()];
      }),
    );
    for (let i = 0; i < chunk.length; i++) {
      const labels: string[] = [];
      const probs: number[] = [];
      for (let j = 0; j < kk; j++) {
        const p = vals[i * kk + j]!;
        if (p < threshold) break;
        labels.push(itos[idx[i * kk + j]!]!);
        probs.push(p);
      }
      out.push({ labels, probs });
    }
  }
  return out;
}

export interface TestReport {
  /** Lines evaluated. */
  n: number;
  k: number;
  precision: number;
  recall: number;
  labels: readonly string[];
  /** `[true][predicted]` counts of the top-1 prediction against the first gold label. */
  confusion: number[][];
}

export async function test(model: FastTextModel, dict: Dictionary, examples: readonly Example[], k = 1): Promise<TestReport> {
  const usable = examples.filter((e) => dict.labelIds(e.labels).length > 0 && dict.encode(e.text).rows.length > 0);
  const preds = predict(model, dict, usable.map((e) => e.text), k);
  let correct = 0;
  let predicted = 0;
  let gold = 0;
  const top1: number[] = [];
  const truth: number[] = [];
  const itos = dict.labels.getItos();
  usable.forEach((e, i) => {
    const goldSet = new Set(e.labels.filter((l) => dict.labels.has(l)));
    gold += goldSet.size;
    for (const l of preds[i]!.labels) {
      predicted++;
      if (goldSet.has(l)) correct++;
    }
    top1.push(itos.indexOf(preds[i]!.labels[0]!));
    truth.push(dict.labels.indexOf([...goldSet][0]!));
  });
  const cm = usable.length > 0 ? await confusionMatrix(top1, truth, dict.nlabels) : null;
  const confusion: number[][] = [];
  if (cm) {
    const d = await cm.data();
    for (let r = 0; r < dict.nlabels; r++) confusion.push(Array.from(d.subarray(r * dict.nlabels, (r + 1) * dict.nlabels)));
    cm.dispose();
  }
  return { n: usable.length, k, precision: predicted > 0 ? correct / predicted : Number.NaN, recall: gold > 0 ? correct / gold : Number.NaN, labels: itos, confusion };
}

/** fastText's `test` output plus the confusion matrix. */
export function formatReport(r: TestReport): string {
  const lines = [`N\t${r.n}`, `P@${r.k}\t${r.precision.toFixed(3)}`, `R@${r.k}\t${r.recall.toFixed(3)}`, '', 'confusion matrix (rows: true label, columns: predicted)'];
  const w = Math.max(8, ...r.labels.map((l) => l.length + 1));
  lines.push(''.padEnd(w) + r.labels.map((l) => l.padStart(w)).join(''));
  r.confusion.forEach((row, i) => lines.push(r.labels[i]!.padEnd(w) + row.map((c) => String(c).padStart(w)).join('')));
  return lines.join('\n');
}
