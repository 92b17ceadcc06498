/**
 * W2/W3: a 1-layer GRU and LSTM, batch 32, sequence 64, input 128, hidden 256, float32,
 * forward only and forward + backward (loss = sum of the outputs), in ms per step. The
 * baseline is TensorFlow.js 4.22 with its Wasm backend on one thread; the peers are
 * TensorFlow.js cpu and wasm, onnxruntime-node (its GRU/LSTM ops: forward only) and PyTorch,
 * all in the same run.
 *
 * TensorFlow.js's GRU is Keras' (the candidate applies r before the recurrent matmul), so its
 * numbers differ from PyTorch's; its LSTM and onnxruntime's GRU (linear_before_reset = 1) and
 * LSTM are loaded with Torchlet's weights and their outputs compared.
 */
import { noGrad } from '@torchlet/autograd';
import { getNumThreads, setNumThreads } from '@torchlet/backend-cpu';
import * as nn from '@torchlet/nn';
import { add, randn, sum, t as transpose2d, tidy, type Tensor } from '@torchlet/tensor';
import { PEER_TIMING, caseResult, maxAbsDiff, measure, measurement, peerMeasurement, type CaseResult, type MeasureOptions, type PeerMeasurement, type Stats } from '../harness.js';
import { INSTALL_HINT, ortSession, runPytorch, tfLabel, useTf, type TfBackend, type TfTensor } from '../peers/index.js';
import type { Workload, WorkloadContext } from './workload.js';

const B = 32;
const T = 64;
const I = 128;
const H = 256;

async function host(t: Tensor): Promise<Float32Array> {
  return Float32Array.from((await t.data()) as Float32Array);
}

interface Pair {
  name: 'gru' | 'lstm';
  torchlet: nn.GRU | nn.LSTM;
  /** [T, B, I] */
  x: Tensor;
}

function torchletForward(p: Pair): Tensor {
  const [out, h]: [Tensor, Tensor | [Tensor, Tensor]] = p.torchlet instanceof nn.GRU ? p.torchlet.call(p.x) : p.torchlet.call(p.x);
  if (Array.isArray(h)) for (const s of h) s.dispose();
  else h.dispose();
  return out;
}

function torchletStep(p: Pair): void {
  const out = torchletForward(p);
  const loss = sum(out);
  loss.backward();
  loss.dispose();
  out.dispose();
  for (const q of p.torchlet.parameters()) {
    q.grad?.dispose();
    q.grad = null;
  }
}

/** Runs `fn` with Torchlet's CPU kernels on one thread. */
async function oneThread<R>(fn: () => Promise<R>): Promise<R> {
  const prev = getNumThreads();
  setNumThreads(1);
  try {
    return await fn();
  } finally {
    setNumThreads(prev);
  }
}

/** A parameter's host data, gate blocks of `H` rows (or elements) reordered by `order`. */
async function gateBlocks(p: Tensor, order: readonly number[]): Promise<Float32Array> {
  const d = await host(p);
  const block = d.length / order.length;
  const out = new Float32Array(d.length);
  order.forEach((g, k) => out.set(d.subarray(g * block, (g + 1) * block), k * block));
  return out;
}

interface PeerTimes {
  fwd: Stats;
  both: Stats | null;
  /** Largest difference of the forward output from Torchlet's (NaN: not comparable). */
  diff: number;
}

