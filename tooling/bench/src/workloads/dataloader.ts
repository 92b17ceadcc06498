/**
 * DataLoader: one epoch over a 100,000-item dataset, batch 64, shuffled: items/s.
 * Two datasets: a `TensorDataset` (features [N, 16] float32, int32 labels; batches come from
 * one `indexSelect` per tensor) and a map-style `Dataset` whose samples are
 * `{ x: Float32Array, y: number }` objects collated by `defaultCollate`. The baseline is a
 * Fisher–Yates shuffle and per-batch row copies into fresh typed arrays.
 */
import { DataLoader, Dataset, TensorDataset } from '@torchlet/data';
import { Generator, fromTypedArray, type Tensor } from '@torchlet/tensor';
import { caseResult, maxAbsDiff, measure, measurement, type CaseResult } from '../harness.js';
import type { Workload, WorkloadContext } from './workload.js';

const N = 100_000;
const F = 16;
const BATCH = 64;

/** The baseline: shuffle indices (xorshift), copy each batch's rows into new typed arrays. */
export function naiveEpoch(x: Float32Array, y: Int32Array, n: number, f: number, batch: number, seed: number): number {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  let checksum = 0;
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    const xb = new Float32Array(b * f);
    const yb = new Int32Array(b);
    for (let k = 0; k < b; k++) {
      const r = perm[start + k]!;
      xb.set(x.subarray(r * f, r * f + f), k * f);
      yb[k] = y[r]!;
    }
    checksum += xb[0]! + yb[0]!;
  }
  return checksum;
}

class ObjectDataset extends Dataset<{ x: Float32Array; y: number }> {
  constructor(
    readonly x: Float32Array,
    readonly y: Int32Array,
  ) {
    super();
  }
  get length(): number {
    return this.y.length;
  }
  getItem(i: number): { x: Float32Array; y: number } {
    return { x: this.x.subarray(i * F, i * F + F), y: this.y[i]! };
  }
}

/** Sum of every element of every batch of one epoch (float64): each item counted once. */
function epochSum(loader: Iterable<Tensor[] | { x: Tensor; y: Tensor }>): number {
  let s = 0;
  for (const b of loader) {
    const [xb, yb] = Array.isArray(b) ? b : [b.x, b.y];
    for (const t of [xb!, yb!]) {
      const d = t.dataSync();
      for (let i = 0; i < d.length; i++) s += d[i]!;
      t.dispose();
    }
  }
  return s;
}

export const dataloaderWorkload: Workload = {
  name: 'dataloader',
  title: `dataloader: one shuffled epoch, ${N} items, batch ${BATCH} (items/s)`,
  async run(ctx: WorkloadContext): Promise<CaseResult[]> {
    ctx.log(`dataloader n=${N} batch=${BATCH} …`);
    const hx = new Float32Array(N * F);
    const hy = new Int32Array(N);
    for (let i = 0; i < hx.length; i++) hx[i] = ((i * 7919) % 1000) / 1000;
    for (let i = 0; i < N; i++) hy[i] = i % 10;
    let expected = 0;
    for (let i = 0; i < hx.length; i++) expected += hx[i]!;
    for (let i = 0; i < N; i++) expected += hy[i]!;

    const x = fromTypedArray(hx, [N, F]);
    const y = fromTypedArray(hy, [N]);
    const results: CaseResult[] = [];
    try {
      const baseline = await measure(() => naiveEpoch(hx, hy, N, F, BATCH, 1234), ctx.timing);
      const loaders = [
        { name: 'TensorDataset', loader: new DataLoader(new TensorDataset(x, y), { batchSize: BATCH, shuffle: true, generator: new Generator().manualSeed(1) }) },
        { name: 'Dataset + defaultCollate', loader: new DataLoader(new ObjectDataset(hx, hy), { batchSize: BATCH, shuffle: true, generator: new Generator().manualSeed(1) }) },
      ];
      for (const { name, loader } of loaders) {
        ctx.log(`  ${name} …`);
        const timed = await measure(() => {
          for (const batch of loader as Iterable<Tensor[] | { x: Tensor; y: Tensor }>) {
            for (const t of Array.isArray(batch) ? batch : [batch.x, batch.y]) t.dispose();
          }
        }, ctx.timing);
        const sum = epochSum(loader as Iterable<Tensor[] | { x: Tensor; y: Tensor }>);
        results.push(
          caseResult({
            workload: 'dataloader',
            case: name,
            params: { n: N, features: F, batch: BATCH },
            unit: 'kitem/s',
            torchlet: measurement('torchlet', timed, N, 1e3),
            baseline: measurement('naive JS', baseline, N, 1e3),
            maxAbsDiff: maxAbsDiff([sum], [expected]),
          }),
        );
      }
    } finally {
      x.dispose();
      y.dispose();
    }
    return results;
  },
};
