/**
 * `torch.utils.data.DataLoader`: batches a dataset through a sampler and a collate function.
 *
 * ```ts
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 64, shuffle: true });
 * for (const [xb, yb] of loader) { … xb.dispose(); yb.dispose(); }      // sync datasets
 * for await (const [xb, yb] of loader) { … }                          // any dataset
 * ```
 *
 * Tensor ownership: the loader disposes the tensors of the samples it fetched once they are
 * collated (the batch holds new tensors); the batch belongs to the caller. A dataset that
 * hands out tensors it keeps should return `alias(t)` or a view. Plain arrays given as the
 * dataset hold stored samples, which are never disposed.
 */
import { ValueError, type Generator as RandomGenerator } from '@torchlet/tensor';
import { CollateError, defaultCollate, defaultConvert, type CollateFn, type Collated } from './collate.js';
import { isIterableDataset, type IterableDataset, type MapDataset, type StreamProtocols } from './dataset.js';
import { BatchSampler, RandomSampler, SequentialSampler } from './sampler.js';
import { checkPositiveInt, collectTensors, disposeTensors, isThenable } from '../util/tree.js';

/** An iterable of indices (a `Sampler`); `length` is needed for the loader's `length`. */
export type IndexSampler = Iterable<number> & {
  /** Indices per epoch, where known. */
  readonly length?: number;
};
/** An iterable of index batches (a `BatchSampler`). */
export type IndexBatchSampler = Iterable<readonly number[]> & {
  /** Batches per epoch, where known. */
  readonly length?: number;
};

/** Options of `DataLoader` (PyTorch's keyword arguments, camelCase; no worker processes). */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1); `null` turns automatic batching off (one converted sample per step). */
  batchSize?: number | null;
  /** A new random order every epoch (default false). */
  shuffle?: boolean;
  /** Where the indices come from; exclusive with `shuffle`. */
  sampler?: IndexSampler;
  /** Where whole index batches come from; exclusive with `batchSize`, `shuffle`, `sampler`, `dropLast`. */
  batchSampler?: IndexBatchSampler;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Samples → batch (default `defaultCollate`, or `defaultConvert` without batching). */
  collateFn?: CollateFn<T, B>;
  /** The shuffle's stream (default: a fresh seed from the default generator each epoch). */
  generator?: RandomGenerator;
  /** Batches fetched ahead during `for await` (default 2; 0 fetches on demand). Overlaps an async dataset's I/O with your step. */
  prefetch?: number;
}

type AnyDataset<T> = MapDataset<T> | IterableDataset<T> | readonly T[];

function noop(): void {}

function asyncError(what: string): TypeError {
  return new TypeError(`DataLoader: the dataset's ${what} returned a Promise; iterate with \`for await (const batch of loader)\``);
}

/** The tensors of `value` reachable after `p` settles are disposed; rejections are swallowed. */
function discard(p: unknown): void {
  if (isThenable(p)) p.then((v) => disposeTensors(v), noop);
  else disposeTensors(p);
}

/** `torch.utils.data.DataLoader(dataset, batch_size=1, shuffle=False, sampler, batch_sampler, drop_last, collate_fn, generator)`: batches of a dataset, by `for … of` (synchronous datasets) or `for await` (any dataset). The caller owns each batch. */
export class DataLoader<T, B = Collated<T>> implements Iterable<B>, AsyncIterable<B> {
  /** The dataset: map-style, iterable-style, or a plain array of samples. */
  readonly dataset: AnyDataset<T>;
  /** Samples per batch (null: automatic batching off). */
  readonly batchSize: number | null;
  /** Whether the last incomplete batch is dropped. */
  readonly dropLast: boolean;
  /** The shuffle's stream (undefined: a fresh seed from the default generator each epoch). */
  readonly generator: RandomGenerator | undefined;
  /** Batches fetched ahead during `for await`. */
  readonly prefetch: number;
  /** The index sampler (map-style datasets). */
  readonly sampler: IndexSampler | undefined;
  /** The batch sampler (map-style datasets with automatic batching). */
  readonly batchSampler: IndexBatchSampler | undefined;
  /** Samples → batch. */
  readonly collateFn: CollateFn<T, B>;
  readonly #map: MapDataset<T> | undefined;
  readonly #iterable: (IterableDataset<T> & StreamProtocols<T>) | undefined;
  readonly #ownsSamples: boolean;
  readonly #defaultCollate: boolean;

