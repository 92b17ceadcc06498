/**
 * `loadTfjsLayers`: a TensorFlow.js Layers model (the `model.json` + weight files that
 * `model.save('file://…')`, `model.save('downloads://…')` and `tensorflowjs_converter` write) as
 * an equivalent `nn.Sequential`, the migration path from TF.js and Keras.
 *
 * Supported layers: InputLayer, Embedding, Dense, Dropout, GRU, LSTM, SimpleRNN and
 * Bidirectional around one of the three; a Sequential model or a functional model whose layers
 * form one chain. Kernels are transposed to PyTorch's [out, in] layout and the gates reordered
 * (Keras GRU [z, r, h] → PyTorch [r, z, n]; LSTM [i, f, c, o] is PyTorch's [i, f, g, o]); a
 * Keras recurrent layer's single bias becomes `bias_ih` with `bias_hh` = 0 (GRU `reset_after`:
 * its two rows). Anything else — another layer class, an option that changes the computation
 * (masking, stateful layers, `return_state`, an unknown activation), quantized or non-float32
 * weights — is refused with an error naming it. Options that only act while training in Keras
 * (recurrent `dropout` / `recurrent_dropout`, constraints, regularizers) are not carried over.
 *
 * Node reads file paths (and `file://` URLs) with `node:fs`, imported only then; elsewhere the
 * model and its weights are fetched (`http(s)://` URLs, or relative ones in a browser).
 */
import { ValueError, tensor, type DeviceName, type Tensor } from '@torchlet/tensor';
import { Sequential } from '../containers.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { Module } from '../module.js';
import { KerasRecurrent, kerasActivationModule, type KerasMergeMode, type KerasRecurrentKind } from './layers.js';

/** One entry of a weights manifest (`weightSpecs`). */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: unknown;
  group?: string;
}

/** What a TF.js IO handler hands over: the topology, the weight specs and their concatenated bytes. */
export interface TfjsArtifacts {
  modelTopology: unknown;
  weightSpecs: readonly TfjsWeightSpec[];
  weightData: ArrayBuffer | Uint8Array | readonly (ArrayBuffer | Uint8Array)[];
}

export interface LoadTfjsLayersOptions {
  /** The fetch to use for URLs (default `globalThis.fetch`): for credentials, caching, tests. */
  fetch?: (url: string) => Promise<{ ok: boolean; status: number; statusText?: string; arrayBuffer(): Promise<ArrayBuffer> }>;
  /** Device of the returned module (default 'cpu'). */
  device?: DeviceName;
}

const SUPPORTED = ['InputLayer', 'Embedding', 'Dense', 'Dropout', 'GRU', 'LSTM', 'SimpleRNN', 'Bidirectional'];

class TfjsLoadError extends ValueError {}

function fail(message: string): never {
  throw new TfjsLoadError(`loadTfjsLayers: ${message}`);
}

// ---- reading model.json and weight files ------------------------------------------------------

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

/** A file path or URL and how to read files next to it. */
interface Source {
  read(rel: string | null): Promise<Uint8Array>;
  describe: string;
}

function fileSource(path: string): Source {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  return {
    describe: path,
    read: async (rel) => {
      // process.getBuiltinModule, not import(): a browser bundler would try to resolve 'node:fs/promises'
      const fs = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:fs/promises') as
        | typeof import('node:fs/promises')
        | undefined;
      if (!fs) fail(`cannot read ${path}: file paths need Node.js; in a browser give a URL`);
      const p = rel === null ? path : dir + rel;
      try {
        const b = await fs.readFile(p);
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        fail(`cannot read ${p}: ${(e as Error).message}`);
      }
    },
  };
}

