import { describe, expect, it } from 'vitest';
import { Generator, alias, arange, manualSeed, memoryStats, tensor, type Tensor } from '@torchlet/tensor';
import { CollateError } from './collate.js';
import { DataLoader } from './dataloader.js';
import { Dataset, IterableDataset, TensorDataset } from './dataset.js';
import { BatchSampler, SequentialSampler } from './sampler.js';

class Squares extends Dataset<{ x: number; y: number }> {
  constructor(readonly n: number) {
    super();
  }
  get length(): number {
    return this.n;
  }
  getItem(i: number) {
    return { x: i, y: i * i };
  }
}

class AsyncDs extends Dataset<Tensor> {
  fetched = 0;
  get length(): number {
    return 10;
  }
  async getItem(i: number): Promise<Tensor> {
    await new Promise((r) => setTimeout(r, 1));
    this.fetched++;
    return tensor([i, -i]);
  }
}

const vals = (t: Tensor) => Array.from(t.dataSync());

function xs(loader: Iterable<{ x: Tensor; y: Tensor }>): number[][] {
  const out: number[][] = [];
  for (const b of loader) {
    out.push(vals(b.x));
    b.x.dispose();
    b.y.dispose();
  }
  return out;
}

describe('DataLoader', () => {
  it('batches a map-style dataset in order, with length and dropLast', () => {
    const loader = new DataLoader(new Squares(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect(xs(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const dl = new DataLoader(new Squares(10), { batchSize: 4, dropLast: true });
    expect(dl.length).toBe(2);
    expect(xs(dl)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  it('seeded shuffles are exactly reproducible across runs and differ between epochs', () => {
    const order = (g?: Generator) => {
      const loader = new DataLoader(new Squares(40), { batchSize: 8, shuffle: true, generator: g });
      return [xs(loader).flat(), xs(loader).flat()];
    };
    const [e1, e2] = order(new Generator().manualSeed(2024));
    const [f1, f2] = order(new Generator().manualSeed(2024));
    expect(f1).toEqual(e1);
    expect(f2).toEqual(e2);
    expect(e1).not.toEqual(e2);
    expect([...e1!].sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    manualSeed(99);
    const [g1] = order();
    manualSeed(99);
    const [h1] = order();
    expect(h1).toEqual(g1);
  });

  it('a seeded shuffle is pinned: the same order in every process and release', () => {
    // Recorded once; changing it breaks users' reproducible experiments.
    const loader = new DataLoader(Array.from({ length: 20 }, (_, i) => i), { batchSize: 20, shuffle: true, generator: new Generator().manualSeed(2024) });
    const [batch] = [...loader];
    expect(vals(batch!)).toEqual([17, 2, 13, 11, 8, 1, 4, 10, 14, 5, 7, 0, 3, 16, 19, 9, 15, 6, 18, 12]);
    batch!.dispose();
  });

  it('uses a sampler or a batch sampler, and refuses conflicting options like PyTorch', () => {
    const ds = new Squares(6);
    const sampler = [5, 4, 3, 2, 1, 0];
    expect(xs(new DataLoader(ds, { batchSize: 3, sampler: Object.assign(sampler, { length: 6 }) }))).toEqual([[5, 4, 3], [2, 1, 0]]);
    const bs = new BatchSampler(new SequentialSampler(ds), 4, false);
    const loader = new DataLoader(ds, { batchSampler: bs });
    expect(loader.length).toBe(2);
    expect(xs(loader)).toEqual([[0, 1, 2, 3], [4, 5]]);
    expect(() => new DataLoader(ds, { sampler: [0], shuffle: true })).toThrow('sampler option is mutually exclusive with shuffle');
    expect(() => new DataLoader(ds, { batchSampler: bs, batchSize: 2 })).toThrow('batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last');
    expect(() => new DataLoader(ds, { batchSize: null, dropLast: true })).toThrow(/mutually exclusive with drop_last/);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow('batch_size should be a positive integer value, but got batch_size=0');
  });

  it('batchSize null yields converted samples one by one', () => {
    const loader = new DataLoader(new Squares(3), { batchSize: null });
    expect(loader.length).toBe(3);
    expect([...loader]).toEqual([{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 4 }]);
  });

  it('uses TensorDataset.getBatch and leaks nothing; a custom collateFn sees the samples', () => {
    const x = arange(20).reshape([10, 2]);
    const yv = tensor(new Int32Array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]));
    const ds = new TensorDataset(x, yv);
    const before = memoryStats().liveTensors;
    const loader = new DataLoader(ds, { batchSize: 4, shuffle: true, generator: new Generator().manualSeed(1) });
    const seen: number[] = [];
    for (const [xb, yb] of loader) {
      expect(xb!.shape[1]).toBe(2);
      seen.push(...(vals(xb!).filter((_, i) => i % 2 === 0).map((v) => v / 2)));
      expect(yb!.dtype).toBe('int32');
      xb!.dispose();
      yb!.dispose();
    }
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    const custom = new DataLoader(ds, { batchSize: 5, collateFn: (items) => items.length });
    expect([...custom]).toEqual([5, 5]);
    expect(memoryStats().liveTensors).toBe(before);
  });

  it('the default collate path disposes the samples it stacked', () => {
    class Views extends Dataset<Tensor> {
      constructor(readonly base: Tensor) {
        super();
      }
      get length() {
        return this.base.shape[0]!;
      }
      getItem(i: number) {
        return this.base.select(0, i);
      }
    }
    const base = tensor([[1, 2], [3, 4], [5, 6]]);
    const before = memoryStats().liveTensors;
    for (const b of new DataLoader(new Views(base), { batchSize: 2 })) b.dispose();
    expect(memoryStats().liveTensors).toBe(before);
    base.dispose();
  });

  it('an uncollatable sample names its dataset index and field', () => {
    class Bad extends Dataset<{ label: number | string }> {
      get length() {
        return 6;
      }
      getItem(i: number) {
        return { label: i === 4 ? 'four' : i };
      }
    }
    const loader = new DataLoader(new Bad(), { batchSize: 3 });
    let err: unknown;
    try {
      for (const b of loader) (b.label as Tensor).dispose();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CollateError);
    expect((err as Error).message).toMatch(/dataset index 4/);
    expect((err as Error).message).toMatch(/field 'label'/);
  });

  it('async datasets: for await with prefetch, sync iteration refused', async () => {
    const ds = new AsyncDs();
    const loader = new DataLoader(ds, { batchSize: 4, prefetch: 1 });
    const got: number[][] = [];
    const before = memoryStats().liveTensors;
    for await (const b of loader) {
      got.push(vals(b));
      b.dispose();
    }
    expect(got[0]).toEqual([0, -0, 1, -1, 2, -2, 3, -3]);
    expect(got.map((g) => g.length)).toEqual([8, 8, 4]);
    expect(() => [...loader]).toThrow(/for await/);
    await new Promise((r) => setTimeout(r, 20));
    // a stopped loop frees the batches fetched ahead
    for await (const b of new DataLoader(ds, { batchSize: 2, prefetch: 3 })) {
      b.dispose();
      break;
    }
    await new Promise((r) => setTimeout(r, 30));
    expect(memoryStats().liveTensors).toBe(before);
  });

  it('arrays as datasets; their stored tensors are left alone', () => {
    const items = [tensor([1]), tensor([2]), tensor([3])];
    for (const b of new DataLoader(items, { batchSize: 2 })) b.dispose();
    expect(items.every((t) => !t.isDisposed)).toBe(true);
    items.forEach((t) => t.dispose());
  });

  it('iterable datasets: batching, dropLast, length and the refused options', async () => {
    class Count extends IterableDataset<number> {
      override get length() {
        return 7;
      }
      *[Symbol.iterator]() {
        for (let i = 0; i < 7; i++) yield i;
      }
    }
    const loader = new DataLoader(new Count(), { batchSize: 3 });
    expect(loader.length).toBe(3);
    const sync = [...loader].map((t) => {
      const v = vals(t);
      t.dispose();
      return v;
    });
    expect(sync).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const asyncBatches: number[][] = [];
    for await (const t of new DataLoader(new Count(), { batchSize: 3, dropLast: true })) {
      asyncBatches.push(vals(t));
      t.dispose();
    }
    expect(asyncBatches).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(() => new DataLoader(new Count(), { shuffle: true })).toThrow('DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=true');
    const stream = IterableDataset.from((async function* () {
      yield alias(tensor([1]));
    })());
    expect(() => [...new DataLoader(stream)]).toThrow(/asynchronous/);
  });
});
