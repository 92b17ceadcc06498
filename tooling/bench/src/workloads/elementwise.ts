/**
 * W4: the elementwise chain `tanh(x) * sigmoid(x) + x` over 1e7 float32 elements: Melem/s,
 * against a fused plain-JavaScript loop, and TensorFlow.js (cpu and wasm), onnxruntime-node
 * (the four-node graph) and PyTorch (eager, and in place) in the same run.
 */
import { getNumThreads } from '@torchlet/backend-cpu';
import { randn, type Tensor } from '@torchlet/tensor';
import { PEER_TIMING, caseResult, maxAbsDiff, measure, measurement, peerMeasurement, type CaseResult, type Measurement, type PeerMeasurement } from '../harness.js';
import { ortSession, runPytorch, tfLabel, useTf } from '../peers/index.js';
import type { Workload, WorkloadContext } from './workload.js';

const N = 10_000_000;

/** The baseline: one fused loop with Math.tanh / Math.exp, written to a Float32Array. */
export function naiveElementwise(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = Math.tanh(v) * (1 / (1 + Math.exp(-v))) + v;
  }
}

/** Torchlet's eager form: four ops, three temporaries. */
function chain(x: Tensor): Tensor {
  const t = x.tanh();
  const s = x.sigmoid();
  const p = t.mul(s);
  const out = p.add(x);
  t.dispose();
  s.dispose();
  p.dispose();
  return out;
}

async function elementwisePeers(ctx: WorkloadContext, hx: Float32Array, ours: Float32Array, torchlet: Measurement): Promise<PeerMeasurement[]> {
  const peers: PeerMeasurement[] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    ctx.log(`elementwise: ${tfLabel(backend)} …`);
    const tf = await useTf(backend);
    if (tf === null) break;
    const x = tf.tensor1d(hx);
    const f = () => tf.tidy(() => tf.add(tf.mul(tf.tanh(x), tf.sigmoid(x)), x));
    try {
      const stats = await measure(async () => {
        const y = f();
        await y.data();
        y.dispose();
      }, PEER_TIMING);
      const y = f();
      const diff = maxAbsDiff((await y.data()) as Float32Array, ours);
      y.dispose();
      peers.push(peerMeasurement(tfLabel(backend), stats, N, 1e6, torchlet, diff));
    } finally {
      x.dispose();
    }
  }
  const threads = getNumThreads();
  ctx.log('elementwise: onnxruntime-node …');
  const ort = await ortSession(
    {
      inputs: [{ name: 'x', shape: [N] }],
      outputs: [{ name: 'y', shape: [N] }],
      nodes: [
        { op: 'Tanh', inputs: ['x'], outputs: ['t'] },
        { op: 'Sigmoid', inputs: ['x'], outputs: ['s'] },
        { op: 'Mul', inputs: ['t', 's'], outputs: ['p'] },
        { op: 'Add', inputs: ['p', 'x'], outputs: ['y'] },
      ],
    },
    { x: hx },
    threads,
  );
  if (ort) {
    try {
      const stats = await measure(() => ort.run(), PEER_TIMING);
      peers.push(peerMeasurement(`onnxruntime-node (${threads} threads)`, stats, N, 1e6, torchlet, maxAbsDiff(await ort.run(), ours)));
    } finally {
      await ort.release();
    }
  }
  ctx.log('elementwise: PyTorch …');
  const py = runPytorch('elementwise', threads, ctx.log);
  if (py) {
    const label = `PyTorch ${py.version} (${py.threads} threads)`;
    const eager = py.cases.get('W4 eager');
    const inPlace = py.cases.get('W4 in place');
    if (eager) peers.push(peerMeasurement(`${label}, eager`, eager, N, 1e6, torchlet));
    if (inPlace) peers.push(peerMeasurement(`${label}, in place`, inPlace, N, 1e6, torchlet));
  }
  return peers;
}

export const elementwiseWorkload: Workload = {
  name: 'elementwise',
  title: 'elementwise (W4): tanh(x) * sigmoid(x) + x, float32, 1e7 elements',
  async run(ctx: WorkloadContext): Promise<CaseResult[]> {
    ctx.log(`elementwise n=${N} …`);
    const x = randn([N], { device: ctx.device });
    try {
      const sync = ctx.device === 'cpu';
      const torchlet = await measure(async () => {
        const y = chain(x);
        if (!sync) await y.data();
        y.dispose();
      }, ctx.timing);
      const hx = Float32Array.from((await x.data()) as Float32Array);
      const out = new Float32Array(N);
      const baseline = await measure(() => naiveElementwise(hx, out), ctx.timing);
      const y = chain(x);
      const ours = Float32Array.from((await y.data()) as Float32Array);
      y.dispose();
      const mine = measurement('torchlet', torchlet, N, 1e6);
      const peers = ctx.peers ? await elementwisePeers(ctx, hx, ours, mine) : undefined;
      return [
        caseResult({
          workload: 'elementwise',
          case: 'W4 n=1e7',
          params: { n: N, dtype: 'float32' },
          unit: 'Melem/s',
          torchlet: mine,
          baseline: measurement('naive JS', baseline, N, 1e6),
          maxAbsDiff: maxAbsDiff(ours, out),
          ...(peers ? { peers } : {}),
        }),
      ];
    } finally {
      x.dispose();
    }
  },
};
