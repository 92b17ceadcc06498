/**
 * Parity with real PyTorch for every `rnn`, `cell` and `train` fixture case: outputs, final
 * states, gradients of Σ_k sum(out.k · w.k) for the inputs, the initial states and every
 * parameter, and the two training trajectories step by step. Each case must have an entry in
 * the table below (a case without one fails), and missing fixtures fail loudly.
 */
import { fixturesAvailable, fixturesDir, listCases, loadCase, type FixtureCase, type FixtureTensor, type LoadedCase } from '@torchlet/fixtures';
import { Adam, SGD, StepLR } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { describe, expect, test } from 'vitest';
import { crossEntropy, mseLoss } from '../functional/loss.js';
import { Embedding } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { Module } from '../module.js';
import { clipGradNorm_ } from '../utils/clip-grad.js';
import { GRUCell, LSTMCell, RNNCell } from './cells.js';
import { PackedSequence, packPaddedSequence, padPackedSequence } from './packed.js';
import { GRU, LSTM, RNN } from './rnn.js';

type Outputs = Record<string, Tensor>;

function load(t: FixtureTensor, requiresGrad = false): Tensor {
  const dtype = t.dtype === 'F64' ? 'float64' : t.dtype === 'F32' ? 'float32' : 'int32';
  const x = torch.tensor(t.data, { shape: t.shape, dtype });
  if (requiresGrad) x.requiresGrad_(true);
  return x;
}

function compare(name: string, actual: Tensor | null | undefined, expected: FixtureTensor | undefined, rtol: number, atol: number): string[] {
  if (!expected) return [`${name}: no reference in the fixture`];
  if (!actual) return [`${name}: missing (no gradient or output)`];
  if (actual.shape.join(',') !== expected.shape.join(',')) return [`${name}: shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`];
  const got = actual.dataSync();
  const bad: string[] = [];
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const e = expected.data[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) bad.push(`${name}[${i}]: ${a} vs PyTorch ${e}`);
  }
  return bad.length > 4 ? [...bad.slice(0, 4), `… ${bad.length - 4} more of ${got.length}`] : bad;
}

/** Builds the module a case describes. */
interface Entry {
  build(c: Record<string, any>): Module;
  run(m: Module, inputs: Record<string, Tensor>, c: Record<string, any>): Outputs;
}

function rnnEntry(): Entry {
  return {
    build: (c) => {
      const common = { numLayers: c.num_layers, bidirectional: c.bidirectional, batchFirst: c.batch_first, bias: c.bias };
      if (c.module === 'RNN') return new RNN(c.input_size, c.hidden_size, { ...common, nonlinearity: c.nonlinearity });
      if (c.module === 'GRU') return new GRU(c.input_size, c.hidden_size, common);
      return new LSTM(c.input_size, c.hidden_size, { ...common, projSize: c.proj_size });
    },
    run: (m, { input, h0, c0 }, c) => {
      const isLstm = c.module === 'LSTM';
      const state = isLstm ? (h0 ? ([h0, c0!] as [Tensor, Tensor]) : null) : (h0 ?? null);
      let x: Tensor | PackedSequence = input!;
      if (c.lengths) x = packPaddedSequence(input!, c.lengths as number[], { batchFirst: c.batch_first, enforceSorted: false });
      const [out, hn] = (m as any).call(x, state) as [Tensor | PackedSequence, Tensor | [Tensor, Tensor]];
      let output: Tensor;
      if (out instanceof PackedSequence) {
        const [padded, lengths] = padPackedSequence(out, { batchFirst: c.batch_first, totalLength: c.seq });
        lengths.dispose();
        out.dispose();
        (x as PackedSequence).dispose();
        output = padded;
      } else output = out;
      const res: Outputs = { output, h_n: isLstm ? (hn as [Tensor, Tensor])[0] : (hn as Tensor) };
      if (isLstm) res.c_n = (hn as [Tensor, Tensor])[1];
      return res;
    },
  };
}

function cellEntry(): Entry {
  return {
    build: (c) => {
      if (c.module === 'RNNCell') return new RNNCell(c.input_size, c.hidden_size, { bias: c.bias });
      if (c.module === 'GRUCell') return new GRUCell(c.input_size, c.hidden_size, { bias: c.bias });
      return new LSTMCell(c.input_size, c.hidden_size, { bias: c.bias });
    },
    run: (m, { input, h0, c0 }, c): Outputs => {
      if (c.module === 'LSTMCell') {
        const [h1, c1] = (m as LSTMCell).call(input!, [h0!, c0!]);
        return { h1, c1 };
      }
      return { h1: (m as GRUCell).call(input!, h0!) };
    },
  };
}