  constructor(dataset: AnyDataset<T>, options: DataLoaderOptions<T, B> = {}) {
    this.dataset = dataset;
    let batchSize = options.batchSize === undefined ? 1 : options.batchSize;
    const shuffle = options.shuffle ?? false;
    let dropLast = options.dropLast ?? false;
    if (typeof shuffle !== 'boolean') throw new ValueError(`DataLoader: shuffle should be a boolean value, but got shuffle=${String(shuffle)}`);
    this.prefetch = options.prefetch ?? 2;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 0) throw new ValueError(`DataLoader: prefetch should be a non-negative integer, but got prefetch=${this.prefetch}`);
    this.generator = options.generator;

    if (Array.isArray(dataset)) {
      const arr = dataset as readonly T[];
      this.#map = { get length() { return arr.length; }, getItem: (i: number) => arr[i]! };
      this.#ownsSamples = false;
    } else if (isIterableDataset(dataset)) {
      this.#iterable = dataset as IterableDataset<T> & StreamProtocols<T>;
      this.#ownsSamples = true;
      if (options.shuffle) throw new ValueError(`DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${shuffle}`);
      if (options.sampler) throw new ValueError('DataLoader with IterableDataset: expected unspecified sampler option');
      if (options.batchSampler) throw new ValueError('DataLoader with IterableDataset: expected unspecified batch_sampler option');
    } else {
      this.#map = dataset as MapDataset<T>;
      this.#ownsSamples = true;
    }

    if (options.sampler && shuffle) throw new ValueError('sampler option is mutually exclusive with shuffle');
    if (options.batchSampler) {
      if (batchSize !== 1 || shuffle || options.sampler || dropLast) {
        throw new ValueError('batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last');
      }
      batchSize = null;
      dropLast = false;
    } else if (batchSize === null) {
      if (dropLast) throw new ValueError('batch_size=None option disables auto-batching and is mutually exclusive with drop_last');
    } else {
      checkPositiveInt(batchSize, 'batch_size');
    }
    this.batchSize = batchSize;
    this.dropLast = dropLast;

