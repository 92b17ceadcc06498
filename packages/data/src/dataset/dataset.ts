/**
 * Datasets (`torch.utils.data`): map-style `Dataset`, `IterableDataset`, `TensorDataset`,
 * `Subset`, `ConcatDataset` and `randomSplit`.
 *
 * Ownership: the tensors a dataset returns from `getItem` are new objects that the caller
 * owns (views are fine: `x.select(0, i)`), like the result of any Torchlet op. A
 * `DataLoader` disposes them once they are collated into a batch. A dataset that hands out
 * a tensor it keeps should return `alias(t)` (a new handle on the same storage).
 */
import { IndexError, ValueError, defaultGenerator, fmtShape, indexSelect, randperm, tensor, type Generator, type Tensor } from '@torchlet/tensor';

/**
 * `torch.utils.data.Dataset`: a map from indices `0 … length − 1` to samples. Subclasses
 * implement `length` and `getItem` (which may return a Promise: such a dataset is iterated
 * with `for await`).
 *
 * ```ts
 * class Squares extends Dataset<[number, number]> {
 *   get length() { return 10; }
 *   getItem(i: number): [number, number] { return [i, i * i]; }
 * }
 * ```
 */
export abstract class Dataset<T> {
  /** `len(dataset)`. */
  abstract get length(): number;
  /** `dataset[index]`. */
  abstract getItem(index: number): T | Promise<T>;
  /**
   * PyTorch's `__getitems__`: the samples at `indices`, in order. Optional; the loader calls
   * it when present instead of `getItem` per index.
   */
  getItems?(indices: readonly number[]): T[] | Promise<T[]>;
  /**
   * Torchlet extension: the batch at `indices`, already collated exactly as
   * `defaultCollate(indices.map(getItem))` would collate it. A `DataLoader` with the default
   * collate calls it when present (`TensorDataset` answers with one `indexSelect` per tensor
   * instead of `n` selects and a stack).
   */
  getBatch?(indices: readonly number[]): unknown;

  /** `dataset + other` (`ConcatDataset`). */
  concat<U>(other: Dataset<U>): ConcatDataset<T | U> {
    return new ConcatDataset<T | U>([this, other]);
  }
}

/** Anything map-style: a `Dataset` or a plain object with `length` and `getItem`. */
export interface MapDataset<T> {
  /** The number of samples. */
  readonly length: number;
  /** Sample `index` (0 ≤ index < length), possibly asynchronously. */
  getItem(index: number): T | Promise<T>;
  /** Several samples at once, when the dataset can do better than one `getItem` each. */
  getItems?(indices: readonly number[]): T[] | Promise<T[]>;
  /** A whole collated batch at once (the loader then skips the collate function). */
  getBatch?(indices: readonly number[]): unknown;
}

/**
 * `torch.utils.data.IterableDataset`: a stream of samples. Subclasses implement
 * `[Symbol.iterator]` (iterable with `for…of` and `for await`) or `[Symbol.asyncIterator]`
 * (`for await` only); `length` is optional. `IterableDataset.from(iterable)` wraps any
 * iterable or async iterable.
 */
export abstract class IterableDataset<T> {
  /** Type-level only: the sample type. */
  declare readonly _sample?: T;

  /** Number of samples when known (`len()`); a `DataLoader`'s `length` needs it. */
  get length(): number | undefined {
    return undefined;
  }

  /** An `IterableDataset` over `source` (re-iterated each epoch if it is re-iterable). */
  static from<T>(source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>), options: { length?: number } = {}): IterableDataset<T> {
    return new FromIterable(source, options.length);
  }
}

/** The iteration protocols an `IterableDataset` subclass implements (one or both). */
export type StreamProtocols<T> = {
  /** Synchronous iteration (`for … of`). */
  [Symbol.iterator]?(): Iterator<T>;
  /** Asynchronous iteration (`for await … of`). */
  [Symbol.asyncIterator]?(): AsyncIterator<T>;
};

class FromIterable<T> extends IterableDataset<T> {
  readonly #source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>);
  readonly #length: number | undefined;

