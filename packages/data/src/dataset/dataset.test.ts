import { describe, expect, it } from 'vitest';
import { Generator, arange, memoryStats, tensor, type Tensor } from '@torchlet/tensor';
import { ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, randomSplit } from './dataset.js';

class Range extends Dataset<number> {
  constructor(readonly n: number) {
    super();
  }
  get length(): number {
    return this.n;
  }
  getItem(i: number): number {
    return i;
  }
}

function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

describe('TensorDataset', () => {
  it('returns the i-th row of every tensor and holds the same tensor objects', () => {
    const x = tensor([[0, 1], [2, 3], [4, 5]]);
    const y = tensor(new Int32Array([7, 8, 9]));
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(3);
    expect(ds.tensors[0]).toBe(x);
    const [xi, yi] = ds.getItem(1);
    expect(values(xi!)).toEqual([2, 3]);
    expect(yi!.item()).toBe(8);
    const [xl] = ds.getItem(-1);
    expect(values(xl!)).toEqual([4, 5]);
    for (const t of [xi!, yi!, xl!, x, y]) t.dispose();
  });

  it('rejects tensors of different first dims and out-of-range indices', () => {
    const a = arange(3);
    const b = arange(4);
    expect(() => new TensorDataset(a, b)).toThrow(/Size mismatch between tensors/);
    const ds = new TensorDataset(a);
    expect(() => ds.getItem(3)).toThrow(/out of range/);
    a.dispose();
    b.dispose();
  });

  it('getBatch equals the rows selected one by one', () => {
    const x = tensor([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
    const ds = new TensorDataset(x);
    const [b] = ds.getBatch([4, 0, 2]);
    expect(b!.shape).toEqual([3, 2]);
    expect(values(b!)).toEqual([8, 9, 0, 1, 4, 5]);
    b!.dispose();
    x.dispose();
  });
});

describe('Subset and ConcatDataset', () => {
  it('Subset maps indices and delegates getItems / getBatch', () => {
    const base = new Range(10);
    const sub = new Subset(base, [9, 3, 5]);
    expect(sub.length).toBe(3);
    expect(sub.getItem(0)).toBe(9);
    expect(sub.getItems([2, 1])).toEqual([5, 3]);
    expect(sub.getBatch).toBeUndefined();
    const x = arange(5);
    const tsub = new Subset(new TensorDataset(x), [4, 1]);
    const [b] = tsub.getBatch!([0, 1]) as Tensor[];
    expect(values(b!)).toEqual([4, 1]);
    b!.dispose();
    x.dispose();
  });

  it('ConcatDataset indexes across datasets (negative indices too)', () => {
    const c = new ConcatDataset([new Range(3), new Range(2), new Range(4)]);
    expect(c.length).toBe(9);
    expect(c.cumulativeSizes).toEqual([3, 5, 9]);
    expect([...Array(9).keys()].map((i) => c.getItem(i))).toEqual([0, 1, 2, 0, 1, 0, 1, 2, 3]);
    expect(c.getItem(-1)).toBe(3);
    expect(() => c.getItem(-10)).toThrow(/should not exceed dataset length/);
    expect(new Range(2).concat(new Range(1)).length).toBe(3);
  });
});

describe('randomSplit', () => {
  it("distributes fractions' remainders from the first split on (PyTorch's rule)", () => {
    expect(randomSplit(new Range(10), [0.8, 0.2]).map((s) => s.length)).toEqual([8, 2]);
    expect(randomSplit(new Range(5), [0.5, 0.5]).map((s) => s.length)).toEqual([3, 2]);
    expect(randomSplit(new Range(11), [0.3, 0.3, 0.4]).map((s) => s.length)).toEqual([4, 3, 4]);
    expect(randomSplit(new Range(7), [0.1, 0.1, 0.8]).map((s) => s.length)).toEqual([1, 1, 5]);
    expect(randomSplit(new Range(100), [60, 40]).map((s) => s.length)).toEqual([60, 40]);
  });

  it('is a partition, and the same seed gives exactly the same split', () => {
    const split = (seed: number) => randomSplit(new Range(50), [0.7, 0.3], { generator: new Generator().manualSeed(seed) });
    const [a, b] = split(123);
    expect([...a!.indices, ...b!.indices].sort((p, q) => p - q)).toEqual([...Array(50).keys()]);
    const [a2, b2] = split(123);
    expect(a2!.indices).toEqual(a!.indices);
    expect(b2!.indices).toEqual(b!.indices);
    const [a3] = split(124);
    expect(a3!.indices).not.toEqual(a!.indices);
  });

  it('a seeded split is pinned across processes', () => {
    const [a, b] = randomSplit(new Range(10), [0.5, 0.5], { generator: new Generator().manualSeed(7) });
    expect(a!.indices).toEqual([7, 2, 5, 6, 4]);
    expect(b!.length).toBe(5);
  });

  it('rejects lengths that do not add up and bad fractions', () => {
    expect(() => randomSplit(new Range(10), [5, 4])).toThrow('Sum of input lengths does not equal the length of the input dataset!');
    expect(() => randomSplit(new Range(10), [1.5, -0.5])).toThrow(/Fraction at index 0 is not between 0 and 1|non-negative integer/);
  });
});

describe('IterableDataset', () => {
  it('from() wraps sync and async sources', async () => {
    const sync = IterableDataset.from([1, 2, 3], { length: 3 });
    expect(sync.length).toBe(3);
    expect([...(sync as unknown as Iterable<number>)]).toEqual([1, 2, 3]);
    async function* gen() {
      yield 'a';
      yield 'b';
    }
    const asy = IterableDataset.from(() => gen());
    const got: string[] = [];
    for await (const s of asy as unknown as AsyncIterable<string>) got.push(s);
    expect(got).toEqual(['a', 'b']);
  });

  it('leaks no tensors in the dataset classes', () => {
    const before = memoryStats().liveTensors;
    const x = tensor([[0, 1], [2, 3], [4, 5], [6, 7]]);
    const ds = new TensorDataset(x);
    for (let i = 0; i < 4; i++) ds.getItem(i).forEach((t) => t.dispose());
    ds.getBatch([0, 1]).forEach((t) => t.dispose());
    x.dispose();
    expect(memoryStats().liveTensors).toBe(before);
  });
});