function urlSource(url: string, doFetch: NonNullable<LoadTfjsLayersOptions['fetch']>): Source {
  return {
    describe: url,
    read: async (rel) => {
      const u = rel === null ? url : new URL(rel, url).href;
      const res = await doFetch(u);
      if (!res.ok) fail(`fetching ${u} failed: ${res.status} ${res.statusText ?? ''}`.trim());
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

function sourceOf(pathOrUrl: string | URL, options: LoadTfjsLayersOptions): Source {
  let s = typeof pathOrUrl === 'string' ? pathOrUrl : pathOrUrl.href;
  if (!s.endsWith('.json')) s = `${s.replace(/\/+$/, '')}/model.json`;
  if (s.startsWith('file://')) {
    if (!isNode()) fail(`${s}: file:// URLs need Node.js`);
    return fileSource(decodeURIComponent(new URL(s).pathname));
  }
  if (isUrl(s) || !isNode()) {
    const f = options.fetch ?? (globalThis.fetch as unknown as LoadTfjsLayersOptions['fetch']);
    if (!f) fail(`no fetch to load ${s} with`);
    // relative URLs resolve against the page in a browser
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    return urlSource(isUrl(s) || !base ? s : new URL(s, base).href, f);
  }
  return fileSource(s);
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: TfjsWeightSpec[] }[];
  format?: string;
}

/**
 * Loads a TF.js Layers model from `model.json` (a file path in Node, a `file://` or `http(s)://`
 * URL, or a URL relative to the page in a browser; a directory means its `model.json`) and its
 * weight files, and returns the equivalent module (in eval mode, on `options.device`).
 */
export async function loadTfjsLayers(pathOrUrl: string | URL, options: LoadTfjsLayersOptions = {}): Promise<Sequential> {
  const src = sourceOf(pathOrUrl, options);
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder().decode(await src.read(null))) as ModelJson;
  } catch (e) {
    if (e instanceof TfjsLoadError) throw e;
    fail(`${src.describe} is not JSON: ${(e as Error).message}`);
  }
  if (json.format !== undefined && json.format !== 'layers-model') fail(`${src.describe} is a '${json.format}' model, not a Layers model (graph models cannot be converted)`);
  if (!json.modelTopology) fail(`${src.describe} has no modelTopology`);
  const specs: TfjsWeightSpec[] = [];
  const data: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const p of group.paths) data.push(await src.read(p));
  }
  return tfjsLayersFromArtifacts({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data }, options);
}

// ---- weights ---------------------------------------------------------------------------------

/** Weight arrays by name ('layer/…/kernel'), float32. */
function readWeights(specs: readonly TfjsWeightSpec[], weightData: TfjsArtifacts['weightData']): Map<string, { shape: number[]; data: Float32Array }> {
  const parts = (Array.isArray(weightData) ? weightData : [weightData]) as (ArrayBuffer | Uint8Array)[];
  const chunks = parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p)));
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.byteLength;
  }
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  let off = 0;
  for (const s of specs) {
    if (s.quantization) fail(`weight '${s.name}' is quantized; only float32 weights are supported (convert without --quantize_*)`);
    if ((s.dtype ?? 'float32') !== 'float32') fail(`weight '${s.name}' has dtype ${s.dtype}; only float32 weights are supported`);
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (off + 4 * n > total) fail(`the weight files hold ${total} bytes, too few for weight '${s.name}' (${s.shape.join('×')} float32 at byte ${off})`);
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(bytes.subarray(off, off + 4 * n));
    out.set(s.name.replace(/:\d+$/, ''), { shape: s.shape, data });
    off += 4 * n;
  }
  if (off !== total) fail(`the weight files hold ${total} bytes but the manifest describes ${off}`);
  return out;
}

/** The weights of one layer: its manifest entries under `prefix/`, by their last name component. */
class LayerWeights {
  readonly #all: Map<string, { shape: number[]; data: Float32Array }>;
  readonly #used: Set<string>;
  constructor(all: Map<string, { shape: number[]; data: Float32Array }>, used: Set<string>) {
    this.#all = all;
    this.#used = used;
  }

