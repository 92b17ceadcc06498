/** Elementwise chain `tanh(x) * sigmoid(x) + x` over 1e7 float32 elements: Melem/s. */
import { randn, type Tensor } from '@torchlet/tensor';
import { caseResult, maxAbsDiff, measure, measurement, type CaseResult } from '../harness.js';
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

export const elementwiseWorkload: Workload = {
  name: 'elementwise',
  title: 'elementwise: tanh(x) * sigmoid(x) + x, float32, 1e7 elements',
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
      const hx = (await x.data()) as Float32Array;
      const out = new Float32Array(N);
      const baseline = await measure(() => naiveElementwise(hx, out), ctx.timing);
      const y = chain(x);
      const diff = maxAbsDiff(await y.data(), out);
      y.dispose();
      return [
        caseResult({
          workload: 'elementwise',
          case: 'n=1e7',
          params: { n: N, dtype: 'float32' },
          unit: 'Melem/s',
          torchlet: measurement('torchlet', torchlet, N, 1e6),
          baseline: measurement('naive JS', baseline, N, 1e6),
          maxAbsDiff: diff,
        }),
      ];
    } finally {
      x.dispose();
    }
  },
};
