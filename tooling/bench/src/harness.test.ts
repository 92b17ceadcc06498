import { describe, expect, it } from 'vitest';
import { caseResult, fmt, maxAbsDiff, mean, measure, measurement, median, perSecond, stddev, summarize } from './harness.js';

describe('statistics', () => {
  it('median takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(RangeError);
  });

  it('median does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('mean and sample standard deviation', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(stddev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(stddev([5])).toBe(0);
  });

  it('summarize collects min, max and the samples', () => {
    const s = summarize([5, 1, 3]);
    expect(s).toMatchObject({ median: 3, mean: 3, min: 1, max: 5, samples: [5, 1, 3] });
  });

  it('perSecond converts milliseconds', () => {
    expect(perSecond(2e9, 500)).toBe(4e9);
  });
});

describe('measure', () => {
  /** A fake clock that advances `step` ms per call of the measured function. */
  function fakeClock(step: number): { now: () => number; fn: () => void; calls: () => number } {
    let t = 0;
    let calls = 0;
    return {
      now: () => t,
      fn: () => {
        calls++;
        t += step;
      },
      calls: () => calls,
    };
  }

  it('warms up, then runs until the target time within min/max runs', async () => {
    const c = fakeClock(100);
    const s = await measure(c.fn, { warmup: 2, minRuns: 3, maxRuns: 20, targetMs: 1000, now: c.now });
    expect(s.samples).toHaveLength(10);
    expect(c.calls()).toBe(12);
    expect(s.median).toBe(100);
  });

  it('runs at least minRuns even when each run is slow, and shortens the warm-up', async () => {
    const c = fakeClock(5000);
    const s = await measure(c.fn, { warmup: 3, minRuns: 3, targetMs: 1000, now: c.now });
    expect(s.samples).toHaveLength(3);
    expect(c.calls()).toBe(4);
  });

  it('stops at maxRuns for fast functions', async () => {
    const c = fakeClock(0.001);
    const s = await measure(c.fn, { warmup: 0, minRuns: 2, maxRuns: 7, now: c.now });
    expect(s.samples).toHaveLength(7);
  });

  it('awaits async functions', async () => {
    let done = 0;
    await measure(
      async () => {
        await Promise.resolve();
        done++;
      },
      { warmup: 1, minRuns: 2, maxRuns: 2 },
    );
    expect(done).toBe(3);
  });
});

describe('results', () => {
  it('throughput at the median, and the ratio of throughputs', () => {
    const fast = measurement('torchlet', summarize([10, 12, 11]), 2e9, 1e9);
    const slow = measurement('naive JS', summarize([40, 44]), 2e9, 1e9);
    expect(fast.throughput).toBeCloseTo(2e9 / 0.011 / 1e9);
    const r = caseResult({ workload: 'w', case: 'c', params: {}, unit: 'GFLOP/s', torchlet: fast, baseline: slow, maxAbsDiff: 0 });
    expect(r.ratio).toBeCloseTo(42 / 11);
  });

  it('maxAbsDiff and fmt', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([NaN], [1])).toBeNaN();
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(RangeError);
    expect(fmt(3.14159)).toBe('3.14');
    expect(fmt(1234.5)).toBe('1235');
    expect(fmt(0.0123)).toBe('0.0123');
    expect(fmt(0)).toBe('0');
  });
});