  /** The weight `leaf` of layer `layer` (inside a Bidirectional: of its `forward_`/`backward_` part). */
  get(layer: string, leaf: string, shape: number[], part?: 'forward' | 'backward'): { shape: number[]; data: Float32Array } {
    const hits = [...this.#all.keys()].filter((k) => {
      const segs = k.split('/');
      if (segs[0] !== layer || segs[segs.length - 1] !== leaf) return false;
      return part === undefined || segs.slice(1, -1).some((s) => s.startsWith(`${part}_`));
    });
    if (hits.length !== 1) {
      fail(`layer '${layer}': ${hits.length === 0 ? 'no' : 'more than one'} weight '${part ? `${part}_…/` : ''}${leaf}' in the manifest (${[...this.#all.keys()].filter((k) => k.startsWith(`${layer}/`)).join(', ') || 'none under it'})`);
    }
    const w = this.#all.get(hits[0]!)!;
    if (w.shape.join(',') !== shape.join(',')) fail(`weight '${hits[0]}' has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`);
    this.#used.add(hits[0]!);
    return w;
  }
}

/** `[rows, cols]` row-major data transposed to `[cols, rows]`. */
function transpose(w: { shape: number[]; data: Float32Array }): Float32Array {
  const [R, C] = w.shape as [number, number];
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = w.data[r * C + c]!;
  return out;
}

/** Rows of `[G·H, K]` data reordered by gate blocks: block b of the result is block `order[b]` of `src`. */
function gateBlocks(src: Float32Array, G: number, order: readonly number[]): Float32Array {
  const blk = src.length / G;
  const out = new Float32Array(src.length);
  order.forEach((from, to) => out.set(src.subarray(from * blk, (from + 1) * blk), to * blk));
  return out;
}

// ---- topology --------------------------------------------------------------------------------

interface LayerJson {
  class_name: string;
  config: Record<string, any>;
  name?: string;
  inbound_nodes?: unknown[];
}

/** The layers of a Sequential model, or of a functional model whose layers form one chain. */
function chainOf(topology: any): LayerJson[] {
  const model = topology?.model_config ?? topology;
  const cls = model?.class_name;
  if (cls === 'Sequential') {
    const layers = Array.isArray(model.config) ? model.config : model.config?.layers;
    if (!Array.isArray(layers)) fail('a Sequential model without a list of layers');
    return layers as LayerJson[];
  }
  if (cls === 'Model' || cls === 'Functional') {
    const layers = (model.config?.layers ?? []) as LayerJson[];
    const byName = new Map(layers.map((l) => [l.name ?? l.config.name, l] as const));
    const inputsOf = (l: LayerJson): string[] => {
      const nodes = (l.inbound_nodes ?? []) as unknown[][];
      if (nodes.length > 1) fail(`layer '${l.name}' is called more than once (shared layers are not supported)`);
      return ((nodes[0] ?? []) as unknown[][]).map((n) => String(n[0]));
    };
    const ins = (model.config?.input_layers ?? []) as unknown[][];
    const outs = (model.config?.output_layers ?? []) as unknown[][];
    if (ins.length !== 1 || outs.length !== 1) fail(`a functional model with ${ins.length} inputs and ${outs.length} outputs (one of each is supported)`);
    const chain: LayerJson[] = [];
    let cur = byName.get(String(outs[0]![0]));
    const seen = new Set<LayerJson>();
    while (cur) {
      if (seen.has(cur)) fail('a functional model with a cycle');
      seen.add(cur);
      chain.unshift(cur);
      const from = inputsOf(cur);
      if (from.length > 1) fail(`layer '${cur.name}' has ${from.length} inputs (only chains of layers are supported)`);
      cur = from.length === 1 ? byName.get(from[0]!) : undefined;
    }
    if (chain.length !== layers.length) fail('a functional model that is not one chain of layers (branches are not supported)');
    return chain;
  }
  fail(`model class '${String(cls)}' is not supported (a Sequential or a functional Model)`);
}

/** Refuses an option whose value is not the computation-neutral one. */
function refuse(where: string, config: Record<string, any>, key: string, ok: (v: any) => boolean, why = ''): void {
  if (key in config && !ok(config[key])) fail(`${where}: ${key}=${JSON.stringify(config[key])} is not supported${why}`);
}

const falsy = (v: unknown): boolean => v === false || v === null || v === undefined;

