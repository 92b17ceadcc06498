/**
 * Samplers (`torch.utils.data.Sampler` and friends): iterables of dataset indices (or, for
 * `BatchSampler`, of index batches). Random samplers draw from a `Generator`; without one
 * they take a fresh seed from the default generator each time they are iterated, as
 * PyTorch does, so `manualSeed(s)` makes every epoch's order reproducible.
 */
import { Generator, ValueError, defaultGenerator, multinomial, randint, randperm, tensor, type Tensor } from '@torchlet/tensor';
import { checkPositiveInt } from '../util/tree.js';

/** `torch.utils.data.Sampler`: iterable of indices with a known `length`. */
export interface Sampler<T = number> extends Iterable<T> {
  /** Indices per epoch. */
  readonly length: number;
}

/** Host copy of an int32 tensor, disposing it. */
function take(t: Tensor): Int32Array {
  try {
    return t.dataSync() as Int32Array;
  } finally {
    t.dispose();
  }
}

/**
 * The generator a random sampler draws one epoch from: the given one, or a fresh one
 * seeded from the default generator (`torch.empty((), dtype=torch.int64).random_()`).
 */
export function epochGenerator(generator: Generator | undefined): Generator {
  if (generator) return generator;
  const u = defaultGenerator.nextDoubles(1)[0]!;
  return new Generator().manualSeed(Math.floor(u * 2 ** 53));
}

/** `SequentialSampler(data_source)`: 0, 1, …, n − 1. */
export class SequentialSampler implements Sampler<number> {
  readonly #source: { readonly length: number };

  constructor(dataSource: { readonly length: number }) {
    this.#source = dataSource;
  }

  /** The dataset's length. */
  get length(): number {
    return this.#source.length;
  }

  /** 0, 1, …, length − 1. */
  *[Symbol.iterator](): Iterator<number> {
    const n = this.#source.length;
    for (let i = 0; i < n; i++) yield i;
  }
}

/** Options of `RandomSampler`. */
export interface RandomSamplerOptions {
  /** Draw with replacement (default false). */
  replacement?: boolean;
  /** Samples per epoch (default: the dataset's length). Without replacement, more than the length repeats whole permutations. */
  numSamples?: number;
  /** The stream for the permutation or the draws (default: a fresh seed from the default generator each epoch). */
  generator?: Generator;
}

/**
 * `RandomSampler(data_source, replacement=False, num_samples=None, generator=None)`: a
 * random permutation each epoch, or `numSamples` uniform draws with replacement.
 */
export class RandomSampler implements Sampler<number> {
  readonly #source: { readonly length: number };
  /** Whether indices are drawn with replacement. */
  readonly replacement: boolean;
  readonly #numSamples: number | undefined;
  /** The stream to draw from (undefined: the default generator). */
  readonly generator: Generator | undefined;

  constructor(dataSource: { readonly length: number }, options: RandomSamplerOptions = {}) {
    this.#source = dataSource;
    this.replacement = options.replacement ?? false;
    if (typeof this.replacement !== 'boolean') {
      throw new ValueError(`replacement should be a boolean value, but got replacement=${String(this.replacement)}`);
    }
    this.#numSamples = options.numSamples;
    this.generator = options.generator;
    if (options.numSamples !== undefined) checkPositiveInt(options.numSamples, 'num_samples');
  }

  /** `num_samples`. */
  get numSamples(): number {
    return this.#numSamples ?? this.#source.length;
  }

  /** Indices per epoch. */
  get length(): number {
    return this.numSamples;
  }

  /** A new random order (or new draws) each epoch. */
  *[Symbol.iterator](): Iterator<number> {
    const n = this.#source.length;
    const total = this.numSamples;
    const g = epochGenerator(this.generator);
    if (this.replacement) {
      // Chunks of 32 like PyTorch, then the tail.
      let left = total;
      while (left > 0) {
        const k = Math.min(32, left);
        yield* take(randint(0, n, [k], { dtype: 'int32', generator: g }));
        left -= k;
      }
      return;
    }
    for (let r = 0; r < Math.floor(total / n); r++) yield* take(randperm(n, { generator: g }));
    const rest = total % n;
    if (rest > 0) yield* take(randperm(n, { generator: g })).subarray(0, rest);
  }
}

