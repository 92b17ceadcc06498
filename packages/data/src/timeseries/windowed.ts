/** Sliding windows over a time series: `windowed(series, inputLength, horizon)`. */
import { IndexError, ValueError, isTensor, narrow, stack, tensor, type Tensor } from '@torchlet/tensor';
import { Dataset } from '../dataset/dataset.js';

/** Options of `windowed` / `WindowedDataset`. */
export interface WindowedOptions {
  /** Steps between window starts (default 1). */
  stride?: number;
}

/**
 * The supervised windows of a series `[T, *]` (time first; `[T]` or `[T, features]`):
 * sample `i` is `[input, target]` with `input = series[s : s + inputLength]` and
 * `target = series[s + inputLength : s + inputLength + horizon]`, `s = i · stride`. Samples
 * are views (no copies); `getBatch` makes a batch `[B, inputLength, *]`, `[B, horizon, *]`.
 * Number arrays become a float32 tensor that the dataset owns (`dispose()` frees it); a
 * tensor series stays the caller's.
 *
 * ```ts
 * const ds = windowed(passengers, 12, 1); // 12 months in, the next month out
 * const loader = new DataLoader(ds, { batchSize: 16, shuffle: true });
 * ```
 */
export class WindowedDataset extends Dataset<[Tensor, Tensor]> {
  /** The series, time first. */
  readonly series: Tensor;
  /** Steps in each input window. */
  readonly inputLength: number;
  /** Steps in each target window, right after the input. */
  readonly horizon: number;
  /** Steps between window starts. */
  readonly stride: number;
  readonly #owned: boolean;

  constructor(series: Tensor | ArrayLike<number>, inputLength: number, horizon: number, options: WindowedOptions = {}) {
    super();
    for (const [name, v] of [['inputLength', inputLength], ['horizon', horizon], ['stride', options.stride ?? 1]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`windowed: ${name} must be a positive integer (got ${v})`);
    }
    this.#owned = !isTensor(series);
    this.series = isTensor(series) ? series : tensor(Float32Array.from(series as ArrayLike<number>));
    if (this.series.ndim === 0) throw new ValueError('windowed: the series needs a time dimension');
    this.inputLength = inputLength;
    this.horizon = horizon;
    this.stride = options.stride ?? 1;
  }

  get length(): number {
    const span = this.inputLength + this.horizon;
    const T = this.series.shape[0]!;
    return T < span ? 0 : Math.floor((T - span) / this.stride) + 1;
  }

  getItem(index: number): [Tensor, Tensor] {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) throw new IndexError(`windowed: index ${index} is out of range for ${n} windows`);
    const s = (index < 0 ? index + n : index) * this.stride;
    return [narrow(this.series, 0, s, this.inputLength), narrow(this.series, 0, s + this.inputLength, this.horizon)];
  }

  override getBatch(indices: readonly number[]): [Tensor, Tensor] {
    const items = indices.map((i) => this.getItem(i));
    try {
      return [stack(items.map((it) => it[0])), stack(items.map((it) => it[1]))];
    } finally {
      for (const [a, b] of items) {
        a.dispose();
        b.dispose();
      }
    }
  }

  /** Every window at once: `{ inputs: [N, inputLength, *], targets: [N, horizon, *] }`. */
  all(): {
    /** [N, inputLength, *]. */
    inputs: Tensor;
    /** [N, horizon, *]. */
    targets: Tensor;
  } {
    if (this.length === 0) throw new ValueError('windowed: the series is shorter than inputLength + horizon');
    const [inputs, targets] = this.getBatch(Array.from({ length: this.length }, (_, i) => i));
    return { inputs, targets };
  }

  /** Frees the series if the dataset made it from numbers. */
  dispose(): void {
    if (this.#owned) this.series.dispose();
  }
}

/** `new WindowedDataset(series, inputLength, horizon, options)`. */
export function windowed(series: Tensor | ArrayLike<number>, inputLength: number, horizon: number, options: WindowedOptions = {}): WindowedDataset {
  return new WindowedDataset(series, inputLength, horizon, options);
}