/** Output features of a recurrent layer config (for the next layer's input size). */
function recurrentModule(
  where: string,
  cls: string,
  cfg: Record<string, any>,
  inputSize: number,
  weights: LayerWeights,
  layerName: string,
  wrap: { mergeMode: KerasMergeMode } | null,
): KerasRecurrent {
  const kind = cls as KerasRecurrentKind;
  const H = cfg.units as number;
  if (!Number.isInteger(H) || H <= 0) fail(`${where}: units=${JSON.stringify(cfg.units)}`);
  refuse(where, cfg, 'return_state', falsy, ' (the returned model has one output)');
  refuse(where, cfg, 'stateful', falsy);
  refuse(where, cfg, 'time_major', falsy);
  if (wrap) refuse(where, cfg, 'go_backwards', falsy, ' inside Bidirectional');
  const resetAfter = kind === 'GRU' ? Boolean(cfg.reset_after) : false;
  const useBias = cfg.use_bias ?? true;
  const m = new KerasRecurrent({
    kind,
    inputSize,
    units: H,
    useBias,
    resetAfter,
    activation: cfg.activation ?? 'tanh',
    recurrentActivation: cfg.recurrent_activation ?? 'hard_sigmoid',
    returnSequences: Boolean(cfg.return_sequences),
    goBackwards: Boolean(cfg.go_backwards),
    bidirectional: wrap !== null,
    mergeMode: wrap?.mergeMode ?? 'concat',
  });
  const G = kind === 'GRU' ? 3 : kind === 'LSTM' ? 4 : 1;
  // Keras GRU [z, r, h] → PyTorch [r, z, n]; LSTM and SimpleRNN keep their order
  const order = kind === 'GRU' ? [1, 0, 2] : [...Array(G).keys()];
  const parts: ('forward' | 'backward' | undefined)[] = wrap ? ['forward', 'backward'] : [undefined];
  const sd: Record<string, Tensor> = {};
  parts.forEach((part, d) => {
    const sfx = `_l0${d === 1 ? '_reverse' : ''}`;
    const kernel = weights.get(layerName, 'kernel', [inputSize, G * H], part);
    const rec = weights.get(layerName, 'recurrent_kernel', [H, G * H], part);
    sd[`rnn.weight_ih${sfx}`] = tensor(gateBlocks(transpose(kernel), G, order), { shape: [G * H, inputSize] });
    sd[`rnn.weight_hh${sfx}`] = tensor(gateBlocks(transpose(rec), G, order), { shape: [G * H, H] });
    if (useBias) {
      const b = weights.get(layerName, 'bias', resetAfter ? [2, G * H] : [G * H], part).data;
      const bi = resetAfter ? b.subarray(0, G * H) : b;
      const bh = resetAfter ? b.subarray(G * H) : new Float32Array(G * H);
      sd[`rnn.bias_ih${sfx}`] = tensor(gateBlocks(bi, G, order), { shape: [G * H] });
      sd[`rnn.bias_hh${sfx}`] = tensor(gateBlocks(bh, G, order), { shape: [G * H] });
    }
  });
  m.loadStateDict(sd, { strict: true });
  for (const t of Object.values(sd)) t.dispose();
  return m;
}

