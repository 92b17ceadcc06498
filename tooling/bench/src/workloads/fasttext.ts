/**
 * fastText's training step, one line per SGD update as the fastText binary does: an
 * `EmbeddingBag` (mode mean, sparse gradient) over a 500,000 × 64 table, a bias-free Linear
 * to 2 labels, cross-entropy (sum), backward and SGD, for 200 lines of 600 rows (words and
 * bigram buckets) each; lines/s. It exercises the embedding-bag kernels, the sparse
 * optimizer update and the per-step overhead of the library (the app's `step()`).
 *
 * The baseline is the same update written as fastText writes it, in plain JavaScript loops
 * over Float32Arrays: mean of the rows, logits, softmax, then the output-matrix and the
 * per-row updates. Both start from the same weights; max |diff| compares their losses over
 * the first ten lines.
 */
import { EmbeddingBag, Linear, functional as F, init } from '@torchlet/nn';
import { SGD } from '@torchlet/optim';
import { Generator, empty, fromHost } from '@torchlet/tensor';
import { caseResult, measure, measurement, type CaseResult } from '../harness.js';
import type { Workload, WorkloadContext } from './workload.js';

const ROWS = 500_000;
const DIM = 64;
const LABELS = 2;
const LINES = 200;
const PER_LINE = 600;
const LR = 0.1;

interface Line {
  rows: Int32Array;
  label: number;
}

export function makeLines(seed: number): Line[] {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  return Array.from({ length: LINES }, () => ({
    rows: Int32Array.from({ length: PER_LINE }, () => next() % ROWS),
    label: next() % LABELS,
  }));
}

/** The library path: the app's `step()`. */
export class TorchletModel {
  readonly embedding: EmbeddingBag;
  readonly fc = new Linear(DIM, LABELS, { bias: false });
  readonly opt: SGD;
  readonly offsets = fromHost(new Int32Array([0]), [1], 'int32');

  constructor() {
    const weight = empty([ROWS, DIM]);
    init.uniform_(weight, -1 / DIM, 1 / DIM, { generator: new Generator().manualSeed(0) });
    this.embedding = new EmbeddingBag(ROWS, DIM, { mode: 'mean', sparse: true, weight });
    init.zeros_(this.fc.weight);
    this.opt = new SGD([...this.embedding.parameters(), ...this.fc.parameters()], { lr: LR });
  }

  step(line: Line): number {
    const idx = fromHost(line.rows, [line.rows.length], 'int32');
    const tgt = fromHost(new Int32Array([line.label]), [1], 'int32');
    const h = this.embedding.call(idx, this.offsets);
    const logits = this.fc.call(h);
    const loss = F.crossEntropy(logits, tgt, { reduction: 'sum' });
    try {
      loss.backward();
      this.opt.step();
      this.opt.zeroGrad();
      return loss.item();
    } finally {
      for (const t of [idx, tgt, h, logits, loss]) t.dispose();
    }
  }

  dispose(): void {
    this.opt.dispose();
    for (const p of [...this.embedding.parameters(), ...this.fc.parameters(), this.offsets]) p.dispose();
  }
}

/** The same update in plain loops (fastText's `Model::update` with a softmax loss). */
class NaiveModel {
  readonly hidden = new Float32Array(DIM);
  readonly grad = new Float32Array(DIM);
  readonly logits = new Float64Array(LABELS);

  constructor(
    readonly emb: Float32Array,
    readonly out: Float32Array,
  ) {}

  step(line: Line): number {
    const { emb, out, hidden, grad, logits } = this;
    const n = line.rows.length;
    hidden.fill(0);
    for (let i = 0; i < n; i++) {
      const base = line.rows[i]! * DIM;
      for (let j = 0; j < DIM; j++) hidden[j]! += emb[base + j]!;
    }
    for (let j = 0; j < DIM; j++) hidden[j]! /= n;
    let max = -Infinity;
    for (let k = 0; k < LABELS; k++) {
      let z = 0;
      for (let j = 0; j < DIM; j++) z += out[k * DIM + j]! * hidden[j]!;
      logits[k] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let k = 0; k < LABELS; k++) sum += Math.exp(logits[k]! - max);
    const loss = max + Math.log(sum) - logits[line.label]!;
    grad.fill(0);
    for (let k = 0; k < LABELS; k++) {
      const g = Math.exp(logits[k]! - max) / sum - (k === line.label ? 1 : 0);
      for (let j = 0; j < DIM; j++) {
        grad[j]! += g * out[k * DIM + j]!;
        out[k * DIM + j]! -= LR * g * hidden[j]!;
      }
    }
    const scale = LR / n;
    for (let i = 0; i < n; i++) {
      const base = line.rows[i]! * DIM;
      for (let j = 0; j < DIM; j++) emb[base + j]! -= scale * grad[j]!;
    }
    return loss;
  }
}

export const fasttextWorkload: Workload = {
  name: 'fasttext',
  title: `fasttext: one SGD step per line, EmbeddingBag(${ROWS}, ${DIM}, mean, sparse) → Linear(${DIM}, ${LABELS}) → cross-entropy, ${PER_LINE} rows a line (lines/s)`,
  async run(ctx: WorkloadContext): Promise<CaseResult[]> {
    ctx.log(`fasttext: ${LINES} lines × ${PER_LINE} rows over a ${ROWS}×${DIM} table …`);
    const lines = makeLines(7);
    const model = new TorchletModel();
    try {
      const naive = new NaiveModel(Float32Array.from(await model.embedding.weight.data()), Float32Array.from(await model.fc.weight.data()));
      let diff = 0;
      for (const line of lines.slice(0, 10)) diff = Math.max(diff, Math.abs(model.step(line) - naive.step(line)));
      const epoch = (m: { step(line: Line): number }) => () => {
        for (const line of lines) m.step(line);
      };
      const t = await measure(epoch(model), ctx.timing);
      const b = await measure(epoch(naive), ctx.timing);
      return [
        caseResult({
          workload: 'fasttext',
          case: `fastText step, ${PER_LINE} rows, dim ${DIM}`,
          params: { rows: ROWS, dim: DIM, perLine: PER_LINE, lines: LINES, dtype: 'float32' },
          unit: 'klines/s',
          torchlet: measurement('torchlet', t, LINES, 1e3),
          baseline: measurement('naive JS', b, LINES, 1e3),
          maxAbsDiff: diff,
        }),
      ];
    } finally {
      model.dispose();
    }
  },
};
