/**
 * Recurrent layers: a 1-layer GRU and LSTM, batch 32, sequence 64, input 128, hidden 256,
 * float32, forward only and forward + backward (loss = sum of the outputs), in ms per step,
 * against TensorFlow.js 4.22 with its Wasm backend on one thread, in the same run.
 *
 * TensorFlow.js's GRU is Keras' (the candidate applies r before the recurrent matmul), so its
 * numbers differ from PyTorch's; the LSTM is loaded with the same weights and compared.
 */
import { noGrad } from '@torchlet/autograd';
import { getNumThreads, setNumThreads } from '@torchlet/backend-cpu';
import * as nn from '@torchlet/nn';
import { add, randn, sum, t as transpose2d, tidy, type Tensor } from '@torchlet/tensor';
import { caseResult, maxAbsDiff, measure, measurement, type CaseResult } from '../harness.js';
import type { Workload, WorkloadContext } from './workload.js';

const B = 32;
const T = 64;
const I = 128;
const H = 256;

type TF = typeof import('@tensorflow/tfjs');

let tfPromise: Promise<TF> | null = null;

/** TensorFlow.js with the Wasm backend, one thread. */
async function loadTfWasm(): Promise<TF> {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('tfjs: the wasm backend did not initialise');
    await tf.ready();
    return tf;
  })();
  return tfPromise;
}

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

export const recurrentWorkloads: Workload[] = (['gru', 'lstm'] as const).map((name) => ({
  name,
  title: `${name}: 1-layer ${name.toUpperCase()}, batch ${B}, seq ${T}, input ${I}, hidden ${H}, float32 — ms per step vs TensorFlow.js (wasm, 1 thread)`,
  async run(ctx: WorkloadContext): Promise<CaseResult[]> {
    ctx.log(`${name}: loading TensorFlow.js (wasm) …`);
    const tf = await loadTfWasm();
    const model = name === 'gru' ? new nn.GRU(I, H) : new nn.LSTM(I, H);
    if (ctx.device !== 'cpu') model.to(ctx.device);
    const x = randn([T, B, I], { device: ctx.device });
    const p: Pair = { name, torchlet: model, x };
    // TensorFlow.js: [B, T, I], the same input.
    const xHost = await host(x);
    const xtf = tf.tidy(() => tf.tensor3d(xHost, [T, B, I]).transpose([1, 0, 2]));
    const layer =
      name === 'gru'
        ? tf.layers.gru({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, I] })
        : tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, I] });
    // Applying the layer once builds it (creates its weights).
    tf.dispose(tf.tidy(() => layer.apply(xtf) as import('@tensorflow/tfjs').Tensor));
    if (name === 'lstm') {
      // PyTorch → Keras: kernel = W_ihᵀ, recurrent = W_hhᵀ (gate order i, f, g, o in both), bias = b_ih + b_hh.
      const get = (k: string): Tensor => model.getParameter(k);
      const kernel = tidy(() => transpose2d(get('weight_ih_l0')).contiguous());
      const rec = tidy(() => transpose2d(get('weight_hh_l0')).contiguous());
      const bias = add(get('bias_ih_l0'), get('bias_hh_l0'));
      layer.setWeights([
        tf.tensor2d(await host(kernel), [I, 4 * H]),
        tf.tensor2d(await host(rec), [H, 4 * H]),
        tf.tensor1d(await host(bias)),
      ]);
      for (const t of [kernel, rec, bias]) t.dispose();
    }
    const tfForward = (): import('@tensorflow/tfjs').Tensor => layer.apply(xtf) as import('@tensorflow/tfjs').Tensor;
    const results: CaseResult[] = [];
    try {
      const sync = ctx.device === 'cpu';
      // ---- forward ----
      ctx.log(`${name} forward …`);
      const fwdFn = async (): Promise<void> => {
        const out = noGrad(() => torchletForward(p));
        if (!sync) await out.data();
        out.dispose();
      };
      const fwd = await measure(fwdFn, ctx.timing);
      const fwd1 = sync ? await oneThread(() => measure(fwdFn, ctx.timing)) : null;
      const tfFwd = await measure(async () => {
        const out = tf.tidy(tfForward);
        await out.data();
        out.dispose();
      }, { ...ctx.timing, warmup: 1, minRuns: 3, maxRuns: 5 });
      let diff = Number.NaN;
      if (name === 'lstm') {
        const ours = noGrad(() => torchletForward(p));
        const theirs = tf.tidy(() => tfForward().transpose([1, 0, 2]));
        diff = maxAbsDiff(await host(ours), (await theirs.data()) as Float32Array);
        ours.dispose();
        theirs.dispose();
      }
      const threads = getNumThreads();
      for (const [label, stats] of [[`${threads} threads`, fwd], ['1 thread', fwd1]] as const) {
        if (!stats) continue;
        results.push(
          caseResult({
            workload: name,
            case: `${name} forward, torchlet ${label}`,
            params: { batch: B, seq: T, input: I, hidden: H, pass: 'forward', threads: label },
            unit: 'steps/s',
            torchlet: measurement('torchlet', stats, 1),
            baseline: measurement('tfjs-wasm (1 thread)', tfFwd, 1),
            maxAbsDiff: diff,
          }),
        );
      }
      // ---- forward + backward ----
      ctx.log(`${name} forward+backward …`);
      const bothFn = async (): Promise<void> => {
        torchletStep(p);
        if (!sync) await p.torchlet.parameters()[0]!.data();
      };
      const both = await measure(bothFn, ctx.timing);
      const both1 = sync ? await oneThread(() => measure(bothFn, ctx.timing)) : null;
      const vars = layer.trainableWeights.map((w) => w.read() as import('@tensorflow/tfjs').Variable);
      const tfBoth = await measure(async () => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tfForward()) as import('@tensorflow/tfjs').Scalar, vars);
        await value.data();
        value.dispose();
        tf.dispose(Object.values(grads));
      }, { ...ctx.timing, warmup: 1, minRuns: 3, maxRuns: 5 });
      for (const [label, stats] of [[`${threads} threads`, both], ['1 thread', both1]] as const) {
        if (!stats) continue;
        results.push(
          caseResult({
            workload: name,
            case: `${name} forward+backward, torchlet ${label}`,
            params: { batch: B, seq: T, input: I, hidden: H, pass: 'forward+backward', threads: label },
            unit: 'steps/s',
            torchlet: measurement('torchlet', stats, 1),
            baseline: measurement('tfjs-wasm (1 thread)', tfBoth, 1),
            maxAbsDiff: Number.NaN,
          }),
        );
      }
    } finally {
      x.dispose();
      model.dispose();
      xtf.dispose();
      tf.dispose(layer.getWeights());
    }
    return results;
  },
}));
