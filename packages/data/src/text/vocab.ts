/**
 * `Vocab` (torchtext's `Vocab` / `build_vocab_from_iterator`): token ↔ index maps built from
 * token streams, with special tokens, frequency thresholds, a size cap and a default index
 * for unknown tokens. Serialises to JSON.
 */
import { IndexError, RuntimeError, ValueError } from '@torchlet/tensor';

/** Options of `Vocab.build` / `Vocab.fromIterator` (torchtext's `build_vocab_from_iterator`). */
export interface VocabOptions {
  /** Tokens seen fewer times are left out (default 1). */
  minFreq?: number;
  /** At most this many tokens in all, specials included (torchtext's `max_tokens`). */
  maxSize?: number;
  /** Tokens placed first (or last) whatever their counts, e.g. `['<pad>', '<unk>']`. */
  specials?: readonly string[];
  /** Put `specials` at the start (default true) or at the end. */
  specialFirst?: boolean;
  /** Unknown tokens map to this token's index (sets the default index), e.g. `'<unk>'`. */
  defaultToken?: string;
}

/** The JSON form (`vocab.toJSON()`, `Vocab.fromJSON`). */
export interface VocabJSON {
  /** Index → token (torchtext's `itos`). */
  readonly itos: readonly string[];
  /** The index unknown tokens map to (null: unknown tokens throw). */
  readonly defaultIndex: number | null;
}

type TokenStream = Iterable<Iterable<string>>;

/**
 * token ↔ index maps. Build with `Vocab.build(iterable, options)` (sync) or
 * `Vocab.fromIterator(asyncIterable, options)`. Tokens are ordered by descending frequency,
 * ties broken lexicographically (torchtext's order), after the specials.
 *
 * ```ts
 * const vocab = Vocab.build(lines.map(basicEnglish), { minFreq: 2, specials: ['<pad>', '<unk>'], defaultToken: '<unk>' });
 * vocab.lookupIndices(['the', 'zzz']); // [2, 1]
 * ```
 */
export class Vocab {
  readonly #itos: string[];
  readonly #stoi: Map<string, number>;
  #defaultIndex: number | null = null;

  /** `Vocab(itos)`: tokens in index order (must be unique). */
  constructor(itos: Iterable<string>, options: { defaultIndex?: number | null } = {}) {
    this.#itos = [];
    this.#stoi = new Map();
    for (const t of itos) this.appendToken(t);
    if (options.defaultIndex !== undefined && options.defaultIndex !== null) this.setDefaultIndex(options.defaultIndex);
  }

  /** Counts tokens (one inner iterable per text) and builds the vocabulary (`build_vocab_from_iterator`). */
  static build(iterator: TokenStream, options: VocabOptions = {}): Vocab {
    const counts = new Map<string, number>();
    for (const tokens of iterator) for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    return Vocab.fromCounts(counts, options);
  }

  /** `build` for sync or async token streams (lines read from a file, say). */
  static fromIterator(iterator: TokenStream, options?: VocabOptions): Vocab;
  static fromIterator(iterator: AsyncIterable<Iterable<string>>, options?: VocabOptions): Promise<Vocab>;
  static fromIterator(iterator: TokenStream | AsyncIterable<Iterable<string>>, options: VocabOptions = {}): Vocab | Promise<Vocab> {
    if (Symbol.iterator in iterator) return Vocab.build(iterator, options);
    return (async () => {
      const counts = new Map<string, number>();
      for await (const tokens of iterator) for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      return Vocab.fromCounts(counts, options);
    })();
  }