/** `SubsetRandomSampler(indices, generator=None)`: the given indices in random order. */
export class SubsetRandomSampler implements Sampler<number> {
  /** The indices sampled from. */
  readonly indices: readonly number[];
  /** The stream to draw from (undefined: the default generator). */
  readonly generator: Generator | undefined;

  constructor(indices: readonly number[], options: { generator?: Generator } = {}) {
    this.indices = indices;
    this.generator = options.generator;
  }

  /** The number of indices. */
  get length(): number {
    return this.indices.length;
  }

  /** The indices in a new random order each epoch. */
  *[Symbol.iterator](): Iterator<number> {
    const perm = take(randperm(this.indices.length, { generator: this.generator ?? defaultGenerator }));
    for (const i of perm) yield this.indices[i]!;
  }
}

/**
 * `WeightedRandomSampler(weights, num_samples, replacement=True, generator=None)`: indices
 * drawn with probability proportional to `weights` (need not sum to 1), e.g. inverse class
 * frequencies to balance classes.
 */
export class WeightedRandomSampler implements Sampler<number> {
  /** The sampling weights, one per index. */
  readonly weights: Float64Array;
  /** Indices drawn per epoch. */
  readonly numSamples: number;
  /** Whether indices are drawn with replacement. */
  readonly replacement: boolean;
  /** The stream to draw from (undefined: the default generator). */
  readonly generator: Generator | undefined;

  constructor(weights: ArrayLike<number> | Tensor, numSamples: number, options: { replacement?: boolean; generator?: Generator } = {}) {
    checkPositiveInt(numSamples, 'num_samples');
    const replacement = options.replacement ?? true;
    if (typeof replacement !== 'boolean') throw new ValueError(`replacement should be a boolean value, but got replacement=${String(replacement)}`);
    const w = 'dataSync' in weights ? weights.dataSync() : weights;
    if (w.length === 0) throw new ValueError('WeightedRandomSampler: weights should be a non-empty sequence of numbers');
    this.weights = Float64Array.from(w as ArrayLike<number>);
    for (let i = 0; i < this.weights.length; i++) {
      if (!(this.weights[i]! >= 0) || !Number.isFinite(this.weights[i]!)) {
        throw new ValueError(`WeightedRandomSampler: weights must be finite and non-negative (weights[${i}] = ${this.weights[i]})`);
      }
    }
    if (!replacement && numSamples > this.weights.length) {
      throw new ValueError(`WeightedRandomSampler: cannot draw ${numSamples} samples without replacement from ${this.weights.length} weights`);
    }
    this.numSamples = numSamples;
    this.replacement = replacement;
    this.generator = options.generator;
  }

  /** `numSamples`. */
  get length(): number {
    return this.numSamples;
  }

  /** `numSamples` weighted draws. */
  *[Symbol.iterator](): Iterator<number> {
    const w = tensor(this.weights);
    try {
      yield* take(multinomial(w, this.numSamples, { replacement: this.replacement, generator: this.generator ?? defaultGenerator }));
    } finally {
      w.dispose();
    }
  }
}

/**
 * `BatchSampler(sampler, batch_size, drop_last)`: groups another sampler's indices into
 * lists of `batchSize` (the last one shorter unless `dropLast`).
 */
export class BatchSampler implements Sampler<number[]> {
  /** The sampler whose indices are grouped. */
  readonly sampler: Iterable<number> & {
    /** Indices per epoch, where known. */
    readonly length?: number;
  };
  /** Indices per batch. */
  readonly batchSize: number;
  /** Drop the last incomplete batch. */
  readonly dropLast: boolean;

  constructor(sampler: Iterable<number> & { readonly length?: number }, batchSize: number, dropLast = false) {
    checkPositiveInt(batchSize, 'batch_size');
    if (typeof dropLast !== 'boolean') throw new ValueError(`drop_last should be a boolean value, but got drop_last=${String(dropLast)}`);
    this.sampler = sampler;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
  }

  /** The number of batches (needs the sampler's length). */
  get length(): number {
    const n = this.sampler.length;
    if (n === undefined) throw new TypeError('BatchSampler: the wrapped sampler has no length');
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The indices in batches of `batchSize`. */
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