    if (this.#map) {
      this.sampler = options.sampler ?? (shuffle ? new RandomSampler(this.#map, { generator: this.generator }) : new SequentialSampler(this.#map));
      this.batchSampler = options.batchSampler ?? (batchSize !== null ? new BatchSampler(this.sampler, batchSize, dropLast) : undefined);
    }
    this.#defaultCollate = options.collateFn === undefined;
    const autoBatch = options.batchSampler !== undefined || batchSize !== null;
    this.collateFn = options.collateFn ?? ((autoBatch ? (b: T[]) => defaultCollate(b) : (b: T[]) => defaultConvert(b[0])) as unknown as CollateFn<T, B>);
  }

  /** Whether samples are batched (`batchSize` or `batchSampler` given). */
  get autoCollation(): boolean {
    return this.batchSampler !== undefined || (this.#iterable !== undefined && this.batchSize !== null);
  }

  /** `len(loader)`: batches per epoch (samples per epoch without batching). */
  get length(): number {
    if (this.#iterable) {
      const n = this.#iterable.length;
      if (n === undefined) throw new TypeError('DataLoader: this IterableDataset has no length');
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    const s = this.batchSampler ?? this.sampler!;
    if (s.length === undefined) throw new TypeError('DataLoader: the sampler has no length');
    return s.length;
  }

  // ---- fetching ------------------------------------------------------------------------------

  /** Collates `items` (fetched at dataset `indices`) and disposes their tensors that the batch does not hold. */
  #collate(items: T[], indices: readonly number[] | null): B {
    let batch: B;
    try {
      batch = this.collateFn(items);
    } catch (err) {
      if (this.#ownsSamples) disposeTensors(items);
      if (err instanceof CollateError && indices) {
        throw new CollateError(`${err.detail}; dataset index ${indices[err.batchIndex]}`, err.batchIndex, err.field);
      }
      throw err;
    }
    if (this.#ownsSamples) disposeTensors(items, collectTensors(batch));
    return batch;
  }

  #fetchSync(indices: readonly number[]): B {
    const ds = this.#map!;
    if (this.#defaultCollate && ds.getBatch) {
      const b = ds.getBatch(indices);
      if (isThenable(b)) {
        discard(b);
        throw asyncError('getBatch');
      }
      return b as B;
    }
    let items: T[] | Promise<T[]>;
    if (ds.getItems) items = ds.getItems(indices);
    else items = indices.map((i) => ds.getItem(i)) as T[];
    if (isThenable(items) || items.some(isThenable)) {
      if (this.#ownsSamples) discard(isThenable(items) ? items : Promise.allSettled(items).then((r) => r.map((x) => (x.status === 'fulfilled' ? x.value : null))));
      throw asyncError(ds.getItems ? 'getItems' : 'getItem');
    }
    return this.#collate(items, indices);
  }

  async #fetchAsync(indices: readonly number[]): Promise<B> {
    const ds = this.#map!;
    if (this.#defaultCollate && ds.getBatch) return (await ds.getBatch(indices)) as B;
    let items: T[];
    if (ds.getItems) {
      items = await ds.getItems(indices);
    } else {
      const settled = await Promise.allSettled(indices.map((i) => ds.getItem(i)));
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) {
        if (this.#ownsSamples) disposeTensors(settled.map((r) => (r.status === 'fulfilled' ? r.value : null)));
        throw (failed as PromiseRejectedResult).reason;
      }
      items = settled.map((r) => (r as PromiseFulfilledResult<T>).value);
    }
    return this.#collate(items, indices);
  }

  /** Index lists, one per step (a single index per step without batching). */
  *#steps(): Generator<readonly number[]> {
    if (this.batchSampler) yield* this.batchSampler;
    else for (const i of this.sampler!) yield [i];
  }

  // ---- iteration -----------------------------------------------------------------------------

  /** Iterates synchronously (throws if the dataset answers with Promises: use `for await`). */
  *[Symbol.iterator](): Iterator<B> {
    if (this.#iterable) {
      yield* this.#iterateStreamSync();
      return;
    }
    for (const indices of this.#steps()) yield this.#fetchSync(indices);
  }

  /** Iterates asynchronously, prefetching `prefetch` batches. */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    if (this.#iterable) {
      yield* this.#iterateStreamAsync();
      return;
    }
    const steps = this.#steps();
    const queue: Promise<B>[] = [];
    const refill = (): void => {
      while (queue.length <= this.prefetch) {
        const next = steps.next();
        if (next.done) return;
        const p = this.#fetchAsync(next.value);
        p.catch(noop); // awaited in order below; avoids an unhandled rejection while it waits
        queue.push(p);
      }
    };
    try {
      refill();
      while (queue.length > 0) {
        const batch = await queue.shift()!;
        refill();
        yield batch;
      }
    } finally {
      // Stopped early (break / error): free the batches fetched ahead.
      for (const p of queue.splice(0)) discard(p);
    }
  }

  *#iterateStreamSync(): Generator<B> {
    const ds = this.#iterable!;
    const open = ds[Symbol.iterator];
    if (!open) throw new TypeError('DataLoader: this IterableDataset is asynchronous; iterate with `for await (const batch of loader)`');
    yield* this.#batchStream(open.call(ds));
  }

  *#batchStream(it: Iterator<T>): Generator<B> {
    const size = this.batchSize;
    let pending: T[] = [];
    try {
      while (true) {
        const r = it.next();
        if (r.done) break;
        if (size === null) {
          yield this.#collate([r.value], null);
          continue;
        }
        pending.push(r.value);
        if (pending.length === size) {
          const items = pending;
          pending = [];
          yield this.#collate(items, null);
        }
      }
      if (pending.length > 0 && !this.dropLast) {
        const items = pending;
        pending = [];
        yield this.#collate(items, null);
      }
    } finally {
      if (pending.length > 0) disposeTensors(pending);
      it.return?.();
    }
  }

  async *#iterateStreamAsync(): AsyncGenerator<B> {
    const ds = this.#iterable!;
    const it: AsyncIterator<T> | Iterator<T> = ds[Symbol.asyncIterator] ? ds[Symbol.asyncIterator]!() : ds[Symbol.iterator]!();
    const size = this.batchSize;
    let pending: T[] = [];
    try {
      while (true) {
        const r = await it.next();
        if (r.done) break;
        if (size === null) {
          yield this.#collate([r.value], null);
          continue;
        }
        pending.push(r.value);
        if (pending.length === size) {
          const items = pending;
          pending = [];
          yield this.#collate(items, null);
        }
      }
      if (pending.length > 0 && !this.dropLast) {
        const items = pending;
        pending = [];
        yield this.#collate(items, null);
      }
    } finally {
      if (pending.length > 0) disposeTensors(pending);
      await it.return?.();
    }
  }
}
