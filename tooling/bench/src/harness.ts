/**
 * Timing and statistics for the benchmarks: warm-up, repeated timed runs, the median (the
 * figure reported: robust to a stray GC pause), and throughput.
 */

export interface Stats {
  /** Every timed run, in milliseconds, in the order they ran. */
  readonly samples: readonly number[];
  readonly median: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  /** Sample standard deviation (n − 1); 0 for a single run. */
  readonly stddev: number;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('mean of no samples');
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of no samples');
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export function summarize(samples: readonly number[]): Stats {
  return {
    samples: [...samples],
    median: median(samples),
    mean: mean(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    stddev: stddev(samples),
  };
}

/** Units of work per second, given the work done in `ms` milliseconds. */
export function perSecond(work: number, ms: number): number {
  return work / (ms / 1000);
}

export interface MeasureOptions {
  /** Untimed calls first (JIT, caches, allocator); stops early once one call takes `targetMs`. Default 2. */
  warmup?: number;
  /** Timed calls at least (default 3) … */
  minRuns?: number;
  /** … and at most (default 15): runs continue until `targetMs` of timed work or `maxRuns`. */
  maxRuns?: number;
  /** Default 1000 ms. */
  targetMs?: number;
  /** The clock; `performance.now` unless a test injects one. */
  now?: () => number;
}

/**
 * Times `fn`: warm-up calls, then at least `minRuns` timed calls, more while the total is
 * under `targetMs` (up to `maxRuns`). `fn` may be async (a device read to wait for work).
 */
export async function measure(fn: () => unknown, options: MeasureOptions = {}): Promise<Stats> {
  const warmup = options.warmup ?? 2;
  const minRuns = Math.max(1, options.minRuns ?? 3);
  const maxRuns = Math.max(minRuns, options.maxRuns ?? 15);
  const targetMs = options.targetMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  for (let i = 0; i < warmup; i++) {
    const t0 = now();
    await fn();
    if (now() - t0 >= targetMs) break;
  }
  const samples: number[] = [];
  let total = 0;
  while (samples.length < minRuns || (samples.length < maxRuns && total < targetMs)) {
    const t0 = now();
    await fn();
    const dt = now() - t0;
    samples.push(dt);
    total += dt;
  }
  return summarize(samples);
}

/** One implementation's timing of one case. */
export interface Measurement {
  /** e.g. `torchlet`, `naive JS`. */
  readonly label: string;
  readonly stats: Stats;
  /** Work per second at the median time, in the case's unit. */
  readonly throughput: number;
}

/** One benchmark case: Torchlet against the plain-JavaScript baseline, in the same run. */
export interface CaseResult {
  readonly workload: string;
  /** e.g. `N=512`. */
  readonly case: string;
  readonly params: Readonly<Record<string, number | string>>;
  /** Throughput unit, e.g. `GFLOP/s`, `Melem/s`. */
  readonly unit: string;
  readonly torchlet: Measurement;
  readonly baseline: Measurement;
  /** Torchlet throughput ÷ baseline throughput (>1: Torchlet is faster). */
  readonly ratio: number;
  /** Largest |torchlet − baseline| over the outputs: the two computed the same thing. */
  readonly maxAbsDiff: number;
  /** Other frameworks on the same case in the same run (TensorFlow.js, onnxruntime, PyTorch). */
  readonly peers?: readonly PeerMeasurement[];
}

/** A peer framework's timing of a case, with Torchlet's speed relative to it. */
export interface PeerMeasurement extends Measurement {
  /** Torchlet throughput ÷ this peer's throughput (>1: Torchlet is faster). */
  readonly ratio: number;
  /** Largest |torchlet − peer| over the outputs where they were compared (NaN: not compared). */
  readonly maxAbsDiff: number;
}

/** A peer's measurement of `work` units, with its ratio against Torchlet's `torchlet` measurement. */
export function peerMeasurement(label: string, stats: Stats, work: number, scale: number, torchlet: Measurement, diff = Number.NaN): PeerMeasurement {
  const m = measurement(label, stats, work, scale);
  return { ...m, ratio: torchlet.throughput / m.throughput, maxAbsDiff: diff };
}

/** Timing for peers: at least three timed runs (the median of three for slow ones). */
export const PEER_TIMING: MeasureOptions = { warmup: 1, minRuns: 3, maxRuns: 10, targetMs: 1000 };

/** A measurement whose throughput is `work / scale` per second at the median time (e.g. flops / 1e9 → GFLOP/s). */
export function measurement(label: string, stats: Stats, work: number, scale = 1): Measurement {
  return { label, stats, throughput: perSecond(work, stats.median) / scale };
}

/** A case with its ratio filled in. */
export function caseResult(c: Omit<CaseResult, 'ratio'>): CaseResult {
  return { ...c, ratio: c.torchlet.throughput / c.baseline.throughput };
}

/** Largest |a[i] − b[i]| (NaN if either holds NaN where the other does not). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > m || Number.isNaN(d)) m = d;
  }
  return m;
}

/** A number with `digits` significant digits for tables (no exponent below 1e6). */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const mag = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.max(0, digits - 1 - mag);
  return x.toFixed(Math.min(decimals, 6));
}
