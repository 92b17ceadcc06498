import { describe, expect, it } from 'vitest';
import { Generator, manualSeed } from '@torchlet/tensor';
import { BatchSampler, RandomSampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler } from './sampler.js';

const src = (n: number) => ({ length: n });

describe('samplers', () => {
  it('SequentialSampler yields 0..n-1', () => {
    expect([...new SequentialSampler(src(4))]).toEqual([0, 1, 2, 3]);
    expect(new SequentialSampler(src(4)).length).toBe(4);
  });

  it('RandomSampler yields a permutation, identical for the same seed', () => {
    const run = () => [...new RandomSampler(src(20), { generator: new Generator().manualSeed(7) })];
    const a = run();
    expect([...a].sort((p, q) => p - q)).toEqual([...Array(20).keys()]);
    expect(run()).toEqual(a);
    expect(a).not.toEqual([...Array(20).keys()]);
  });

  it('RandomSampler without a generator follows the default seed, and epochs differ', () => {
    manualSeed(42);
    const s = new RandomSampler(src(30));
    const e1 = [...s];
    const e2 = [...s];
    manualSeed(42);
    expect([...s]).toEqual(e1);
    expect([...s]).toEqual(e2);
    expect(e1).not.toEqual(e2);
  });

  it('RandomSampler numSamples repeats permutations without replacement and draws with replacement', () => {
    const g = new Generator().manualSeed(1);
    const s = [...new RandomSampler(src(4), { numSamples: 10, generator: g })];
    expect(s).toHaveLength(10);
    expect([...s.slice(0, 4)].sort()).toEqual([0, 1, 2, 3]);
    expect([...s.slice(4, 8)].sort()).toEqual([0, 1, 2, 3]);
    const r = [...new RandomSampler(src(3), { replacement: true, numSamples: 100, generator: g })];
    expect(r).toHaveLength(100);
    expect(r.every((i) => i >= 0 && i < 3)).toBe(true);
    expect(new Set(r).size).toBe(3);
    expect(() => new RandomSampler(src(3), { numSamples: 0 })).toThrow('num_samples should be a positive integer value, but got num_samples=0');
  });

  it('SubsetRandomSampler permutes the given indices', () => {
    const s = [...new SubsetRandomSampler([10, 20, 30, 40], { generator: new Generator().manualSeed(3) })];
    expect([...s].sort((a, b) => a - b)).toEqual([10, 20, 30, 40]);
  });

  it('WeightedRandomSampler follows the weights', () => {
    const s = [...new WeightedRandomSampler([0, 1, 3], 4000, { generator: new Generator().manualSeed(5) })];
    const counts = [0, 0, 0];
    for (const i of s) counts[i]!++;
    expect(counts[0]).toBe(0);
    expect(counts[2]! / counts[1]!).toBeGreaterThan(2.5);
    expect(counts[2]! / counts[1]!).toBeLessThan(3.6);
    const nr = [...new WeightedRandomSampler([1, 1, 1, 1], 4, { replacement: false, generator: new Generator().manualSeed(5) })];
    expect([...nr].sort()).toEqual([0, 1, 2, 3]);
    expect(() => new WeightedRandomSampler([1, -1], 2)).toThrow(/non-negative/);
  });

  it('BatchSampler groups indices, with and without dropLast', () => {
    const seq = new SequentialSampler(src(10));
    expect([...new BatchSampler(seq, 3, false)]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect([...new BatchSampler(seq, 3, true)]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    expect(new BatchSampler(seq, 3, false).length).toBe(4);
    expect(new BatchSampler(seq, 3, true).length).toBe(3);
    expect(() => new BatchSampler(seq, 0)).toThrow('batch_size should be a positive integer value, but got batch_size=0');
  });
});
