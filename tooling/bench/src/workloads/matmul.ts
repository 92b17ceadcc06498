/** Dense float32 matrix product C = A @ B for square N×N operands: GFLOP/s (2N³ flops). */
import { matmul, rand, type Tensor } from '@torchlet/tensor';
import { caseResult, maxAbsDiff, measure, measurement, type CaseResult } from '../harness.js';
import type { Workload, WorkloadContext } from './workload.js';

const SIZES = [256, 512, 1024];

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

export const matmulWorkload: Workload = {
  name: 'matmul',
  title: 'matmul: C = A @ B, float32, N×N (2N³ flops)',
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
        const diff = maxAbsDiff(await read(c), out);
        c.dispose();
        const flops = 2 * n ** 3;
        results.push(
          caseResult({
            workload: 'matmul',
            case: `N=${n}`,
            params: { n, dtype: 'float32' },
            unit: 'GFLOP/s',
            torchlet: measurement('torchlet', torchlet, flops, 1e9),
            baseline: measurement('naive JS', baseline, flops, 1e9),
            maxAbsDiff: diff,
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
