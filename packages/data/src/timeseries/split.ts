/** Chronological train / validation / test splits (no shuffling: the future stays unseen). */
import { ValueError, isTensor, narrow, type Tensor } from '@torchlet/tensor';

/** Options of `splitByTime`. */
export interface SplitByTimeOptions {
  /** Share (0–1) or count of the first steps for training (default 0.7). */
  train?: number;
  /** Share or count of the next steps for validation (default 0.15); the rest is the test split. */
  val?: number;
  /**
   * Steps of history to repeat before the validation and test splits (e.g. the model's
   * `inputLength`), so their first window has its inputs. Default 0.
   */
  context?: number;
}

/** The three splits, with where each starts in the original series. */
export interface TimeSplits<S> {
  /** The first steps. */
  train: S;
  /** The steps after them (with `context` steps of history before). */
  val: S;
  /** The last steps (with `context` steps of history before). */
  test: S;
  /** Start indices of train (0), val and test in the series, context included. */
  starts: {
    /** Always 0. */
    train: number;
    /** Where the validation split starts. */
    val: number;
    /** Where the test split starts. */
    test: number;
  };
}

/** A fraction in [0, 1] (1 = everything) or a whole count of steps ≥ 2. */
function count(v: number, n: number, name: string): number {
  if (!(v >= 0)) throw new ValueError(`splitByTime: ${name} must be non-negative (got ${v})`);
  if (v <= 1) return Math.floor(n * v);
  if (!Number.isInteger(v)) throw new ValueError(`splitByTime: ${name} must be a fraction in [0, 1] or a whole count (got ${v})`);
  return v;
}

/**
 * Splits a series (tensor `[T, *]` along dim 0, or an array) in time order: train, then
 * validation, then test. Fractions take `floor(T · f)` steps; the test split takes the rest.
 * Tensor splits are views the caller owns.
 *
 * ```ts
 * const { train, val, test } = splitByTime(series, { train: 0.7, val: 0.15, context: 12 });
 * ```
 */
export function splitByTime<S extends Tensor | readonly unknown[]>(series: S, options: SplitByTimeOptions = {}): TimeSplits<S> {
  const n = isTensor(series) ? (series.ndim === 0 ? -1 : series.shape[0]!) : (series as readonly unknown[]).length;
  if (n < 0) throw new ValueError('splitByTime: the series needs a time dimension');
  const nTrain = count(options.train ?? 0.7, n, 'train');
  const nVal = count(options.val ?? 0.15, n, 'val');
  if (nTrain + nVal > n) throw new ValueError(`splitByTime: train (${nTrain}) + val (${nVal}) exceed the series length ${n}`);
  const context = options.context ?? 0;
  if (!Number.isInteger(context) || context < 0) throw new ValueError(`splitByTime: context must be a non-negative integer (got ${context})`);
  const valStart = Math.max(0, nTrain - context);
  const testStart = Math.max(0, nTrain + nVal - context);
  const cut = (start: number, end: number): S =>
    (isTensor(series) ? narrow(series, 0, start, end - start) : (series as readonly unknown[]).slice(start, end)) as S;
  return {
    train: cut(0, nTrain),
    val: cut(valStart, nTrain + nVal),
    test: cut(testStart, n),
    starts: { train: 0, val: valStart, test: testStart },
  };
}