/** TensorFlow.js (Keras layer) on `backend`: forward and forward+backward timings. */
async function tfTimes(ctx: WorkloadContext, backend: TfBackend, p: Pair, ours: Float32Array): Promise<PeerTimes> {
  const tf = await useTf(backend);
  // tfjs-wasm is this workload's baseline, so it cannot run without the peers.
  if (tf === null) throw new Error(`${p.name}: TensorFlow.js (the baseline) is not installed; install it with: ${INSTALL_HINT}`);
  const name = p.name;
  const xHost = await host(p.x);
  // TensorFlow.js: [B, T, I], the same input.
  const xtf = tf.tidy(() => tf.tensor3d(xHost, [T, B, I]).transpose([1, 0, 2]));
  const layer =
    name === 'gru'
      ? tf.layers.gru({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, I] })
      : tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, I] });
  // Applying the layer once builds it (creates its weights).
  tf.dispose(tf.tidy(() => layer.apply(xtf) as TfTensor));
  const model = p.torchlet;
  if (name === 'lstm') {
    // PyTorch → Keras: kernel = W_ihᵀ, recurrent = W_hhᵀ (gate order i, f, g, o in both), bias = b_ih + b_hh.
    const get = (k: string): Tensor => model.getParameter(k);
    const kernel = tidy(() => transpose2d(get('weight_ih_l0')).contiguous());
    const rec = tidy(() => transpose2d(get('weight_hh_l0')).contiguous());
    const bias = add(get('bias_ih_l0'), get('bias_hh_l0'));
    layer.setWeights([tf.tensor2d(await host(kernel), [I, 4 * H]), tf.tensor2d(await host(rec), [H, 4 * H]), tf.tensor1d(await host(bias))]);
    for (const t of [kernel, rec, bias]) t.dispose();
  }
  const forward = (): TfTensor => layer.apply(xtf) as TfTensor;
  // tfjs-cpu takes seconds per call: no warm-up beyond the build above, three timed runs.
  const timing: MeasureOptions = backend === 'cpu' ? { warmup: 0, minRuns: 3, maxRuns: 3 } : { ...PEER_TIMING, maxRuns: 5 };
  try {
    ctx.log(`${name}: ${tfLabel(backend)} forward …`);
    const fwd = await measure(async () => {
      const out = tf.tidy(forward);
      await out.data();
      out.dispose();
    }, timing);
    let diff = Number.NaN;
    if (name === 'lstm') {
      const theirs = tf.tidy(() => forward().transpose([1, 0, 2]));
      diff = maxAbsDiff(ours, (await theirs.data()) as Float32Array);
      theirs.dispose();
    }
    ctx.log(`${name}: ${tfLabel(backend)} forward+backward …`);
    const vars = layer.trainableWeights.map((w) => w.read());
    const both = await measure(async () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(forward()), vars);
      await value.data();
      value.dispose();
      tf.dispose(Object.values(grads));
    }, timing);
    return { fwd, both, diff };
  } finally {
    xtf.dispose();
    tf.dispose(layer.getWeights());
  }
}

/** onnxruntime-node's GRU / LSTM op (forward only) with Torchlet's weights. */
async function ortTimes(ctx: WorkloadContext, p: Pair, ours: Float32Array, threads: number): Promise<PeerTimes | null> {
  const gates = p.name === 'gru' ? 3 : 4;
  // ONNX gate orders: GRU z, r, h (PyTorch r, z, n); LSTM i, o, f, c (PyTorch i, f, g, o).
  const order = p.name === 'gru' ? [1, 0, 2] : [0, 3, 1, 2];
  const get = (k: string): Tensor => p.torchlet.getParameter(k);
  const W = await gateBlocks(get('weight_ih_l0'), order);
  const R = await gateBlocks(get('weight_hh_l0'), order);
  const bias = new Float32Array(2 * gates * H);
  bias.set(await gateBlocks(get('bias_ih_l0'), order), 0);
  bias.set(await gateBlocks(get('bias_hh_l0'), order), gates * H);
  const op = p.name === 'gru' ? 'GRU' : 'LSTM';
  const ort = await ortSession(
    {
      inputs: [{ name: 'x', shape: [T, B, I] }],
      outputs: [{ name: 'y', shape: [T, 1, B, H] }],
      nodes: [
        {
          op,
          inputs: ['x', 'W', 'R', 'B'],
          outputs: ['y'],
          attrs: { hidden_size: H, ...(p.name === 'gru' ? { linear_before_reset: 1 } : {}) },
        },
      ],
      initializers: [
        { name: 'W', shape: [1, gates * H, I], data: W },
        { name: 'R', shape: [1, gates * H, H], data: R },
        { name: 'B', shape: [1, 2 * gates * H], data: bias },
      ],
    },
    { x: await host(p.x) },
    threads,
  );
  if (!ort) return null;
  try {
    ctx.log(`${p.name}: onnxruntime-node forward …`);
    const fwd = await measure(() => ort.run(), PEER_TIMING);
    return { fwd, both: null, diff: maxAbsDiff(await ort.run(), ours) };
  } finally {
    await ort.release();
  }
}

