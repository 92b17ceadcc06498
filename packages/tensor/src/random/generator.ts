/**
 * Random number generators (`torch.Generator`). A generator is a Philox key (`seed`) and a
 * block counter (`offset`) kept on the host: each draw hands the backend `(seed, offset)`
 * and advances the offset by the blocks it consumes (`philoxBlocks`), so every device
 * draws the same stream. Values do not match PyTorch's own generator.
 */
import { philoxBlock, splitSeed, type DeviceName } from '@torchlet/backend';
import { ValueError } from '../core/errors.js';

/** A generator's whole state, small and serialisable (`JSON.stringify` works). */
export interface GeneratorState {
  /** The seed (`manual_seed`'s argument). */
  readonly seed: number;
  /** The Philox block counter: how far the stream has advanced since seeding. */
  readonly offset: number;
}

/** PyTorch's default seed (`c10::detail::default_rng_seed_val`): fresh processes are deterministic. */
export const DEFAULT_SEED = 67280421310721;

const TWO_53 = 2 ** 53;

function checkSeed(seed: number, op: string): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new ValueError(`${op}: seed must be an integer (got ${String(seed)})`);
  }
  if (seed < -TWO_53 || seed >= TWO_53) throw new ValueError(`${op}: seed must be in [-2^53, 2^53) (got ${seed})`);
  // Negative seeds wrap, as PyTorch maps them to unsigned 64-bit values.
  return seed < 0 ? seed + TWO_53 : seed;
}

/** A non-deterministic 53-bit seed from the platform's crypto source. */
function entropySeed(): number {
  const words = new Uint32Array(2);
  const cryptoObj = (globalThis as { crypto?: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;
  if (cryptoObj) cryptoObj.getRandomValues(words);
  else {
    words[0] = (Math.random() * 2 ** 32) >>> 0;
    words[1] = (Math.random() * 2 ** 32) >>> 0;
  }
  return (words[1]! & 0x1fffff) * 2 ** 32 + words[0]!;
}

/**
 * `torch.Generator`: an independent Philox stream.
 *
 * ```ts
 * const g = new Generator().manualSeed(42); // torch.Generator().manual_seed(42)
 * const x = rand([3], { generator: g });
 * ```
 */
export class Generator {
  /** Kept for PyTorch parity; the stream is the same on every device. */
  readonly device: DeviceName;
  #seed: number;
  #offset = 0;

  constructor(options: { device?: DeviceName } = {}) {
    this.device = options.device ?? 'cpu';
    this.#seed = DEFAULT_SEED;
  }

  /** Sets the seed and restarts the stream; returns this generator (`manual_seed`). */
  manualSeed(seed: number): this {
    this.#seed = checkSeed(seed, 'manualSeed');
    this.#offset = 0;
    return this;
  }

  /** Seeds from a non-deterministic source and returns the new seed (`seed()`). */
  seed(): number {
    this.#seed = entropySeed();
    this.#offset = 0;
    return this.#seed;
  }

  /** The seed the stream started from (`initial_seed`). */
  initialSeed(): number {
    return this.#seed;
  }

  /** The Philox block the next draw starts at. */
  get offset(): number {
    return this.#offset;
  }

  /** `get_state()`: a copy of `{ seed, offset }`; `setState` replays the stream from there. */
  getState(): GeneratorState {
    return { seed: this.#seed, offset: this.#offset };
  }

  /** `set_state(state)`; returns this generator. */
  setState(state: GeneratorState): this {
    if (!state || typeof state !== 'object') throw new ValueError('setState: expected a { seed, offset } object');
    const seed = checkSeed(state.seed, 'setState');
    if (!Number.isSafeInteger(state.offset) || state.offset < 0) {
      throw new ValueError(`setState: offset must be a non-negative integer (got ${String(state.offset)})`);
    }
    this.#seed = seed;
    this.#offset = state.offset;
    return this;
  }

  /**
   * Reserves `blocks` Philox blocks and returns the offset they start at. Ops call this
   * once per draw, with `philoxBlocks(kind, n)`.
   */
  advance(blocks: number): number {
    if (!Number.isSafeInteger(blocks) || blocks < 0) throw new ValueError(`Generator.advance: invalid block count ${blocks}`);
    const start = this.#offset;
    this.#offset += blocks;
    return start;
  }

  /**
   * `n` doubles uniform in [0, 1) with 53 random bits each, drawn on the host from this
   * generator's stream (two 32-bit lanes per double, two doubles per block). For host-side
   * sampling: shuffles, `randperm`, `multinomial`.
   */
  nextDoubles(n: number): Float64Array {
    const out = new Float64Array(n);
    const blocks = Math.ceil(n / 2);
    hostDoubles(this.#seed, this.advance(blocks), out);
    return out;
  }
}

/**
 * Fills `out` with 53-bit uniform doubles from the Philox stream at `(seed, offset)`:
 * element i reads lanes 2(i % 2), 2(i % 2) + 1 of block `offset + floor(i / 2)`.
 */
export function hostDoubles(seed: number, offset: number, out: Float64Array): void {
  const [lo, hi] = splitSeed(seed);
  const lanes = new Uint32Array(4);
  const n = out.length;
  for (let i = 0; i < n; i += 2) {
    philoxBlock(lo, hi, offset + i / 2, lanes);
    out[i] = ((lanes[0]! >>> 11) * 4294967296 + lanes[1]!) / TWO_53;
    if (i + 1 < n) out[i + 1] = ((lanes[2]! >>> 11) * 4294967296 + lanes[3]!) / TWO_53;
  }
}

/** Blocks that `hostDoubles` consumes for `n` doubles. */
export function hostDoubleBlocks(n: number): number {
  return Math.ceil(n / 2);
}

// One default generator per realm, even if a bundle contains this package twice.
const KEY = Symbol.for('@torchlet/tensor/default-generator');
const g = globalThis as Record<symbol, unknown>;
const existing = g[KEY] as Generator | undefined;

/** `torch.default_generator`: what random ops use when no `generator` is given. */
export const defaultGenerator: Generator = existing && typeof existing.advance === 'function' ? existing : new Generator();
g[KEY] = defaultGenerator;

/** `torch.manual_seed(seed)`: seeds the default generator and returns it. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** `torch.seed()`: seeds the default generator non-deterministically and returns the seed. */
export function seed(): number {
  return defaultGenerator.seed();
}

/** `torch.initial_seed()`. */
export function initialSeed(): number {
  return defaultGenerator.initialSeed();
}

/** `torch.get_rng_state()`: the default generator's `{ seed, offset }`. */
export function getRngState(): GeneratorState {
  return defaultGenerator.getState();
}

/** `torch.set_rng_state(state)`. */
export function setRngState(state: GeneratorState): void {
  defaultGenerator.setState(state);
}