  constructor(source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>), length: number | undefined) {
    super();
    this.#source = source;
    this.#length = length;
    const probe = typeof source === 'function' ? undefined : source;
    if (probe && !(Symbol.iterator in probe)) {
      // Async-only source: no sync iterator.
      (this as { [Symbol.iterator]?: unknown })[Symbol.iterator] = undefined;
    }
  }

  override get length(): number | undefined {
    return this.#length;
  }

  #open(): Iterable<T> | AsyncIterable<T> {
    return typeof this.#source === 'function' ? this.#source() : this.#source;
  }

  [Symbol.iterator](): Iterator<T> {
    const it = this.#open();
    if (!(Symbol.iterator in it)) throw new TypeError('IterableDataset: this dataset is asynchronous; iterate it with for await');
    return it[Symbol.iterator]();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const it = this.#open();
    if (Symbol.asyncIterator in it) return it[Symbol.asyncIterator]();
    const sync = it[Symbol.iterator]();
    return {
      next: async () => sync.next(),
      return: async (value?: unknown) => (sync.return ? sync.return(value) : { done: true, value: value as T }),
    };
  }
}

/** Whether `d` is iterable-style: an `IterableDataset`, or an object with an iterator and no `getItem`. */
export function isIterableDataset(d: unknown): d is IterableDataset<unknown> {
  return d instanceof IterableDataset || (typeof d === 'object' && d !== null && !('getItem' in d) && (Symbol.iterator in d || Symbol.asyncIterator in d));
}

function checkIndex(index: number, length: number, what: string): number {
  if (!Number.isInteger(index)) throw new IndexError(`${what}: index must be an integer (got ${String(index)})`);
  if (index < -length || index >= length) throw new IndexError(`${what}: index ${index} is out of range for a dataset of length ${length}`);
  return index < 0 ? index + length : index;
}

/**
 * `torch.utils.data.TensorDataset(*tensors)`: sample `i` is `[t0[i], t1[i], …]` (views).
 * Every tensor must have the same size in dim 0. The dataset holds the tensors given (it
 * does not copy or own them: `ds.tensors[0] === x`, as in PyTorch).
 */
export class TensorDataset extends Dataset<Tensor[]> {
  /** The tensors, each indexed along dim 0. */
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new ValueError('TensorDataset: expected at least one tensor');
    const n = tensors[0]!.ndim === 0 ? -1 : tensors[0]!.shape[0]!;
    tensors.forEach((t, i) => {
      if (t.ndim === 0 || t.shape[0] !== n) {
        throw new ValueError(`Size mismatch between tensors: tensor 0 has shape ${fmtShape(tensors[0]!.shape)} and tensor ${i} has shape ${fmtShape(t.shape)}`);
      }
    });
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  getItem(index: number): Tensor[] {
    const i = checkIndex(index, this.length, 'TensorDataset');
    return this.tensors.map((t) => t.select(0, i));
  }

  /** One `indexSelect` per tensor: `[t0[indices], t1[indices], …]`. */
  override getBatch(indices: readonly number[]): Tensor[] {
    const n = this.length;
    const idx = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) idx[k] = checkIndex(indices[k]!, n, 'TensorDataset');
    const index = tensor(idx, { device: this.tensors[0]!.device });
    try {
      return this.tensors.map((t) => (t.device === index.device ? indexSelect(t, 0, index) : indexSelectOn(t, idx)));
    } finally {
      index.dispose();
    }
  }
}

function indexSelectOn(t: Tensor, idx: Int32Array): Tensor {
  const index = tensor(idx, { device: t.device });
  try {
    return indexSelect(t, 0, index);
  } finally {
    index.dispose();
  }
}

/** `torch.utils.data.Subset(dataset, indices)`: the samples of `dataset` at `indices`. */
export class Subset<T> extends Dataset<T> {
  /** The dataset sampled from. */
  readonly dataset: MapDataset<T>;
  /** The indices into it. */
  readonly indices: readonly number[];

  constructor(dataset: MapDataset<T>, indices: readonly number[]) {
    super();
    this.dataset = dataset;
    this.indices = indices;
  }

  get length(): number {
    return this.indices.length;
  }