export const recurrentWorkloads: Workload[] = (['gru', 'lstm'] as const).map((name) => ({
  name,
  title: `${name} (${name === 'gru' ? 'W2' : 'W3'}): 1-layer ${name.toUpperCase()}, batch ${B}, seq ${T}, input ${I}, hidden ${H}, float32 — ms per step vs TensorFlow.js (wasm, 1 thread)`,
  async run(ctx: WorkloadContext): Promise<CaseResult[]> {
    const model = name === 'gru' ? new nn.GRU(I, H) : new nn.LSTM(I, H);
    if (ctx.device !== 'cpu') model.to(ctx.device);
    const x = randn([T, B, I], { device: ctx.device });
    const p: Pair = { name, torchlet: model, x };
    const tag = name === 'gru' ? 'W2' : 'W3';
    const results: CaseResult[] = [];
    try {
      const sync = ctx.device === 'cpu';
      const threads = getNumThreads();
      // ---- Torchlet ----
      ctx.log(`${name} forward …`);
      const fwdFn = async (): Promise<void> => {
        const out = noGrad(() => torchletForward(p));
        if (!sync) await out.data();
        out.dispose();
      };
      const fwd = await measure(fwdFn, ctx.timing);
      const fwd1 = sync ? await oneThread(() => measure(fwdFn, ctx.timing)) : null;
      const first = noGrad(() => torchletForward(p));
      const ours = await host(first);
      first.dispose();
      ctx.log(`${name} forward+backward …`);
      const bothFn = async (): Promise<void> => {
        torchletStep(p);
        if (!sync) await p.torchlet.parameters()[0]!.data();
      };
      const both = await measure(bothFn, ctx.timing);
      const both1 = sync ? await oneThread(() => measure(bothFn, ctx.timing)) : null;
      // ---- peers (tfjs-wasm is also the baseline) ----
      const tfWasm = await tfTimes(ctx, 'wasm', p, ours);
      const tfCpu = ctx.peers ? await tfTimes(ctx, 'cpu', p, ours) : null;
      const ort = ctx.peers ? await ortTimes(ctx, p, ours, threads) : null;
      if (ctx.peers) ctx.log(`${name}: PyTorch …`);
      const py = ctx.peers ? runPytorch(name, threads, ctx.log) : null;
      const peersOf = (pass: 'forward' | 'forward+backward', torchlet: ReturnType<typeof measurement>): PeerMeasurement[] | undefined => {
        if (!ctx.peers) return undefined;
        const list: PeerMeasurement[] = [];
        const pick = (t: PeerTimes | null): Stats | null => (t === null ? null : pass === 'forward' ? t.fwd : t.both);
        for (const [label, t] of [[tfLabel('cpu'), tfCpu], [tfLabel('wasm'), tfWasm], [`onnxruntime-node (${threads} threads)`, ort]] as const) {
          const s = pick(t);
          if (s) list.push(peerMeasurement(label, s, 1, 1, torchlet, pass === 'forward' ? t!.diff : Number.NaN));
        }
        const s = py?.cases.get(`${name} ${pass}`);
        if (py && s) list.push(peerMeasurement(`PyTorch ${py.version} (${py.threads} threads)`, s, 1, 1, torchlet));
        return list;
      };
      for (const [pass, ours2, one] of [['forward', fwd, fwd1], ['forward+backward', both, both1]] as const) {
        for (const [label, stats] of [[`${threads} threads`, ours2], ['1 thread', one]] as const) {
          if (!stats) continue;
          const torchlet = measurement('torchlet', stats, 1);
          const peers = label === '1 thread' ? undefined : peersOf(pass, torchlet);
          results.push(
            caseResult({
              workload: name,
              case: `${label === '1 thread' ? '' : `${tag} `}${name} ${pass}, torchlet ${label}`,
              params: { batch: B, seq: T, input: I, hidden: H, pass, threads: label },
              unit: 'steps/s',
              torchlet,
              baseline: measurement(tfLabel('wasm'), pass === 'forward' ? tfWasm.fwd : tfWasm.both!, 1),
              maxAbsDiff: pass === 'forward' ? tfWasm.diff : Number.NaN,
              ...(peers ? { peers } : {}),
            }),
          );
        }
      }
    } finally {
      x.dispose();
      model.dispose();
    }
    return results;
  },
}));
