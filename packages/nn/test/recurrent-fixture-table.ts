/**
 * The recurrent family's PyTorch fixture tables: `RECURRENT_FIXTURES` builds the module each
 * `rnn` / `cell` case describes and calls it, `TRAIN_FIXTURES` runs each `train` case's
 * training loop and returns its per-step losses. Driven over every device by
 * `src/recurrent/fixtures.test.ts`: modules are moved to the device under test before their state dict is
 * loaded, inputs arrive there, and the training loops put their data on `device`.
 */
import type { DeviceName } from '@torchlet/backend';
import type { FixtureTensor, LoadedCase } from '@torchlet/fixtures';
import { Adam, SGD, StepLR } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { crossEntropy, mseLoss } from '../src/functional/loss.js';
import { Embedding } from '../src/layers/embedding.js';
import { Linear } from '../src/layers/linear.js';
import { Module } from '../src/module.js';
import { clipGradNorm_ } from '../src/utils/clip-grad.js';
import { GRUCell, LSTMCell, RNNCell } from '../src/recurrent/cells.js';
import { PackedSequence, packPaddedSequence, padPackedSequence } from '../src/recurrent/packed.js';
import { GRU, LSTM, RNN } from '../src/recurrent/rnn.js';

export type FixtureOutputs = Record<string, Tensor>;

/** A fixture tensor as a Torchlet tensor on `device`. */
export function loadFixture(t: FixtureTensor, device: DeviceName, requiresGrad = false): Tensor {
  const dtype = t.dtype === 'F64' ? 'float64' : t.dtype === 'F32' ? 'float32' : 'int32';
  const x = torch.tensor(t.data, { shape: t.shape, dtype, device });
  if (requiresGrad) x.requiresGrad_(true);
  return x;
}

/** Builds the module a case describes (on the CPU; the suite moves it) and calls it. */
export interface RecurrentFixtureEntry {
  build(c: Record<string, any>): Module;
  run(m: Module, inputs: Record<string, Tensor>, c: Record<string, any>): FixtureOutputs;
}

function rnnEntry(): RecurrentFixtureEntry {
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
      const res: FixtureOutputs = { output, h_n: isLstm ? (hn as [Tensor, Tensor])[0] : (hn as Tensor) };
      if (isLstm) res.c_n = (hn as [Tensor, Tensor])[1];
      return res;
    },
  };
}

function cellEntry(): RecurrentFixtureEntry {
  return {
    build: (c) => {
      if (c.module === 'RNNCell') return new RNNCell(c.input_size, c.hidden_size, { bias: c.bias });
      if (c.module === 'GRUCell') return new GRUCell(c.input_size, c.hidden_size, { bias: c.bias });
      return new LSTMCell(c.input_size, c.hidden_size, { bias: c.bias });
    },
    run: (m, { input, h0, c0 }, c): FixtureOutputs => {
      if (c.module === 'LSTMCell') {
        const [h1, c1] = (m as LSTMCell).call(input!, [h0!, c0!]);
        return { h1, c1 };
      }
      return { h1: (m as GRUCell).call(input!, h0!) };
    },
  };
}

/** Every case by name: the visible suite's recurrent and cell cases. */
export const RECURRENT_FIXTURES: Record<string, RecurrentFixtureEntry> = Object.fromEntries([
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

// ---- training trajectories ------------------------------------------------------------------------

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

function loadParams(m: Module, lc: LoadedCase, device: DeviceName): void {
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(lc.t)) if (k.startsWith('param.')) sd[k.slice(6)] = loadFixture(v, device);
  m.loadStateDict(sd, { strict: true });
  for (const t of Object.values(sd)) t.dispose();
}

/** Per-step losses against PyTorch's, and the final parameters (compared by `compare`). */
async function checkTrajectory(m: Module, lc: LoadedCase, losses: number[], compare: CompareFn): Promise<string[]> {
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
    problems.push(...(await compare(key, sd[key.slice('out.final.'.length)], lc.t[key], lc.rtol * 10, lc.atol * 10)));
  }
  return problems;
}

/** Compares a tensor with a fixture tensor: mismatch descriptions, empty when it matches. */
export type CompareFn = (name: string, actual: Tensor | null | undefined, expected: FixtureTensor | undefined, rtol: number, atol: number) => Promise<string[]>;

/** Each `train` case (the hidden suite's `h_` prefix shares an entry): runs it on `device`, returns the problems found. */
export const TRAIN_FIXTURES: Record<string, (lc: LoadedCase, device: DeviceName, compare: CompareFn) => Promise<string[]>> = {
  train_gru_classifier_adam: async (lc, device, compare) => {
    const c = lc.config;
    const m = new GRUClassifier(c.vocab, c.emb, c.hidden, c.classes, c.bidirectional).to(device);
    loadParams(m, lc, device);
    const x = loadFixture(lc.t['in.x']!, device);
    const y = loadFixture(lc.t['in.y']!, device);
    const opt = new Adam(m.parameters(), { lr: c.lr });
    const losses: number[] = [];
    for (let s = 0; s < c.steps; s++) {
      opt.zeroGrad();
      const logits = m.call(x);
      const loss = crossEntropy(logits, y);
      loss.backward();
      opt.step();
      losses.push((await loss.data())[0]!);
      loss.dispose();
      logits.dispose();
    }
    const problems = await checkTrajectory(m, lc, losses, compare);
    x.dispose();
    y.dispose();
    opt.zeroGrad();
    opt.dispose();
    m.dispose();
    return problems;
  },
  train_lstm_regressor_sgd: async (lc, device, compare) => {
    const c = lc.config;
    const m = new LSTMRegressor(c.input, c.hidden, c.layers).to(device);
    loadParams(m, lc, device);
    const x = loadFixture(lc.t['in.x']!, device);
    const y = loadFixture(lc.t['in.y']!, device);
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
      losses.push((await loss.data())[0]!);
      loss.dispose();
      pred.dispose();
    }
    const problems = await checkTrajectory(m, lc, losses, compare);
    x.dispose();
    y.dispose();
    opt.zeroGrad();
    opt.dispose();
    m.dispose();
    return problems;
  },
};