/** Builds the module from in-memory artifacts (what a TF.js `IOHandler` saves or loads). */
export function tfjsLayersFromArtifacts(artifacts: TfjsArtifacts, options: Pick<LoadTfjsLayersOptions, 'device'> = {}): Sequential {
  const all = readWeights(artifacts.weightSpecs, artifacts.weightData);
  const used = new Set<string>();
  const weights = new LayerWeights(all, used);
  const chain = chainOf(artifacts.modelTopology);
  const modules: Record<string, Module> = {};
  const names = new Set<string>();
  /** Features of the current activations' last axis (null before the first layer that sets it). */
  let features: number | null = null;
  let rank: number | null = null;
  const add = (name: string, m: Module): void => {
    let n = name.replace(/[.]/g, '_') || 'layer';
    for (let i = 2; names.has(n); i++) n = `${name}_${i}`;
    names.add(n);
    modules[n] = m;
  };
  const shapeOf = (cfg: Record<string, any>): void => {
    const s = (cfg.batch_input_shape ?? cfg.batchInputShape ?? (cfg.input_shape ? [null, ...cfg.input_shape] : null)) as (number | null)[] | null;
    if (s && features === null) {
      features = s[s.length - 1] ?? null;
      rank = s.length;
    }
  };
  try {
    for (const layer of chain) {
      const cls = layer.class_name;
      const cfg = layer.config ?? {};
      const name = String(cfg.name ?? layer.name ?? cls);
      const where = `${cls} '${name}'`;
      if (!SUPPORTED.includes(cls)) fail(`layer '${name}' of class ${cls} is not supported (supported: ${SUPPORTED.join(', ')})`);
      shapeOf(cfg);
      if (cls === 'InputLayer') continue;
      if (cls === 'Embedding') {
        refuse(where, cfg, 'mask_zero', falsy, ' (masking)');
        const [N, Dm] = [cfg.input_dim as number, cfg.output_dim as number];
        const w = weights.get(name, 'embeddings', [N, Dm]);
        add(name, new Embedding(N, Dm, { weight: tensor(w.data, { shape: [N, Dm] }) }));
        features = Dm;
        rank = (rank ?? 2) + 1;
      } else if (cls === 'Dense') {
        const units = cfg.units as number;
        if (features === null) fail(`${where}: its input size is unknown (give the model an input shape)`);
        const useBias = cfg.use_bias ?? true;
        const lin = new Linear(features, units, { bias: useBias });
        const sd: Record<string, Tensor> = { weight: tensor(transpose(weights.get(name, 'kernel', [features, units])), { shape: [units, features] }) };
        if (useBias) sd.bias = tensor(weights.get(name, 'bias', [units]).data, { shape: [units] });
        lin.loadStateDict(sd, { strict: true });
        for (const t of Object.values(sd)) t.dispose();
        const act = kerasActivationModule(cfg.activation ?? 'linear', where);
        add(name, act ? new Sequential({ linear: lin, activation: act }) : lin);
        features = units;
      } else if (cls === 'Dropout') {
        refuse(where, cfg, 'noise_shape', (v) => v === null || v === undefined);
        add(name, new Dropout(cfg.rate as number));
      } else {
        // GRU, LSTM, SimpleRNN, or Bidirectional around one
        if (features === null) fail(`${where}: its input size is unknown (give the model an input shape)`);
        if (rank !== null && rank !== 3) fail(`${where}: expects [batch, time, features] input, the layer before gives rank ${rank}`);
        let inner = cls;
        let innerCfg = cfg;
        let wrap: { mergeMode: KerasMergeMode } | null = null;
        if (cls === 'Bidirectional') {
          inner = cfg.layer?.class_name;
          innerCfg = cfg.layer?.config ?? {};
          if (!['GRU', 'LSTM', 'SimpleRNN'].includes(inner)) fail(`${where}: wrapping ${String(inner)} is not supported (GRU, LSTM or SimpleRNN)`);
          const mode = cfg.merge_mode === undefined ? 'concat' : cfg.merge_mode;
          if (!['concat', 'sum', 'mul', 'ave'].includes(mode)) fail(`${where}: merge_mode=${JSON.stringify(mode)} is not supported (concat, sum, mul or ave)`);
          refuse(where, cfg, 'backward_layer', (v) => v === null || v === undefined);
          wrap = { mergeMode: mode };
        }
        const m = recurrentModule(where, inner, innerCfg, features, weights, name, wrap);
        add(name, m);
        features = innerCfg.units * (wrap && wrap.mergeMode === 'concat' ? 2 : 1);
        if (!innerCfg.return_sequences) rank = 2;
      }
    }
    const unused = [...all.keys()].filter((k) => !used.has(k));
    if (unused.length > 0) fail(`weights not used by any layer: ${unused.join(', ')}`);
  } catch (e) {
    for (const m of Object.values(modules)) m.dispose();
    throw e;
  }
  const model = new Sequential(modules);
  model.eval();
  return options.device && options.device !== 'cpu' ? model.to(options.device) : model;
}