  getItem(index: number): T | Promise<T> {
    return this.dataset.getItem(this.indices[checkIndex(index, this.indices.length, 'Subset')]!);
  }

  override getItems(indices: readonly number[]): T[] | Promise<T[]> {
    const mapped = indices.map((i) => this.indices[checkIndex(i, this.indices.length, 'Subset')]!);
    if (this.dataset.getItems) return this.dataset.getItems(mapped);
    const items = mapped.map((i) => this.dataset.getItem(i));
    return items.some(isPromiseLike) ? Promise.all(items) : (items as T[]);
  }

  static {
    // getBatch only when the wrapped dataset has it.
    Object.defineProperty(Subset.prototype, 'getBatch', {
      configurable: true,
      get(this: Subset<unknown>) {
        const inner = this.dataset.getBatch;
        if (!inner) return undefined;
        return (indices: readonly number[]) =>
          inner.call(this.dataset, indices.map((i) => this.indices[checkIndex(i, this.indices.length, 'Subset')]!));
      },
    });
  }
}

function isPromiseLike(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** `torch.utils.data.ConcatDataset(datasets)`: the datasets one after another. */
export class ConcatDataset<T> extends Dataset<T> {
  /** The datasets, in order. */
  readonly datasets: readonly MapDataset<T>[];
  /** Running totals of the datasets' lengths (`cumulative_sizes`). */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: readonly MapDataset<T>[]) {
    super();
    if (datasets.length === 0) throw new ValueError('datasets should not be an empty iterable');
    for (const d of datasets) {
      if (isIterableDataset(d)) throw new ValueError('ConcatDataset does not support IterableDataset');
    }
    this.datasets = datasets;
    const sizes: number[] = [];
    let total = 0;
    for (const d of datasets) sizes.push((total += d.length));
    this.cumulativeSizes = sizes;
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1]!;
  }

  getItem(index: number): T | Promise<T> {
    if (index < 0 && -index > this.length) throw new ValueError('absolute value of index should not exceed dataset length');
    const i = checkIndex(index, this.length, 'ConcatDataset');
    // bisect_right over the cumulative sizes
    let lo = 0;
    let hi = this.cumulativeSizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeSizes[mid]! <= i) lo = mid + 1;
      else hi = mid;
    }
    const start = lo === 0 ? 0 : this.cumulativeSizes[lo - 1]!;
    return this.datasets[lo]!.getItem(i - start);
  }
}

/** Options of `randomSplit`. */
export interface RandomSplitOptions {
  /** The stream the permutation is drawn from (default: the default generator). */
  generator?: Generator;
}

/**
 * `torch.utils.data.random_split(dataset, lengths, generator=…)`: non-overlapping random
 * `Subset`s. `lengths` are counts summing to the dataset's length, or fractions summing to
 * 1: each split gets `floor(n · fraction)` and the remainder is dealt out one by one from
 * the first split on (PyTorch's rule), so `[0.8, 0.2]` of 10 items is `[8, 2]` and
 * `[0.5, 0.5]` of 5 is `[3, 2]`.
 */
export function randomSplit<T>(dataset: MapDataset<T>, lengths: readonly number[], options: RandomSplitOptions = {}): Subset<T>[] {
  const n = dataset.length;
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) <= 1e-9 * Math.max(1, Math.abs(total)) && total <= 1) {
    sizes = lengths.map((frac, i) => {
      if (!(frac >= 0 && frac <= 1)) throw new ValueError(`Fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * frac);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length]! += 1;
  }
  sizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 0) throw new ValueError(`randomSplit: length at index ${i} must be a non-negative integer (got ${s})`);
  });
  if (sizes.reduce((a, b) => a + b, 0) !== n) throw new ValueError('Sum of input lengths does not equal the length of the input dataset!');
  const perm = randperm(n, { generator: options.generator ?? defaultGenerator });
  let indices: number[];
  try {
    indices = Array.from(perm.dataSync() as Int32Array);
  } finally {
    perm.dispose();
  }
  const out: Subset<T>[] = [];
  let offset = 0;
  for (const s of sizes) {
    out.push(new Subset(dataset, indices.slice(offset, offset + s)));
    offset += s;
  }
  return out;
}
