/**
 * `loadTfjsLayers` against TensorFlow.js itself: models built and saved by TF.js (the
 * `model.json` + weight shards its file writers produce), loaded here, and their predictions
 * compared on 100 inputs; nn.GRU with `resetAfter: false` against `tf.layers.gru`; Keras's
 * reset_after=True form (which TF.js cannot run) against its equations; and the refusals.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Sequential } from '../containers.js';
import { GRU } from '../recurrent/rnn.js';
import { KerasRecurrent } from './layers.js';
import { loadTfjsLayers, tfjsLayersFromArtifacts, type TfjsArtifacts } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'torchlet-tfjs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A seeded stream of uniforms in [0, 1). */
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

/** Replaces the model's weights with seeded values of a visible size (TF.js zero-initialises biases). */
function randomizeWeights(model: tf.LayersModel, seed: number, scale = 0.6): void {
  const r = rng(seed);
  model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => (r() * 2 - 1) * scale), w.shape)));
}

/** Saves `model` with TF.js into `name/` as the file writers do: model.json and `shards` weight files. */
async function save(model: tf.LayersModel, name: string, shards = 1): Promise<string> {
  const out = join(dir, name);
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(out, { recursive: true });
      const data = new Uint8Array(a.weightData as ArrayBuffer);
      const size = Math.ceil(data.byteLength / shards);
      const paths: string[] = [];
      for (let k = 0; k < shards; k++) {
        const p = `group1-shard${k + 1}of${shards}.bin`;
        writeFileSync(join(out, p), data.subarray(k * size, (k + 1) * size));
        paths.push(p);
      }
      const json = { modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, weightsManifest: [{ paths, weights: a.weightSpecs }] };
      writeFileSync(join(out, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(out, 'model.json');
}

/** Max |TF.js − Torchlet| over `inputs` ([N, …] host data), predicting in batches. */
async function maxDiff(tfModel: tf.LayersModel, model: Sequential, inputs: { data: Float32Array | Int32Array; shape: number[] }): Promise<number> {
  const expected = tfModel.predict(tf.tensor(inputs.data, inputs.shape, inputs.data instanceof Int32Array ? 'int32' : 'float32')) as tf.Tensor;
  const want = await expected.data();
  const x = torch.tensor(inputs.data, { shape: inputs.shape, dtype: inputs.data instanceof Int32Array ? 'int32' : 'float32' });
  const y = model.call(x) as Tensor;
  expect(y.shape).toEqual(expected.shape);
  const got = await y.data();
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
  expected.dispose();
  x.dispose();
  y.dispose();
  return d;
}

const report: Record<string, number> = {};
afterAll(() => {
  if (process.env.TORCHLET_REPORT_DIFFS) console.info('max |TF.js − Torchlet| over 100 inputs:', report);
});

function ids(n: number, T: number, vocab: number, seed: number): { data: Int32Array; shape: number[] } {
  const r = rng(seed);
  return { data: Int32Array.from({ length: n * T }, () => Math.floor(r() * vocab)), shape: [n, T] };
}

function floats(shape: number[], seed: number): { data: Float32Array; shape: number[] } {
  const r = rng(seed);
  return { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 4 - 2), shape };
}

describe('loadTfjsLayers: TF.js models saved by TF.js, predictions on 100 inputs', () => {
  test('Embedding → Bidirectional(GRU, reset_after false) → Dense(softmax), in two weight shards', async () => {
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: 30, outputDim: 8, inputLength: 12 }));
    m.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 16, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: 'concat' }));
    m.add(tf.layers.dense({ units: 4, activation: 'softmax' }));
    randomizeWeights(m, 1);
    const model = await loadTfjsLayers(await save(m, 'bigru', 2));
    const bidir = m.layers[1]!.name;
    expect(Object.keys(model.stateDict())).toContain(`${bidir}.rnn.weight_hh_l0_reverse`);
    expect((model.getSubmodule(bidir) as KerasRecurrent).fused).toBe(true);
    const d = (report['Embedding → Bidirectional(GRU) → Dense'] = await maxDiff(m, model, ids(100, 12, 30, 2)));
    expect(d).toBeLessThan(1e-5);
    model.dispose();
  });

  test("Embedding → GRU with TF.js's default hard_sigmoid gates, all steps → Dense on every step", async () => {
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: 20, outputDim: 5, inputLength: 9 }));
    m.add(tf.layers.gru({ units: 6, returnSequences: true }));
    m.add(tf.layers.dense({ units: 3, activation: 'tanh' }));
    randomizeWeights(m, 3, 1.5);
    const model = await loadTfjsLayers(await save(m, 'gru-hard'));
    expect((model.getSubmodule(m.layers[1]!.name) as KerasRecurrent).fused).toBe(false);
    const d = (report['Embedding → GRU(hard_sigmoid) → Dense'] = await maxDiff(m, model, ids(100, 9, 20, 4)));
    expect(d).toBeLessThan(1e-5);
    model.dispose();
  });

  test('LSTM (all steps) → Bidirectional(LSTM, merge sum) → Dense, from a directory path', async () => {
    const m = tf.sequential();
    m.add(tf.layers.lstm({ units: 12, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [10, 5] }));
    m.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 8 }) as tf.RNN, mergeMode: 'sum' }));
    m.add(tf.layers.dense({ units: 2 }));
    randomizeWeights(m, 5);
    const path = await save(m, 'lstm');
    const model = await loadTfjsLayers(path.replace(/model\.json$/, ''));
    const d = (report['LSTM → Bidirectional(LSTM, sum) → Dense'] = await maxDiff(m, model, floats([100, 10, 5], 6)));
    expect(d).toBeLessThan(1e-5);
    model.dispose();
  });

  test('SimpleRNN (relu, all steps) → Dropout → SimpleRNN (go_backwards) → Dense(sigmoid), functional model', async () => {
    const input = tf.input({ shape: [7, 4] });
    let y = tf.layers.simpleRNN({ units: 10, activation: 'relu', returnSequences: true }).apply(input) as tf.SymbolicTensor;
    y = tf.layers.dropout({ rate: 0.3 }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.simpleRNN({ units: 6, goBackwards: true }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.dense({ units: 3, activation: 'sigmoid' }).apply(y) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: y });
    randomizeWeights(m, 7, 0.5);
    const model = await loadTfjsLayers(await save(m, 'simple'));
    expect(model.toString()).toContain('Dropout(p=0.3');
    const d = (report['SimpleRNN → Dropout → SimpleRNN → Dense'] = await maxDiff(m, model, floats([100, 7, 4], 8)));
    expect(d).toBeLessThan(1e-5);
    // dropout acts in training mode only, as in Keras
    model.train();
    const x = torch.randn([4, 7, 4]);
    const [a, b] = [model.call(x) as Tensor, model.call(x) as Tensor];
    expect(Math.max(...(await torch.abs(torch.sub(a, b)).data()))).toBeGreaterThan(0);
    model.dispose();
  });

  test('over http(s) with fetch, as in a browser', async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 3, activation: 'relu', inputShape: [4] }));
    randomizeWeights(m, 9);
    const path = await save(m, 'served');
    const server: Server = createServer((req, res) => {
      readFile(join(dir, 'served', req.url!.replace(/^\/m\//, '')))
        .then((b) => res.end(b))
        .catch(() => ((res.statusCode = 404), res.end()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/model.json`;
      const model = await loadTfjsLayers(url);
      expect(await maxDiff(m, model, floats([100, 4], 10))).toBeLessThan(1e-6);
      model.dispose();
      await expect(loadTfjsLayers(url.replace('/m/', '/missing/'))).rejects.toThrow(/fetching .*missing\/model\.json failed: 404/);
    } finally {
      server.close();
    }
    void path;
  });
});

describe('nn.GRU with resetAfter: false equals tf.layers.gru', () => {
  test('outputs on 100 sequences, weights mapped by hand (Keras [z, r, h] kernels → PyTorch [r, z, n] rows)', async () => {
    const [I, H, T] = [5, 8, 11];
    const layer = tf.layers.gru({ units: H, recurrentActivation: 'sigmoid', returnSequences: true, inputShape: [T, I] });
    const m = tf.sequential({ layers: [layer] });
    randomizeWeights(m, 11);
    const [kernel, rec, bias] = (await Promise.all(layer.getWeights().map((w) => w.data()))) as Float32Array[];
    const toTorch = (k: Float32Array, rows: number): Tensor =>
      torch.tidy(() => {
        const t = torch.t(torch.tensor(k, { shape: [rows, 3 * H] }));
        const [z, r, n] = torch.chunk(t, 3, 0) as [Tensor, Tensor, Tensor];
        return torch.cat([r, z, n], 0);
      });
    const gru = new GRU(I, H, { batchFirst: true, resetAfter: false });
    const [bz, br, bn] = [bias!.subarray(0, H), bias!.subarray(H, 2 * H), bias!.subarray(2 * H)];
    gru.loadStateDict({
      weight_ih_l0: toTorch(kernel!, I),
      weight_hh_l0: toTorch(rec!, H),
      bias_ih_l0: torch.tensor(Float32Array.from([...br, ...bz, ...bn])),
      bias_hh_l0: torch.zeros([3 * H]),
    });
    const x = floats([100, T, I], 12);
    const want = m.predict(tf.tensor(x.data, x.shape)) as tf.Tensor;
    const [out] = gru.call(torch.tensor(x.data, { shape: x.shape }));
    const got = await out.data();
    const w = await want.data();
    let d = 0;
    for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - w[i]!));
    report['nn.GRU(resetAfter false) vs tf.layers.gru'] = d;
    expect(d).toBeLessThan(1e-5);
    gru.dispose();
  });
});

// ---- Keras reset_after=True (TF2 Keras's default, which TF.js refuses to run) --------------------

/** A one-layer Keras model as artifacts: Input [T, I] → GRU(H, reset_after) → (no head). */
function kerasGruArtifacts(I: number, H: number, T: number, resetAfter: boolean, seed: number): { a: TfjsArtifacts; w: Float32Array[] } {
  const r = rng(seed);
  const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => r() * 1.2 - 0.6);
  const w = [rand(I * 3 * H), rand(H * 3 * H), rand(resetAfter ? 2 * 3 * H : 3 * H)];
  const topology = {
    class_name: 'Sequential',
    config: {
      name: 'keras_model',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, T, I], dtype: 'float32', name: 'input_1' } },
        { class_name: 'GRU', config: { name: 'gru', units: H, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, reset_after: resetAfter, return_sequences: true } },
      ],
    },
  };
  const specs = [
    { name: 'gru/gru_cell/kernel', shape: [I, 3 * H], dtype: 'float32' },
    { name: 'gru/gru_cell/recurrent_kernel', shape: [H, 3 * H], dtype: 'float32' },
    { name: 'gru/gru_cell/bias', shape: resetAfter ? [2, 3 * H] : [3 * H], dtype: 'float32' },
  ];
  return { a: { modelTopology: { model_config: topology, keras_version: '2.15.0', backend: 'tensorflow' }, weightSpecs: specs, weightData: w.map((x) => x.slice().buffer) }, w };
}

/** Keras's GRU equations on host arrays (kernel [I, 3H] and recurrent kernel [H, 3H] blocks z, r, h). */
function kerasGru(x: Float32Array, N: number, T: number, I: number, H: number, w: Float32Array[], resetAfter: boolean): Float64Array {
  const [k, rk, b] = w as [Float32Array, Float32Array, Float32Array];
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const out = new Float64Array(N * T * H);
  for (let n = 0; n < N; n++) {
    let h = new Float64Array(H);
    for (let t = 0; t < T; t++) {
      const xp = new Float64Array(3 * H);
      const hp = new Float64Array(3 * H);
      for (let g = 0; g < 3 * H; g++) {
        xp[g] = b[g]!;
        for (let i = 0; i < I; i++) xp[g]! += x[(n * T + t) * I + i]! * k[i * 3 * H + g]!;
        hp[g] = resetAfter ? b[3 * H + g]! : 0;
        for (let j = 0; j < H; j++) if (resetAfter || g < 2 * H) hp[g]! += h[j]! * rk[j * 3 * H + g]!;
      }
      const next = new Float64Array(H);
      for (let u = 0; u < H; u++) {
        const z = sig(xp[u]! + hp[u]!);
        const r = sig(xp[H + u]! + hp[H + u]!);
        let rec = 0;
        if (resetAfter) rec = r * hp[2 * H + u]!;
        // reset before: (r ⊙ h) U_h, r of each unit j
        else for (let j = 0; j < H; j++) rec += sig(xp[H + j]! + hp[H + j]!) * h[j]! * rk[j * 3 * H + 2 * H + u]!;
        const hh = Math.tanh(xp[2 * H + u]! + rec);
        next[u] = z * h[u]! + (1 - z) * hh;
      }
      h = next;
      out.set(h, (n * T + t) * H);
    }
  }
  return out;
}

describe('Keras GRU, both reset_after forms, against its equations', () => {
  for (const resetAfter of [true, false]) {
    test(`reset_after=${resetAfter ? 'True' : 'False'} (bias ${resetAfter ? '[2, 3H]' : '[3H]'}, names as tensorflowjs_converter writes them)`, async () => {
      const [I, H, T, N] = [3, 4, 6, 5];
      const { a, w } = kerasGruArtifacts(I, H, T, resetAfter, 13);
      const model = tfjsLayersFromArtifacts(a);
      expect((model.getSubmodule('gru') as KerasRecurrent).rnn.resetAfter).toBe(resetAfter);
      const x = floats([N, T, I], 14);
      const got = await (model.call(torch.tensor(x.data, { shape: x.shape })) as Tensor).data();
      const want = kerasGru(x.data, N, T, I, H, w, resetAfter);
      let d = 0;
      for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
      expect(d).toBeLessThan(1e-5);
      model.dispose();
    });
  }
});

describe('refusals name what they refuse', () => {
  const base = (layers: object[], specs: object[] = [], bytes = 0): TfjsArtifacts => ({
    modelTopology: { class_name: 'Sequential', config: { layers } },
    weightSpecs: specs as TfjsArtifacts['weightSpecs'],
    weightData: new ArrayBuffer(bytes),
  });
  const dense = { class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3] } };
  const dSpecs = [{ name: 'd/kernel', shape: [3, 2], dtype: 'float32' }, { name: 'd/bias', shape: [2], dtype: 'float32' }];

  test('layers, options, weights, formats', async () => {
    expect(() => tfjsLayersFromArtifacts(base([{ class_name: 'Conv1D', config: { name: 'conv' } }]))).toThrow(
      "loadTfjsLayers: layer 'conv' of class Conv1D is not supported (supported: InputLayer, Embedding, Dense, Dropout, GRU, LSTM, SimpleRNN, Bidirectional)",
    );
    expect(() => tfjsLayersFromArtifacts(base([{ class_name: 'Embedding', config: { name: 'e', input_dim: 3, output_dim: 2, mask_zero: true } }]))).toThrow(
      "Embedding 'e': mask_zero=true is not supported (masking)",
    );
    const gru = (extra: object): TfjsArtifacts =>
      base([{ class_name: 'GRU', config: { name: 'g', units: 2, batch_input_shape: [null, 4, 3], ...extra } }]);
    expect(() => tfjsLayersFromArtifacts(gru({ return_state: true }))).toThrow("GRU 'g': return_state=true is not supported");
    expect(() => tfjsLayersFromArtifacts(gru({ stateful: true }))).toThrow("GRU 'g': stateful=true is not supported");
    expect(() => tfjsLayersFromArtifacts(gru({ activation: 'exponential' }))).toThrow("GRU: activation 'exponential' is not supported");
    expect(() => tfjsLayersFromArtifacts(base([{ ...dense, config: { ...dense.config, activation: 'gelu_new' } }], dSpecs, 32))).toThrow(
      "Dense 'd': activation 'gelu_new' is not supported",
    );
    expect(() => tfjsLayersFromArtifacts(base([dense], [{ ...dSpecs[0]!, dtype: 'float16' }, dSpecs[1]!], 32))).toThrow(
      "weight 'd/kernel' has dtype float16; only float32 weights are supported",
    );
    expect(() => tfjsLayersFromArtifacts(base([dense], [{ ...dSpecs[0]!, quantization: { dtype: 'uint8' } }, dSpecs[1]!], 32))).toThrow("weight 'd/kernel' is quantized");
    expect(() => tfjsLayersFromArtifacts(base([dense], dSpecs, 28))).toThrow("too few for weight 'd/bias'");
    expect(() => tfjsLayersFromArtifacts(base([dense], [...dSpecs, { name: 'x/kernel', shape: [1], dtype: 'float32' }], 36))).toThrow(
      'weights not used by any layer: x/kernel',
    );
    expect(() => tfjsLayersFromArtifacts(base([dense], [dSpecs[0]!], 24))).toThrow("layer 'd': no weight 'bias' in the manifest (d/kernel)");
    const graph = join(dir, 'graph.json');
    writeFileSync(graph, JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [] }));
    await expect(loadTfjsLayers(graph)).rejects.toThrow("is a 'graph-model' model, not a Layers model");
    await expect(loadTfjsLayers(join(dir, 'nowhere', 'model.json'))).rejects.toThrow(/cannot read .*nowhere\/model\.json/);
  });

  test('a functional model that branches is refused', () => {
    const layer = (name: string, from: string[]): object => ({
      class_name: 'Dense',
      name,
      config: { name, units: 2 },
      inbound_nodes: [from.map((f) => [f, 0, 0, {}])],
    });
    const topology = {
      class_name: 'Model',
      config: {
        layers: [{ class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 2] }, inbound_nodes: [] }, layer('a', ['in']), layer('b', ['in']), layer('c', ['a', 'b'])],
        input_layers: [['in', 0, 0]],
        output_layers: [['c', 0, 0]],
      },
    };
    expect(() => tfjsLayersFromArtifacts({ modelTopology: topology, weightSpecs: [], weightData: new ArrayBuffer(0) })).toThrow("layer 'c' has 2 inputs (only chains of layers are supported)");
  });
});