/** Every case by name: the visible suite's recurrent and cell cases. */
const TABLE: Record<string, Entry> = Object.fromEntries([
  ...[
    'rnn_basic', 'rnn_2layer_bidir', 'rnn_batch_first_no_h0', 'rnn_no_bias', 'rnn_packed', 'rnn_packed_bidir_2layer', 'rnn_long', 'rnn_relu',
    'gru_basic', 'gru_2layer_bidir', 'gru_batch_first_no_h0', 'gru_no_bias', 'gru_packed', 'gru_packed_bidir_2layer', 'gru_long',
    'lstm_basic', 'lstm_2layer_bidir', 'lstm_batch_first_no_h0', 'lstm_no_bias', 'lstm_packed', 'lstm_packed_bidir_2layer', 'lstm_long', 'lstm_proj',
    // the hidden suite's shapes, when its fixtures are present
    'h_rnn_3layer_bidir_bf', 'h_rnn_packed_bidir', 'h_rnn_long', 'h_gru_3layer_bidir_bf', 'h_gru_packed_bidir', 'h_gru_long',
    'h_lstm_3layer_bidir_bf', 'h_lstm_packed_bidir', 'h_lstm_long', 'h_lstm_proj_bidir',
  ].map((n) => [n, rnnEntry()] as const),
  ...['rnn_cell', 'gru_cell', 'lstm_cell'].map((n) => [n, cellEntry()] as const),
]);

const recurrent = (c: FixtureCase): boolean => c.kind === 'rnn' || c.kind === 'cell';
const cases: FixtureCase[] = fixturesAvailable() ? listCases(recurrent) : [];
const trainCases: FixtureCase[] = fixturesAvailable() ? listCases((c) => c.kind === 'train') : [];

function runCase(lc: LoadedCase): string[] {
  const entry = TABLE[lc.name]!;
  const m = entry.build(lc.config);
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(lc.t)) if (k.startsWith('param.')) sd[k.slice(6)] = load(v);
  m.loadStateDict(sd, { strict: true });
  const inputs: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(lc.t)) if (k.startsWith('in.') && k !== 'in.lengths') inputs[k.slice(3)] = load(v, v.dtype === 'F32');
  const outs = entry.run(m, inputs, lc.config);
  const problems: string[] = [];
  for (const key of Object.keys(lc.t).filter((k) => k.startsWith('out.'))) {
    problems.push(...compare(key, outs[key.slice(4)], lc.t[key], lc.rtol, lc.atol));
  }
  let loss: Tensor | null = null;
  for (const [k, o] of Object.entries(outs)) {
    const w = lc.t[`w.${k}`];
    if (!w) continue;
    const term = torch.tidy(() => torch.sum(torch.mul(o, load(w))));
    const next: Tensor = loss ? torch.add(loss, term) : term;
    if (loss) {
      loss.dispose();
      term.dispose();
    }
    loss = next;
  }
  loss!.backward();
  for (const key of Object.keys(lc.t).filter((k) => k.startsWith('grad.'))) {
    const name = key.split('.').slice(2).join('.');
    const actual = key.startsWith('grad.in.') ? inputs[name]?.grad : m.getParameter(name).grad;
    problems.push(...compare(key, actual, lc.t[key], lc.rtol, lc.atol));
  }
  // Parameters PyTorch gave a gradient must be exactly those that got one here.
  for (const [name, p] of m.namedParameters()) {
    if (!lc.t[`grad.param.${name}`] && p.grad) problems.push(`grad.param.${name}: unexpected gradient`);
  }
  loss!.dispose();
  for (const o of Object.values(outs)) o.dispose();
  for (const t of Object.values(inputs)) t.dispose();
  for (const t of Object.values(sd)) t.dispose();
  m.dispose();
  return problems;
}

describe('PyTorch fixtures: recurrent layers and cells', () => {
  test('the fixtures are present', () => {
    expect(fixturesAvailable(), `no fixtures in ${fixturesDir()}`).toBe(true);
    expect(cases.length).toBeGreaterThanOrEqual(26);
    expect(trainCases.length).toBeGreaterThanOrEqual(2);
  });

  test('every rnn, cell and train case has a table entry', () => {
    expect(cases.filter((c) => !(c.name in TABLE)).map((c) => c.name)).toEqual([]);
    expect(trainCases.filter((c) => !(c.name.replace(/^h_/, '') in TRAIN)).map((c) => c.name)).toEqual([]);
  });

  test.each(cases.map((c) => [c.name, JSON.stringify(c.config)]))('%s %s', (name) => {
    const before = torch.memoryStats();
    const problems = runCase(loadCase(name));
    expect(problems).toEqual([]);
    const after = torch.memoryStats();
    expect(after.liveTensors - before.liveTensors, 'tensors leaked').toBe(0);
    expect(after.liveStorages - before.liveStorages, 'storages leaked').toBe(0);
  });

  test.each(trainCases.map((c) => [c.name, c.config.forward as string]))('training trajectory %s: %s', (name) => {
    const lc = loadCase(name);
    const problems = TRAIN[name.replace(/^h_/, '')]!(lc);
    expect(problems).toEqual([]);
  });
});

