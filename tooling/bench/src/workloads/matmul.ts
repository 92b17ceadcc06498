/**
 * Dense float32 matrix product C = A @ B for square N×N operands: GFLOP/s (2N³ flops).
 * W1 (N = 1024) also runs TensorFlow.js (cpu and wasm), onnxruntime-node (MatMul) and
 * PyTorch where available, in the same run.
 */
import { getNumThreads } from '@torchlet/backend-cpu';
import { matmul, rand, type Tensor } from '@torchlet/tensor';
import {
  PEER_TIMING,
  caseResult,
  maxAbsDiff,
  measure,
  measurement,
  peerMeasurement,
  type CaseResult,
  type Measurement,
  type PeerMeasurement,
} from '../harness.js';
import { ortSession, runPytorch, tfLabel, useTf } from '../peers/index.js';
import type { Workload, WorkloadContext } from './workload.js';

const SIZES = [256, 512, 1024];
/** The size compared with other frameworks (W1). */
const PEER_SIZE = 1024;

/** The baseline: a plain i-k-j triple loop over Float32Arrays (no blocking, no SIMD). */
export function naiveMatmul(a: Float32Array, b: Float32Array, out: Float32Array, n: number): void {
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[row + k]!;
      const bk = k * n;
      for (let j = 0; j < n; j++) out[row + j] += aik * b[bk + j]!;
    }
  }
}

async function read(t: Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/** W1's peers on the same A, B (host copies); `ours` is Torchlet's product for the differences. */
async function matmulPeers(ctx: WorkloadContext, n: number, ha: Float32Array, hb: Float32Array, ours: Float32Array, torchlet: Measurement): Promise<PeerMeasurement[]> {
  const flops = 2 * n ** 3;
  const peers: PeerMeasurement[] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    ctx.log(`matmul N=${n}: ${tfLabel(backend)} …`);
    const tf = await useTf(backend);
    if (tf === null) break;
    const a = tf.tensor2d(ha, [n, n]);
    const b = tf.tensor2d(hb, [n, n]);
    try {
      const stats = await measure(async () => {
        const c = tf.matMul(a, b);
        await c.data();
        c.dispose();
      }, PEER_TIMING);
      const c = tf.matMul(a, b);
      const diff = maxAbsDiff((await c.data()) as Float32Array, ours);
      c.dispose();
      peers.push(peerMeasurement(tfLabel(backend), stats, flops, 1e9, torchlet, diff));
    } finally {
      a.dispose();
      b.dispose();
    }
  }
  const threads = getNumThreads();
  ctx.log(`matmul N=${n}: onnxruntime-node …`);
  const ort = await ortSession(
    { inputs: [{ name: 'a', shape: [n, n] }, { name: 'b', shape: [n, n] }], outputs: [{ name: 'c', shape: [n, n] }], nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }] },
    { a: ha, b: hb },
    threads,
  );
  if (ort) {
    try {
      const stats = await measure(() => ort.run(), PEER_TIMING);
      peers.push(peerMeasurement(`onnxruntime-node (${threads} threads)`, stats, flops, 1e9, torchlet, maxAbsDiff(await ort.run(), ours)));
    } finally {
      await ort.release();
    }
  }
  ctx.log(`matmul N=${n}: PyTorch …`);
  const py = runPytorch('matmul', threads, ctx.log);
  const stats = py?.cases.get(`W1 matmul ${n}`);
  if (py && stats) peers.push(peerMeasurement(`PyTorch ${py.version} (${py.threads} threads, ${py.blas})`, stats, flops, 1e9, torchlet));
  return peers;
}

export const matmulWorkload: Workload = {
  name: 'matmul',
  title: 'matmul: C = A @ B, float32, N×N (2N³ flops); W1 = N 1024 against other frameworks',
  async run(ctx: WorkloadContext): Promise<CaseResult[]> {
    const results: CaseResult[] = [];
    for (const n of SIZES) {
      ctx.log(`matmul N=${n} …`);
      const a = rand([n, n], { device: ctx.device });
      const b = rand([n, n], { device: ctx.device });
      try {
        const sync = ctx.device === 'cpu';
        const torchlet = await measure(async () => {
          const c = matmul(a, b);
          // Devices that queue work are timed to completion by reading the result back.
          if (!sync) await c.data();
          c.dispose();
        }, ctx.timing);
        const ha = await read(a);
        const hb = await read(b);
        const out = new Float32Array(n * n);
        const baseline = await measure(() => naiveMatmul(ha, hb, out, n), { ...ctx.timing, warmup: 1 });
        const c = matmul(a, b);
        const ours = Float32Array.from(await read(c));
        c.dispose();
        const flops = 2 * n ** 3;
        const mine = measurement('torchlet', torchlet, flops, 1e9);
        const peers = n === PEER_SIZE && ctx.peers ? await matmulPeers(ctx, n, Float32Array.from(ha), Float32Array.from(hb), ours, mine) : undefined;
        results.push(
          caseResult({
            workload: 'matmul',
            case: n === PEER_SIZE ? `W1 N=${n}` : `N=${n}`,
            params: { n, dtype: 'float32' },
            unit: 'GFLOP/s',
            torchlet: mine,
            baseline: measurement('naive JS', baseline, flops, 1e9),
            maxAbsDiff: maxAbsDiff(ours, out),
            ...(peers ? { peers } : {}),
          }),
        );
      } finally {
        a.dispose();
        b.dispose();
      }
    }
    return results;
  },
};