  /** A vocabulary from token counts (torchtext's `vocab(ordered_dict, min_freq, specials, …)` after sorting). */
  static fromCounts(counts: ReadonlyMap<string, number> | Readonly<Record<string, number>>, options: VocabOptions = {}): Vocab {
    const minFreq = options.minFreq ?? 1;
    if (!Number.isInteger(minFreq) || minFreq < 1) throw new ValueError(`Vocab: minFreq must be a positive integer (got ${minFreq})`);
    const specials = options.specials ?? [];
    if (new Set(specials).size !== specials.length) throw new ValueError('Vocab: specials must be unique');
    const maxSize = options.maxSize;
    if (maxSize !== undefined && (!Number.isInteger(maxSize) || maxSize <= specials.length)) {
      throw new ValueError(`Vocab: maxSize must be an integer greater than the number of specials (${specials.length}); got ${maxSize}`);
    }
    const entries = counts instanceof Map ? [...counts.entries()] : Object.entries(counts);
    const specialSet = new Set(specials);
    const sorted = entries
      .filter(([t, c]) => !specialSet.has(t) && c >= minFreq)
      .sort((a, b) => (b[1] !== a[1] ? b[1] - a[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([t]) => t);
    const kept = maxSize === undefined ? sorted : sorted.slice(0, maxSize - specials.length);
    const itos = options.specialFirst ?? true ? [...specials, ...kept] : [...kept, ...specials];
    const vocab = new Vocab(itos);
    if (options.defaultToken !== undefined) {
      const i = vocab.#stoi.get(options.defaultToken);
      if (i === undefined) throw new ValueError(`Vocab: defaultToken '${options.defaultToken}' is not in the vocabulary (add it to specials)`);
      vocab.setDefaultIndex(i);
    }
    return vocab;
  }

  /** `len(vocab)`. */
  get length(): number {
    return this.#itos.length;
  }

  /** `vocab[token]`: the token's index, or the default index for unknown tokens. */
  indexOf(token: string): number {
    const i = this.#stoi.get(token);
    if (i !== undefined) return i;
    if (this.#defaultIndex === null) throw new RuntimeError(`Token ${token} not found and default index is not set`);
    return this.#defaultIndex;
  }

  /** `token in vocab`. */
  has(token: string): boolean {
    return this.#stoi.has(token);
  }

  /** `lookup_indices(tokens)`. */
  lookupIndices(tokens: Iterable<string>): number[] {
    const out: number[] = [];
    for (const t of tokens) out.push(this.indexOf(t));
    return out;
  }

  /** `lookup_token(index)`. */
  lookupToken(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.#itos.length) {
      throw new IndexError(`Specified index ${index} is out of bounds of the size of itos dictionary: ${this.#itos.length}.`);
    }
    return this.#itos[index]!;
  }

  /** `lookup_tokens(indices)`. */
  lookupTokens(indices: Iterable<number>): string[] {
    const out: string[] = [];
    for (const i of indices) out.push(this.lookupToken(i));
    return out;
  }

  /** `set_default_index(index)`: unknown tokens map here (`null` unsets: they throw). */
  setDefaultIndex(index: number | null): void {
    if (index !== null && (!Number.isInteger(index) || index < 0 || index >= this.#itos.length)) {
      throw new IndexError(`Vocab: default index ${index} is out of range for a vocabulary of ${this.#itos.length}`);
    }
    this.#defaultIndex = index;
  }

  /** `get_default_index()`. */
  getDefaultIndex(): number | null {
    return this.#defaultIndex;
  }

  /** `get_itos()`: tokens in index order (a copy). */
  getItos(): string[] {
    return [...this.#itos];
  }

  /** `get_stoi()`: token → index (a copy). */
  getStoi(): Map<string, number> {
    return new Map(this.#stoi);
  }

  /** `append_token(token)`. */
  appendToken(token: string): void {
    if (typeof token !== 'string') throw new ValueError(`Vocab: tokens must be strings (got ${typeof token})`);
    if (this.#stoi.has(token)) throw new RuntimeError(`Token ${token} already exists in the Vocab with index: ${this.#stoi.get(token)}`);
    this.#stoi.set(token, this.#itos.length);
    this.#itos.push(token);
  }

  /** `insert_token(token, index)`: later tokens move up by one. */
  insertToken(token: string, index: number): void {
    if (this.#stoi.has(token)) throw new RuntimeError(`Token ${token} already exists in the Vocab with index: ${this.#stoi.get(token)}`);
    if (!Number.isInteger(index) || index < 0 || index > this.#itos.length) {
      throw new IndexError(`Specified index ${index} is out of bounds of the size of stoi dictionary: ${this.#itos.length}.`);
    }
    this.#itos.splice(index, 0, token);
    for (let i = index; i < this.#itos.length; i++) this.#stoi.set(this.#itos[i]!, i);
    if (this.#defaultIndex !== null && this.#defaultIndex >= index) this.#defaultIndex++;
  }

  /** The JSON form: `JSON.stringify(vocab)` works. */
  toJSON(): VocabJSON {
    return { itos: [...this.#itos], defaultIndex: this.#defaultIndex };
  }

  /** Builds a vocabulary from `toJSON()`'s object or its JSON text (a leading BOM is dropped). */
  static fromJSON(json: VocabJSON | string): Vocab {
    let obj: Partial<VocabJSON>;
    if (typeof json === 'string') {
      try {
        obj = JSON.parse(json.charCodeAt(0) === 0xfeff ? json.slice(1) : json) as Partial<VocabJSON>;
      } catch (e) {
        throw new ValueError(`Vocab.fromJSON: not valid JSON (${(e as Error).message})`);
      }
    } else obj = json;
    if (!obj || !Array.isArray(obj.itos)) throw new ValueError('Vocab.fromJSON: expected { itos: string[], defaultIndex: number | null }');
    return new Vocab(obj.itos, { defaultIndex: obj.defaultIndex ?? null });
  }

  /** Writes the vocabulary as JSON (Node). */
  async save(path: string): Promise<void> {
    const fs = nodeFs();
    await fs.writeFile(path, JSON.stringify(this.toJSON()), 'utf8');
  }

  /** Reads a vocabulary written by `save` (Node). */
  static async load(path: string): Promise<Vocab> {
    const fs = nodeFs();
    return Vocab.fromJSON(await fs.readFile(path, 'utf8'));
  }
}

/** node:fs/promises from `process.getBuiltinModule`: a browser bundle then has no Node import to resolve. */
function nodeFs(): typeof import('node:fs/promises') {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = p?.getBuiltinModule?.('node:fs/promises') as typeof import('node:fs/promises') | undefined;
  if (!fs) throw new TypeError('Vocab.save/load need Node.js (node:fs); elsewhere use toJSON/fromJSON');
  return fs;
}