// ---- training trajectories ----------------------------------------------------------------------

class GRUClassifier extends Module {
  embedding: Embedding;
  gru: GRU;
  fc: Linear;
  constructor(vocab: number, emb: number, hidden: number, classes: number, bidir: boolean) {
    super();
    this.embedding = new Embedding(vocab, emb);
    this.gru = new GRU(emb, hidden, { batchFirst: true, bidirectional: bidir });
    this.fc = new Linear(hidden * (bidir ? 2 : 1), classes);
  }

  override forward(ids: Tensor): Tensor {
    return torch.tidy(() => {
      const [out, hN] = this.gru.call(this.embedding.call(ids));
      hN.dispose();
      return this.fc.call(torch.mean(out, 1));
    });
  }
}

class LSTMRegressor extends Module {
  lstm: LSTM;
  fc: Linear;
  constructor(inp: number, hidden: number, layers: number) {
    super();
    this.lstm = new LSTM(inp, hidden, { numLayers: layers, batchFirst: true });
    this.fc = new Linear(hidden, 1);
  }

  override forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [out] = this.lstm.call(x);
      return this.fc.call(torch.select(out, 1, -1));
    });
  }
}

function loadParams(m: Module, lc: LoadedCase): void {
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(lc.t)) if (k.startsWith('param.')) sd[k.slice(6)] = load(v);
  m.loadStateDict(sd, { strict: true });
  for (const t of Object.values(sd)) t.dispose();
}

function checkTrajectory(m: Module, lc: LoadedCase, losses: number[]): string[] {
  const problems: string[] = [];
  const expected = lc.t['out.loss']!;
  if (losses.length !== expected.data.length) problems.push(`ran ${losses.length} steps, PyTorch ${expected.data.length}`);
  losses.forEach((l, i) => {
    const e = expected.data[i]!;
    if (!(Math.abs(l - e) <= lc.atol + lc.rtol * Math.abs(e))) problems.push(`loss at step ${i}: ${l} vs PyTorch ${e}`);
  });
  const sd = m.stateDict();
  for (const key of Object.keys(lc.t).filter((k) => k.startsWith('out.final.'))) {
    // Final parameters after many steps: a slightly wider tolerance than one forward.
    problems.push(...compare(key, sd[key.slice('out.final.'.length)], lc.t[key], lc.rtol * 10, lc.atol * 10));
  }
  return problems;
}

const TRAIN: Record<string, (lc: LoadedCase) => string[]> = {
  train_gru_classifier_adam: (lc) => {
    const c = lc.config;
    const m = new GRUClassifier(c.vocab, c.emb, c.hidden, c.classes, c.bidirectional);
    loadParams(m, lc);
    const x = load(lc.t['in.x']!);
    const y = load(lc.t['in.y']!);
    const opt = new Adam(m.parameters(), { lr: c.lr });
    const losses: number[] = [];
    for (let s = 0; s < c.steps; s++) {
      opt.zeroGrad();
      const logits = m.call(x);
      const loss = crossEntropy(logits, y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
      loss.dispose();
      logits.dispose();
    }
    const problems = checkTrajectory(m, lc, losses);
    x.dispose();
    y.dispose();
    m.dispose();
    return problems;
  },
  train_lstm_regressor_sgd: (lc) => {
    const c = lc.config;
    const m = new LSTMRegressor(c.input, c.hidden, c.layers);
    loadParams(m, lc);
    const x = load(lc.t['in.x']!);
    const y = load(lc.t['in.y']!);
    const opt = new SGD(m.parameters(), { lr: c.lr, momentum: c.momentum });
    const sched = new StepLR(opt, 5, { gamma: 0.5 });
    const losses: number[] = [];
    for (let s = 0; s < c.steps; s++) {
      opt.zeroGrad();
      const pred = m.call(x);
      const loss = mseLoss(pred, y);
      loss.backward();
      clipGradNorm_(m.parameters(), c.clip_grad_norm).dispose();
      opt.step();
      sched.step();
      losses.push(loss.item());
      loss.dispose();
      pred.dispose();
    }
    const problems = checkTrajectory(m, lc, losses);
    x.dispose();
    y.dispose();
    m.dispose();
    return problems;
  },
};
